"""Awards and bulk awards: the signed credentials as stored, and the requests that make them.

* **Signed documents as text.** A credential is stored exactly as it was signed and served as
  those bytes; a JSON column type could reorder or renumber it (PostgreSQL ``jsonb`` does).
* **Idempotency in the schema.** ``(issuer_id, idempotency_key)`` is unique, so two concurrent
  retries cannot both insert: the loser reads the winner's row.
* **Owed work is durable.** ``post_award_done_at`` is NULL from an award's commit until its
  post-award hooks (the stack credentials it completes) have run to the end, so work a crash or
  an outage interrupted is found again (partial index ``ix_award_post_award_owed``) and done by
  a retry, a batch rerun or the next start (:mod:`issuer.services.awards`).

Awards are our own concept and use snake_case, which is also what the CSV columns are called.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.models.fields import (
    AwareDatetime,
    BatchId,
    Did,
    Email,
    HttpUrl,
    IdempotencyKey,
    InputModel,
    LongText,
    ScalarText,
    Slug,
    Text,
    UtcDatetime,
    given,
    timestamp,
)
from issuer.models.status import AwardStatus
from issuer.models.wallet_copies import WalletCopyPublic
from schemas.dates import utcnow

__all__ = [
    "Award",
    "AwardCreate",
    "AwardPublic",
    "Batch",
    "BatchRequest",
    "BatchResult",
    "BatchRow",
    "BatchRowResult",
    "BatchStackIssued",
    "EvidenceIn",
]


class Award(SQLModel, table=True):
    """An educator earned an achievement; the signed credential that says so."""

    __tablename__ = "award"
    __table_args__ = (
        sa.UniqueConstraint("issuer_id", "idempotency_key", name="uq_award_idempotency"),
        # Only the awards whose post-award work is owed: normally none, so the start-up sweep
        # reads an index that is (nearly) empty.
        sa.Index(
            "ix_award_post_award_owed",
            "created",
            sqlite_where=sa.text("post_award_done_at IS NULL"),
            postgresql_where=sa.text("post_award_done_at IS NULL"),
        ),
    )

    #: The credential's uuid: its id is ``{base}/credentials/{id}``.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    achievement_id: int = Field(foreign_key="achievement.id")
    achievement_slug: str = Field(index=True, max_length=64)
    recipient_name: str
    #: Normalized (stripped, lower-cased); in the credential only as a salted hash.
    recipient_email: str = Field(index=True)
    recipient_did: str | None = None
    identity_salt: str = Field(max_length=64)
    score: str | None = None
    rubric_level: str | None = None
    #: Every evidence item, including those withheld from the credential (student data).
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    assessor: str | None = None
    awarded: datetime = timestamp()
    activity_start: datetime | None = timestamp(default=None, nullable=True)
    activity_end: datetime | None = timestamp(default=None, nullable=True)
    idempotency_key: str | None = Field(default=None, max_length=200)
    #: SHA-256 of the request, to tell a retry from a different request reusing a key.
    request_hash: str = Field(max_length=64)
    batch_id: str | None = Field(default=None, max_length=200)
    credential: str = Field(sa_type=sa.Text)
    credential_jwt: str = Field(sa_type=sa.Text)
    signed_by: str
    status: str = Field(default=AwardStatus.active, max_length=16)
    created: datetime = timestamp(default_factory=utcnow)
    #: When the post-award hooks finished for this award; None while they are owed (from the
    #: commit until they have all run without an error).
    post_award_done_at: datetime | None = timestamp(default=None, nullable=True)


class Batch(SQLModel, table=True):
    """A bulk award request, so its outcome can be read back and a rerun reported."""

    __tablename__ = "batch"
    __table_args__ = (sa.UniqueConstraint("issuer_id", "batch_key", name="uq_batch_key"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    batch_key: str = Field(max_length=200)
    created: datetime = timestamp(default_factory=utcnow)
    updated: datetime = timestamp(default_factory=utcnow)


class BatchRow(SQLModel, table=True):
    """The latest outcome of one row of a batch."""

    __tablename__ = "batch_row"

    batch_id: int = Field(foreign_key="batch.id", primary_key=True)
    row: int = Field(primary_key=True)
    idempotency_key: str = Field(max_length=200)
    ok: bool
    award_id: uuid.UUID | None = Field(default=None, foreign_key="award.id")
    error: str | None = None


class EvidenceIn(InputModel):
    """Evidence of the work. Items that may hold student data are kept but never published."""

    model_config = ConfigDict(json_schema_extra=given("url", "name", "narrative", "description"))

    url: HttpUrl | None = None
    name: Text | None = None
    narrative: LongText | None = None
    description: LongText | None = None
    genre: Text | None = None
    audience: Text | None = None
    contains_student_data: bool = False

    @model_validator(mode="after")
    def _something(self) -> EvidenceIn:
        if not (self.url or self.name or self.narrative or self.description):
            raise ValueError("evidence needs a url, a name, a narrative or a description")
        return self


class AwardCreate(InputModel):
    """One award: who earned which achievement, with what result and evidence."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "achievement": "assessment-literacy",
                    "recipient_email": "maria@schools.nm.example",
                    "recipient_name": "María López",
                    "score": "88",
                }
            ]
        }
    )

    achievement: Slug
    recipient_name: Text
    recipient_email: Email
    recipient_did: Did | None = None
    score: ScalarText | None = None
    rubric_level: Text | None = None
    evidence: list[EvidenceIn] = InputField(default_factory=list, max_length=20)
    assessor: Text | None = None
    awarded_date: AwareDatetime | None = None
    activity_start_date: AwareDatetime | None = None
    activity_end_date: AwareDatetime | None = None
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _activity_order(self) -> AwardCreate:
        start, end = self.activity_start_date, self.activity_end_date
        if start is not None and end is not None and end < start:
            raise ValueError("activity_end_date is before activity_start_date")
        return self


