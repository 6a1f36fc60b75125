"""Credential status: Bitstring Status Lists for revocation and suspension, and their audit log.

**Herd privacy.** Every credential gets one entry on a revocation list and one on a suspension
list of its issuer. A verifier fetches the *whole* list (at least 131,072 entries) and reads one
bit locally, so the issuer never learns whose status was looked up. Indexes are drawn at random
(``secrets.randbelow``) so a list says nothing about issue order, and the list's URL carries a
random public id rather than a counter.

**Allocation, atomic across processes.** The hook (:func:`add_credential_status`) runs inside the
award's write transaction. It draws a random index and inserts it with ``ON CONFLICT DO
NOTHING`` against the primary key ``(list_id, status_index)``; if the index is taken it draws
again. The database, not the process, decides who gets an index, so several service processes
on PostgreSQL can never hand out the same one, and an award that rolls back frees its indexes.

**Rollover.** A list takes new credentials until ``status_fill_limit`` (default half) of it is
handed out: at half full a random draw still succeeds at least every other try, and a verifier
cannot tell a new list from an old one by its fill. The count is bumped *at commit*
(a ``before_commit`` hook on the session), not when the index is drawn: holding the list row's
lock only for the commit, instead of from the draw through signing (about 10 ms), keeps
concurrent awards of one issuer from queueing behind each other on PostgreSQL. The price is a
soft limit: a list may pass it by as many awards as were in flight at that moment, which is
nothing next to the half list still free. Then the list is marked full and the next award
opens a new one (a partial unique index allows one open list per issuer and purpose).

**Publishing, and the batching window.** A status change sets one allocation's ``is_set`` and
bumps the list's ``version``; the list is *not* signed then. The signed
BitstringStatusListCredential is cached on the list row, and :func:`published_list` — the
``GET /status/{id}`` handler — re-signs it when ``version`` moved past ``signed_version`` or
when less than half of its validity is left. So every change made since the last fetch, by
the API or by the CLI with the server down, is batched into one signature, made by the first
request that follows. What a verifier sees is at most ``status_ttl_seconds`` old (the list's
``ttl`` and ``Cache-Control: max-age``, default 5 minutes). Re-signing takes the list row's lock
(``FOR UPDATE``; SQLite's write lock) and re-checks, so concurrent fetches sign once.

**Changes.** :func:`change_statuses` applies one action to one credential or to thousands in
one transaction (all or none): the award rows are locked in id order, then the state machine
(:mod:`issuer.services.status_machine`, which VC-API credentials go through too) flips the bits
and bumps each list's ``version`` once. Revocation is permanent; suspension is not.

**Audit.** Every request to change a status is a :class:`StatusEvent` row (who, when, why,
the state before and after), including the ones that changed nothing, like revoking twice.

**Issuer of a list.** A list is signed by its issuer's *current* key under its current DID.
For did:web the DID never changes; a did:key issuer's DID changes with each key rotation, so
its older credentials then point at lists signed under the new DID. The spec allows that (and
our verifier accepts it), but Digital Bazaar's status library refuses it by default
(``verifyMatchingIssuers``): use did:web for issuers whose keys will rotate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import String, cast, event, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    MAX_REASON,
    Award,
    AwardStatus,
    Issuer,
    StatusAction,
    StatusAllocation,
    StatusEvent,
    StatusEventPublic,
    StatusList,
    StatusListPublic,
    StatusPurpose,
)
from issuer.services.context import AfterCommit, Runtime, SigningContext, StatusChangeContext
from issuer.services.errors import InvalidInput, IssuanceFailed, NotFound
from issuer.services.signing import sign_credential, signer_for
from issuer.services.stack_status import StackEffect, follow_components
from issuer.services.status_machine import (
    CannotPublish,
    apply_transitions,
    award_audit,
    chunks,
    copies_of,
    load_allocations,
)
from issuer.settings import Settings
from issuer.urls import Urls
from schemas.bitstring import MIN_LIST_ENTRIES, Bitstring
from schemas.dates import as_utc, format_datetime
from schemas.models import VC2_CONTEXT

__all__ = [
    "MIN_PREFIX",
    "AmbiguousCredential",
    "PublishedList",
    "StatusChange",
    "StatusPolicy",
    "add_credential_status",
    "allocate",
    "change_status",
    "change_statuses",
    "clean_reason",
    "current_etag",
    "entry_for",
    "event_view",
    "events",
    "export_revocation_list",
    "find_award",
    "list_summaries",
    "published_list",
    "refresh_lists",
    "revoke",
    "status_entries",
    "suspend",
    "unsuspend",
]

log = logging.getLogger("microcred.issuer.status")

#: The shortest uuid prefix accepted for a credential (8 hex digits: 4 billion values).
MIN_PREFIX = 8
#: Draws of a random index before giving up on a list. At the default half fill the chance of
#: 64 misses in a row is 2**-64; only a list filled far past its limit can get here.
MAX_DRAWS = 64
#: ``session.info`` key of the allocations awaiting the commit (see :func:`_count_at_commit`).
_PENDING = "microcred.status.pending"
#: Core table for the counter updates (no ORM bookkeeping on the hot path).
_LISTS: sa.Table = StatusList.__table__  # type: ignore[attr-defined]


class AmbiguousCredential(InvalidInput):
    """A short credential id that matches several credentials; ``candidates`` lists them."""

    def __init__(self, reference: str, candidates: Sequence[str]) -> None:
        self.candidates = list(candidates)
        super().__init__(
            "credential",
            f"{reference!r} matches {len(self.candidates)} credentials: "
            + ", ".join(self.candidates)
            + "; give more of the id",
        )


@dataclass(frozen=True)
class StatusPolicy:
    """The status settings, read from :class:`issuer.settings.Settings`."""

    list_size: int = MIN_LIST_ENTRIES
    fill_limit: float = 0.5
    ttl_seconds: int = 300
    validity: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings) -> StatusPolicy:
        return cls(
            list_size=settings.status_list_size,
            fill_limit=settings.status_fill_limit,
            ttl_seconds=settings.status_ttl_seconds,
            validity=timedelta(hours=settings.status_validity_hours),
        )

    @property
    def rollover_at(self) -> int:
        """Allocations after which a list takes no new credentials."""
        return max(1, math.ceil(self.list_size * self.fill_limit))

    @property
    def refresh_margin(self) -> timedelta:
        """Re-sign a list once less than this is left before its ``validUntil``."""
        return self.validity / 2


def _policy(runtime: Runtime) -> StatusPolicy:
    return StatusPolicy.from_settings(runtime.settings)


# ------------------------------------------------------------------------------ allocation


@dataclass(frozen=True)
class Allocation:
    """An index handed to a credential on one list."""

    list_id: int
    public_id: str
    purpose: StatusPurpose
    index: int


def _insert_ignoring_conflicts(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``; True if the row went in.

    No exception and no savepoint on a conflict, so a taken index costs one round trip. On
    PostgreSQL a conflict with a row another transaction has not committed yet waits for it,
    which is what makes the check-and-insert atomic across processes.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = sa.inspect(table).primary_key[0]
    # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING through
    # SQLAlchemy, whether or not a row went in; a returned key is unambiguous on both.
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(statement).first() is not None


def _open_list(
    session: Session, runtime: Runtime, issuer: Issuer, purpose: StatusPurpose
) -> StatusList:
    """The list of ``issuer`` that takes new ``purpose`` entries, opened if there is none."""
    policy = _policy(runtime)
    for _ in range(3):
        row = session.exec(
            select(StatusList)
            .where(StatusList.issuer_id == issuer.id)
            .where(StatusList.purpose == purpose.value)
            .where(col(StatusList.is_full).is_(False))
        ).first()
        if row is not None:
            return row
        # Another process may open one at the same moment: the partial unique index lets one
        # of the two inserts in, and the other reads the winner's row on the next turn.
        _insert_ignoring_conflicts(
            session,
            StatusList,
            {
                "public_id": secrets.token_urlsafe(12),
                "issuer_id": issuer.id,
                "purpose": purpose.value,
                "size": policy.list_size,
                "allocated": 0,
                "is_full": False,
                "version": 0,
                "signed_version": -1,
                "created": runtime.clock(),
            },
        )
    raise IssuanceFailed(f"could not open a {purpose} status list for {issuer.slug}")


def allocate(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    award_id: uuid.UUID,
    purpose: StatusPurpose,
) -> Allocation:
    """Give ``award_id`` a random free index on the issuer's open ``purpose`` list.

    Call it inside a write transaction (:func:`issuer.db.begin_write`); the index is the
    credential's once that transaction commits, and free again if it rolls back.
    """
    for _ in range(3):
        status_list = _open_list(session, runtime, issuer, purpose)
        assert status_list.id is not None
        for _ in range(MAX_DRAWS):
            index = secrets.randbelow(status_list.size)
            values = {
                "list_id": status_list.id,
                "status_index": index,
                "award_id": award_id,
                "purpose": purpose.value,
                "is_set": False,
            }
            if _insert_ignoring_conflicts(session, StatusAllocation, values):
                _count_at_commit(session, status_list.id, _policy(runtime).rollover_at)
                return Allocation(status_list.id, status_list.public_id, purpose, index)
        # Far fuller than it should be (a lowered size or limit?): close it, open another.
        log.warning("status list %s: %d random draws all taken", status_list.public_id, MAX_DRAWS)
        session.connection().execute(
            update(_LISTS).where(_LISTS.c.id == status_list.id).values(is_full=True)
        )
    raise IssuanceFailed(f"no free {purpose} status index for {issuer.slug}")


def _count_at_commit(session: Session, list_id: int, rollover_at: int) -> None:
    """Count the allocation on its list when (and only if) the transaction commits."""
    transaction = session.get_transaction()
    pending = session.info.get(_PENDING)
    if pending is None or pending[0] is not transaction:
        pending = (transaction, {})
        session.info[_PENDING] = pending
        if not session.info.get(_PENDING + ".listening"):
            event.listen(session, "before_commit", _flush_counts)
            event.listen(session, "after_rollback", _forget_counts)
            session.info[_PENDING + ".listening"] = True
    counts: dict[int, list[int]] = pending[1]
    counts.setdefault(list_id, [0, rollover_at])[0] += 1


def _flush_counts(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None or pending[0] is not session.get_transaction():
        return  # left over from a transaction that never committed
    # Flush first, so these updates are the last statements before COMMIT: the list rows
    # stay locked only for the commit itself.
    session.flush()
    connection = session.connection()
    # In list id order, so two commits lock the same rows in the same order (no deadlock).
    for list_id, (count, rollover_at) in sorted(pending[1].items()):
        connection.execute(
            update(_LISTS)
            .where(_LISTS.c.id == list_id)
            .values(
                allocated=_LISTS.c.allocated + count,
                is_full=sa.or_(_LISTS.c.is_full, _LISTS.c.allocated + count >= rollover_at),
            )
        )


def _forget_counts(session: Session) -> None:
    session.info.pop(_PENDING, None)


def entry_for(urls: Urls, public_id: str, purpose: str, index: int) -> dict[str, Any]:
    """A credential's ``BitstringStatusListEntry`` for its index on a list."""
    url = urls.status_list(public_id)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def _status_entry(runtime: Runtime, allocation: Allocation) -> dict[str, Any]:
    """The ``credentialStatus`` entry that points at ``allocation``'s bit."""
    return entry_for(runtime.urls, allocation.public_id, allocation.purpose.value, allocation.index)


