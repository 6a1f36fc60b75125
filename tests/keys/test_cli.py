"""`microcred keys generate`, `microcred keys did` and `microcred sign`, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keys.did import KeyResolver
from keys.keyfile import load_key_file
from keys.suites import verify_proofs
from keys.suites.vc_jwt import verify_jwt
from microcred.cli import app
from microcred.exit_codes import EXIT_USAGE
from schemas.loader import bundled_loader
from schemas.samples import sample_micro_credential

runner = CliRunner()


@pytest.fixture()
def credential_file(tmp_path: Path) -> Path:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(sample_micro_credential()))
    return path


@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384", "rsa"])
def test_generate_writes_a_private_jwk_readable_only_by_its_owner(
    tmp_path: Path, key_type: str
) -> None:
    out = tmp_path / "key.jwk"
    result = runner.invoke(app, ["keys", "generate", "--type", key_type, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert "d" in json.loads(out.read_text())
    assert out.read_text() not in result.output  # the secret is never echoed


def test_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "key.jwk"
    out.write_text("precious")
    result = runner.invoke(app, ["keys", "generate", "--out", str(out)])
    assert result.exit_code == EXIT_USAGE, result.exception  # one error line, no traceback
    assert result.stderr == f"error: {out} exists: not overwritten (choose another --out)\n"
    assert out.read_text() == "precious"
    missing = tmp_path / "no-such-folder" / "key.jwk"
    result = runner.invoke(app, ["keys", "generate", "--out", str(missing)])
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.startswith(f"error: cannot write {missing}")


def test_did_prints_did_key_and_did_web_documents(tmp_path: Path) -> None:
    key = tmp_path / "key.jwk"
    runner.invoke(app, ["keys", "generate", "--out", str(key)])
    result = runner.invoke(app, ["keys", "did", str(key)])
    assert result.exit_code == 0
    did, _, document = result.output.partition("\n")
    assert did.startswith("did:key:z6Mk")
    assert json.loads(document)["id"] == did
    result = runner.invoke(app, ["keys", "did", str(key), "--web", "ped.nm.example:issuers:apl"])
    assert result.output.startswith("did:web:ped.nm.example:issuers:apl\n")


@pytest.mark.parametrize(
    ("suite", "key_type"),
    [
        ("eddsa-rdfc-2022", "ed25519"),
        ("Ed25519Signature2020", "ed25519"),
        ("eddsa-jcs-2022", "ed25519"),
        ("ecdsa-rdfc-2019", "p256"),
        ("ecdsa-rdfc-2019", "p384"),
        ("ecdsa-jcs-2019", "p256"),
        ("ecdsa-jcs-2019", "p384"),
    ],
)
def test_sign_embedded_proof_verifies(
    tmp_path: Path, credential_file: Path, suite: str, key_type: str
) -> None:
    key = tmp_path / "key.jwk"
    runner.invoke(app, ["keys", "generate", "--type", key_type, "--out", str(key)])
    result = runner.invoke(
        app,
        [
            "sign",
            str(credential_file),
            "--key",
            str(key),
            "--suite",
            suite,
            "--issuer-from-key",
            "--created",
            "2026-10-01T12:00:00Z",
        ],
    )
    assert result.exit_code == 0, result.output
    signed = json.loads(result.output)
    assert signed["proof"]["created"] == "2026-10-01T12:00:00Z"
    [outcome] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert outcome.verified, outcome.error
    assert outcome.suite == suite
    assert outcome.method.controller == signed["issuer"]["id"]


@pytest.mark.parametrize("key_type", ["ed25519", "p256", "p384", "rsa"])
def test_sign_jwt_with_every_key_type(tmp_path: Path, credential_file: Path, key_type: str) -> None:
    key = tmp_path / "key.jwk"
    runner.invoke(app, ["keys", "generate", "--type", key_type, "--out", str(key)])
    result = runner.invoke(
        app,
        ["sign", str(credential_file), "--key", str(key), "--suite", "jwt", "--issuer-from-key"],
    )
    assert result.exit_code == 0, result.output
    checked = verify_jwt(result.output.strip(), resolver=KeyResolver())
    assert checked.method is not None
    assert checked.key == load_key_file(key).public_key


def test_sign_rejects_bad_input_with_exit_64(tmp_path: Path, credential_file: Path) -> None:
    key = tmp_path / "key.jwk"
    runner.invoke(app, ["keys", "generate", "--out", str(key)])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert runner.invoke(app, ["sign", str(bad), "--key", str(key)]).exit_code == 64
    bad.write_text("[1, 2]")
    assert runner.invoke(app, ["sign", str(bad), "--key", str(key)]).exit_code == 64
    undefined = json.loads(credential_file.read_text())
    undefined["credentialSubject"]["favouriteColour"] = "green"
    bad.write_text(json.dumps(undefined))
    result = runner.invoke(app, ["sign", str(bad), "--key", str(key)])
    assert result.exit_code == 64
    assert "favouriteColour" in result.output
    public = tmp_path / "public.jwk"
    public.write_text(json.dumps(load_key_file(key).public_key.jwk()))
    assert runner.invoke(app, ["sign", str(credential_file), "--key", str(public)]).exit_code == 64
    p256 = tmp_path / "p256.jwk"
    runner.invoke(app, ["keys", "generate", "--type", "p256", "--out", str(p256)])
    result = runner.invoke(app, ["sign", str(credential_file), "--key", str(p256)])
    assert result.exit_code == 64  # eddsa-rdfc-2022 needs an Ed25519 key
