"""Signing an educator in by an email link: asking for a link, the email, spending the link.

No passwords: owning the mailbox is the proof, and any address may sign in (there is no list
of learners to be on). The flow:

1. :func:`request_sign_in` (``POST /sign-in``) records a :class:`~issuer.models.SignInLink`
   row for the address — no token yet — and the route hands its id to the job queue after the
   commit. It answers the same whatever the address (a learner row is made only when a link is
   used), and at most :data:`LINKS_PER_HOUR` rows per address per hour are made: more are
   silently not made, so the page still says nothing about the address, and nobody can make
   the service mail-bomb an inbox.
2. :func:`send_sign_in_link` (the job) *takes* the row with one conditional UPDATE that stores
   the SHA-256 of a freshly minted 192-bit token (so a job run twice sends once), commits, and
   sends the email: the raw token exists in the email alone, never in the queue, a log line or
   the database. The link lives :data:`LINK_LIFETIME` from then.
3. :func:`peek_link` (``GET /sign-in/{token}``) says whether a link is good *without spending
   it*: mail scanners follow links with GET, and must not use up the educator's sign-in.
4. :func:`spend_link` (``POST /sign-in/{token}``) spends it with one conditional UPDATE
   (``used_at IS NULL AND expires_at > now``): of two POSTs at once, one signs in.

A temporary SMTP failure gives the row back (token withdrawn) and retries a minute later
while the link would still be worth sending; the periodic sweep (:func:`owed_links`) hands
over rows a lost job left. A worker that dies after minting and before the server accepted
the message leaves a link nobody received: the educator asks again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models.learners import Learner, SignInLink
from issuer.services.badge_design import TEMPLATES, configure_pages
from issuer.services.context import Runtime
from issuer.services.learners import learner_for_email, normalize_email, token_hash
from issuer.services.mail import MailError, send_message
from microcred.i18n import Pages, language
from schemas.dates import as_utc

__all__ = [
    "LINKS_PER_HOUR",
    "LINK_LIFETIME",
    "LinkState",
    "SpentLink",
    "Transport",
    "owed_links",
    "peek_link",
    "request_sign_in",
    "send_sign_in_link",
    "sign_in_url",
    "spend_link",
]

log = logging.getLogger("microcred.issuer.sign_in")

#: How long a sign-in link works once sent.
LINK_LIFETIME = timedelta(minutes=15)
#: Links one address may be sent per hour (asked for, counted before any is sent).
LINKS_PER_HOUR = 5
#: Random bytes in a link's token (192 bits; 32 URL-safe characters).
TOKEN_BYTES = 24
_MAX_TOKEN_LENGTH = 64
#: Wait before trying a link's email again after a temporary failure.
_RETRY = timedelta(minutes=1)

Transport = Any  # Callable[[Settings, EmailMessage], None], as deliveries' transport


def sign_in_url(runtime: Runtime, token: str) -> str:
    """The link an email carries: ``{base}/sign-in/{token}``."""
    return f"{runtime.urls.base}/sign-in/{token}"


def _lock_address(session: Session, email: str) -> None:
    """Serialise requests for one address in this transaction (the per-address count must
    hold under concurrent requests): SQLite's writer lock is taken by :func:`begin_write`;
    PostgreSQL takes a transaction-scoped advisory lock on the address."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sign-in:{email}"}
        )