def status_entries(
    session: Session, runtime: Runtime, issuer: Issuer, credential_uuid: uuid.UUID
) -> list[dict[str, Any]]:
    """A revocation and a suspension entry for the credential ``credential_uuid``, each on a
    freshly allocated index (inside the caller's write transaction, see :func:`allocate`).

    ``credentialStatus`` is an array of two ``BitstringStatusListEntry`` objects (terms the VC
    2.0 context defines); each ``id`` is ``{list URL}#{index}``, never the list URL itself.
    Awards (through :func:`add_credential_status`) and wallet copies get theirs here.
    """
    return [
        _status_entry(runtime, allocate(session, runtime, issuer, credential_uuid, purpose))
        for purpose in (StatusPurpose.revocation, StatusPurpose.suspension)
    ]


def add_credential_status(credential: dict[str, Any], context: SigningContext) -> dict[str, Any]:
    """The pre-sign hook: a revocation and a suspension entry for every award
    (:func:`status_entries`)."""
    entries = status_entries(context.session, context.runtime, context.issuer, context.award.id)
    return {**credential, "credentialStatus": entries}


# ------------------------------------------------------------------------------ publishing


@dataclass(frozen=True)
class PublishedList:
    """A signed list as served: the exact body, its ETag and how long it may be cached."""

    body: str
    etag: str
    max_age: int
    valid_until: datetime


