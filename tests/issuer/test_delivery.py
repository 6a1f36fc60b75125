"""Delivery by email through a real SMTP server (aiosmtpd): what is queued, what arrives, and
what an outage, a refusal or a crash mid-send does. Storage on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from issuer.models import (
    Award,
    AwardCreate,
    ClaimToken,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Issuer,
)
from issuer.runtime import Runtime, start
from issuer.services import deliveries
from issuer.services.awards import award
from issuer.services.claims import ClaimLinkGone, claim_token_hash, resolve_claim_token
from issuer.services.demo import load_demo_catalog
from issuer.services.errors import Conflict, Unavailable
from issuer.services.status import revoke, suspend
from issuer.settings import Settings
from schemas.dates import utcnow
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.support import (
    BASE_URL,
    GOOD_AWARD,
    ISSUER,
    TEST_KEK,
    award_http,
    bearer,
    clean,
    cli_env,
    make_issuer,
    run_cli,
)

FROM = "Credentials Office <credentials@ped.nm.example>"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def smtp_settings(database_url: str, tmp_path: Path, server: SmtpServer, **extra: Any) -> Settings:
    fields: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_tls": "none",
        "smtp_from": FROM,
        "smtp_timeout_seconds": 5,
    }
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
        **(fields | extra),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: SmtpServer) -> Settings:
    return smtp_settings(database_url, tmp_path, smtp)


@pytest.fixture
def runtime(settings: Settings, engine: Engine, clock: Clock) -> Runtime:
    clean(engine)
    return start(settings, engine, migrate_schema=False, clock=clock)


@pytest.fixture
def issuer(session: Session, runtime: Runtime) -> Issuer:
    row = make_issuer(session, runtime, image="https://ped.nm.example/logo.png")
    load_demo_catalog(session=session, runtime=runtime, issuer=row)
    return row


def award_one(session: Session, runtime: Runtime, issuer: Issuer, **fields: Any) -> Award:
    request = AwardCreate(**{**GOOD_AWARD, **fields})
    return award(session=session, runtime=runtime, issuer=issuer, request=request).award


def rows(session: Session, award_id: uuid.UUID | None = None) -> list[Delivery]:
    session.commit()  # a new snapshot: what other sessions and processes committed since
    query = select(Delivery).order_by(col(Delivery.id))
    if award_id is not None:
        query = query.where(col(Delivery.award_id) == award_id)
    return list(session.exec(query))


def send_all(session: Session, runtime: Runtime) -> list[deliveries.SendOutcome]:
    return [
        deliveries.send_delivery(session=session, runtime=runtime, delivery_id=row.id or 0)
        for row in rows(session)
    ]


def test_an_award_queues_one_claim_email_that_arrives_with_a_working_link(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer, clock: Clock
) -> None:
    made = award_one(session, runtime, issuer)
    [row] = rows(session, made.id)
    assert (row.kind, row.status, row.recipient) == ("claim", "queued", made.recipient_email)
    # The hook is idempotent: the owed work run again queues nothing more.
    deliveries.queue_claim_after_award(made, _context(session, runtime, issuer))
    assert len(rows(session)) == 1
    # Nothing secret went into the queue or the row: no token exists until the job runs.
    assert session.exec(select(ClaimToken)).first() is None

    [outcome] = send_all(session, runtime)
    assert outcome.status is DeliveryStatus.sent
    [message] = smtp.messages
    assert message["From"] == FROM
    assert message["To"] == made.recipient_email
    assert message["Reply-To"] == "licensure@ped.nm.example"
    assert message["Message-ID"] == row.message_id
    assert message["Subject"] == (
        "Classroom Environment from New Mexico Public Education Department"
    )
    assert smtp.envelopes == [("credentials@ped.nm.example", [made.recipient_email])]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [link] = re.findall(r"https://issuer\.test/claim/[A-Za-z0-9_-]+", text)
    assert f'href="{link}"' in html and "View and claim" in html and "View and claim" in text
    assert 'src="https://ped.nm.example/logo.png"' in html
    expiry = (clock.now + timedelta(days=30)).strftime("%B %-d, %Y")
    assert expiry in text
    # The link opens this award, and says nothing about it: no name, email or credential id.
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22
    assert resolve_claim_token(session, token, now=clock.now).id == made.id
    for personal in ("maria", "lopez", "López", str(made.id), "@"):
        assert personal.lower() not in link.lower()
        assert personal.lower() not in message["Subject"].lower()
    # Only the hash is stored.
    [stored] = session.exec(select(ClaimToken)).all()
    assert stored.token_hash == claim_token_hash(token) and token not in stored.token_hash
    assert rows(session)[0].status == "sent"


def _context(session: Session, runtime: Runtime, issuer: Issuer) -> Any:
    from issuer.services.context import PostAwardContext

    achievement = None
    return PostAwardContext(
        session=session,
        runtime=runtime,
        issuer=issuer,
        achievement=achievement,  # type: ignore[arg-type]
    )


def test_a_job_run_twice_sends_once(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer
) -> None:
    made = award_one(session, runtime, issuer)
    [row] = rows(session, made.id)
    first = deliveries.send_delivery(session=session, runtime=runtime, delivery_id=row.id or 0)
    again = deliveries.send_delivery(session=session, runtime=runtime, delivery_id=row.id or 0)
    assert (first.status, again.status) == (DeliveryStatus.sent, None)
    assert len(smtp.messages) == 1


def test_an_outage_is_retried_with_back_off_and_sent_once_the_server_is_back(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer, clock: Clock
) -> None:
    made = award_one(session, runtime, issuer)
    smtp.stop()
    [outcome] = send_all(session, runtime)
    assert outcome.status is DeliveryStatus.queued
    assert outcome.retry_at == clock.now + timedelta(minutes=1)
    [row] = rows(session, made.id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "cannot connect to 127.0.0.1" in (row.last_error or "")
    # Not due yet: a job that runs early does nothing.
    assert send_all(session, runtime)[0].status is None
    clock.advance(timedelta(minutes=1))
    assert send_all(session, runtime)[0].status is DeliveryStatus.queued  # still down: 5 min
    assert rows(session)[0].next_attempt_at.replace(tzinfo=None) == (
        clock.now + timedelta(minutes=5)
    ).replace(tzinfo=None)
    smtp.start()
    clock.advance(timedelta(minutes=5))
    assert send_all(session, runtime)[0].status is DeliveryStatus.sent
    [row] = rows(session)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(smtp.messages) == 1


def test_a_temporary_refusal_is_retried_until_the_back_off_runs_out(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer, clock: Clock
) -> None:
    award_one(session, runtime, issuer)
    smtp.refuse_rcpt = "451 4.3.0 Mailbox temporarily unavailable"
    statuses = []
    for wait in (*deliveries.BACKOFF, timedelta(0)):
        statuses.append(send_all(session, runtime)[0].status)
        clock.advance(wait)
    assert statuses == [DeliveryStatus.queued] * 5 + [DeliveryStatus.failed]
    [row] = rows(session)
    assert (row.status, row.attempts) == ("failed", 6)
    assert row.last_error == "451 4.3.0 Mailbox temporarily unavailable"
    assert smtp.messages == []


def test_a_permanent_refusal_fails_at_once_with_the_reply(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer
) -> None:
    award_one(session, runtime, issuer)
    smtp.refuse_rcpt = "550 5.1.1 No such user here"
    assert send_all(session, runtime)[0].status is DeliveryStatus.failed
    [row] = rows(session)
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        1,
        "550 5.1.1 No such user here",
    )


def test_a_crash_mid_send_loses_nothing_and_sends_once(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer, clock: Clock
) -> None:
    """A worker dies after taking the row (before the server accepted anything): the row stays
    ``sending`` under its lease, no other run sends it meanwhile, and after the lease the sweep
    hands it over again and it is sent once, with the same Message-ID."""
    made = [
        award_one(session, runtime, issuer, recipient_email=f"e{i}@schools.nm.example")
        for i in range(3)
    ]
    ids = [r.id or 0 for r in rows(session)]

    def crash(_settings: Any, _message: Any) -> None:
        raise SystemExit("worker killed")

    deliveries.send_delivery(session=session, runtime=runtime, delivery_id=ids[0])
    with pytest.raises(SystemExit):
        deliveries.send_delivery(
            session=session, runtime=runtime, delivery_id=ids[1], transport=crash
        )
    session.rollback()
    assert [r.status for r in rows(session)] == ["sent", "sending", "queued"]
    # Under the lease: another run of the job does nothing; the sweep leaves it alone.
    assert (
        deliveries.send_delivery(session=session, runtime=runtime, delivery_id=ids[1]).status
        is None
    )
    assert deliveries.sweep(session=session, runtime=runtime) == []
    clock.advance(timedelta(seconds=runtime.settings.delivery_lease_seconds + 1))
    # The lease ran out: the lost one is found, and so is the one whose job never ran.
    assert deliveries.sweep(session=session, runtime=runtime) == [ids[1], ids[2]]
    for delivery_id in ids:
        deliveries.send_delivery(session=session, runtime=runtime, delivery_id=delivery_id)
    assert [r.status for r in rows(session)] == ["sent"] * 3
    assert sorted(m["To"] for m in smtp.messages) == sorted(a.recipient_email for a in made)
    for row in rows(session):
        assert len(smtp.by_message_id(row.message_id)) == 1


def test_a_resend_queues_another_message_and_a_revoked_award_none(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer, clock: Clock
) -> None:
    made = award_one(session, runtime, issuer)
    send_all(session, runtime)
    [again] = deliveries.request_deliveries(session=session, runtime=runtime, award_ids=[made.id])
    deliveries.send_delivery(session=session, runtime=runtime, delivery_id=again.id or 0)
    first, second = smtp.messages
    assert first["Message-ID"] != second["Message-ID"]
    tokens = [
        re.findall(r"/claim/([A-Za-z0-9_-]+)", m.get_body(("plain",)).get_content())[0]
        for m in smtp.messages
    ]
    # A new link does not revoke the earlier one.
    for token in tokens:
        assert resolve_claim_token(session, token, now=clock.now).id == made.id
    revoke(session, runtime, made.id, "issued in error", "test")
    with pytest.raises(Conflict, match="revoked"):
        deliveries.request_deliveries(session=session, runtime=runtime, award_ids=[made.id])


def test_revoking_or_suspending_sends_a_notice_once(
    session: Session, runtime: Runtime, issuer: Issuer, smtp: SmtpServer
) -> None:
    one = award_one(session, runtime, issuer)
    two = award_one(session, runtime, issuer, recipient_email="other@schools.nm.example")
    send_all(session, runtime)
    smtp.messages.clear()
    revoke(session, runtime, one.id, "issued in error", "test")
    revoke(session, runtime, one.id, "again", "test")  # no change: no second notice
    suspend(session, runtime, two.id, "under review", "test")
    notices = [r for r in rows(session) if r.kind != DeliveryKind.claim]
    assert [(r.award_id, r.kind) for r in notices] == [
        (one.id, "revoked_notice"),
        (two.id, "suspended_notice"),
    ]
    for row in notices:
        deliveries.send_delivery(session=session, runtime=runtime, delivery_id=row.id or 0)
    # (the stdlib folds a long Subject onto its own line; its parser keeps the fold's space)
    subjects = sorted(m["Subject"].strip() for m in smtp.messages)
    assert subjects == [
        "Revoked: Classroom Environment from New Mexico Public Education Department",
        "Suspended: Classroom Environment from New Mexico Public Education Department",
    ]
    body = smtp.messages[0].get_body(("plain",)).get_content()
    assert "/claim/" not in body


def test_notices_can_be_turned_off(
    database_url: str, tmp_path: Path, engine: Engine, smtp: SmtpServer
) -> None:
    clean(engine)
    settings = smtp_settings(database_url, tmp_path, smtp, notify_status_changes=False)
    runtime = start(settings, engine, migrate_schema=False)
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        made = award_one(session, runtime, issuer)
        revoke(session, runtime, made.id, "issued in error", "test")
        assert [r.kind for r in rows(session)] == ["claim"]


def test_without_smtp_awards_work_and_deliver_says_why_it_cannot(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    clean(engine)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
    )
    runtime = start(settings, engine, migrate_schema=False)
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        made = award_one(session, runtime, issuer)
        assert made.post_award_done_at is not None
        assert rows(session) == []
        with pytest.raises(Unavailable, match="MICROCRED_SMTP_HOST"):
            deliveries.request_deliveries(session=session, runtime=runtime, award_ids=[made.id])
        assert rows(session) == []


# ------------------------------------------------------------------------------ API and CLI


def test_the_api_lists_an_awards_emails_and_resends(
    client: Any,
    auth: dict[str, str],
    issuer: Issuer,
    session: Session,
    runtime: Runtime,
    smtp: SmtpServer,
) -> None:
    made = award_http(client, auth)
    path = f"/api/issuers/{ISSUER}/awards/{made['id']}"
    listed = client.get(f"{path}/deliveries", headers=auth)
    assert listed.status_code == 200
    assert [(d["kind"], d["status"]) for d in listed.json()] == [("claim", "queued")]
    resent = client.post(f"{path}/deliver", headers=auth)
    assert resent.status_code == 202, resent.text
    assert resent.json()["status"] == "queued"
    assert len(client.get(f"{path}/deliveries", headers=auth).json()) == 2
    send_all(session, runtime)
    shown = client.get(f"{path}/deliveries", headers=auth).json()
    assert [d["status"] for d in shown] == ["sent", "sent"] and len(smtp.messages) == 2
    unknown = client.post(f"/api/issuers/{ISSUER}/awards/{uuid.uuid4()}/deliver", headers=auth)
    assert unknown.status_code == 404
    assert client.post(f"{path}/deliver").status_code == 401
    # a resend that withdraws the earlier links: their pages say so (410), the new one works
    earlier = [_claim_token(m) for m in smtp.messages]
    withdrawn = client.post(f"{path}/deliver", params={"withdraw_links": "true"}, headers=auth)
    assert withdrawn.status_code == 202, withdrawn.text
    send_all(session, runtime)
    newest = _claim_token(smtp.messages[-1])
    for token in earlier:
        page = client.get(f"/claim/{token}", headers={"accept": "text/html"})
        assert page.status_code == 410 and "withdrawn" in page.text
    assert client.get(f"/claim/{newest}", headers={"accept": "text/html"}).status_code == 200
    revoke(session, runtime, uuid.UUID(made["id"]), "issued in error", "test")
    refused = client.post(f"{path}/deliver", headers=auth)
    assert refused.status_code == 409 and "revoked" in refused.json()["detail"]


def _claim_token(message: Any) -> str:
    """The token of the claim link in a delivered message's plain-text part."""
    found = re.findall(r"/claim/([A-Za-z0-9_-]+)", message.get_body(("plain",)).get_content())
    return str(found[0])


