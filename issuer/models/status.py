"""Credential status: the Bitstring Status Lists, the indexes handed out on them, the audit log,
and the admin API's requests and views (:mod:`issuer.services.status` keeps them consistent).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, StringConstraints
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.choices import AwardStatus, StatusAction
from issuer.models.fields import LongText, UtcDatetime, timestamp
from schemas.dates import utcnow

__all__ = [
    "MAX_BULK",
    "MAX_REASON",
    "AwardStatus",
    "StatusAction",
    "StatusAllocation",
    "StatusChangePublic",
    "StatusChangeRequest",
    "StatusChangesRequest",
    "StatusEvent",
    "StatusEventBase",
    "StatusEventPublic",
    "StackEffectPublic",
    "StatusList",
    "StatusListPublic",
    "StatusPurpose",
]


#: Characters of a reason (an audit note, not an essay).
MAX_REASON = 1000
#: Credentials in one bulk request (one transaction).
MAX_BULK = 10_000


class StatusPurpose(StrEnum):
    """The ``statusPurpose`` of a Bitstring Status List: every credential is on one of each."""

    revocation = "revocation"
    suspension = "suspension"


class StatusList(SQLModel, table=True):
    """One published Bitstring Status List of an issuer, for one purpose.

    Its bits are not stored here: they are derived from :class:`StatusAllocation` rows
    (``is_set``), so a status change is a one-row update that cannot lose a concurrent one.
    ``version`` counts changes; the signed credential is current while ``signed_version``
    equals it (see :mod:`issuer.services.status` for the lazy re-signing this allows).
    """

    __tablename__ = "status_list"
    __table_args__ = (
        # At most one list per issuer and purpose takes new credentials (the open one).
        sa.Index(
            "uq_status_list_open",
            "issuer_id",
            "purpose",
            unique=True,
            sqlite_where=sa.text("NOT is_full"),
            postgresql_where=sa.text("NOT is_full"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: Random, in the list's URL (``{base}/status/{public_id}``): says nothing about order.
    public_id: str = Field(unique=True, index=True, max_length=32)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    purpose: str = Field(max_length=16)
    #: Entries (bits) in the list; at least ``schemas.bitstring.MIN_LIST_ENTRIES``.
    size: int
    #: Indexes handed out so far (may over-count by awards that rolled back, never under).
    allocated: int = 0
    #: Takes no new credentials (filled to the rollover threshold); still published.
    is_full: bool = False
    version: int = 0
    signed_version: int = -1
    #: The signed BitstringStatusListCredential as served (compact JSON text).
    signed_credential: str | None = Field(default=None, sa_type=sa.Text)
    etag: str | None = Field(default=None, max_length=80)
    signed_at: datetime | None = timestamp(default=None, nullable=True)
    valid_until: datetime | None = timestamp(default=None, nullable=True)
    created: datetime = timestamp(default_factory=utcnow)


class StatusAllocation(SQLModel, table=True):
    """An index of a status list given to one credential; its bit is ``is_set``.

    The primary key ``(list_id, status_index)`` is what makes allocation safe across
    processes: two credentials can never hold the same index of the same list.
    """

    __tablename__ = "status_allocation"

    list_id: int = Field(foreign_key="status_list.id", primary_key=True)
    status_index: int = Field(primary_key=True)
    #: The credential's uuid: an award's (``award.id``) or a VC-API credential's
    #: (``vcapi_credential.id``). No foreign key, since it may be either (revision 0004).
    award_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False, index=True))
    purpose: str = Field(max_length=16)
    is_set: bool = False


class StatusEventBase(SQLModel):
    """What every audit entry of a status change says: who did what, when and why (the
    awards' :class:`StatusEvent` and the VC-API's ``VcApiStatusEvent`` add which credential)."""

    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    action: str = Field(max_length=16)
    reason: str
    #: ``api:<key prefix>`` or ``cli:<user>``.
    actor: str
    #: Equal to ``new_status`` when the request changed nothing (revoking twice).
    previous_status: str = Field(max_length=16)
    new_status: str = Field(max_length=16)
    at: datetime = timestamp(default_factory=utcnow)


class StatusEvent(StatusEventBase, table=True):
    """The audit log of status changes of awards."""

    __tablename__ = "status_event"

    id: int | None = Field(default=None, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    #: The component credential whose change made this one (a stack credential revoked,
    #: suspended or unsuspended with it; :mod:`issuer.services.stack_status`); None when an
    #: operator asked. An unsuspended component lifts only a suspension it caused. No foreign
    #: key: revision 0005 adds the column in place on SQLite (as 0004 did for allocations).
    cause_award_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid(), nullable=True)
    )
    #: The award's wallet copies (:class:`~issuer.models.WalletCopy`) whose status changed
    #: with it, in the same transaction (revision 0010).
    copies: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


#: Why a status changed: text as :data:`~issuer.models.fields.LongText` (no control character,
#: which PostgreSQL could not even store as NUL), at most :data:`MAX_REASON` characters.
_Reason = Annotated[LongText, StringConstraints(max_length=MAX_REASON)]


class StatusChangeRequest(BaseModel):
    """Why: kept in the audit log (never published in the status list)."""

    reason: _Reason


class StatusChangesRequest(BaseModel):
    """Several credentials, one action, one reason: applied to all of them or to none."""

    action: StatusAction
    credentials: list[str] = InputField(min_length=1, max_length=MAX_BULK)
    reason: _Reason


class StackEffectPublic(BaseModel):
    """What a component's change did to one stack credential that counted it."""

    credential_id: str
    id: uuid.UUID
    #: ``<slug> v<version>`` of the stack.
    stack: str
    #: ``revoked``, ``suspended``, ``unsuspended``, ``kept`` (the rule is still met) or
    #: ``unchanged`` (already in that state, or suspended for its own reasons).
    outcome: str
    previous_status: str
    status: str
    detail: str
    #: The audit entry written for it (None when nothing changed).
    event_id: int | None


class StatusChangePublic(BaseModel):
    credential_id: str
    id: uuid.UUID
    action: StatusAction
    previous_status: str
    status: str
    changed: bool
    event_id: int
    status_lists: list[str]
    #: The award's wallet copies whose status changed with it.
    copies: int = 0
    #: The stack credentials that counted this credential, and what happened to each.
    stacks: list[StackEffectPublic] = []


class StatusEventPublic(BaseModel):
    id: int
    credential_id: str
    action: str
    reason: str
    actor: str
    previous_status: str
    new_status: str
    changed: bool
    at: UtcDatetime
    #: The component credential whose change made this one, for a stack credential.
    cause_credential_id: str | None = None
    #: The award's wallet copies whose status changed with it.
    copies: int = 0


class StatusListPublic(BaseModel):
    url: str
    issuer: str
    purpose: str
    size: int
    allocated: int
    set: int
    full: bool
    signed_at: UtcDatetime | None
    valid_until: UtcDatetime | None
    needs_signing: bool
