"""The SMTP security settings against a real server (aiosmtpd): STARTTLS, implicit TLS and AUTH,
with a self-signed certificate made here and trusted through ``MICROCRED_SMTP_CA_FILE`` only.

A wrong password is a temporary (configuration) failure kept on the delivery row with the
server's reply, and the password is nowhere: not in any table, log line or CLI output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

from issuer.models import Issuer
from issuer.runtime import Runtime, start
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.support import clean, cli_env, make_issuer, run_cli
from tests.issuer.test_delivery import FROM, Clock, award_one, rows, send_all, smtp_settings
from tests.issuer.tls_support import self_signed, server_context

# Implicit TLS: aiosmtpd sees no STARTTLS, so the fixture cannot ask it to require TLS for AUTH
# (the whole connection is TLS) and it warns; the warning is about its own configuration.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER = "mailer"
PASSWORD = "Pw-7f3a9c1e-correct-horse"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _service(engine: Engine, settings: Settings, clock: Clock) -> tuple[Runtime, Session, Issuer]:
    clean(engine)
    runtime = start(settings, engine, migrate_schema=False, clock=clock)
    session = Session(engine)
    issuer = make_issuer(session, runtime)
    load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
    return runtime, session, issuer


@pytest.fixture
def tls_server(certificate: tuple[Path, Path], request: Any) -> Iterator[SmtpServer]:
    implicit = request.param == "tls"
    server = SmtpServer(
        credentials=(USER, PASSWORD),
        tls_context=server_context(*certificate),
        implicit_tls=implicit,
    ).start()
    yield server
    server.stop()


@pytest.mark.parametrize("tls_server", ["starttls", "tls"], indirect=True)
def test_tls_and_auth_deliver_with_the_configured_authority(
    database_url: str,
    tmp_path: Path,
    engine: Engine,
    clock: Clock,
    certificate: tuple[Path, Path],
    tls_server: SmtpServer,
) -> None:
    mode = "tls" if tls_server.implicit_tls else "starttls"
    settings = smtp_settings(
        database_url,
        tmp_path,
        tls_server,
        smtp_tls=mode,
        smtp_user=USER,
        smtp_password=PASSWORD,
        smtp_ca_file=certificate[0],
    )
    runtime, session, issuer = _service(engine, settings, clock)
    with session:
        made = award_one(session, runtime, issuer)
        [outcome] = send_all(session, runtime)
        assert outcome.status == "sent", rows(session)[0].last_error
        [message] = tls_server.messages
        assert message["To"] == made.recipient_email
        assert tls_server.logins == [USER]  # AUTH happened, over TLS (the server requires it)


@pytest.mark.parametrize("tls_server", ["starttls", "tls"], indirect=True)
def test_a_certificate_no_configured_authority_vouches_for_is_refused(
    database_url: str, tmp_path: Path, engine: Engine, clock: Clock, tls_server: SmtpServer
) -> None:
    mode = "tls" if tls_server.implicit_tls else "starttls"
    settings = smtp_settings(  # no MICROCRED_SMTP_CA_FILE: the system's authorities
        database_url, tmp_path, tls_server, smtp_tls=mode, smtp_user=USER, smtp_password=PASSWORD
    )
    runtime, session, issuer = _service(engine, settings, clock)
    with session:
        award_one(session, runtime, issuer)
        [outcome] = send_all(session, runtime)
        assert outcome.status == "queued" and outcome.retry_at is not None  # retried later
        [row] = rows(session)
        assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error
        assert tls_server.messages == [] and tls_server.logins == []


@pytest.mark.parametrize("tls_server", ["starttls"], indirect=True)
def test_a_wrong_password_is_kept_as_the_servers_reply_and_is_nowhere(
    database_url: str,
    tmp_path: Path,
    engine: Engine,
    clock: Clock,
    certificate: tuple[Path, Path],
    tls_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wrong-pw-5d1b8e2a"
    settings = smtp_settings(
        database_url,
        tmp_path,
        tls_server,
        smtp_tls="starttls",
        smtp_user=USER,
        smtp_password=wrong,
        smtp_ca_file=certificate[0],
    )
    runtime, session, issuer = _service(engine, settings, clock)
    with session:
        made = award_one(session, runtime, issuer)
        [outcome] = send_all(session, runtime)
        # A configuration problem, not the message's: retried after the back-off.
        assert outcome.status == "queued" and outcome.retry_at is not None
        [row] = rows(session)
        assert row.attempts == 1
        assert row.last_error == "535 5.7.8 Authentication credentials invalid"
        assert tls_server.messages == []

        env = cli_env(
            settings,
            MICROCRED_SMTP_HOST="127.0.0.1",
            MICROCRED_SMTP_PORT=str(tls_server.port),
            MICROCRED_SMTP_TLS="starttls",
            MICROCRED_SMTP_USER=USER,
            MICROCRED_SMTP_PASSWORD=wrong,
            MICROCRED_SMTP_FROM=FROM,
            MICROCRED_SMTP_CA_FILE=str(certificate[0]),
        )
        shown = run_cli(env, "credentials", "show", str(made.id))
        assert "last reply: 535 5.7.8 Authentication credentials invalid" in shown.stderr
        queued = run_cli(env, "deliver", str(made.id))
        listed = run_cli(env, "credentials", "list")

        stored = _every_stored_value(session)
    assert "535 5.7.8" in stored  # the dump below does see the delivery rows
    for text in (stored, caplog.text, shown.stdout + shown.stderr, queued.output, listed.output):
        assert wrong not in text
    assert wrong not in repr(settings) and wrong not in str(settings.model_dump())


def _every_stored_value(session: Session) -> str:
    """Every value of every row of every table, as text."""
    session.commit()
    return "\n".join(
        repr(tuple(row))
        for table in SQLModel.metadata.sorted_tables
        for row in session.execute(select(table))
    )