def request_sign_in(
    session: Session,
    *,
    email: str,
    next_path: str | None,
    language_code: str,
    now: datetime,
) -> int | None:
    """Record a sign-in link owed to ``email`` and commit; its row id for the job queue, or
    None when the address had :data:`LINKS_PER_HOUR` links this past hour already (nothing
    is made; the caller answers exactly as if it had been)."""
    address = normalize_email(email)
    begin_write(session)
    _lock_address(session, address)
    recent = session.exec(
        select(func.count())
        .select_from(SignInLink)
        .where(
            col(SignInLink.email) == address,
            col(SignInLink.created_at) > now - timedelta(hours=1),
        )
    ).one()
    if recent >= LINKS_PER_HOUR:
        session.rollback()
        log.info("sign-in link not sent: the hourly limit for one address was reached")
        return None
    row = SignInLink(
        email=address,
        next_path=next_path,
        language=language_code,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def owed_links(session: Session, *, now: datetime, grace: timedelta) -> list[int]:
    """Rows asked for more than ``grace`` ago whose email was never sent nor its token minted,
    and still worth sending (younger than :data:`LINK_LIFETIME`): what a lost job left."""
    ids = session.exec(
        select(SignInLink.id).where(
            col(SignInLink.token_hash).is_(None),
            col(SignInLink.sent_at).is_(None),
            col(SignInLink.created_at) <= now - grace,
            col(SignInLink.created_at) > now - LINK_LIFETIME,
        )
    ).all()
    session.commit()
    return [i for i in ids if i is not None]


@dataclass(frozen=True)
class SendResult:
    """What one run of :func:`send_sign_in_link` did: ``sent``; or ``retry_at`` (a temporary
    failure); or neither (not this run's to send, or a permanent failure)."""

    sent: bool
    retry_at: datetime | None = None


def send_sign_in_link(
    *,
    session: Session,
    runtime: Runtime,
    link_id: int,
    transport: Transport = send_message,
) -> SendResult:
    """Mint the link's token, store its hash, commit, and email it (module docstring)."""
    now = runtime.clock()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = token_hash(token)
    begin_write(session)
    taken = session.connection().execute(
        update(SignInLink)
        .where(
            col(SignInLink.id) == link_id,
            col(SignInLink.token_hash).is_(None),
            col(SignInLink.sent_at).is_(None),
            col(SignInLink.used_at).is_(None),
            col(SignInLink.created_at) > now - LINK_LIFETIME,
        )
        .values(token_hash=digest, expires_at=now + LINK_LIFETIME)
    )
    session.commit()
    if taken.rowcount != 1:
        return SendResult(sent=False)
    row = session.get(SignInLink, link_id)
    assert row is not None
    message = _compose(runtime, row, token, now)
    try:
        transport(runtime.settings, message)
    except MailError as error:
        return _failed(session, runtime, row, digest, error)
    begin_write(session)
    session.connection().execute(
        update(SignInLink).where(col(SignInLink.id) == link_id).values(sent_at=runtime.clock())
    )
    session.commit()
    log.info("sign-in link %d sent", link_id)
    return SendResult(sent=True)


def _failed(
    session: Session, runtime: Runtime, row: SignInLink, digest: str, error: MailError
) -> SendResult:
    """Withdraw the token that was not delivered; retry a temporary failure while the link
    would still be worth having."""
    begin_write(session)
    session.connection().execute(
        update(SignInLink)
        .where(col(SignInLink.id) == row.id, col(SignInLink.token_hash) == digest)
        .values(token_hash=None)
    )
    session.commit()
    retry_at = runtime.clock() + _RETRY
    if error.temporary and retry_at < as_utc(row.created_at) + LINK_LIFETIME:
        log.warning("sign-in link %d: sending failed, retrying: %s", row.id, error.reply)
        return SendResult(sent=False, retry_at=retry_at)
    log.error("sign-in link %d could not be sent: %s", row.id, error.reply)
    return SendResult(sent=False)


class LinkState:
    """What a link's token is: ``good``, ``gone`` (expired or already used) or ``unknown``."""

    good = "good"
    gone = "gone"
    unknown = "unknown"


def _find(session: Session, token: str) -> SignInLink | None:
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    digest = token_hash(token)
    return session.exec(select(SignInLink).where(col(SignInLink.token_hash) == digest)).first()


def peek_link(session: Session, token: str, *, now: datetime) -> str:
    """The :class:`LinkState` of ``token``, spending nothing (a mail scanner's GET)."""
    row = _find(session, token)
    if row is None:
        return LinkState.unknown
    if row.used_at is not None or as_utc(row.expires_at) <= as_utc(now):
        return LinkState.gone
    return LinkState.good


@dataclass(frozen=True)
class SpentLink:
    """A link just spent: who signed in, and where they go next."""

    learner: Learner
    next_path: str | None


def spend_link(session: Session, token: str, *, now: datetime) -> SpentLink | str:
    """Spend ``token``: one conditional UPDATE, so of two POSTs at once exactly one gets the
    :class:`SpentLink` (its learner made if needed and flushed; the caller opens the session
    and commits). Otherwise the :class:`LinkState` it was (``gone`` or ``unknown``)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return LinkState.unknown
    digest = token_hash(token)
    begin_write(session)
    spent = session.connection().execute(
        update(SignInLink)
        .where(
            col(SignInLink.token_hash) == digest,
            col(SignInLink.used_at).is_(None),
            col(SignInLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        session.rollback()
        return peek_link(session, token, now=now)
    row = session.exec(select(SignInLink).where(col(SignInLink.token_hash) == digest)).one()
    learner = learner_for_email(session, email=row.email, now=now)
    return SpentLink(learner=learner, next_path=row.next_path)


# ------------------------------------------------------------------------------ the message


@cache
def _pages() -> Pages:
    return Pages(TEMPLATES, configure=configure_pages)


def _compose(runtime: Runtime, row: SignInLink, token: str, now: datetime) -> EmailMessage:
    chosen = language(row.language)
    environment = _pages().environment(chosen)
    context: dict[str, Any] = {
        "language": chosen,
        "sign_in_url": sign_in_url(runtime, token),
        "minutes": int(LINK_LIFETIME.total_seconds() // 60),
        "host": urlsplit(runtime.urls.base).netloc,
    }
    message = EmailMessage()
    subject = chosen.gettext("Your sign-in link for %(host)s") % {"host": context["host"]}
    message["Subject"] = " ".join(subject.split())
    message["From"] = runtime.settings.smtp_from or ""
    message["To"] = Address(addr_spec=row.email)
    message["Message-ID"] = make_msgid(domain=urlsplit(runtime.urls.base).hostname or None)
    message["Date"] = rfc2822_date(as_utc(now))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(environment.get_template("email/sign_in.txt").render(**context))
    message.add_alternative(
        environment.get_template("email/sign_in.html").render(**context), subtype="html"
    )
    # After the body: set_content / add_alternative move Content-* headers to the parts.
    message["Content-Language"] = chosen.code
    return message
