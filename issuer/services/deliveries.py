"""Deliveries: the emails an award owes its educator, queued durably, sent once, retried.

**The row is the truth** (:class:`issuer.models.Delivery`). Work that owes an email inserts a
``queued`` row in its own transaction, then hands the row's id to the job queue
(``runtime.jobs``, :mod:`issuer.jobs`) after the commit. A queue that is down, or a worker
that dies holding the job, loses nothing: :func:`sweep` finds rows still ``queued`` long after
they were due, and ``sending`` rows whose lease ran out, and hands them over again.

**Sending none twice.** :func:`send_delivery` first *takes* the row with one conditional
``UPDATE`` (``queued`` and due, or ``sending`` with an expired lease → ``sending`` with a new
lease, ``attempts + 1``) and commits; only the worker whose update matched goes on, so a job
run twice, or by two workers, sends once. After the SMTP server accepted the message the row
is marked ``sent``. The one window left: a worker that dies *after* the server accepted the
message and *before* that mark commits leaves a ``sending`` row whose lease expires, and the
sweep sends it again — at least once, not exactly once. The resend carries the same
Message-ID (fixed per row), which mail systems use to recognise a duplicate.

**Retries.** A temporary failure (:class:`issuer.services.mail.MailError`) puts the row back to
``queued`` with ``next_attempt_at`` after :data:`BACKOFF` (1 min, 5 min, 30 min, 2 h, 6 h),
then ``failed``; a permanent one (a 5xx) is ``failed`` at once. Either way ``last_error`` is
the server's reply.

**What is queued.** The claim email of each new award (a post-award hook, so it is owed work:
an outage between the award's commit and the queueing is finished by a retry or the next
start); a resend on request (:func:`request_deliveries`), or asked for by the educator from
an expired link's page (:func:`renew_claim_link`, at most :data:`RENEWALS_PER_DAY` a day); a
short notice when an award is revoked or suspended (a status hook, in the change's own
transaction), unless ``MICROCRED_NOTIFY_STATUS_CHANGES`` is off. Without SMTP configured
nothing is queued by awards or status changes (nothing could send it), and a request to
deliver is refused (:class:`issuer.services.errors.Unavailable`).

**The claim token** is minted inside :func:`send_delivery`, just before the message is
composed and committed before it is sent (:mod:`issuer.services.claims`): the raw token is in
the email only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid
from functools import cache
from typing import Any

from jinja2 import Environment
from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardStatus,
    Delivery,
    DeliveryKind,
    DeliveryPublic,
    DeliveryStatus,
    Issuer,
    public_view,
)
from issuer.services.badge_design import TEMPLATES, configure_pages
from issuer.services.claims import mint_claim_token, withdraw_claim_links
from issuer.services.context import (
    AfterCommit,
    PostAwardContext,
    Runtime,
    StatusChangeContext,
)
from issuer.services.errors import Conflict, LimitReached, NotFound, Unavailable
from issuer.services.mail import MailError, send_message, smtp_refusal
from microcred.i18n import Pages, language
from schemas.dates import as_utc, parse_datetime

__all__ = [
    "BACKOFF",
    "RENEWALS_PER_DAY",
    "SendOutcome",
    "Transport",
    "deliveries_for",
    "dispatch",
    "queue_claim_after_award",
    "queue_delivery",
    "queue_status_notices",
    "renew_claim_link",
    "request_deliveries",
    "send_delivery",
    "sweep",
]

log = logging.getLogger("microcred.issuer.deliveries")

#: Waits after the 1st, 2nd, … temporary failure; after the last, the delivery is ``failed``.
BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
#: New links an educator may ask for from an expired one, per award per (UTC) day.
RENEWALS_PER_DAY = 3
#: What the notice of each status action is.
_NOTICE_KINDS = {"revoke": DeliveryKind.revoked_notice, "suspend": DeliveryKind.suspended_notice}
#: Sends one message with the settings' server (a test or the bench passes its own).
Transport = Callable[[Any, EmailMessage], None]


# ------------------------------------------------------------------------------ queueing


def queue_delivery(
    session: Session,
    runtime: Runtime,
    *,
    award: Award,
    kind: DeliveryKind,
    dedupe_key: str | None = None,
) -> Delivery | None:
    """Add a ``queued`` delivery of ``kind`` for ``award`` to the session's transaction (the
    caller commits, then :func:`dispatch`). With a ``dedupe_key`` already used, nothing is
    added (None): the work was queued before."""
    if dedupe_key is not None:
        found = session.exec(
            select(Delivery.id).where(col(Delivery.dedupe_key) == dedupe_key)
        ).first()
        if found is not None:
            return None
    now = runtime.clock()
    row = Delivery(
        award_id=award.id,
        kind=kind,
        recipient=award.recipient_email,
        status=DeliveryStatus.queued,
        next_attempt_at=now,
        message_id=make_msgid(domain=runtime.urls.host),
        dedupe_key=dedupe_key,
        created=now,
        updated=now,
    )
    session.add(row)
    return row


def dispatch(runtime: Runtime, delivery_ids: Sequence[int], *, eta: datetime | None = None) -> None:
    """Hand committed deliveries to the job queue; a queue that refuses is logged, never
    raised (the rows are queued in the database, and the sweep hands them over later)."""
    if runtime.jobs is None or not delivery_ids:
        return
    try:
        runtime.jobs.deliver(delivery_ids, eta=eta)
    except Exception:  # noqa: BLE001 - the rows are the truth; the sweep re-queues them
        log.exception(
            "could not hand %d deliveries to the job queue; the sweep will", len(delivery_ids)
        )


def queue_claim_after_award(award: Award, context: PostAwardContext) -> list[Award]:
    """Post-award hook: queue the award's claim email (once: ``award:<id>``) when email is
    configured. Idempotent, as a post-award hook must be; issues no credential."""
    runtime = context.runtime
    if smtp_refusal(runtime.settings) is not None:
        return []
    session = context.session
    begin_write(session)
    try:
        row = queue_delivery(
            session, runtime, award=award, kind=DeliveryKind.claim, dedupe_key=f"award:{award.id}"
        )
        session.commit()
    except IntegrityError:  # another process queued it first
        session.rollback()
        return []
    if row is not None and row.id is not None:
        dispatch(runtime, [row.id])
    return []


def queue_status_notices(context: StatusChangeContext) -> AfterCommit | None:
    """Status hook: a notice for each award revoked or suspended (``status:<event id>``),
    in the change's transaction; handed to the queue once it has committed."""
    runtime = context.runtime
    kind = _NOTICE_KINDS.get(context.action)
    if (
        kind is None
        or not runtime.settings.notify_status_changes
        or smtp_refusal(runtime.settings) is not None
    ):
        return None
    rows = [
        queue_delivery(
            context.session, runtime, award=award, kind=kind, dedupe_key=f"status:{event_id}"
        )
        for award, event_id in zip(context.awards, context.event_ids, strict=True)
        if isinstance(award, Award)
    ]
    queued = [r for r in rows if r is not None]
    if not queued:
        return None
    context.session.flush()
    ids = [r.id for r in queued if r.id is not None]
    return lambda: dispatch(runtime, ids)


