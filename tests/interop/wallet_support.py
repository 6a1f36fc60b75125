"""What the wallet interop tests share: running a Node wallet script against a live service,
and checking what it received with microcred's own verifier.

``tests/interop/test_oid4vci_interop.py`` (``interop/oid4vci.mjs``) and
``tests/interop/test_lcw_interop.py`` (``interop/lcw.mjs``) both start one real service per
module (``tests.e2e.live_service``), hand the wallet a link, and read one JSON line back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live_service import LiveService
from verifier.report import VerificationReport
from verifier.service import Verifier
from verifier.settings import VerifierSettings

__all__ = ["INTEROP", "award_id", "run_wallet", "status_documents", "verify_here"]

INTEROP = Path(__file__).resolve().parents[2] / "interop"


def run_wallet(script: str, request: dict[str, Any], *, needs: str) -> dict[str, Any]:
    """Run ``interop/<script>`` with ``request`` (plus ``allowHttp``: the service is on
    ``http://127.0.0.1``) on stdin; its JSON line. The script must exit 0; ``needs`` is the npm
    package whose absence means ``interop/node_modules`` is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not on PATH: {script} is a wallet run with Node")
    if not (INTEROP / "node_modules" / needs).is_dir():
        pytest.fail(f"interop/node_modules lacks {needs}: run `make test`")
    proc = subprocess.run(
        [node, str(INTEROP / script)],
        input=json.dumps({"allowHttp": True, **request}),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=INTEROP,
    )
    assert proc.returncode == 0, f"stderr:\n{proc.stderr}\nstdout:\n{proc.stdout}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def verify_here(service: LiveService, credential: Any) -> VerificationReport:
    """microcred's verifier, fetching the DID document and status lists from the service."""
    settings = VerifierSettings(allow_http_localhost=True, trust_lists=[service.trust_list])
    with Verifier.from_settings(settings) as verifier:
        return verifier.verify(credential, now=datetime.now(UTC))


def status_documents(credential: dict[str, Any]) -> dict[str, Any]:
    """The status lists as the service serves them now (the harness never goes online)."""
    return {
        entry["statusListCredential"]: httpx.get(entry["statusListCredential"]).json()
        for entry in credential["credentialStatus"]
    }


def award_id(credential: dict[str, Any]) -> uuid.UUID:
    """The award behind a hosted credential (its id is ``…/credentials/{uuid}``)."""
    return uuid.UUID(credential["id"].rsplit("/", 1)[1])
