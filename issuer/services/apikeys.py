"""API keys for the admin API: created once, shown once, stored as a hash.

A token is ``mc_<prefix>_<secret>``. The prefix is stored in clear to find the row (and to let
people tell their keys apart); the whole token is stored as SHA-256. A plain hash is enough —
a slow password hash protects guessable secrets, and this one is 256 random bits.

A key is either bound to one issuer or, with ``issuer_id`` empty, good for every issuer (the
key ``microcred serve`` prints on first start). ``admin`` scope includes every other scope.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from sqlmodel import Session, select

from issuer.db import begin_write
from issuer.models import ApiKey, ApiKeyCreated, Issuer, Scope, public_view

__all__ = ["TOKEN_PREFIX", "authenticate", "create_api_key", "created_view", "has_scope"]

TOKEN_PREFIX = "mc"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_key(
    *, session: Session, name: str, scopes: Iterable[Scope | str], issuer: Issuer | None
) -> tuple[ApiKey, str]:
    """A new key and its token. The token is not stored: show it now or never."""
    issuer_id = issuer.id if issuer is not None else None
    begin_write(session)
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        prefix=prefix,
        secret_hash=_hash(token),
        name=name,
        scopes=sorted({Scope(s).value for s in scopes}),
        issuer_id=issuer_id,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, token


def authenticate(session: Session, token: str) -> ApiKey | None:
    """The live key this token belongs to, or None (unknown, malformed, wrong or revoked)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if row is None or row.revoked is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(token)):
        return None
    return row


def has_scope(key: ApiKey, scope: Scope) -> bool:
    return Scope.admin.value in key.scopes or scope.value in key.scopes


def created_view(row: ApiKey, token: str, issuer: Issuer | None) -> ApiKeyCreated:
    """What the creator of a key is shown, once: the token and what it may do."""
    return public_view(
        ApiKeyCreated,
        row,
        id=row.id or 0,
        scopes=list(row.scopes),
        issuer=issuer.slug if issuer is not None else None,
        token=token,
    )
