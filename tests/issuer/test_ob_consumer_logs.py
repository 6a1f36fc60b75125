"""The callback's ``code`` and ``state`` never reach a log line: uvicorn's access log writes the
query string, so :mod:`issuer.log_redaction` redacts those values on ``/ob-api/callback``."""

from __future__ import annotations

import logging

import pytest

from issuer.log_redaction import REDACTED, SecretPathFilter, redact_path


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        (
            "/ob-api/callback?code=SECRETCODE&state=SECRETSTATE",
            f"/ob-api/callback?code={REDACTED}&state={REDACTED}",
        ),
        (
            "/ob-api/callback?state=SECRETSTATE&error=access_denied",
            f"/ob-api/callback?state={REDACTED}&error=access_denied",
        ),
        (
            '"GET /ob-api/callback?CODE=SECRETCODE&x=1 HTTP/1.1" 200',
            f'"GET /ob-api/callback?CODE={REDACTED}&x=1 HTTP/1.1" 200',
        ),
        (
            "/ob-api/callback?%63ode=SECRETCODE&st%61te=SECRETSTATE",
            f"/ob-api/callback?code={REDACTED}&state={REDACTED}",
        ),
        (
            "/ob-api/c%61llback?code=SECRETCODE",
            f"/ob-api/callback?code={REDACTED}",
        ),
        # elsewhere a "code" is not ours to hide, and the path's own tail is kept
        ("/oid4vci/token?code=visible", "/oid4vci/token?code=visible"),
        ("/ob-api/callback", "/ob-api/callback"),
    ],
)
def test_callback_secrets_are_redacted(logged: str, expected: str) -> None:
    assert redact_path(logged) == expected
    assert "SECRET" not in redact_path(logged)


def test_the_claim_paths_are_still_redacted_alongside() -> None:
    text = "/claim/TOKEN then /ob-api/callback?code=C0DE&state=ST4TE"
    assert (
        redact_path(text)
        == f"/claim/{REDACTED} then /ob-api/callback?code={REDACTED}&state={REDACTED}"
    )


def test_the_access_log_record_is_rewritten() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/ob-api/callback?code=SECRETCODE&state=SECRETSTATE", "1.1", 200),
        None,
    )
    assert SecretPathFilter().filter(record)
    assert "SECRET" not in record.getMessage()