class _Currency(Protocol):
    """What :func:`_is_current` reads of a list: a :class:`StatusList`, or the row of just
    these columns that :func:`current_etag` selects (no ORM object on that per-verification
    path: building one costs more than the query)."""

    etag: str | None
    version: int
    signed_version: int
    valid_until: datetime | None


def _is_current(row: _Currency, now: datetime, policy: StatusPolicy) -> bool:
    """Whether a list's signed credential can be served as it is: it says every change made
    (``etag`` is set with the signed credential), and more than the refresh margin of its
    validity is left."""
    valid_until = as_utc(row.valid_until)
    return (
        row.etag is not None
        and row.signed_version == row.version
        and valid_until is not None
        and valid_until - now > policy.refresh_margin
    )


def _published(row: StatusList, policy: StatusPolicy) -> PublishedList:
    assert row.signed_credential and row.etag and row.valid_until
    return PublishedList(
        row.signed_credential,
        row.etag,
        policy.ttl_seconds,
        as_utc(row.valid_until),
    )


def _list_credential(
    runtime: Runtime, row: StatusList, issuer: Issuer, bits: Bitstring, now: datetime
) -> dict[str, Any]:
    policy = _policy(runtime)
    url = runtime.urls.status_list(row.public_id)
    return {
        "@context": [VC2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": format_datetime(now),
        "validUntil": format_datetime(now + policy.validity),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": row.purpose,
            "encodedList": bits.encode(),
            "ttl": policy.ttl_seconds * 1000,
        },
    }


