"""``microcred verify``: inputs, options, the readable and JSON reports, and exit statuses
0 valid, 1 invalid, 2 indeterminate, 64 unusable input or arguments. Fully offline: remote
documents come from ``--preload``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keys.suites.vc_jwt import sign_jwt
from microcred.cli import app
from tests.verifier.support import (
    DID_URL,
    NOW,
    REVOCATION_URL,
    SUSPENSION_URL,
    World,
    vm_of,
)

PROJECT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def files(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Credentials and published documents as files, the way an office holds them."""
    root = tmp_path_factory.mktemp("cli")

    def write(name: str, value: Any) -> Path:
        path = root / name
        path.write_bytes(value if isinstance(value, bytes) else json.dumps(value).encode())
        return path

    tampered = world.signed()
    tampered["name"] = "Forged"
    expired_list = world.status_list(
        REVOCATION_URL, "revocation", valid_until="2026-10-01T00:00:00Z"
    )
    return {
        "valid": write("valid.json", world.signed()),
        "tampered": write("tampered.json", tampered),
        "expired": write("expired.json", world.signed(validUntil="2026-10-15T00:00:00Z")),
        "web": write("web.json", world.web_credential()),
        "did": write("did.json", world.published[DID_URL]),
        "revocation": write("revocation.json", world.published[REVOCATION_URL]),
        "suspension": write("suspension.json", world.published[SUSPENSION_URL]),
        "stale-revocation": write("stale.json", expired_list),
        "jwt": write(
            "credential.jwt",
            sign_jwt(world.credential(), key=world.key_a, kid=vm_of(world.key_a)).encode(),
        ),
        "junk": write("junk.txt", b"this is not a credential"),
        "trust-a": write("trust-a.json", {"name": "A list", "issuers": [{"id": world.did_a}]}),
        "trust-b": write("trust-b.json", {"name": "B list", "issuers": [{"id": world.did_b}]}),
    }


def _preloads(files: dict[str, Path], revocation: str = "revocation") -> list[str]:
    return [
        "--preload",
        f"{DID_URL}={files['did']}",
        "--preload",
        f"{REVOCATION_URL}={files[revocation]}",
        "--preload",
        f"{SUSPENSION_URL}={files['suspension']}",
    ]


