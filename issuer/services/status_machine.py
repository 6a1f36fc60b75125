"""The status state machine: what revoke, suspend and unsuspend do, for every kind of credential.

Awards (:mod:`issuer.services.status`) and VC-API credentials (:mod:`issuer.services.vcapi_status`)
both change status through :func:`apply_transitions`, so they follow the same rules:

* ``active`` → ``suspended`` → ``active`` as often as wanted; ``revoked`` from either, for good;
* asking for the state a credential is already in succeeds and changes nothing (revoking twice);
* suspending or unsuspending a revoked credential is refused (:class:`RevokedForGood`);
* a change flips the credential's bit on its list of that purpose (:data:`STATUS_BITS`) and
  bumps that list's ``version`` once per flipped bit, so it is re-signed at its next fetch;
* a change no list could show is refused (:class:`CannotPublish`), before anything is
  written: if the issuer of a list to flip cannot sign it (its key does not open with the
  service's key-encryption key), a revocation accepted now would reach no verifier;
* every request is written to the audit log, the ones that changed nothing too;
* a credential's *followers* (an award's wallet copies, :func:`copies_of`) take its new state
  in the same transaction: their bits flip with its own, and its audit row counts them.

The caller locks the credential rows and owns the transaction; this module only decides and
writes, inside it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import Session, col, select

from issuer.models import (
    AwardStatus,
    Issuer,
    StatusAction,
    StatusAllocation,
    StatusEvent,
    StatusList,
    StatusPurpose,
    WalletCopy,
)
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, IssuanceFailed
from issuer.services.signing import signer_for
from schemas.dates import as_utc

__all__ = [
    "STATUS_BITS",
    "CannotPublish",
    "RevokedForGood",
    "StatusHolder",
    "Transition",
    "AuditRow",
    "AuditWriter",
    "apply_transitions",
    "award_audit",
    "chunks",
    "copies_of",
    "entered_at",
    "load_allocations",
    "next_status",
]

#: What each action does to a credential's bits: the purpose of the list, and the bit's value.
STATUS_BITS: Mapping[StatusAction, tuple[StatusPurpose, bool]] = {
    StatusAction.revoke: (StatusPurpose.revocation, True),
    StatusAction.suspend: (StatusPurpose.suspension, True),
    StatusAction.unsuspend: (StatusPurpose.suspension, False),
}
_TARGET = {
    StatusAction.revoke: AwardStatus.revoked,
    StatusAction.suspend: AwardStatus.suspended,
    StatusAction.unsuspend: AwardStatus.active,
}
#: Rows per ``IN (…)`` list: well under SQLite's limit on bound parameters.
_CHUNK = 500
#: Core table for the version bumps (no ORM bookkeeping on the hot path).
_LISTS: sa.Table = StatusList.__table__  # type: ignore[attr-defined]


class StatusHolder(Protocol):
    """A stored credential with a status: an :class:`~issuer.models.Award` or a
    :class:`~issuer.models.VcApiCredential`."""

    id: uuid.UUID
    issuer_id: int
    status: str


class AuditRow(Protocol):
    """An audit log row (:class:`~issuer.models.StatusEvent` or
    :class:`~issuer.models.VcApiStatusEvent`); its ``id`` is set once flushed."""

    id: int | None


class RevokedForGood(Conflict):
    """Suspending or unsuspending a revoked credential: revocation is permanent."""

    def __init__(self, credential: str, action: StatusAction) -> None:
        self.credential = credential
        self.action = action
        verb = "suspended" if action is StatusAction.suspend else "unsuspended"
        super().__init__(
            f"credential {credential} is revoked, and revocation is permanent: it cannot be {verb}"
        )


class CannotPublish(IssuanceFailed):
    """A status list cannot be signed, so what it should say cannot be published. Its message
    is a whole sentence saying which and why (nothing here was issuing a credential)."""


def next_status(action: StatusAction, current: AwardStatus, credential: str) -> AwardStatus:
    """The state ``action`` leads to from ``current``; :class:`RevokedForGood` if none."""
    if current is AwardStatus.revoked:
        if action is StatusAction.revoke:
            return current  # revoking twice: harmless, nothing changes
        raise RevokedForGood(credential, action)
    return _TARGET[action]


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``items`` in slices short enough for one ``IN (…)``."""
    for start_at in range(0, len(items), _CHUNK):
        yield items[start_at : start_at + _CHUNK]


