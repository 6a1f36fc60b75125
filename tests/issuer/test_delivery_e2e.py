"""The job worker really runs inside ``microcred serve``: an award made by a separate
``microcred award`` process on the same data directory is emailed by the running service, and
the link in the email opens the claim page over HTTP."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.issuer.serve_support import cli_command, cli_environment, serving
from tests.issuer.smtp_support import SmtpServer

#: How long the email may take to arrive once the award has committed (the worker polls at
#: least once a second).
ARRIVAL_S = 10


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.mark.e2e
def test_an_award_made_by_the_cli_is_emailed_by_the_running_service(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    env = cli_environment(
        tmp_path / "data",
        MICROCRED_SMTP_HOST="127.0.0.1",
        MICROCRED_SMTP_PORT=str(smtp.port),
        MICROCRED_SMTP_TLS="none",
        MICROCRED_SMTP_FROM="Credentials Office <credentials@ped.nm.example>",
    )
    with serving(env, demo=True) as served:
        awarded = subprocess.run(
            cli_command(
                "award",
                "classroom-environment",
                "--recipient-email",
                "maria.lopez@schools.nm.example",
                "--recipient-name",
                "María López",
                "--score",
                "92",
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert awarded.returncode == 0, awarded.stderr
        committed = time.monotonic()
        while not smtp.messages:
            assert time.monotonic() - committed < ARRIVAL_S, "no email from the service's worker"
            time.sleep(0.1)
        arrival = time.monotonic() - committed
        [message] = smtp.messages
        assert message["To"] == "maria.lopez@schools.nm.example"
        text = message.get_body(("plain",)).get_content()
        [link] = re.findall(rf"{re.escape(served.base)}/claim/[A-Za-z0-9_-]+", text)
        page = httpx.get(link, headers={"accept": "text/html"}, timeout=10)
        assert page.status_code == 200
        assert "Classroom Environment" in page.text and "María López" in page.text
    token = link.rsplit("/", 1)[1]
    assert token not in served.output  # the worker's and the access log's lines
    assert 'GET /claim/… HTTP/1.1" 200' in served.output
    print(f"email arrived {arrival:.2f} s after the CLI's award returned")