def _claimable(session: Session, runtime: Runtime, award_ids: Sequence[uuid.UUID]) -> list[Award]:
    """The awards of ``award_ids``, read in a write transaction begun here, when a claim email
    may be queued for each: :class:`Unavailable` without email configured, :class:`NotFound`
    for an unknown id, :class:`Conflict` for a revoked or suspended award (a claim page for
    it would offer nothing). A refusal leaves nothing begun."""
    refusal = smtp_refusal(runtime.settings)
    if refusal is not None:
        raise Unavailable(f"cannot send: {refusal}")
    begin_write(session)
    awards = []
    for award_id in dict.fromkeys(award_ids):
        found = session.get(Award, award_id, populate_existing=True)
        if found is None:
            session.rollback()
            raise NotFound(f"no credential {award_id}")
        awards.append(found)
    for award in awards:
        if award.status != AwardStatus.active:
            session.rollback()
            raise Conflict(
                f"credential {award.id} is {award.status}: a claim link would offer nothing"
            )
    return awards


def request_deliveries(
    *,
    session: Session,
    runtime: Runtime,
    award_ids: Sequence[uuid.UUID],
    withdraw_links: bool = False,
) -> list[Delivery]:
    """Queue a new claim email for each award (``microcred deliver``, the API's resend) and
    hand them to the queue. Refused as a whole when email is not configured
    (:class:`Unavailable`), an award does not exist (:class:`NotFound`) or is revoked or
    suspended (:class:`Conflict`: a claim page for it would offer nothing).

    ``withdraw_links``: the award's earlier claim links stop working in the same transaction
    (an email that went to a mistyped address, or was forwarded); their pages say the link
    was withdrawn (410). Without it, earlier links keep working until they expire."""
    awards = _claimable(session, runtime, award_ids)
    if withdraw_links:
        for award in awards:
            withdraw_claim_links(session, award=award, now=runtime.clock())
    rows = [
        row
        for award in awards
        if (row := queue_delivery(session, runtime, award=award, kind=DeliveryKind.claim))
    ]
    session.commit()
    ids = [r.id for r in rows if r.id is not None]
    dispatch(runtime, ids)
    return rows


