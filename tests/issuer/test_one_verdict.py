"""One verdict on every surface (issue 12): the same credential, at the same instant, through
``microcred verify --json``, ``POST /verify``, ``POST /credentials/verify`` and the verify page.

Before issue 12 a plain VC 2.0 was ``verified: true`` at ``/credentials/verify`` while its own
report (and the CLI, and the page) said ``invalid``: the OB schema ran on a credential that is
not an Open Badge, and the VC-API skipped that check. Now the pipeline picks the profile, and
every surface reads the one report: the verdict, ``verified == (verdict == "valid")``, the
schema check's profile, and the headline a person reads all agree.

The credentials are signed by a did:key issuer that is none of this service's, so trust is
``not-established`` everywhere (the CLI has no trust list, the service only its own issuers)
and the headline is the same too.
"""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from keys.did import did_key
from microcred.cli import app
from tests.issuer.test_vcapi import open_badge, vc2
from tests.issuer.test_vcapi_verify import ISSUER_KEY, sign
from verifier.report import HEADLINE_INDETERMINATE, HEADLINE_INVALID, HEADLINE_UNRECOGNISED

HTML = {"accept": "text/html"}
ISSUER = did_key(ISSUER_KEY.public_key)


def _open_badge() -> dict[str, Any]:
    return sign({**open_badge(ISSUER), "id": "urn:uuid:6a9c5f22-0b8e-4a58-9d53-0b5c3e2b8e11"})


def _tampered_open_badge() -> dict[str, Any]:
    tampered = _open_badge()
    tampered["credentialSubject"]["achievement"]["name"] = "Another badge"
    return tampered


def _plain_vc() -> dict[str, Any]:
    return sign(vc2(ISSUER, validFrom="2026-01-01T00:00:00Z"))


def _plain_vc_without_issuer() -> dict[str, Any]:
    document = vc2(ISSUER, validFrom="2026-01-01T00:00:00Z")
    del document["issuer"]
    return sign(document)


def _with_an_unknown_proof(credential: dict[str, Any]) -> dict[str, Any]:
    unknown = {"type": "SomeProofType", "proofPurpose": "assertionMethod"}
    return {**credential, "proof": [unknown, credential["proof"]]}


def _open_badge_with_an_unknown_proof() -> dict[str, Any]:
    return _with_an_unknown_proof(_open_badge())


def _plain_vc_with_an_unknown_proof() -> dict[str, Any]:
    return _with_an_unknown_proof(_plain_vc())


def _expired() -> dict[str, Any]:
    return sign(vc2(ISSUER, validFrom="2026-01-01T00:00:00Z", validUntil="2026-02-01T00:00:00Z"))


#: (case, credential, the verdict, the failing checks, the schema profile)
CASES = [
    ("OB valid", _open_badge, "valid", set(), "open-badges"),
    ("OB tampered", _tampered_open_badge, "invalid", {"proof"}, "open-badges"),
    ("plain VC valid", _plain_vc, "valid", set(), "vc-data-model"),
    ("plain VC missing issuer", _plain_vc_without_issuer, "invalid", None, "vc-data-model"),
    ("expired", _expired, "invalid", {"validity"}, "vc-data-model"),
    # A proof of a suite microcred does not know beside a good one: set aside for an Open
    # Badge (OB 3.0), unconfirmed for any other VC (Data Integrity) — on every surface.
    ("OB + unknown proof", _open_badge_with_an_unknown_proof, "valid", set(), "open-badges"),
    (
        "plain VC + unknown proof",
        _plain_vc_with_an_unknown_proof,
        "indeterminate",
        set(),
        "vc-data-model",
    ),
]
HEADLINES = {
    "valid": HEADLINE_UNRECOGNISED,
    "invalid": HEADLINE_INVALID,
    "indeterminate": HEADLINE_INDETERMINATE,
}
EXIT_CODES = {"valid": 0, "invalid": 1, "indeterminate": 2}


def _failed(report: dict[str, Any]) -> set[str]:
    return {c["id"] for c in report["checks"] if c["outcome"] == "failed"}


def _profile(report: dict[str, Any]) -> str:
    return {c["id"]: c for c in report["checks"]}["schema"]["details"]["profile"]


@pytest.mark.parametrize(
    ("make", "verdict", "failing", "profile"),
    [pytest.param(m, v, f, p, id=name) for name, m, v, f, p in CASES],
)
def test_every_surface_gives_the_same_verdict(
    client: TestClient, tmp_path: Path, make, verdict: str, failing, profile: str
) -> None:
    credential = make()
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential))

    # The CLI, as a person runs it.
    result = CliRunner().invoke(app, ["verify", str(path), "--json"])
    cli = json.loads(result.output)
    assert result.exit_code == EXIT_CODES[verdict], result.output
    readable = CliRunner().invoke(app, ["verify", str(path)]).output
    # POST /verify (the JSON report) and the page (HTML), on the service.
    http = client.post("/verify", json=credential).json()
    page = client.post(
        "/verify", headers=HTML, data={"credential": json.dumps(credential)}, files={"f": ("", b"")}
    ).text
    # The VC-API.
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    vcapi = response.json()

    reports = {"cli": cli, "POST /verify": http, "/credentials/verify": vcapi["report"]}
    for surface, report in reports.items():
        assert report["verdict"] == verdict, surface
        assert report["trust"]["status"] == "not-established", surface
        assert _profile(report) == profile, surface
        if failing is not None:
            assert _failed(report) == failing, (surface, report["checks"])
    # The same checks failed everywhere, whatever they are.
    assert _failed(cli) == _failed(http) == _failed(vcapi["report"])
    assert vcapi["verified"] is (verdict == "valid")
    assert response.status_code == (200 if verdict == "valid" else 400)
    # The VC-API's errors: every check that failed or could not be carried out.
    undecided = {c["id"] for c in cli["checks"] if c["outcome"] == "indeterminate"}
    assert {e["check"] for e in vcapi["errors"]} == _failed(cli) | undecided
    # The words a person reads.
    words = HEADLINES[verdict]
    assert words in readable
    assert f'data-verdict="{verdict}"' in page
    assert f'<span class="headline">{html.escape(words)}<small>' in page


def test_a_plain_vc_missing_issuer_fails_the_data_model_rules(client: TestClient) -> None:
    report = client.post("/verify", json=_plain_vc_without_issuer()).json()
    schema = {c["id"]: c for c in report["checks"]}["schema"]
    assert schema["outcome"] == "failed"
    assert "$.issuer is required" in schema["message"]
    assert "VC Data Model 2.0" in schema["message"]


def test_the_open_badge_case_is_a_real_open_badge() -> None:
    """The OB cases go through the OB schema because of their type, not by accident."""
    credential = copy.deepcopy(_open_badge())
    assert "OpenBadgeCredential" in credential["type"]