def load_allocations(
    session: Session, credential_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[StatusAllocation, str]]]:
    """Each credential's status allocations, with the public id of the list each is on."""
    found: dict[uuid.UUID, list[tuple[StatusAllocation, str]]] = {}
    for chunk in chunks(list(credential_ids)):
        query = (
            select(StatusAllocation, StatusList.public_id)
            .join(StatusList, col(StatusList.id) == StatusAllocation.list_id)
            .where(col(StatusAllocation.award_id).in_(chunk))
        )
        for allocation, public_id in session.exec(query):
            found.setdefault(allocation.award_id, []).append((allocation, public_id))
    return found


@dataclass(frozen=True)
class Transition:
    """What one request did to one credential, and its audit row (flushed: it has an id)."""

    holder: StatusHolder
    previous: AwardStatus
    status: AwardStatus
    audit: AuditRow
    #: How many followers (wallet copies) changed with it.
    followers: int = 0

    @property
    def changed(self) -> bool:
        return self.status is not self.previous


#: Makes the audit row of a request: ``(holder, previous, new, at, copies)`` → a row to add;
#: ``copies`` is how many followers (wallet copies) changed with the holder.
AuditWriter = Callable[[StatusHolder, AwardStatus, AwardStatus, datetime, int], AuditRow]


