"""``microcred serve --tls-cert --tls-key``: HTTPS without a proxy, checked over a real socket.

A self-signed certificate for 127.0.0.1 is made with ``cryptography`` (``tls_support``), the
service started on a free port in its own process and data directory, and one VC-API request
made over HTTPS with that certificate as the only trusted authority.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from microcred.cli import app as microcred
from tests.issuer.support import TEST_KEK
from tests.issuer.tls_support import self_signed
from tests.ports import free_port

STARTUP_S = 60


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    env |= {"MICROCRED_DATA_DIR": str(data_dir), "MICROCRED_KEY_ENCRYPTION_KEY": TEST_KEK}
    return env


def test_serve_answers_https_with_the_given_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from microcred.cli import main; main()",
        "serve",
        "--port",
        str(port),
        "--no-demo",
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
    ]
    process = subprocess.Popen(
        command,
        env=_environment(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    trusted = ssl.create_default_context(cafile=str(cert))
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                health = httpx.get(f"{base}/healthz", verify=trusted, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("the service did not start listening on HTTPS in time")
                time.sleep(0.2)
        assert health.status_code == 200
        response = httpx.post(
            f"{base}/credentials/verify", json={"verifiableCredential": None}, verify=trusted
        )
        assert response.status_code == 400
        assert response.json()["verified"] is False
        # Ids are built on the https address it serves (no MICROCRED_BASE_URL given), so the
        # first issuer is a did:web on it.
        index = httpx.get(f"{base}/", verify=trusted).text
        assert f"did:web:127.0.0.1%3A{port}:issuers:" in index
        # The certificate is what the client checked: without trusting it, the handshake fails.
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/healthz", timeout=2)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
    assert f"listening on https://127.0.0.1:{port}" in output


def test_tls_cert_without_key_is_refused(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    result = CliRunner().invoke(
        microcred, ["serve", "--tls-cert", str(cert)], env=_environment(tmp_path / "data")
    )
    assert result.exit_code == 64, result.output
    assert "--tls-cert and --tls-key go together" in result.output