def renew_claim_link(*, session: Session, runtime: Runtime, award_id: uuid.UUID) -> Delivery:
    """Queue a new claim email for an award whose link expired, asked for on that link's page.

    It goes to the address on record: the visitor types nothing, so the form can neither send
    mail to an address of their choosing nor tell whether an address has a credential. Refused
    as :func:`request_deliveries` refuses, and with :class:`LimitReached` after
    :data:`RENEWALS_PER_DAY` this (UTC) day. The cap holds under concurrent requests: each
    renewal takes a numbered slot, ``renew:<award>:<day>:<n>``, in the unique ``dedupe_key``.
    """
    [award] = _claimable(session, runtime, [award_id])
    prefix = f"renew:{award.id}:{as_utc(runtime.clock()).date().isoformat()}:"
    for slot in range(1, RENEWALS_PER_DAY + 1):
        try:
            row = queue_delivery(
                session,
                runtime,
                award=award,
                kind=DeliveryKind.claim,
                dedupe_key=f"{prefix}{slot}",
            )
            if row is None:  # this slot was used earlier today
                continue
            session.commit()
        except IntegrityError:  # another request took this slot at the same moment
            session.rollback()
            begin_write(session)
            continue
        assert row.id is not None
        dispatch(runtime, [row.id])
        return row
    session.rollback()
    raise LimitReached(
        f"{RENEWALS_PER_DAY} new links were sent for this credential today: "
        "look for them in the mailbox (and its spam folder), or ask the issuer"
    )


# ------------------------------------------------------------------------------ sending


@dataclass(frozen=True)
class SendOutcome:
    """What one run of :func:`send_delivery` did: ``status`` is the row's afterwards
    (``None``: the row was not this run's to send), ``retry_at`` when it is queued again."""

    delivery_id: int
    status: DeliveryStatus | None
    retry_at: datetime | None = None


def _owed(*, due_by: datetime, lease_expired_by: datetime) -> ColumnElement[bool]:
    """Which rows a worker may take: ``queued`` and due by ``due_by``, or ``sending`` with a
    lease that ran out before ``lease_expired_by``. One predicate for the worker's take (due
    now) and the sweep (due for longer than a lease: its job was lost), so they never
    disagree about what is owed."""
    return or_(
        and_(
            col(Delivery.status) == DeliveryStatus.queued, col(Delivery.next_attempt_at) <= due_by
        ),
        and_(
            col(Delivery.status) == DeliveryStatus.sending,
            col(Delivery.lease_until) < lease_expired_by,
        ),
    )