def run(*args: Any, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    """``microcred verify ARGS``, as of the tests' fixed instant unless ``--at`` is given."""
    argv = [str(a) for a in args]
    if argv and "--at" not in argv:
        argv += ["--at", NOW.isoformat()]
    return runner.invoke(app, ["verify", *argv], input=input)


def test_valid_readable_report(files: dict[str, Path]) -> None:
    result = run(files["valid"])
    assert result.exit_code == 0, result.output
    # No trust list given: the signature holds, nobody vouched for the issuer.
    assert "Signature valid — issuer not recognised" in result.output
    assert "Classroom Environment" in result.output
    for label in ("Signature", "Issuer's own key", "Dates", "Revoked or suspended"):
        assert label in result.output


def test_json_report(files: dict[str, Path]) -> None:
    result = run(files["valid"], "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["verdict"] == "valid"
    assert report["source"] == str(files["valid"])
    assert [c["id"] for c in report["checks"]][:4] == ["parse", "context", "schema", "proof"]


def test_invalid_exits_1(files: dict[str, Path]) -> None:
    result = run(files["tampered"], "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["verdict"] == "invalid"
    assert {c["id"]: c["outcome"] for c in report["checks"]}["proof"] == "failed"


def test_did_web_with_preloaded_documents(files: dict[str, Path]) -> None:
    result = run(files["web"], *_preloads(files), "--json")
    assert result.exit_code == 0, result.output
    assert {c["id"]: c["outcome"] for c in json.loads(result.output)["checks"]}[
        "status"
    ] == "passed"


def test_indeterminate_exits_2(files: dict[str, Path]) -> None:
    result = run(files["web"], *_preloads(files, "stale-revocation"), "--json")
    assert result.exit_code == 2, result.output
    assert json.loads(result.output)["verdict"] == "indeterminate"


def test_unusable_input_exits_64(files: dict[str, Path]) -> None:
    result = run(files["junk"])
    assert result.exit_code == 64
    assert "Not a readable credential" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--no-such-option", "x.json"],
        ["does-not-exist.json"],
        ["--at", "yesterday", "x.json"],
        ["--preload", "not-a-pair", "x.json"],
        ["--trust", "/nonexistent/trust.json", "x.json"],
    ],
)
def test_bad_arguments_exit_64(args: list[str]) -> None:
    assert run(*args).exit_code == 64


def test_a_broken_trust_list_is_named(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "office.json"
    bad.write_text('{"name": "x", "issuers": [{"name": "no id"}]}')
    result = run(files["valid"], "--trust", bad)
    assert result.exit_code == 64
    assert "office.json: issuers[0].id" in result.output


def test_expired_and_at(files: dict[str, Path]) -> None:
    assert run(files["expired"]).exit_code == 1
    assert run(files["expired"], "--at", "2026-10-10T00:00:00Z").exit_code == 0


def test_several_inputs_give_an_array_and_the_worst_status(files: dict[str, Path]) -> None:
    result = run(files["valid"], files["tampered"], "--json")
    assert result.exit_code == 1
    reports = json.loads(result.output)
    assert [r["verdict"] for r in reports] == ["valid", "invalid"]
    assert run(files["valid"], files["junk"]).exit_code == 64
    assert run(files["valid"], files["web"], *_preloads(files, "stale-revocation")).exit_code == 2


def test_stdin_and_jws_argument(files: dict[str, Path]) -> None:
    assert run("-", input=files["valid"].read_bytes()).exit_code == 0
    token = files["jwt"].read_text()
    result = run(token, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["credential"]["format"] == "jwt"
    assert run(files["jwt"]).exit_code == 0


def test_trust_lists(files: dict[str, Path]) -> None:
    """An issuer on no list keeps the verdict valid (exit 0) with trust not-established, and the
    words say so; before issue 12 it was a failed check and exit 1."""
    result = run(files["valid"], "--trust", files["trust-a"])
    assert result.exit_code == 0
    assert "Valid " in result.output and "Issuer recognised: A list" in result.output
    result = run(files["valid"], "--trust", files["trust-b"], "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["verdict"] == "valid"
    assert report["trust"]["status"] == "not-established"
    trust = {c["id"]: c for c in report["checks"]}["trust"]
    assert trust["outcome"] == "warning"
    result = run(files["valid"], "--trust", files["trust-b"])
    assert "Signature valid — issuer not recognised" in result.output
    result = run(files["valid"], "--trust", files["trust-b"], "--trust", files["trust-a"], "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["trust"] == {
        "status": "established",
        "list": "A list",
        "entry": {"id": json.loads(result.output)["credential"]["issuer"]["id"], "name": None},
        "reason": {c["id"]: c for c in json.loads(result.output)["checks"]}["trust"]["message"],
    }


def test_recipient(files: dict[str, Path]) -> None:
    assert run(files["valid"], "--recipient", "maria.lopez@schools.nm.example").exit_code == 0
    assert run(files["valid"], "--recipient", "someone@else.example").exit_code == 1


def test_badge_link_from_a_preload(files: dict[str, Path]) -> None:
    link = "https://issuer.example/badges/7f1e7c55"
    assert run(link, "--preload", f"{link}={files['valid']}").exit_code == 0


def test_a_badge_link_to_a_private_address_is_refused(files: dict[str, Path]) -> None:
    result = run("https://127.0.0.1/badge", "--json")
    assert result.exit_code == 64
    assert "refused" in json.loads(result.output)["checks"][0]["message"]


def test_presentation_challenge(world: World, files: dict[str, Path], tmp_path: Path) -> None:
    from keys.suites import ProofOptions, add_proof

    vp = add_proof(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [json.loads(files["valid"].read_text())],
        },
        suite="eddsa-rdfc-2022",
        key=world.key_b,
        options=ProofOptions(
            verification_method=vm_of(world.key_b),
            proof_purpose="authentication",
            challenge="c-1",
            domain="licensure.nm.example",
        ),
        loader=world.loader,
    )
    path = tmp_path / "vp.json"
    path.write_text(json.dumps(vp))
    assert run(path, "--challenge", "c-1", "--domain", "licensure.nm.example").exit_code == 0
    assert run(path, "--challenge", "c-2").exit_code == 1


def test_the_installed_command_exits_64_on_a_usage_error(files: dict[str, Path]) -> None:
    """Through the real console script: click's own usage status (2) would read as
    'indeterminate', so it is mapped to 64."""
    script = PROJECT / ".venv" / "bin" / "microcred"
    entry_point = [sys.executable, "-c", "from microcred.cli import main; main()"]
    command = [str(script)] if script.exists() else entry_point
    usage = subprocess.run([*command, "verify", "--bogus"], capture_output=True, timeout=60)
    assert usage.returncode == 64
    valid = subprocess.run(
        [*command, "verify", str(files["valid"])], capture_output=True, timeout=60
    )
    assert valid.returncode == 0, valid.stderr


def test_readable_report_never_interprets_credential_text_as_markup() -> None:
    """Names and URLs in a credential are shown as written: no Rich markup, no :emoji: codes
    (a did:key once rendered as 'did🔑')."""
    from io import StringIO

    from rich.console import Console

    from verifier.cli import render
    from verifier.report import CheckId, CheckResult, Outcome, VerificationReport

    report = VerificationReport(
        verdict="invalid",
        credential={"name": "[bold red]FAKE[/bold red]", "achievement": {}},
        checks=[
            CheckResult(CheckId.PROOF, Outcome.FAILED, "key did:key:z6Mk [link=https://evil]x", {})
        ],
        source="test.json",
    )
    out = StringIO()
    render(report, Console(file=out, width=200))  # defaults: markup and emoji on
    text = out.getvalue()
    assert "[bold red]FAKE[/bold red]" in text
    assert "did:key:z6Mk [link=https://evil]x" in text
