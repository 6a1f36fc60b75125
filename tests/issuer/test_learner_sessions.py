"""Learners and their sessions (issuer.services.learners), on both databases: find-or-create by
normalised address, the cookie token stored hashed, idle and absolute expiry, the at-most-once-
a-minute refresh, closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from issuer.models import Learner, LearnerSession
from issuer.runtime import Runtime
from issuer.services.learners import (
    close_session,
    learner_for_email,
    open_session,
    resolve_session,
    session_row,
    token_hash,
)

T0 = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


def _learner(session: Session, email: str = "Ana.Educator@School.example ") -> Learner:
    learner = learner_for_email(session, email=email, now=T0)
    session.commit()
    return learner


def test_one_learner_per_normalised_address(session: Session, runtime: Runtime) -> None:
    first = _learner(session)
    again = _learner(session, "  ana.educator@school.EXAMPLE")
    other = _learner(session, "bo@school.example")
    assert first.id == again.id != other.id
    assert first.email == "ana.educator@school.example"
    assert len(session.exec(select(Learner)).all()) == 2


def test_the_cookie_token_is_stored_hashed_only(session: Session, runtime: Runtime) -> None:
    learner = _learner(session)
    token = open_session(session, learner=learner, now=T0)
    session.commit()
    assert len(token) == 32  # 192 bits, URL-safe
    row = session.exec(select(LearnerSession)).one()
    assert row.token_hash == token_hash(token) != token
    assert token not in repr(row.model_dump())
    assert resolve_session(session, token, now=T0) == learner
    assert resolve_session(session, token_hash(token), now=T0) is None  # the hash opens nothing
    assert resolve_session(session, token[:-1] + ("A" if token[-1] != "A" else "B"), now=T0) is None
    assert resolve_session(session, "", now=T0) is None
    assert resolve_session(session, None, now=T0) is None
    assert resolve_session(session, "x" * 5000, now=T0) is None


def test_idle_expiry_and_the_refresh_that_postpones_it(session: Session, runtime: Runtime) -> None:
    learner = _learner(session)
    token = open_session(session, learner=learner, now=T0)
    session.commit()
    # Used within the idle time: alive, and its last_seen_at moves (more than a minute old).
    assert resolve_session(session, token, now=T0 + timedelta(minutes=29), idle=IDLE) == learner
    row = session.exec(select(LearnerSession)).one()
    seen = row.last_seen_at.replace(tzinfo=UTC)
    assert seen == T0 + timedelta(minutes=29)
    # Seconds later: no write (at most one a minute).
    assert resolve_session(session, token, now=T0 + timedelta(minutes=29, seconds=30)) == learner
    session.expire_all()
    assert session.exec(select(LearnerSession)).one().last_seen_at.replace(tzinfo=UTC) == seen
    # 30 idle minutes after the last refresh: gone, and the row deleted.
    assert resolve_session(session, token, now=T0 + timedelta(minutes=59), idle=IDLE) is None
    session.expire_all()
    assert session.exec(select(LearnerSession)).all() == []


def test_absolute_expiry_however_active(session: Session, runtime: Runtime) -> None:
    learner = _learner(session)
    token = open_session(session, learner=learner, now=T0, lifetime=timedelta(hours=12))
    session.commit()
    for step in range(1, 36):  # every 20 minutes up to 11 h 40
        moment = T0 + step * timedelta(minutes=20)
        assert resolve_session(session, token, now=moment, idle=IDLE) == learner
    assert resolve_session(session, token, now=T0 + timedelta(hours=12), idle=IDLE) is None


def test_close_session_ends_only_that_session(session: Session, runtime: Runtime) -> None:
    learner = _learner(session)
    phone = open_session(session, learner=learner, now=T0)
    laptop = open_session(session, learner=learner, now=T0)
    session.commit()
    assert close_session(session, phone) is True
    assert close_session(session, phone) is False
    assert resolve_session(session, phone, now=T0) is None
    assert resolve_session(session, laptop, now=T0) == learner
    row = session_row(session, laptop, now=T0)
    assert row is not None and len(row.csrf_secret) == 64