def _sign_list(session: Session, runtime: Runtime, row: StatusList, now: datetime) -> None:
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None
    bits = Bitstring(row.size)
    for index in session.exec(
        select(StatusAllocation.status_index)
        .where(StatusAllocation.list_id == row.id)
        .where(col(StatusAllocation.is_set).is_(True))
    ):
        bits.set(index, 1)
    signed = sign_credential(
        _list_credential(runtime, row, issuer, bits, now),
        signer=signer_for(session, runtime, issuer),
        loader=runtime.loader,
        now=now,
        what=f"status list {row.public_id}",
    ).credential
    body = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    row.signed_credential = body
    row.etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:40] + '"'
    row.signed_at = now
    row.valid_until = now + _policy(runtime).validity
    row.signed_version = row.version
    session.add(row)


def _resign(session: Session, runtime: Runtime, list_id: int, *, force: bool = False) -> StatusList:
    """Re-sign one list under its row lock, unless someone else just did."""
    begin_write(session)
    query = select(StatusList).where(StatusList.id == list_id).with_for_update()
    row = session.exec(query.execution_options(populate_existing=True)).one()
    now = runtime.clock()
    if force or not _is_current(row, now, _policy(runtime)):
        _sign_list(session, runtime, row, now)
        log.info("signed status list %s (version %d)", row.public_id, row.version)
    session.commit()
    session.refresh(row)
    return row


