"""No sign-in link token in a log line or an answer: ``/sign-in/<token>`` is logged as
``/sign-in/…`` (issuer.log_redaction), our own log lines never name it, and ``microcred
serve``'s access log shows the redacted path."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.log_redaction import SecretPathFilter, redact_path
from issuer.runtime import Runtime
from tests.issuer import test_delivery
from tests.issuer.serve_support import cli_environment, serving
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.test_learner_sign_in import HTML, ask, csrf_of, send_owed, token_in

smtp = test_delivery.smtp
settings = test_delivery.settings
clock = test_delivery.clock
runtime = test_delivery.runtime


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/sign-in/abc-DEF_123", "/sign-in/…"),
        ("/sign-in/abc?x=1", "/sign-in/…?x=1"),
        ("/sign-%69n/abc", "/sign-in/…"),
        ("/sign-in", "/sign-in"),
        ("/sign-in?next=%2Fme", "/sign-in?next=%2Fme"),
        ("/sign-out", "/sign-out"),
    ],
)
def test_redact_sign_in_paths(path: str, logged: str) -> None:
    assert redact_path(path) == logged


def test_a_whole_sign_in_logs_no_token(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ask(client, "ana.educator@schools.nm.example")
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    page = client.get(f"/sign-in/{token}", headers=HTML)
    done = client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    cookie = done.cookies.get("microcred_session")
    assert done.status_code == 303 and cookie
    client.post(f"/sign-in/{token}", data={"csrf_token": csrf_of(page)})  # spent: 410 page
    # The service's own lines: not the test's SMTP server (aiosmtpd logs the message it
    # receives) nor the test's HTTP client (httpx logs the URL it was asked to fetch).
    lines = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("mail.log", "httpx"))
    )
    assert "sign-in link" in lines  # the worker did log what it did…
    for secret in (token, cookie):
        assert secret not in lines  # …but no secret
    # uvicorn's access log line for the same request, through the filter.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", f"/sign-in/{token}", "1.1", 303),
        None,
    )
    SecretPathFilter().filter(record)
    assert token not in record.getMessage() and "/sign-in/…" in record.getMessage()


def test_no_answer_echoes_a_token(client: TestClient, runtime: Runtime) -> None:
    token = secrets.token_urlsafe(24)
    for answer in (
        client.get(f"/sign-in/{token}", headers=HTML),
        client.post(f"/sign-in/{token}", data={}),  # no CSRF token: 403
        client.get(f"/sign-in/{token}/x", headers=HTML),  # 404 page
    ):
        assert answer.status_code in (403, 404)
        # The language switch links to the very page the reader has open: the reader's own
        # link, not an echo. Nothing else may carry the token.
        text = re.sub(r'<nav class="languages".*?</nav>', "", answer.text, flags=re.S)
        assert token not in text


@pytest.mark.e2e
def test_serve_logs_sign_in_paths_without_the_token(tmp_path: Any) -> None:
    tokens = [secrets.token_urlsafe(24) for _ in range(2)]
    with serving(cli_environment(tmp_path / "data")) as served:
        assert httpx.get(f"{served.base}/sign-in/{tokens[0]}").status_code == 404
        assert httpx.post(f"{served.base}/sign-in/{tokens[1]}").status_code == 403
    for token in tokens:
        assert token not in served.output
    assert 'GET /sign-in/… HTTP/1.1" 404' in served.output
    assert 'POST /sign-in/… HTTP/1.1" 403' in served.output
