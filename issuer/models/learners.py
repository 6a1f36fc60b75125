"""Educators ("learners") who sign in to their own page, their sessions, and sign-in links.

A learner is an email address that owns its mailbox: there is no list of learners to join, no
password. Whoever opens a sign-in link sent to an address is that address's learner
(:mod:`issuer.services.sign_in`), and sees the awards made to it (``/me``).

* **Addresses are stored normalised** (trimmed, lower-case), once each: awards carry the
  address as the issuer typed it, and the page compares it the same way.
* **Every secret is stored as its SHA-256 only**, as the claim links are: a session cookie's
  token (:class:`LearnerSession`) and a sign-in link's token (:class:`SignInLink`). A copy of
  the database opens no session and signs nobody in.
* **A session has two expiries**: ``last_seen_at`` + the idle limit, and ``expires_at``
  (absolute, fixed when it opens). Its ``csrf_secret`` is what its forms' CSRF tokens are
  derived from (:mod:`issuer.api.csrf`): random per session, never sent to the browser.
* **A sign-in link is asked for, then minted and sent by the job worker**: the request makes
  the row (which the per-address limit counts); the worker mints the token and stores its hash
  just before composing the email.
* **A sign-in link is spent once** (``used_at``, set by one conditional UPDATE), and lives
  minutes. It names the address it was sent to, not a learner row: the row is made when the
  link is used, so asking for a link creates nothing anyone could enumerate.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.models.fields import timestamp
from schemas.dates import utcnow

__all__ = ["Learner", "LearnerSession", "SignInLink"]


class Learner(SQLModel, table=True):
    """An educator known by the email address awards are made to."""

    __tablename__ = "learner"

    id: int | None = Field(default=None, primary_key=True)
    #: Trimmed and lower-case (:func:`issuer.services.learners.normalize_email`).
    email: str = Field(max_length=254, unique=True)
    display_name: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp(default_factory=utcnow)


class LearnerSession(SQLModel, table=True):
    """A signed-in browser: the cookie's token by its SHA-256, and until when it is good."""

    __tablename__ = "learner_session"
    __table_args__ = (sa.Index("ix_learner_session_expires_at", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Hex SHA-256 of the cookie's token (the token itself is never stored).
    token_hash: str = Field(max_length=64, unique=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    created_at: datetime = timestamp(default_factory=utcnow)
    #: Refreshed at most once a minute by a request of this session (idle expiry).
    last_seen_at: datetime = timestamp(default_factory=utcnow)
    #: Absolute end, however active the session is.
    expires_at: datetime = timestamp()
    #: Random, per session: its forms' CSRF tokens are an HMAC under it (never sent itself).
    csrf_secret: str = Field(max_length=64)


class SignInLink(SQLModel, table=True):
    """A sign-in email's link token by its SHA-256: for which address, where to go after."""

    __tablename__ = "sign_in_link"
    __table_args__ = (sa.Index("ix_sign_in_link_email_created", "email", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Hex SHA-256 of the link's token. None until the job worker mints the token just before
    #: it composes the email, so the raw token exists in the email alone (not in the queue).
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    #: The normalised address the link was sent to (its learner row may not exist yet).
    email: str = Field(max_length=254)
    #: A same-origin path (``/…``) to go to once signed in; None: ``/me``.
    next_path: str | None = Field(default=None, max_length=2000)
    #: The language the email was written in (``en``, ``es``).
    language: str = Field(default="en", max_length=16)
    created_at: datetime = timestamp(default_factory=utcnow)
    expires_at: datetime = timestamp()
    #: When it was spent (single use); None while unused.
    used_at: datetime | None = timestamp(default=None, nullable=True)
    #: When the job worker sent its email (None: owed).
    sent_at: datetime | None = timestamp(default=None, nullable=True)