def published_list(session: Session, runtime: Runtime, public_id: str) -> PublishedList:
    """The signed list with this public id, re-signed first if it changed or runs out soon.

    A list that cannot be signed is a :class:`CannotPublish` in words fit for anyone who
    asks (the list is public); the reason, which names keys and files, goes to the log.
    """
    policy = _policy(runtime)
    row = session.exec(select(StatusList).where(StatusList.public_id == public_id)).first()
    if row is None:
        raise NotFound(f"no status list {public_id!r}")
    if not _is_current(row, runtime.clock(), policy):
        assert row.id is not None
        try:
            row = _resign(session, runtime, row.id)
        except IssuanceFailed as error:
            log.error("status list %s cannot be signed: %s", public_id, error)
            raise CannotPublish(
                f"the status list {public_id} cannot be signed just now: its issuer's signing "
                "key cannot be used by this service (its operator will find why in the "
                "service's log)"
            ) from error
    return _published(row, policy)


def current_etag(session: Session, runtime: Runtime, public_id: str) -> str | None:
    """The ``ETag`` :func:`published_list` would answer with now, read without the list's body;
    None if it would re-sign first (a change since, or it runs out soon) or there is no such
    list. The service's own verifier checks its cached copy of a list with it
    (:mod:`issuer.own_lists`)."""
    row = session.execute(
        sa.select(
            col(StatusList.etag),
            col(StatusList.version),
            col(StatusList.signed_version),
            col(StatusList.valid_until),
        ).where(col(StatusList.public_id) == public_id)
    ).first()
    if row is None or not _is_current(row, runtime.clock(), _policy(runtime)):
        return None
    return row.etag


def refresh_lists(session: Session, runtime: Runtime, *, force: bool = False) -> list[str]:
    """Re-sign every list that changed or runs out soon (all with ``force``); their URLs.

    Serving does this lazily; this is for ``microcred status publish`` (e.g. before copying
    the lists to a static mirror) and the benchmark.
    """
    policy = _policy(runtime)
    now = runtime.clock()
    rows = session.exec(select(StatusList).order_by(col(StatusList.id))).all()
    stale = [r.id for r in rows if force or not _is_current(r, now, policy)]
    session.commit()
    urls = []
    for list_id in stale:
        assert list_id is not None
        row = _resign(session, runtime, list_id, force=force)
        urls.append(runtime.urls.status_list(row.public_id))
    return urls


# ------------------------------------------------------------------------------ changes


def _as_uuid(reference: str | uuid.UUID) -> uuid.UUID | str:
    """The uuid a full reference names (id URL, uuid, ``.json``/``.jwt`` link), or the
    cleaned text of what may be a prefix."""
    if isinstance(reference, uuid.UUID):
        return reference
    text = reference.strip().rstrip("/").rsplit("/", 1)[-1]
    text = text.removesuffix(".json").removesuffix(".jwt").lower()
    try:
        return uuid.UUID(text)
    except ValueError:
        return text


def find_award(session: Session, reference: str | uuid.UUID, issuer: Issuer | None = None) -> Award:
    """A credential by its id URL, its uuid, or a unique prefix of the uuid (≥ 8 hex digits).

    Raises :class:`NotFound`, or :class:`AmbiguousCredential` with the candidates.
    """
    key = _as_uuid(reference)
    if isinstance(key, uuid.UUID):
        row = session.get(Award, key)
    else:
        row = _by_prefix(session, str(reference), key, issuer)
    if row is None or (issuer is not None and row.issuer_id != issuer.id):
        raise _not_found(reference, issuer)
    return row


def _not_found(reference: object, issuer: Issuer | None) -> NotFound:
    owner = f" issued by {issuer.slug}" if issuer is not None else ""
    return NotFound(f"no credential {reference!s}{owner}")


def _by_prefix(session: Session, reference: str, text: str, issuer: Issuer | None) -> Award | None:
    if len(text.replace("-", "")) < MIN_PREFIX or any(c not in "0123456789abcdef-" for c in text):
        raise NotFound(
            f"no credential {reference!r}: give its id, its uuid or at least {MIN_PREFIX} "
            "characters of the uuid"
        )
    # uuids are stored as CHAR(32) hex on SQLite and as the native uuid type on PostgreSQL;
    # their text forms differ in the dashes, so compare without them.
    as_text = func.replace(cast(Award.id, String), "-", "")
    query = select(Award).where(as_text.like(text.replace("-", "") + "%"))
    if issuer is not None:
        query = query.where(Award.issuer_id == issuer.id)
    rows = session.exec(query.limit(21)).all()
    if len(rows) > 1:
        raise AmbiguousCredential(reference, sorted(str(r.id) for r in rows))
    return rows[0] if rows else None


