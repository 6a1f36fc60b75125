"""No claim token in a log line or an error answer.

A claim link's token opens the educator's claim page, so ``microcred serve`` must not write it
to uvicorn's access log (which records every path) nor to ours, and no 404 page, error detail or
503 may echo it. The end-to-end test runs the real command and reads everything it printed.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

import httpx
import pytest
import sqlalchemy.exc
from uvicorn.logging import AccessFormatter

from issuer.log_redaction import SecretPathFilter, redact_path
from tests.issuer.serve_support import cli_environment, serving


def _token() -> str:
    return secrets.token_urlsafe(24)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/claim/abc-DEF_123", "/claim/…"),
        ("/claim/abc/send-new-link", "/claim/…/send-new-link"),
        ("/claim/abc?utm=x", "/claim/…?utm=x"),
        ("/cl%61im/abc", "/claim/…"),
        ('GET /claim/abc HTTP/1.1"', 'GET /claim/… HTTP/1.1"'),
        ("/credentials/abc", "/credentials/abc"),
        ("/claim/", "/claim/"),
        ("/exchanges/Xy_9?iuv=1", "/exchanges/…?iuv=1"),
        ("/exchanges/Xy_9/direct", "/exchanges/…/direct"),
        ("/oid4vci/offers/Zz-8", "/oid4vci/offers/…"),
        ("/oid4vci/token", "/oid4vci/token"),
        ("/ex%63hanges/Xy_9", "/exchanges/…"),
    ],
)
def test_redact_path(path: str, logged: str) -> None:
    assert redact_path(path) == logged


def test_the_filter_redacts_uvicorns_access_record() -> None:
    token = _token()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/claim/{token}", "1.1", 200),
        None,
    )
    assert SecretPathFilter().filter(record) is True  # redacted, never dropped
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert line == '127.0.0.1:5000 - "GET /claim/… HTTP/1.1" 200 OK'


def test_no_answer_echoes_a_token(client: Any) -> None:
    token = _token()
    answers = [
        client.get(f"/claim/{token}", headers={"accept": "text/html"}),
        client.get(f"/claim/{token}/anything", headers={"accept": "text/html"}),  # 404 page
        client.get(f"/claim/{token}/anything", headers={"accept": "application/json"}),
        client.post(f"/claim/{token}"),  # 405
        client.get(f"/claim/{token}{'x' * 100}"),  # too long: 404
        client.get(f"/claim/{token}%C3%A9"),  # not URL-safe base64
    ]
    for answer in answers:
        assert answer.status_code in (404, 405), answer
        # The language switch links to the very page the reader has open (``?lang=es``): the
        # reader's own link, not an echo. Nothing else may carry the token.
        text = re.sub(r'<nav class="languages".*?</nav>', "", answer.text, flags=re.S)
        assert token not in text, text


def test_a_database_outage_on_a_claim_page_logs_the_redacted_path(
    client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unavailable(*_: Any, **__: Any) -> Any:
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr("issuer.api.routes.claims.resolve_claim_token", unavailable)
    token = _token()
    answer = client.get(f"/claim/{token}")
    assert answer.status_code == 503 and token not in answer.text
    assert "database unavailable (GET /claim/…)" in caplog.text
    assert token not in caplog.text


@pytest.mark.e2e
def test_serve_logs_claim_paths_without_the_token(tmp_path: Any) -> None:
    tokens = [_token() for _ in range(7)]
    with serving(cli_environment(tmp_path / "data")) as served:
        for path in (
            f"/claim/{tokens[0]}",
            f"/claim/{tokens[1]}/send-new-link",
            f"/claim/{tokens[2]}?from=email",
            f"/cl%61im/{tokens[3]}",
            f"/exchanges/{tokens[4]}?iuv=1",
            f"/exchanges/{tokens[5]}/direct",
            f"/oid4vci/offers/{tokens[6]}",
        ):
            assert httpx.get(served.base + path).status_code in (404, 405)
    for token in tokens:
        assert token not in served.output
    # The access log still says what was asked, without the secret part.
    assert 'GET /claim/… HTTP/1.1" 404' in served.output
    assert 'GET /claim/…/send-new-link HTTP/1.1" 404' in served.output
    assert 'GET /claim/…?from=email HTTP/1.1" 404' in served.output
    assert "GET /exchanges/…?iuv=1 HTTP/1.1" in served.output
    assert "GET /oid4vci/offers/… HTTP/1.1" in served.output