def test_without_smtp_the_api_and_the_cli_refuse_to_deliver(
    database_url: str, tmp_path: Path, engine: Engine
) -> None:
    from fastapi.testclient import TestClient

    from issuer.app import create_app
    from issuer.models import Scope
    from issuer.services.apikeys import create_api_key

    clean(engine)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
    )
    runtime = start(settings, engine, migrate_schema=False)
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        made = award_one(session, runtime, issuer)
        token = create_api_key(session=session, name="t", scopes=[Scope.admin], issuer=None)[1]
    app = create_app(settings, engine=engine, runtime=runtime)
    with TestClient(app, base_url=BASE_URL) as client:
        refused = client.post(
            f"/api/issuers/{ISSUER}/awards/{made.id}/deliver", headers=bearer(token)
        )
    assert refused.status_code == 409
    assert "MICROCRED_SMTP_HOST" in refused.json()["detail"]
    result = run_cli(cli_env(settings), "deliver", str(made.id), code=69)
    assert "email is not configured" in result.stderr


def test_the_cli_queues_a_resend_and_credentials_show_lists_the_emails(
    settings: Settings,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    made = award_one(session, runtime, issuer)
    env = cli_env(
        settings,
        MICROCRED_SMTP_HOST="127.0.0.1",
        MICROCRED_SMTP_PORT=str(smtp.port),
        MICROCRED_SMTP_TLS="none",
        MICROCRED_SMTP_FROM=FROM,
    )
    queued = run_cli(env, "deliver", str(made.id))
    assert f"{made.id}  delivery" in queued.stdout
    clock.advance(timedelta(minutes=1))  # the CLI queued on the system's clock
    send_all(session, runtime)
    smtp.refuse_rcpt = "550 5.1.1 No such user here"
    run_cli(env, "deliver", str(made.id)[:8])
    clock.advance(timedelta(minutes=1))
    send_all(session, runtime)
    shown = run_cli(env, "credentials", "show", str(made.id))
    lines = [line for line in shown.stderr.splitlines() if line.startswith("email ")]
    assert len(lines) == 3
    assert "claim  sent" in lines[0] and "claim  sent" in lines[1]
    assert "claim  failed" in lines[2] and "last reply: 550 5.1.1 No such user here" in lines[2]
    assert shown.stdout.lstrip().startswith("{")  # the credential itself, unchanged
    # --withdraw-links: every earlier link stops working at once
    earlier = [_claim_token(m) for m in smtp.messages]
    assert earlier
    run_cli(env, "deliver", "--withdraw-links", str(made.id))
    session.rollback()  # a new transaction sees what the CLI committed
    for token in earlier:
        with pytest.raises(ClaimLinkGone, match="withdrawn"):
            resolve_claim_token(session, token, now=clock.now)


def test_a_batch_queues_one_claim_email_per_award_it_makes(
    client: Any, auth: dict[str, str], session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    """A CSV batch over HTTP emails each educator it awards, once; a rerun of the batch
    (rows already done) queues nothing more."""
    body = (
        "Recipient Name,Recipient Email,Achievement,Score (%)\n"
        "Ana Martínez,ana.martinez@aps.nm.example,family-engagement,93%\n"
        "Daniel Begay,daniel.begay@schools.nm.example,assessment-literacy,88%\n"
    ).encode()
    headers = {**auth, "content-type": "text/csv"}
    made = client.post(f"/api/issuers/{ISSUER}/batches", content=body, headers=headers)
    assert made.status_code in (200, 201, 207), made.text
    claims = [r for r in rows(session) if r.kind == DeliveryKind.claim]
    assert sorted(r.recipient for r in claims) == [
        "ana.martinez@aps.nm.example",
        "daniel.begay@schools.nm.example",
    ]
    again = client.post(f"/api/issuers/{ISSUER}/batches", content=body, headers=headers)
    assert again.status_code in (200, 201, 207), again.text
    assert len([r for r in rows(session) if r.kind == DeliveryKind.claim]) == 2
    send_all(session, runtime)
    assert sorted(str(m["To"]) for m in smtp.messages) == [
        "ana.martinez@aps.nm.example",
        "daniel.begay@schools.nm.example",
    ]
