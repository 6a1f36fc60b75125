"""Contexts an operator adds offline: ``--context URL=FILE`` and ``MICROCRED_VERIFIER_CONTEXTS``.

Read once at start-up, pinned by the SHA-256 of the bytes read, served to the JSON-LD loader in
front of the bundle; a bad file stops start-up (exit 64 on the command line) naming it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred.cli import app
from tests.verifier.support import NOW, World
from verifier.http import create_verifier_app
from verifier.service import Verifier
from verifier.settings import VerifierSettings

EXTRA = "https://office.example/contexts/classroom/v1"
EXTRA_CONTEXT = {
    "@context": {
        "@protected": True,
        "favouriteColour": "https://office.example/vocab#favouriteColour",
    }
}
runner = CliRunner()


@pytest.fixture(scope="module")
def credential(world: World) -> dict[str, Any]:
    """A valid credential whose extra member is defined only by the office's own context."""
    unsigned = world.credential(favouriteColour="teal")
    unsigned["@context"] = [*unsigned["@context"], EXTRA]
    from schemas.loader import preloading_loader

    signer = World(
        loader=preloading_loader(world.loader, {EXTRA: EXTRA_CONTEXT}),
        key_a=world.key_a,
        key_b=world.key_b,
        web_key=world.web_key,
    )
    return signer.sign(unsigned)


@pytest.fixture
def files(tmp_path: Path, credential: dict[str, Any]) -> dict[str, Path]:
    paths = {"credential": tmp_path / "credential.json", "context": tmp_path / "classroom.jsonld"}
    paths["credential"].write_text(json.dumps(credential))
    paths["context"].write_text(json.dumps(EXTRA_CONTEXT))
    return paths


def _cli(*args: Any) -> Any:
    argv = ["verify", *[str(a) for a in args], "--json", "--at", NOW.isoformat()]
    return runner.invoke(app, argv)


def test_without_the_context_the_credential_cannot_be_established(files: dict[str, Path]) -> None:
    result = _cli(files["credential"])
    report = json.loads(result.output)
    assert report["verdict"] != "valid"
    assert "classroom/v1" in json.dumps(report)


def test_cli_context_makes_it_verifiable_offline(files: dict[str, Path]) -> None:
    result = _cli(files["credential"], "--context", f"{EXTRA}={files['context']}")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "valid"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (f"{EXTRA}=/nonexistent/classroom.jsonld", "/nonexistent/classroom.jsonld"),
        (f"{EXTRA}", "URL=FILE"),
        ("ftp://office.example/ctx=/dev/null", "http(s)"),
        ("https://www.w3.org/ns/credentials/v2=/dev/null", "bundled already"),
    ],
    ids=["missing-file", "not-a-pair", "not-http", "bundled-url"],
)
def test_cli_bad_context_exits_64_naming_it(files: dict[str, Path], value: str, named: str) -> None:
    result = runner.invoke(
        app, ["verify", str(files["credential"]), "--context", value, "--at", NOW.isoformat()]
    )
    assert result.exit_code == 64, result.output
    assert named in result.output


def test_cli_context_that_is_not_json_is_named(files: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonld"
    broken.write_text("{not json")
    result = _cli(files["credential"], "--context", f"{EXTRA}={broken}")
    assert result.exit_code == 64
    assert "broken.jsonld is not JSON" in result.output


def test_environment_contexts_for_the_service(
    files: dict[str, Path],
    credential: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("MICROCRED_VERIFIER_CONTEXTS", json.dumps([f"{EXTRA}={files['context']}"]))
    settings = VerifierSettings()
    assert settings.contexts == [f"{EXTRA}={files['context']}"]
    digest = hashlib.sha256(files["context"].read_bytes()).hexdigest()
    with caplog.at_level(logging.INFO, logger="verifier.service"):
        service = create_verifier_app(settings)
    assert f"context {EXTRA} pinned sha256={digest}" in caplog.text
    # Pinned in memory: changing the file after start-up changes nothing.
    files["context"].write_text(json.dumps({"@context": {"favouriteColour": "https://evil/x"}}))
    with TestClient(service) as client:
        response = client.post("/verify", json=credential, params={"at": NOW.isoformat()})
    assert response.status_code == 200
    assert response.json()["verdict"] == "valid", response.json()


def test_a_missing_environment_context_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.jsonld"
    monkeypatch.setenv("MICROCRED_VERIFIER_CONTEXTS", json.dumps([f"{EXTRA}={missing}"]))
    with pytest.raises(ValueError, match="gone.jsonld"):
        create_verifier_app()


def test_from_settings_loader_serves_bundle_and_extra(files: dict[str, Path]) -> None:
    with Verifier.from_settings(
        VerifierSettings(contexts=[f"{EXTRA}={files['context']}"])
    ) as verifier:
        assert verifier.loader(EXTRA, None)["document"] == EXTRA_CONTEXT
        v2 = verifier.loader("https://www.w3.org/ns/credentials/v2", None)["document"]
        assert "@context" in v2