def copies_of(
    session: Session, award_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StatusHolder]]:
    """The wallet copies of each award, locked (``FOR UPDATE``, id order): the followers an
    award's status change carries with it. The caller has locked the awards already, so no copy
    can be added meanwhile (:func:`issuer.services.wallet_copies.issue_wallet_copy` locks its
    award first)."""
    found: dict[uuid.UUID, list[StatusHolder]] = {}
    for chunk in chunks(sorted(set(award_ids))):
        query = (
            select(WalletCopy)
            .where(col(WalletCopy.award_id).in_(chunk))
            .order_by(col(WalletCopy.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for row in session.exec(query):
            found.setdefault(row.award_id, []).append(row)
    return found


def award_audit(
    action: StatusAction, reason: str, actor: str, *, cause_award_id: uuid.UUID | None = None
) -> AuditWriter:
    """The audit writer of a status request on awards: one ``StatusEvent`` per credential,
    naming the component that caused it when a stack credential follows one."""

    def audit(
        holder: StatusHolder, previous: AwardStatus, status: AwardStatus, at: datetime, copies: int
    ) -> StatusEvent:
        return StatusEvent(
            award_id=holder.id,
            issuer_id=holder.issuer_id,
            action=action.value,
            reason=reason,
            actor=actor,
            previous_status=previous.value,
            new_status=status.value,
            at=at,
            cause_award_id=cause_award_id,
            copies=copies,
        )

    return audit


def apply_transitions(
    session: Session,
    holders: Sequence[StatusHolder],
    action: StatusAction,
    *,
    allocations: Mapping[uuid.UUID, Sequence[tuple[StatusAllocation, str]]],
    audit: AuditWriter,
    now: datetime,
    name: Callable[[StatusHolder], str],
    runtime: Runtime,
    followers: Mapping[uuid.UUID, Sequence[StatusHolder]] | None = None,
) -> list[Transition]:
    """Apply ``action`` to ``holders`` (locked by the caller), in the caller's transaction.

    All transitions are decided before anything is written, so a :class:`RevokedForGood` for
    one credential, or a :class:`CannotPublish` for one list, leaves every one unchanged.
    ``name`` names a credential in that error. ``followers`` (locked too, e.g.
    :func:`copies_of`) are the holders that take each changed holder's new state with it; their
    allocations are read here, and each holder's audit row counts those that changed.
    """
    followers = followers or {}
    decided = [(holder, AwardStatus(holder.status)) for holder in holders]
    targets = [next_status(action, previous, name(holder)) for holder, previous in decided]
    purpose, bit = STATUS_BITS[action]
    moving = {
        holder.id: [f for f in followers.get(holder.id, ()) if f.status != status.value]
        for (holder, previous), status in zip(decided, targets, strict=True)
        if status is not previous
    }
    follower_allocations = load_allocations(
        session, [f.id for moved in moving.values() for f in moved]
    )
    allocations = {**allocations, **follower_allocations}
    flipping = [
        credential
        for (holder, _), status in zip(decided, targets, strict=True)
        if holder.id in moving
        for credential in (holder, *moving[holder.id])
    ]
    _ensure_publishable(
        session,
        runtime,
        action,
        {
            allocation.list_id
            for credential in flipping
            for allocation, _ in allocations.get(credential.id, [])
            if allocation.purpose == purpose.value and allocation.is_set != bit
        },
    )
    bumps: Counter[int] = Counter()
    transitions = []
    for (holder, previous), status in zip(decided, targets, strict=True):
        moved = moving.get(holder.id, [])
        if status is not previous:
            for credential in (holder, *moved):
                for allocation, _ in allocations.get(credential.id, []):
                    if allocation.purpose == purpose.value and allocation.is_set != bit:
                        allocation.is_set = bit
                        session.add(allocation)
                        bumps[allocation.list_id] += 1
                credential.status = status.value
                session.add(credential)
        entry = audit(holder, previous, status, now, len(moved))
        session.add(entry)
        transitions.append(Transition(holder, previous, status, entry, len(moved)))
    # The list rows before the bits: the lock a re-signer takes, so it signs wholly before or
    # wholly after this change (id order: no deadlock between two changes).
    connection = session.connection()
    for list_id, count in sorted(bumps.items()):
        connection.execute(
            update(_LISTS).where(_LISTS.c.id == list_id).values(version=_LISTS.c.version + count)
        )
    session.flush()
    return transitions


def _ensure_publishable(
    session: Session, runtime: Runtime, action: StatusAction, list_ids: set[int]
) -> None:
    """Raise :class:`CannotPublish` if the issuer of a list in ``list_ids`` cannot sign it now
    (its current key does not open): the change would be recorded and never published."""
    if not list_ids:
        return
    issuer_ids = session.exec(
        select(StatusList.issuer_id).where(col(StatusList.id).in_(sorted(list_ids))).distinct()
    ).all()
    for issuer_id in sorted(issuer_ids):
        issuer = session.get(Issuer, issuer_id)
        assert issuer is not None
        try:
            signer_for(session, runtime, issuer)
        except IssuanceFailed as error:
            raise CannotPublish(
                f"the {action.value} was refused and nothing was changed: the status lists of "
                f"{issuer.slug} cannot be signed, so no verifier would ever learn of it ({error})"
            ) from error


def entered_at(session: Session, award_id: uuid.UUID, status: AwardStatus) -> datetime | None:
    """When the award last entered ``status``, from the audit log: the latest request that
    changed it to that state (a request that changed nothing, revoking twice, is not one).
    None for ``active`` never left, or a status written without an audit row."""
    event = session.exec(
        select(StatusEvent)
        .where(StatusEvent.award_id == award_id)
        .where(StatusEvent.new_status == status.value)
        .where(StatusEvent.previous_status != status.value)
        .order_by(col(StatusEvent.at).desc(), col(StatusEvent.id).desc())
    ).first()
    return as_utc(event.at) if event is not None else None
