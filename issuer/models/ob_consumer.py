"""Pushing an award into an educator's own OB 3.0 Host: the Hosts we registered with, and each
push between the educator's consent and the Host's answer.

microcred is here a *Service Consumer (Write)* of the 1EdTech OB 3.0 API
(:mod:`issuer.services.ob_consumer`). What is stored, and why that way:

* :class:`RemoteHost` — one OAuth client registration per Host (RFC 7591), reused by every
  later push to it, as the spec intends (a Host would otherwise collect a client per award).
  The Host's ``client_secret`` opens every future token request, so it is **sealed** with the
  key-encryption key (:mod:`issuer.crypto_at_rest`), its associated data naming the Host's
  API URL: a sealed secret copied onto another row does not open.
* :class:`HostPush` — one authorization request. The ``state`` travels through the
  educator's browser and comes back on the callback, so only its SHA-256 is kept (a copy of
  the database cannot complete anyone's push); the PKCE ``code_verifier`` must be sent in
  clear to the token endpoint later, so it is sealed (associated data: the push's id). An
  access token is never stored: it is used for the one upsert and dropped.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.models.fields import timestamp
from schemas.dates import utcnow

__all__ = ["HostPush", "PushFormat", "PushStatus", "RemoteHost"]


class PushStatus(StrEnum):
    """Where a push is: waiting for the educator's consent, or finished either way."""

    pending = "pending"
    pushed = "pushed"
    failed = "failed"


class PushFormat(StrEnum):
    """Which of the award's signed forms is sent: the Data Integrity JSON (``application/json``)
    or its VC-JWT (``text/plain``), each exactly as issued."""

    json = "json"
    jwt = "jwt"


class RemoteHost(SQLModel, table=True):
    """An OB 3.0 Host (another service's backpack) and our client registration there."""

    __tablename__ = "remote_host"

    id: int | None = Field(default=None, primary_key=True)
    #: The Host's API base (``https://host/ims/ob/v3p0``), normalised: no trailing slash,
    #: scheme and host lower-cased. One registration per value.
    api_url: str = Field(unique=True, index=True, max_length=2000)
    discovery_url: str = Field(max_length=2000)
    registration_url: str = Field(max_length=2000)
    authorization_url: str = Field(max_length=2000)
    token_url: str = Field(max_length=2000)
    #: The scopes we registered for (space-separated).
    scope: str = Field(max_length=2000)
    #: The redirect URI we registered: a push made after the service's base URL changed
    #: registers again, since the Host would refuse the new one.
    redirect_uri: str = Field(max_length=2000)
    client_id: str = Field(max_length=500)
    #: The client secret, sealed with the KEK (associated data: :func:`client_secret_label`).
    client_secret_sealed: str = Field(sa_type=sa.Text)
    registered_at: datetime = timestamp(default_factory=utcnow)


class HostPush(SQLModel, table=True):
    """One push of one award to one Host: the authorization request and its outcome."""

    __tablename__ = "host_push"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    remote_host_id: int = Field(foreign_key="remote_host.id", index=True)
    format: str = Field(default=PushFormat.json, max_length=8)
    #: SHA-256 (hex) of the 256-bit ``state`` the authorization request carried.
    state_hash: str = Field(unique=True, index=True, max_length=64)
    #: The PKCE code verifier, sealed with the KEK (associated data: :func:`verifier_label`).
    code_verifier_sealed: str = Field(sa_type=sa.Text)
    status: str = Field(default=PushStatus.pending, max_length=16)
    #: The HTTP status the Host answered the upsert with (None: it never got that far).
    answer_status: int | None = None
    #: Why it failed (the Host's ``imsx_description``, or what went wrong before), or what
    #: the Host said on success.
    answer_description: str | None = Field(default=None, sa_type=sa.Text)
    created: datetime = timestamp(default_factory=utcnow)
    #: The consent must come back before this (10 minutes after ``created``).
    expires: datetime = timestamp()
    finished_at: datetime | None = timestamp(default=None, nullable=True)


def client_secret_label(api_url: str) -> str:
    """The associated data sealing a Host's client secret: it names the row."""
    return f"remote_host:{api_url}:client_secret"


def verifier_label(push_id: uuid.UUID) -> str:
    """The associated data sealing a push's PKCE code verifier: it names the row."""
    return f"host_push:{push_id}:code_verifier"