def _take(session: Session, runtime: Runtime, delivery_id: int, now: datetime) -> bool:
    """Claim the row for this worker: one conditional UPDATE, committed. False when another
    worker has it, it is done, or it is not yet due."""
    lease = now + timedelta(seconds=runtime.settings.delivery_lease_seconds)
    begin_write(session)
    result = session.connection().execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, _owed(due_by=now, lease_expired_by=now))
        .values(
            status=DeliveryStatus.sending,
            attempts=col(Delivery.attempts) + 1,
            lease_until=lease,
            updated=now,
        )
    )
    session.commit()
    return result.rowcount == 1


def _finish(session: Session, delivery_id: int, **values: Any) -> None:
    begin_write(session)
    session.connection().execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == DeliveryStatus.sending)
        .values(**values)
    )
    session.commit()


def send_delivery(
    *,
    session: Session,
    runtime: Runtime,
    delivery_id: int,
    transport: Transport = send_message,
) -> SendOutcome:
    """Send one delivery if it is this run's to send (see the module docstring)."""
    now = runtime.clock()
    if not _take(session, runtime, delivery_id, now):
        return SendOutcome(delivery_id, None)
    row = session.get(Delivery, delivery_id)
    award = session.get(Award, row.award_id) if row is not None else None
    assert row is not None and award is not None  # taken just now; foreign key
    begin_write(session)
    message = _compose(session, runtime, row, award, now)
    session.commit()  # the claim token is stored before the email that carries it leaves
    try:
        transport(runtime.settings, message)
    except MailError as error:
        return _failed(session, runtime, row, error, runtime.clock())
    done = runtime.clock()
    _finish(
        session,
        delivery_id,
        status=DeliveryStatus.sent,
        sent_at=done,
        updated=done,
        lease_until=None,
        last_error=None,
    )
    log.info("delivery %d (%s, award %s) sent", delivery_id, row.kind, row.award_id)
    return SendOutcome(delivery_id, DeliveryStatus.sent)


def _failed(
    session: Session, runtime: Runtime, row: Delivery, error: MailError, now: datetime
) -> SendOutcome:
    assert row.id is not None
    attempts = row.attempts
    if error.temporary and attempts <= len(BACKOFF):
        retry_at = now + BACKOFF[attempts - 1]
        _finish(
            session,
            row.id,
            status=DeliveryStatus.queued,
            next_attempt_at=retry_at,
            lease_until=None,
            last_error=error.reply,
            updated=now,
        )
        log.warning(
            "delivery %d (award %s): attempt %d failed, next at %s: %s",
            row.id,
            row.award_id,
            attempts,
            retry_at.isoformat(),
            error.reply,
        )
        return SendOutcome(row.id, DeliveryStatus.queued, retry_at)
    _finish(
        session,
        row.id,
        status=DeliveryStatus.failed,
        lease_until=None,
        last_error=error.reply,
        updated=now,
    )
    log.error(
        "delivery %d (award %s) failed after %d attempt(s): %s",
        row.id,
        row.award_id,
        attempts,
        error.reply,
    )
    return SendOutcome(row.id, DeliveryStatus.failed)


def sweep(*, session: Session, runtime: Runtime) -> list[int]:
    """The deliveries a lost job left behind, handed to the queue again: ``queued`` rows due
    for longer than a lease (their job never ran), ``sending`` rows whose lease expired (their
    worker died). Their ids."""
    now = runtime.clock()
    grace = now - timedelta(seconds=runtime.settings.delivery_lease_seconds)
    ids = list(
        session.exec(
            select(Delivery.id)
            .where(_owed(due_by=grace, lease_expired_by=now))
            .order_by(col(Delivery.id))
        )
    )
    session.commit()
    found = [i for i in ids if i is not None]
    if found:
        log.info("re-queueing %d deliveries a lost job left behind", len(found))
        dispatch(runtime, found)
    return found


