"""Deliveries (each email the service owes an educator) and the claim tokens their links carry.

* **The delivery row is the truth, not the job queue.** A row is inserted ``queued`` in the
  transaction that makes it owed (an award's post-award work, a status change, a resend); the
  job that sends it carries only the row's id. A worker marks it ``sending`` with a lease before
  the SMTP conversation and ``sent`` after, so a job lost with its worker is found again by the
  sweep (:mod:`issuer.services.deliveries`) and a job run twice sends once.
* **One Message-ID per row**, fixed when the row is made: a resend after a crash carries the
  same id, so mail systems can tell it is the same message.
* ``dedupe_key`` makes the owed work idempotent: the claim email of an award
  (``award:<id>``) and the notice of a status event (``status:<event id>``) are queued once
  however often the hook runs; a resend has none (each is a message of its own).
* **Claim tokens are stored as their SHA-256 only.** The raw token exists in the email alone;
  the row says which award it opens, until when, and whether it was revoked.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from issuer.models.fields import UtcDatetime, timestamp
from schemas.dates import utcnow

__all__ = [
    "ClaimToken",
    "Delivery",
    "DeliveryKind",
    "DeliveryPublic",
    "DeliveryStatus",
]


class DeliveryKind(StrEnum):
    """What a message is for: the claim link, or a notice that the credential changed."""

    claim = "claim"
    revoked_notice = "revoked_notice"
    suspended_notice = "suspended_notice"


class DeliveryStatus(StrEnum):
    """``queued`` → ``sending`` → ``sent`` | ``failed`` (a temporary failure goes back to
    ``queued`` with a later ``next_attempt_at``)."""

    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Delivery(SQLModel, table=True):
    """One email owed to (or sent to) an educator about one award."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key", name="uq_delivery_dedupe"),
        # The sweep reads the unfinished rows only.
        sa.Index("ix_delivery_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    kind: str = Field(max_length=24)
    #: The address the message goes to (the award's, when the delivery was queued).
    recipient: str = Field(max_length=254)
    status: str = Field(default=DeliveryStatus.queued, max_length=16)
    attempts: int = 0
    #: Not tried before this instant (back-off after a temporary failure).
    next_attempt_at: datetime = timestamp(default_factory=utcnow)
    #: While ``sending``: until when the worker that took it owns it.
    lease_until: datetime | None = timestamp(default=None, nullable=True)
    #: The SMTP server's reply (or the connection error) of the last failed attempt.
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    #: ``<…@host>``: the same on every attempt of this row.
    message_id: str = Field(max_length=200)
    dedupe_key: str | None = Field(default=None, max_length=100)
    created: datetime = timestamp(default_factory=utcnow)
    updated: datetime = timestamp(default_factory=utcnow)
    sent_at: datetime | None = timestamp(default=None, nullable=True)


class ClaimToken(SQLModel, table=True):
    """A claim link's token, by its SHA-256: which award it opens and until when."""

    __tablename__ = "claim_token"

    id: int | None = Field(default=None, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    #: Hex SHA-256 of the token (the token itself is never stored).
    token_hash: str = Field(max_length=64, unique=True)
    created: datetime = timestamp(default_factory=utcnow)
    expires: datetime = timestamp()
    revoked: datetime | None = timestamp(default=None, nullable=True)


class DeliveryPublic(BaseModel):
    """A delivery as ``credentials show`` and the admin API show it."""

    id: int
    kind: DeliveryKind
    recipient: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: UtcDatetime | None = None
    last_error: str | None = None
    message_id: str
    created: UtcDatetime
    sent_at: UtcDatetime | None = None
