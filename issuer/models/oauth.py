"""OAuth 2.0 for the OB 3.0 API: registered clients, authorization codes and bearer tokens.

Every secret is stored only as its SHA-256 (hex), the project's rule for high-entropy tokens
(:mod:`issuer.services.claims`): a client secret, an authorization code, an access token and a
refresh token are each 256 random bits, so a copy of the database authorizes nothing and a
lookup stays one index probe.

A :class:`OAuthToken` row is one *grant* as the client holds it at a time: an access token and
the refresh token issued with it. Refreshing writes a new row and revokes the old one (the
refresh token rotates: the old one stops working), carrying ``code_id`` along, so the tokens
that descend from one authorization code can all be revoked when that code is replayed
(RFC 6749 §4.1.2). Revoking a row revokes both of its tokens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.models.fields import timestamp

__all__ = ["OAuthClient", "OAuthCode", "OAuthToken"]


class OAuthClient(SQLModel, table=True):
    """A client registered through RFC 7591 dynamic registration (``POST /oauth/register``).

    The metadata is what the client sent, checked (:mod:`issuer.services.oauth_clients`) and
    kept as registered: the consent page names the client from it, and the registration
    response repeats it.
    """

    __tablename__ = "oauth_client"

    #: The public identifier handed to the client (random, not a secret).
    client_id: str = Field(primary_key=True, max_length=64)
    #: SHA-256 (hex) of the client secret, which is shown once, in the registration response.
    secret_hash: str = Field(max_length=64)
    client_name: str = Field(max_length=200)
    client_uri: str = Field(max_length=2000)
    logo_uri: str = Field(max_length=2000)
    tos_uri: str = Field(max_length=2000)
    policy_uri: str = Field(max_length=2000)
    software_id: str = Field(max_length=200)
    software_version: str = Field(max_length=100)
    redirect_uris: list[str] = Field(sa_type=sa.JSON)
    #: The scopes the client may ask for, space-separated (RFC 7591 ``scope``).
    scope: str = Field(max_length=1000)
    grant_types: list[str] = Field(sa_type=sa.JSON)
    response_types: list[str] = Field(sa_type=sa.JSON)
    token_endpoint_auth_method: str = Field(max_length=40)
    contacts: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    #: ``client_id_issued_at``.
    created: datetime = timestamp()


class OAuthCode(SQLModel, table=True):
    """An authorization code: single use, short-lived, bound to its client, redirect URI,
    scope, educator and PKCE challenge (S256 only)."""

    __tablename__ = "oauth_code"

    id: int | None = Field(default=None, primary_key=True)
    #: SHA-256 (hex) of the code.
    code_hash: str = Field(unique=True, index=True, max_length=64)
    client_id: str = Field(foreign_key="oauth_client.client_id", index=True, max_length=64)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    redirect_uri: str = Field(max_length=2000)
    #: Space-separated scopes the educator allowed.
    scope: str = Field(max_length=1000)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=10)
    created: datetime = timestamp()
    expires: datetime = timestamp()
    #: When it was exchanged for tokens; a second exchange fails and revokes those tokens.
    used_at: datetime | None = timestamp(default=None, nullable=True)


class OAuthToken(SQLModel, table=True):
    """An access token and its refresh token, issued to one client for one educator."""

    __tablename__ = "oauth_token"

    id: int | None = Field(default=None, primary_key=True)
    #: SHA-256 (hex) of the access token.
    access_token_hash: str = Field(unique=True, index=True, max_length=64)
    #: SHA-256 (hex) of the refresh token.
    refresh_token_hash: str | None = Field(default=None, unique=True, index=True, max_length=64)
    client_id: str = Field(foreign_key="oauth_client.client_id", index=True, max_length=64)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    #: Space-separated scopes granted.
    scope: str = Field(max_length=1000)
    #: The authorization code this grant descends from (kept through refreshes).
    code_id: int | None = Field(default=None, foreign_key="oauth_code.id", index=True)
    created: datetime = timestamp()
    access_expires: datetime = timestamp()
    refresh_expires: datetime | None = timestamp(default=None, nullable=True)
    #: When the row stopped working: revoked (RFC 7009, "Remove access", a replayed code) or
    #: rotated by a refresh.
    revoked_at: datetime | None = timestamp(default=None, nullable=True)