class AwardPublic(BaseModel):
    """An award as the admin API and ``credentials list --json`` show it."""

    id: uuid.UUID
    url: str
    issuer: str
    achievement: str
    achievement_version: int
    status: str
    recipient_name: str
    recipient_email: str
    awarded: UtcDatetime
    #: Left out when the award was made without one.
    idempotency_key: str | None = None
    signed_by: str
    credential: dict[str, Any] | None = None
    jwt: str | None = None
    #: The award's wallet copies (read-only; shown with the documents, by ``GET`` of one award).
    copies: list[WalletCopyPublic] | None = None


class BatchRequest(InputModel):
    """A bulk award. Each row is validated on its own, so one bad row fails alone."""

    rows: list[dict[str, Any]] = InputField(min_length=1, max_length=10_000)
    batch_id: BatchId | None = InputField(
        default=None, description="names the batch; a rerun with the same id skips done rows"
    )


class BatchRowResult(BaseModel):
    #: The row's place in the batch, counting from 1.
    row: int
    #: A CSV row's number in the spreadsheet (the header is 1, so the first row is 2; a cell
    #: with line breaks does not add rows, a blank row does). Only for CSV, only as it runs.
    line: int | None = None
    ok: bool
    credential_id: uuid.UUID | None = None
    url: str | None = None
    replayed: bool = False
    error: str | None = None


class BatchStackIssued(BaseModel):
    """A stack credential a batch row completed: issued right after the row's award."""

    #: The row (and a CSV row's spreadsheet line) whose award completed the stack.
    row: int
    line: int | None = None
    credential_id: uuid.UUID
    url: str
    #: The stack's slug.
    achievement: str
    recipient_name: str
    recipient_email: str


class BatchResult(BaseModel):
    batch_id: str
    rows: int
    ok: int
    failed: int
    issued: int
    results: list[BatchRowResult]
    #: The stack credentials this run issued (a rerun lists those it issued, not those an
    #: earlier run did). Only in the answer to the run, not when the batch is read back.
    stacks_issued: list[BatchStackIssued] | None = None
    #: A CSV's columns that mean no award field, as headed: ignored, named once here.
    ignored_columns: list[str] | None = None
