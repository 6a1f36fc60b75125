"""The verdict families over every proof suite × every DID method its key type fits, through the
one Verifier: signed → valid; tampered → invalid; a suite microcred does not know →
indeterminate ("cannot be checked"), never invalid."""

from __future__ import annotations

from typing import Any

import pytest

from keys.did import did_document, did_jwk, did_key
from keys.keypairs import KeyType, SigningKey
from tests.keys.test_suite_matrix import CASES
from tests.verifier.support import World, outcomes
from verifier.report import CheckId, Verdict

_KEYS: dict[KeyType, SigningKey] = {}


def _signed(world: World, suite: str, key_type: KeyType, method: str) -> tuple[dict, dict]:
    """(signed credential, the documents the verifier's network must serve)."""
    key = _KEYS.setdefault(key_type, SigningKey.generate(key_type))
    published: dict[str, Any] = {}
    if method == "did:key":
        did = did_key(key.public_key)
        vm = f"{did}#{did.removeprefix('did:key:')}"
    elif method == "did:jwk":
        did = did_jwk(key.public_key)
        vm = f"{did}#0"
    else:
        host = f"{key_type.lower().replace('-', '')}.suites.example"
        did = f"did:web:{host}"
        document = did_document(did, [key.public_key], key_ids=["key-1"])
        published[f"https://{host}/.well-known/did.json"] = document
        vm = f"{did}#key-1"
    signed = world.sign(world.credential(issuer=did), key=key, vm=vm, suite=suite)
    return signed, published


@pytest.mark.parametrize(("suite", "key_type", "method"), CASES)
def test_signed_is_valid(world: World, suite: str, key_type: KeyType, method: str) -> None:
    signed, published = _signed(world, suite, key_type, method)
    report = world.verify(signed, extra=published)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert suite in report.check(CheckId.PROOF).message
    assert outcomes(report)["issuer_key"] == "passed"


@pytest.mark.parametrize(("suite", "key_type", "method"), CASES)
def test_tampered_is_invalid(world: World, suite: str, key_type: KeyType, method: str) -> None:
    signed, published = _signed(world, suite, key_type, method)
    signed["credentialSubject"]["achievement"]["name"] = "Something else"
    report = world.verify(signed, extra=published)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert "signature does not match" in report.check(CheckId.PROOF).message


@pytest.mark.parametrize(("suite", "key_type", "method"), CASES)
def test_unknown_suite_is_indeterminate(
    world: World, suite: str, key_type: KeyType, method: str
) -> None:
    signed, published = _signed(world, suite, key_type, method)
    signed["proof"]["type"] = "DataIntegrityProof"
    signed["proof"]["cryptosuite"] = "bbs-2023"
    report = world.verify(signed, extra=published)
    assert report.verdict is Verdict.INDETERMINATE
    assert outcomes(report)["proof"] == "indeterminate"
    message = report.check(CheckId.PROOF).message
    assert "cannot be checked: unsupported proof suite 'DataIntegrityProof/bbs-2023'" in message


def test_unknown_proof_type_is_indeterminate(world: World) -> None:
    """(The verdict is invalid here for another reason: no context defines this proof type's
    terms, which the context check reports.)"""
    signed = world.signed()
    signed["proof"] = {**signed["proof"], "type": "BbsBlsSignature2020"}
    signed["proof"].pop("cryptosuite")
    report = world.verify(signed)
    assert outcomes(report)["proof"] == "indeterminate"
    assert outcomes(report)["issuer_key"] == "indeterminate"
    assert "unsupported proof suite 'BbsBlsSignature2020'" in report.check(CheckId.PROOF).message


def test_a_legacy_ed25519_signature_2018_credential_is_valid(world: World) -> None:
    """Verified, never written: the credential Digital Bazaar's ed25519-signature-2018 signed
    (tests/keys/data), and the same with one change."""
    import json
    from pathlib import Path

    path = Path(__file__).parents[1] / "keys" / "data" / "ed25519-signature-2018.json"
    signed = json.loads(path.read_text())
    report = world.verify(signed)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert "Ed25519Signature2018" in report.check(CheckId.PROOF).message
    signed["credentialSubject"]["achievement"]["name"] = "Something else"
    assert world.verify(signed).verdict is Verdict.INVALID
