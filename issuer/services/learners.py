"""Learners and their sessions: find-or-create by address, open, resolve and close sessions.

A session is a row (:class:`issuer.models.LearnerSession`) and a cookie holding a random
192-bit token; the row keeps only the token's SHA-256 (as claim links do,
:mod:`issuer.services.claims`), so the database opens no session. Server-side rows rather
than a signed cookie because signing out — and an administrator ending a session — must
work at once, and a signed cookie cannot be taken back.

Two expiries: *idle* (``idle`` since ``last_seen_at``, 30 minutes by default) and *absolute*
(``expires_at``, fixed when the session opens, 12 hours by default). :func:`resolve_session`
refreshes ``last_seen_at`` at most once a :data:`TOUCH_INTERVAL`, so a page that makes many
requests does not write on each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.models import Award, AwardStatus
from issuer.models.learners import Learner, LearnerSession
from issuer.services import sharing
from issuer.services.context import Runtime
from schemas.dates import as_utc, parse_datetime

__all__ = [
    "DEFAULT_ABSOLUTE",
    "LearnerAward",
    "awards_of",
    "DEFAULT_IDLE",
    "TOKEN_BYTES",
    "TOUCH_INTERVAL",
    "close_session",
    "learner_for_email",
    "normalize_email",
    "open_session",
    "resolve_session",
    "session_row",
    "token_hash",
]

#: Random bytes in a session token (192 bits; 32 URL-safe characters).
TOKEN_BYTES = 24
#: Longer cookie text is no token of ours: refused before hashing.
_MAX_TOKEN_LENGTH = 64
#: ``last_seen_at`` is written at most this often by :func:`resolve_session`.
TOUCH_INTERVAL = timedelta(minutes=1)
#: The settings' defaults (``learner_session_idle_minutes``, ``learner_session_hours``).
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_ABSOLUTE = timedelta(hours=12)


def normalize_email(email: str) -> str:
    """The stored form of an address: trimmed, lower-case (awards compare the same way)."""
    return email.strip().lower()


def token_hash(token: str) -> str:
    """The stored form of a session or link token: hex SHA-256 of its text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def learner_for_email(session: Session, *, email: str, now: datetime) -> Learner:
    """The learner of ``email`` (normalised), made if there is none yet, and flushed (its id
    set); the caller commits. Two first sign-ins at once make one row: the loser of the race
    on the unique address reads the winner's."""
    address = normalize_email(email)
    found = session.exec(select(Learner).where(col(Learner.email) == address)).first()
    if found is not None:
        return found
    learner = Learner(email=address, created_at=now)
    try:
        with session.begin_nested():
            session.add(learner)
            session.flush()
    except IntegrityError:
        found = session.exec(select(Learner).where(col(Learner.email) == address)).first()
        if found is None:  # pragma: no cover - the unique row that refused ours is there
            raise
        return found
    return learner


def open_session(
    session: Session,
    *,
    learner: Learner,
    now: datetime,
    lifetime: timedelta = DEFAULT_ABSOLUTE,
) -> str:
    """A new session for ``learner``, good until ``now + lifetime`` at most, added to
    ``session`` (the caller commits before the token leaves the process). Returns the raw
    cookie token, which is not kept."""
    if learner.id is None:
        session.flush()
    assert learner.id is not None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        LearnerSession(
            token_hash=token_hash(token),
            learner_id=learner.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            csrf_secret=secrets.token_hex(32),
        )
    )
    return token


def session_row(
    session: Session, token: str | None, *, now: datetime, idle: timedelta = DEFAULT_IDLE
) -> LearnerSession | None:
    """The live session row of cookie ``token`` (None: no token, unknown, idle too long or
    past its absolute end), its ``last_seen_at`` refreshed and committed when more than
    :data:`TOUCH_INTERVAL` old. An expired row is deleted on sight."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    digest = token_hash(token)
    row = session.exec(
        select(LearnerSession).where(col(LearnerSession.token_hash) == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    now = as_utc(now)
    last_seen = as_utc(row.last_seen_at)
    if as_utc(row.expires_at) <= now or last_seen + idle <= now:
        session.connection().execute(delete(LearnerSession).where(col(LearnerSession.id) == row.id))
        session.commit()
        return None
    if now - last_seen >= TOUCH_INTERVAL:
        # Conditional, so two requests of one session at once write once; a lost race is
        # harmless (the other wrote a time as recent).
        session.connection().execute(
            update(LearnerSession)
            .where(
                col(LearnerSession.id) == row.id,
                col(LearnerSession.last_seen_at) == row.last_seen_at,
            )
            .values(last_seen_at=now)
        )
        session.commit()
        session.refresh(row)
    return row


def resolve_session(
    session: Session, token: str | None, *, now: datetime, idle: timedelta = DEFAULT_IDLE
) -> Learner | None:
    """The learner signed in by cookie ``token``, or None (see :func:`session_row`)."""
    row = session_row(session, token, now=now, idle=idle)
    if row is None:
        return None
    return session.get(Learner, row.learner_id)


def close_session(session: Session, token: str | None) -> bool:
    """Delete the session of cookie ``token`` and commit; whether there was one."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return False
    result = session.connection().execute(
        delete(LearnerSession).where(col(LearnerSession.token_hash) == token_hash(token))
    )
    session.commit()
    return bool(result.rowcount)


# ------------------------------------------------------------------------------ their awards


@dataclass(frozen=True)
class LearnerAward:
    """One award as the educator's page lists it. ``downloads`` and ``linkedin`` are None for
    a revoked or suspended award (:data:`issuer.services.sharing.WITHHELD`): listed with its
    status, shared as nothing."""

    id: str
    achievement: str
    issuer: str
    awarded: datetime | None
    status: AwardStatus
    withheld: bool
    badge_link: str
    image_url: str
    downloads: dict[str, str] | None
    linkedin: str | None


def _name(value: Any) -> str:
    return str(value.get("name") or "") if isinstance(value, Mapping) else ""


def awards_of(session: Session, runtime: Runtime, *, learner: Learner) -> list[LearnerAward]:
    """Every award on this service made to ``learner``'s address, from any issuer, newest
    first. Awards keep the address normalised as learners do, so this is one equality on an
    indexed column. The links are the public ones the claim and badge pages use."""
    rows = session.exec(
        select(Award)
        .where(col(Award.recipient_email) == learner.email)
        .order_by(col(Award.awarded).desc(), col(Award.created).desc())
    ).all()
    found = []
    for award in rows:
        credential = json.loads(award.credential)
        subject = credential.get("credentialSubject") or {}
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        badge_link = runtime.urls.credential(award.id)
        withheld = award.status in sharing.WITHHELD
        awarded = credential.get("awardedDate") or credential.get("validFrom")
        found.append(
            LearnerAward(
                id=str(award.id),
                achievement=_name(achievement) or str(credential.get("name") or ""),
                issuer=_name(credential.get("issuer")),
                awarded=parse_datetime(awarded) or as_utc(award.awarded),
                status=AwardStatus(award.status),
                withheld=withheld,
                badge_link=badge_link,
                image_url=f"/credentials/{award.id}/badge.svg",
                downloads=None
                if withheld
                else {
                    "json": f"/credentials/{award.id}.json",
                    "jwt": f"/credentials/{award.id}.jwt",
                    "png": f"/credentials/{award.id}/badge.png",
                    "svg": f"/credentials/{award.id}/badge.svg",
                },
                linkedin=None if withheld else sharing.linkedin_url(credential, badge_link),
            )
        )
    return found
