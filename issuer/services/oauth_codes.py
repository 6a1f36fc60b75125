"""Authorization codes of the OB 3.0 API's OAuth 2.0 server: stored hashed, single use, 600 s.

A code is 256 random bits; only its SHA-256 is kept (:class:`issuer.models.OAuthCode`), bound
to the client, the exact redirect URI, the scopes the educator allowed, the educator and the
PKCE S256 challenge. It is spent by one conditional UPDATE (:func:`spend_code`), so two
exchanges of one code cannot both succeed; an exchange of a spent code is a replay, and the
tokens already issued from it are revoked (RFC 6749 §4.1.2; done by the grant in
:mod:`issuer.api.oauth_server` with :func:`issuer.services.oauth_tokens.revoke_from_code`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from issuer.models.oauth import OAuthCode
from issuer.services.oauth_tokens import token_hash

__all__ = ["CODE_BYTES", "CODE_SECONDS", "find_code", "new_code", "save_code", "spend_code"]

#: Random bytes in a code (256 bits).
CODE_BYTES = 32
#: Seconds a code may wait to be exchanged (RFC 6749 §4.1.2 recommends at most 10 minutes).
CODE_SECONDS = 600
_MAX_CODE_LENGTH = 128


def new_code() -> str:
    """A fresh code's text."""
    return secrets.token_urlsafe(CODE_BYTES)


def save_code(
    session: Session,
    *,
    code: str,
    client_id: str,
    learner_id: int,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    code_challenge_method: str,
    now: datetime,
) -> OAuthCode:
    """Store ``code``'s digest and what it is bound to; added and flushed, the caller commits."""
    row = OAuthCode(
        code_hash=token_hash(code),
        client_id=client_id,
        learner_id=learner_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        created=now,
        expires=now + timedelta(seconds=CODE_SECONDS),
    )
    session.add(row)
    session.flush()
    return row


def find_code(session: Session, code: str, *, client_id: str) -> OAuthCode | None:
    """The row of ``code`` issued to ``client_id`` (spent or expired too: the caller tells a
    replay from a mistake), or None."""
    if not code or len(code) > _MAX_CODE_LENGTH:
        return None
    row = session.exec(
        select(OAuthCode).where(col(OAuthCode.code_hash) == token_hash(code))
    ).first()
    return row if row is not None and row.client_id == client_id else None


def spend_code(session: Session, row: OAuthCode, *, now: datetime) -> bool:
    """Mark ``row`` used; False when another exchange spent it first."""
    result = session.connection().execute(
        update(OAuthCode)
        .where(col(OAuthCode.id) == row.id, col(OAuthCode.used_at).is_(None))
        .values(used_at=now)
    )
    return bool(result.rowcount)