@dataclass(frozen=True)
class StatusChange:
    """The outcome of a revoke, suspend or unsuspend request for one credential."""

    award_id: uuid.UUID
    credential_id: str
    action: StatusAction
    previous_status: AwardStatus
    status: AwardStatus
    #: False when the credential was already in the requested state (nothing re-published).
    changed: bool
    event_id: int
    #: The lists that will say so (empty for a credential issued without status entries).
    status_lists: tuple[str, ...]
    #: The stack credentials that counted this one, and what the change did to each
    #: (:mod:`issuer.services.stack_status`): revoked, suspended or unsuspended with it, or
    #: kept because their rule is still met.
    stacks: tuple[StackEffect, ...] = ()
    #: The award's wallet copies whose status changed with it (same transaction).
    copies: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "award_id": str(self.award_id),
            "credential_id": self.credential_id,
            "action": self.action.value,
            "previous_status": self.previous_status.value,
            "status": self.status.value,
            "changed": self.changed,
            "event_id": self.event_id,
            "status_lists": list(self.status_lists),
            "stacks": [s.to_json() for s in self.stacks],
            "copies": self.copies,
        }


def clean_reason(reason: str) -> str:
    """``reason`` stripped; :class:`InvalidInput` when empty or too long (it is an audit note)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "say why: the reason is kept in the audit log")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"is longer than {MAX_REASON} characters")
    return reason


def _lock_awards(
    session: Session, references: Sequence[Award | str | uuid.UUID], issuer: Issuer | None
) -> list[Award]:
    """The awards named, locked (``FOR UPDATE``) in id order; all or :class:`NotFound`."""
    ids: list[uuid.UUID] = []
    for reference in references:
        key = reference.id if isinstance(reference, Award) else _as_uuid(reference)
        if not isinstance(key, uuid.UUID):
            key = find_award(session, str(reference), issuer).id
        ids.append(key)
    unique = sorted(set(ids))
    rows: dict[uuid.UUID, Award] = {}
    # Row locks in one order (the ids'), so two bulk changes never deadlock each other.
    for chunk in chunks(unique):
        query = select(Award).where(col(Award.id).in_(chunk)).order_by(col(Award.id))
        query = query.with_for_update().execution_options(populate_existing=True)
        for row in session.exec(query):
            rows[row.id] = row
    for reference, key in zip(references, ids, strict=True):
        found = rows.get(key)
        if found is None or (issuer is not None and found.issuer_id != issuer.id):
            raise _not_found(reference.id if isinstance(reference, Award) else reference, issuer)
    return [rows[key] for key in dict.fromkeys(ids)]


def change_statuses(
    session: Session,
    runtime: Runtime,
    credentials: Sequence[Award | str | uuid.UUID],
    action: StatusAction,
    reason: str,
    actor: str,
    *,
    issuer: Issuer | None = None,
) -> list[StatusChange]:
    """Apply ``action`` to credentials in one transaction: all of them, or none.

    The stack credentials that counted a changed credential are re-evaluated and follow it
    (:func:`issuer.services.stack_status.follow_components`), in the same transaction; each
    change lists them in ``stacks``.

    Each gets its audit row; each list a changed bit is on gets its ``version`` bumped once,
    so it is re-signed at its next fetch. Revocation is permanent (suspending or unsuspending
    a revoked credential is a :class:`Conflict`, and nothing is changed); asking for the state
    a credential is already in succeeds and changes nothing but the audit log. An unknown
    credential, or one not issued by ``issuer`` when that is given, is :class:`NotFound`.
    """
    reason = clean_reason(reason)
    begin_write(session)
    try:
        awards = _lock_awards(session, credentials, issuer)
        allocations = load_allocations(session, [a.id for a in awards])

        audit = award_audit(action, reason, actor)

        transitions = apply_transitions(
            session,
            awards,
            action,
            allocations=allocations,
            audit=audit,
            now=runtime.clock(),
            name=lambda holder: str(holder.id),
            runtime=runtime,
            # The award's wallet copies take its new state, in this transaction.
            followers=copies_of(session, [a.id for a in awards]),
        )
        # The stack credentials that counted a changed component follow it, in this
        # transaction: all of it commits, or none.
        stacks = follow_components(
            session,
            runtime,
            [a for a, t in zip(awards, transitions, strict=True) if t.changed],
            action,
            reason,
            actor,
        )
        changes = [
            StatusChange(
                award_id=t.holder.id,
                credential_id=runtime.urls.credential(t.holder.id),
                action=action,
                previous_status=t.previous,
                status=t.status,
                changed=t.changed,
                event_id=t.audit.id or 0,
                status_lists=tuple(
                    sorted(
                        {runtime.urls.status_list(p) for _, p in allocations.get(t.holder.id, [])}
                    )
                ),
                stacks=tuple(stacks.get(t.holder.id, ())),
                copies=t.followers,
            )
            for t in transitions
        ]
        after_commit = _run_status_hooks(session, runtime, action, transitions)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for follow in after_commit:
        try:
            follow()
        except Exception:  # noqa: BLE001 - the change is committed; its follow-up is owed work
            log.exception("the follow-up of a status change failed (a sweep will retry it)")
    for change in changes:
        log.info(
            "%s credential %s by %s%s: %s",
            action.value,
            change.award_id,
            actor,
            "" if change.changed else " (no change)",
            reason,
        )
        for effect in change.stacks:
            log.info(
                "stack credential %s (%s) %s with component %s: %s",
                effect.award_id,
                effect.stack,
                effect.outcome,
                change.award_id,
                effect.detail,
            )
    return changes


def _run_status_hooks(
    session: Session, runtime: Runtime, action: StatusAction, transitions: Sequence[Any]
) -> list[AfterCommit]:
    """Run the runtime's status hooks over the awards whose state changed, inside the change's
    transaction; what each asks to do once it has committed."""
    changed = [t for t in transitions if t.changed]
    if not changed or not runtime.status_hooks:
        return []
    session.flush()
    context = StatusChangeContext(
        session=session,
        runtime=runtime,
        action=action.value,
        awards=[t.holder for t in changed],
        event_ids=[t.audit.id or 0 for t in changed],
    )
    follow = [hook(context) for hook in runtime.status_hooks]
    return [f for f in follow if f is not None]


def change_status(
    session: Session,
    runtime: Runtime,
    credential: Award | str | uuid.UUID,
    action: StatusAction,
    reason: str,
    actor: str,
    *,
    issuer: Issuer | None = None,
) -> StatusChange:
    """Apply ``action`` to one credential (see :func:`change_statuses`)."""
    [change] = change_statuses(session, runtime, [credential], action, reason, actor, issuer=issuer)
    return change


def revoke(
    session: Session, runtime: Runtime, credential: Award | str | uuid.UUID, reason: str, actor: str
) -> StatusChange:
    """Revoke for good; revoking a revoked credential changes nothing and succeeds."""
    return change_status(session, runtime, credential, StatusAction.revoke, reason, actor)


def suspend(
    session: Session, runtime: Runtime, credential: Award | str | uuid.UUID, reason: str, actor: str
) -> StatusChange:
    """Suspend until :func:`unsuspend`; refused (:class:`Conflict`) for a revoked credential."""
    return change_status(session, runtime, credential, StatusAction.suspend, reason, actor)


def unsuspend(
    session: Session, runtime: Runtime, credential: Award | str | uuid.UUID, reason: str, actor: str
) -> StatusChange:
    """Lift a suspension; refused (:class:`Conflict`) for a revoked credential."""
    return change_status(session, runtime, credential, StatusAction.unsuspend, reason, actor)


# ------------------------------------------------------------------------------ reading


def events(
    session: Session,
    *,
    issuer: Issuer | None = None,
    award: Award | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> Sequence[StatusEvent]:
    """The audit log, oldest first, for one issuer and/or one credential."""
    query = select(StatusEvent)
    if issuer is not None:
        query = query.where(StatusEvent.issuer_id == issuer.id)
    if award is not None:
        query = query.where(StatusEvent.award_id == award.id)
    query = query.order_by(col(StatusEvent.at), col(StatusEvent.id)).offset(offset).limit(limit)
    return session.exec(query).all()


def event_view(runtime: Runtime, row: StatusEvent) -> StatusEventPublic:
    """An audit log entry as the API and the CLI show it."""
    return StatusEventPublic(
        id=row.id or 0,
        credential_id=runtime.urls.credential(row.award_id),
        action=row.action,
        reason=row.reason,
        actor=row.actor,
        previous_status=row.previous_status,
        new_status=row.new_status,
        changed=row.previous_status != row.new_status,
        at=as_utc(row.at),
        cause_credential_id=runtime.urls.credential(row.cause_award_id)
        if row.cause_award_id is not None
        else None,
        copies=row.copies,
    )


def export_revocation_list(
    session: Session, runtime: Runtime, issuer: Issuer, *, include_reasons: bool = True
) -> dict[str, Any]:
    """The issuer's revocations as a 1EdTechRevocationList document (OB 3.0 §4.2 shape).

    For verifiers that read only this format. Unlike a Bitstring list it names each revoked
    credential, so it is served publicly only when ``status_publish_revocation_list`` is on,
    and then without the reasons (``include_reasons=False``), which may be personal.
    """
    revoked = session.exec(
        select(Award)
        .where(Award.issuer_id == issuer.id)
        .where(Award.status == AwardStatus.revoked.value)
        .order_by(col(Award.created), col(Award.id))
    ).all()
    reasons: dict[uuid.UUID, str] = {}
    if include_reasons and revoked:
        for entry in session.exec(
            select(StatusEvent)
            .where(StatusEvent.issuer_id == issuer.id)
            .where(StatusEvent.action == StatusAction.revoke.value)
            .where(StatusEvent.previous_status != AwardStatus.revoked.value)
            .order_by(col(StatusEvent.id))
        ):
            reasons.setdefault(entry.award_id, entry.reason)
    listed = []
    for row in revoked:
        item: dict[str, Any] = {"id": runtime.urls.credential(row.id), "revoked": True}
        if row.id in reasons:
            item["revocationReason"] = reasons[row.id]
        listed.append(item)
    return {
        "id": runtime.urls.revocation_list(issuer.slug),
        "type": "1EdTechRevocationList",
        "issuer": issuer.did,
        "revokedCredential": listed,
    }


def list_summaries(
    session: Session, runtime: Runtime, *, issuer: Issuer | None = None
) -> list[StatusListPublic]:
    """Every status list, oldest first."""
    policy = _policy(runtime)
    now = runtime.clock()
    query = select(StatusList).order_by(col(StatusList.id))
    if issuer is not None:
        query = query.where(StatusList.issuer_id == issuer.id)
    rows = session.exec(query).all()
    slugs = {r.id: r.slug for r in session.exec(select(Issuer))}
    counts = dict(
        session.exec(
            select(StatusAllocation.list_id, func.count())
            .where(col(StatusAllocation.is_set).is_(True))
            .group_by(col(StatusAllocation.list_id))
        ).all()
    )
    return [
        StatusListPublic(
            url=runtime.urls.status_list(r.public_id),
            issuer=slugs.get(r.issuer_id, "?"),
            purpose=r.purpose,
            size=r.size,
            allocated=r.allocated,
            set=counts.get(r.id or 0, 0),
            full=r.is_full,
            signed_at=as_utc(r.signed_at),
            valid_until=as_utc(r.valid_until),
            needs_signing=not _is_current(r, now, policy),
        )
        for r in rows
    ]
