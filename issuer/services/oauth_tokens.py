"""The bearer-token store of the OB 3.0 API's OAuth 2.0 server.

Tokens are 256 random bits (``secrets.token_urlsafe(32)``); only their SHA-256 is stored
(:class:`issuer.models.OAuthToken`), as for claim links (:mod:`issuer.services.claims`): a
random 256-bit value has no guessable preimage, so a plain digest is enough and a lookup is one
index probe. The raw tokens exist only in the token response.

The authorization server (:mod:`issuer.api.oauth_server`, on Authlib) mints tokens here with
:func:`issue_tokens`; the API's resource endpoints resolve a bearer token with
:func:`grant_for_bearer`. Refreshing rotates: :func:`refresh_row` finds a live refresh token
and :func:`revoke_row` retires it before a new pair is issued. A replayed authorization code
revokes what descends from it (:func:`revoke_from_code`, RFC 6749 §4.1.2).

Every function adds to or changes rows of ``session`` and flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from issuer.models.oauth import OAuthClient, OAuthToken
from schemas.dates import as_utc

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "OB_SCOPES",
    "REFRESH_TOKEN_DAYS",
    "SCOPE_PREFIX",
    "TOKEN_BYTES",
    "AccessGrant",
    "AllowedApp",
    "TokenPair",
    "allowed_apps",
    "grant_for_bearer",
    "issue_tokens",
    "refresh_row",
    "revoke_for_learner",
    "revoke_from_code",
    "revoke_row",
    "row_for_token",
    "token_hash",
]

#: Random bytes in an access or refresh token (256 bits).
TOKEN_BYTES = 32
#: Seconds an access token is good for.
ACCESS_TOKEN_SECONDS = 3600
#: Default days a refresh token is good for (``MICROCRED_OAUTH_REFRESH_TOKEN_DAYS``).
REFRESH_TOKEN_DAYS = 30
#: Longer text is no token of ours: refused before hashing.
_MAX_TOKEN_LENGTH = 128

SCOPE_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
#: The four scopes of the OB 3.0 API, the only ones a client may register or be granted.
OB_SCOPES = frozenset(
    SCOPE_PREFIX + name
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)


@dataclass(frozen=True)
class AccessGrant:
    """What a live access token lets its bearer do: act for ``learner_id`` within ``scopes``,
    as the client ``client_id``."""

    learner_id: int
    client_id: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class TokenPair:
    """A token response's secrets, returned once (the store keeps their digests)."""

    access_token: str
    refresh_token: str
    #: Seconds the access token is good for.
    expires_in: int
    #: Space-separated scopes granted.
    scope: str


@dataclass(frozen=True)
class AllowedApp:
    """A client holding live tokens for an educator, for the educator's page."""

    client_id: str
    client_name: str
    client_uri: str
    scopes: frozenset[str]