def deliveries_for(session: Session, award_id: uuid.UUID) -> list[DeliveryPublic]:
    """Every delivery of an award, oldest first (``credentials show``, the admin API)."""
    rows = session.exec(
        select(Delivery).where(col(Delivery.award_id) == award_id).order_by(col(Delivery.id))
    ).all()
    return [public_view(DeliveryPublic, row) for row in rows]


# ------------------------------------------------------------------------------ the message


@cache
def _pages() -> Pages:
    return Pages(TEMPLATES, configure=configure_pages)


def _environment(code: str | None) -> tuple[Environment, Any]:
    chosen = language(code)
    return _pages().environment(chosen), chosen


def _image_url(value: Any) -> str | None:
    """An https image URL (a logo is linked, never attached; a ``data:`` URL is no link)."""
    url = value.get("id") if isinstance(value, Mapping) else value
    return url if isinstance(url, str) and url.startswith("https://") else None


def _facts(runtime: Runtime, session: Session, award: Award) -> dict[str, Any]:
    """What a message says, from the signed credential (no extra personal data)."""
    import json

    credential = json.loads(award.credential)
    subject = credential.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    issuer_doc = credential.get("issuer") or {}
    issuer_row = session.get(Issuer, award.issuer_id)
    criteria = achievement.get("criteria") or {}
    criteria_url = criteria.get("id") if isinstance(criteria, Mapping) else None
    email = issuer_doc.get("email") if isinstance(issuer_doc, Mapping) else None
    return {
        "achievement": str(achievement.get("name") or credential.get("name") or ""),
        "achievement_language": achievement.get("inLanguage"),
        "issuer": str(issuer_doc.get("name") or (issuer_row.name if issuer_row else "")),
        "issuer_url": issuer_doc.get("url") if isinstance(issuer_doc, Mapping) else None,
        "logo": _image_url(issuer_doc.get("image")) if isinstance(issuer_doc, Mapping) else None,
        "reply_to": email if isinstance(email, str) and "@" in email else None,
        "criteria_url": criteria_url if isinstance(criteria_url, str) else achievement.get("id"),
        "awarded": parse_datetime(credential.get("awardedDate") or credential.get("validFrom")),
    }


def _compose(
    session: Session, runtime: Runtime, row: Delivery, award: Award, now: datetime
) -> EmailMessage:
    """The message for ``row`` (a claim token is minted into the session for a claim)."""
    facts = _facts(runtime, session, award)
    environment, chosen = _environment(facts["achievement_language"])
    context: dict[str, Any] = {**facts, "language": chosen}
    if row.kind == DeliveryKind.claim:
        ttl = timedelta(days=runtime.settings.claim_link_days)
        token = mint_claim_token(session, award=award, now=now, ttl=ttl)
        context |= {"claim_url": runtime.urls.claim(token), "expires": now + ttl}
        template = "claim"
        subject = chosen.gettext("%(achievement)s from %(issuer)s") % {
            "achievement": facts["achievement"],
            "issuer": facts["issuer"],
        }
    else:
        context |= {"revoked": row.kind == DeliveryKind.revoked_notice}
        template = "notice"
        wording = (
            chosen.gettext("Revoked: %(achievement)s from %(issuer)s")
            if row.kind == DeliveryKind.revoked_notice
            else chosen.gettext("Suspended: %(achievement)s from %(issuer)s")
        )
        subject = wording % {
            "achievement": facts["achievement"],
            "issuer": facts["issuer"],
        }
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = runtime.settings.smtp_from or ""
    message["To"] = Address(addr_spec=row.recipient)
    if facts["reply_to"]:
        message["Reply-To"] = facts["reply_to"]
    message["Message-ID"] = row.message_id
    message["Date"] = rfc2822_date(as_utc(now))
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = chosen.code
    message.set_content(environment.get_template(f"email/{template}.txt").render(**context))
    message.add_alternative(
        environment.get_template(f"email/{template}.html").render(**context), subtype="html"
    )
    return message
