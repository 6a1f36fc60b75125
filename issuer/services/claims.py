"""Claim links: the opaque token in a delivery email that opens the award's claim page.

A token is 192 random bits (``secrets.token_urlsafe(24)``), above the 128 the issue asks for;
only its SHA-256 is stored (:class:`issuer.models.ClaimToken`), so the database — a backup, a
read-only replica — opens no claim page. High-entropy tokens need no slow hash: nobody can
guess a preimage of a random 192-bit value, so SHA-256 is enough and a lookup stays one index
probe.

Tokens are minted by the send job just before the message is composed
(:mod:`issuer.services.deliveries`), so the raw token exists only in the email: never in the
job queue, a log line or the database. Each send mints its own; a new link does not revoke the
earlier ones (an educator may open either) unless :func:`withdraw_claim_links` is asked to.
A revoked or suspended *award* keeps its tokens resolvable: the claim page then says what
happened and offers nothing, which beats a bare "unknown link".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from issuer.models import Award, ClaimToken
from issuer.services.errors import Gone, NotFound
from schemas.dates import as_utc

__all__ = [
    "TOKEN_BYTES",
    "ClaimLinkGone",
    "claim_token_hash",
    "mint_claim_token",
    "resolve_claim_token",
    "withdraw_claim_links",
]

#: Random bytes in a token (192 bits; its text is 32 URL-safe characters).
TOKEN_BYTES = 24
#: Longer text is no token of ours: refused before hashing.
_MAX_TOKEN_LENGTH = 64


class ClaimLinkGone(Gone):
    """The link was real but is expired or revoked; ``award`` is whose it was (a new link can
    be sent to the address on record, never to one the visitor gives)."""

    def __init__(self, message: str, award: Award, *, expired: bool) -> None:
        super().__init__(message)
        self.award = award
        #: True: the link ran out of time (its page may offer a new one); False: the issuer
        #: withdrew it (a new one is the issuer's to send).
        self.expired = expired


def claim_token_hash(token: str) -> str:
    """The stored form of ``token``: hex SHA-256 of its text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_claim_token(session: Session, *, award: Award, now: datetime, ttl: timedelta) -> str:
    """A new token for ``award``, valid until ``now + ttl``, added to ``session`` (the caller
    commits before the token leaves the process). Returns the raw token, which is not kept."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        ClaimToken(
            award_id=award.id,
            token_hash=claim_token_hash(token),
            created=now,
            expires=now + ttl,
        )
    )
    return token


def resolve_claim_token(session: Session, token: str, *, now: datetime) -> Award:
    """The award ``token`` opens. :class:`NotFound` for a token that is none of ours,
    :class:`ClaimLinkGone` (a 410) for one that expired or was revoked."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise NotFound("no such claim link")
    digest = claim_token_hash(token)
    row = session.exec(select(ClaimToken).where(col(ClaimToken.token_hash) == digest)).first()
    # The lookup is by hash, so its timing says nothing about the token; the comparison is
    # constant-time all the same.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise NotFound("no such claim link")
    award = session.get(Award, row.award_id)
    if award is None:  # foreign key
        raise NotFound("no such claim link")
    if row.revoked is not None:
        raise ClaimLinkGone("this claim link was withdrawn", award, expired=False)
    if as_utc(row.expires) <= as_utc(now):
        raise ClaimLinkGone("this claim link has expired", award, expired=True)
    return award


def withdraw_claim_links(session: Session, *, award: Award, now: datetime) -> int:
    """Withdraw every live token of ``award`` (the caller commits); how many."""
    result = session.connection().execute(
        update(ClaimToken)
        .where(col(ClaimToken.award_id) == award.id, col(ClaimToken.revoked).is_(None))
        .values(revoked=now)
    )
    return int(result.rowcount or 0)