def token_hash(token: str) -> str:
    """The stored form of ``token``: hex SHA-256 of its text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_tokens(
    session: Session,
    *,
    client_id: str,
    learner_id: int,
    scope: str,
    now: datetime,
    code_id: int | None = None,
    refresh_days: int = REFRESH_TOKEN_DAYS,
) -> TokenPair:
    """A new access token (``ACCESS_TOKEN_SECONDS``) and refresh token (``refresh_days``) for
    ``client_id`` acting for ``learner_id`` within ``scope`` (space-separated). ``code_id``:
    the authorization code the grant descends from. Added to ``session`` and flushed; the
    caller commits before the tokens leave the process."""
    access, refresh = secrets.token_urlsafe(TOKEN_BYTES), secrets.token_urlsafe(TOKEN_BYTES)
    scope = " ".join(sorted(set(scope.split())))
    session.add(
        OAuthToken(
            access_token_hash=token_hash(access),
            refresh_token_hash=token_hash(refresh),
            client_id=client_id,
            learner_id=learner_id,
            scope=scope,
            code_id=code_id,
            created=now,
            access_expires=now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
            refresh_expires=now + timedelta(days=refresh_days),
        )
    )
    session.flush()
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=ACCESS_TOKEN_SECONDS, scope=scope
    )


def _by_hash(session: Session, column: object, token: str) -> OAuthToken | None:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    digest = token_hash(token)
    row = session.exec(select(OAuthToken).where(column == digest)).first()
    return row


def grant_for_bearer(session: Session, token: str, *, now: datetime) -> AccessGrant | None:
    """What the access token ``token`` grants, or None for one that is unknown, expired or
    revoked (the resource endpoints answer 401 for all three alike)."""
    row = _by_hash(session, col(OAuthToken.access_token_hash), token)
    if row is None or not hmac.compare_digest(row.access_token_hash, token_hash(token)):
        return None
    if row.revoked_at is not None or as_utc(row.access_expires) <= as_utc(now):
        return None
    return AccessGrant(
        learner_id=row.learner_id, client_id=row.client_id, scopes=frozenset(row.scope.split())
    )


def row_for_token(
    session: Session, token: str, *, client_id: str | None = None, hint: str | None = None
) -> OAuthToken | None:
    """The row holding ``token`` (access or refresh, ``hint`` tried first), live or not, if it
    was issued to ``client_id`` (any client when None; RFC 7009 revocation then checks)."""
    columns = [col(OAuthToken.access_token_hash), col(OAuthToken.refresh_token_hash)]
    if hint == "refresh_token":
        columns.reverse()
    for column in columns:
        row = _by_hash(session, column, token)
        if row is not None:
            return row if client_id is None or row.client_id == client_id else None
    return None


def refresh_row(session: Session, token: str, *, now: datetime) -> OAuthToken | None:
    """The row whose refresh token is ``token`` if it still works (not revoked, not
    rotated, not expired)."""
    row = _by_hash(session, col(OAuthToken.refresh_token_hash), token)
    if row is None or row.revoked_at is not None:
        return None
    if row.refresh_expires is None or as_utc(row.refresh_expires) <= as_utc(now):
        return None
    return row


def revoke_row(session: Session, row: OAuthToken, *, now: datetime) -> bool:
    """Stop both tokens of ``row`` (once: a row already revoked keeps its time). Whether this
    call revoked it — a conditional UPDATE, so two refreshes of one token cannot both win."""
    result = session.connection().execute(
        update(OAuthToken)
        .where(col(OAuthToken.id) == row.id, col(OAuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.refresh(row)
    return bool(result.rowcount)


def revoke_from_code(session: Session, *, code_id: int, now: datetime) -> int:
    """Revoke every live token descending from the authorization code ``code_id`` (it was
    replayed); how many rows."""
    result = session.connection().execute(
        update(OAuthToken)
        .where(col(OAuthToken.code_id) == code_id, col(OAuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


def revoke_for_learner(session: Session, *, learner_id: int, client_id: str, now: datetime) -> int:
    """Revoke every token ``client_id`` holds for ``learner_id`` ("Remove access" on the
    educator's page); how many rows."""
    result = session.connection().execute(
        update(OAuthToken)
        .where(
            col(OAuthToken.learner_id) == learner_id,
            col(OAuthToken.client_id) == client_id,
            col(OAuthToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


def allowed_apps(session: Session, *, learner_id: int, now: datetime) -> list[AllowedApp]:
    """The clients holding a live token (access or refresh) for ``learner_id``, each with the
    union of the scopes they hold, by name."""
    rows = session.exec(
        select(OAuthToken, OAuthClient)
        .join(OAuthClient, col(OAuthClient.client_id) == col(OAuthToken.client_id))
        .where(col(OAuthToken.learner_id) == learner_id, col(OAuthToken.revoked_at).is_(None))
    ).all()
    apps: dict[str, tuple[OAuthClient, set[str]]] = {}
    for token, client in rows:
        live = as_utc(token.access_expires) > as_utc(now) or (
            token.refresh_expires is not None and as_utc(token.refresh_expires) > as_utc(now)
        )
        if live:
            apps.setdefault(client.client_id, (client, set()))[1].update(token.scope.split())
    return sorted(
        (
            AllowedApp(
                client_id=client.client_id,
                client_name=client.client_name,
                client_uri=client.client_uri,
                scopes=frozenset(scopes),
            )
            for client, scopes in apps.values()
        ),
        key=lambda app: (app.client_name.casefold(), app.client_id),
    )
