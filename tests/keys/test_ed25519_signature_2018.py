"""The legacy Ed25519Signature2018, verified only, against a credential Digital Bazaar's
``@digitalbazaar/ed25519-signature-2018`` 4.2.0 signed (``data/ed25519-signature-2018.json``,
made with the interop harness's ``sign-suite`` op from the OB vector's seed; Ed25519 is
deterministic, so the signature is reproduced here byte for byte)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import base58
import pytest

from keys.did import KeyResolver, parse_verification_method
from keys.errors import InvalidProof, InvalidSignature, KeyFormatError, UnsupportedSuite
from keys.keypairs import SigningKey
from keys.suites import ProofOptions, add_proof, verify_proofs
from keys.suites.ed25519_signature_2018 import suite as ed2018
from schemas.base64url import decode, encode
from schemas.loader import bundled_loader
from tests.keys.test_suites import DictFetcher

SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
SIGNED = Path(__file__).parent / "data" / "ed25519-signature-2018.json"


@pytest.fixture
def signed() -> dict[str, Any]:
    return json.loads(SIGNED.read_text())


def test_digital_bazaar_2018_credential_verifies(signed: dict[str, Any]) -> None:
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert result.verified, result.error
    assert result.suite == "Ed25519Signature2018"
    assert result.method is not None and result.method.controller == signed["issuer"]["id"]


def test_the_signature_is_reproduced_byte_for_byte(signed: dict[str, Any]) -> None:
    """sha256(RDFC(proof options + document @context)) ‖ sha256(RDFC(document)), prefixed with
    the ASCII header and '.', signed with Ed25519: exactly their bytes."""
    key = SigningKey.from_seed(SEED)
    proof = signed["proof"]
    header, _, signature = proof["jws"].partition("..")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "jws"}
    hash_data = ed2018._hash_data(ed2018.cryptosuite, unsecured, options, bundled_loader())
    ours = key.sign(ed2018.signing_input(proof["jws"], hash_data))
    assert encode(ours) == signature
    assert json.loads(decode(header)) == {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["credentialSubject"].update(id="did:example:someone"), id="doc"),
        pytest.param(lambda d: d["proof"].update(created="2026-10-02T12:00:00Z"), id="created"),
        pytest.param(lambda d: d["proof"].update(proofPurpose="authentication"), id="purpose"),
    ],
)
def test_a_change_breaks_it(signed: dict[str, Any], change: Any) -> None:
    changed = copy.deepcopy(signed)
    change(changed)
    [result] = verify_proofs(changed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, InvalidSignature | InvalidProof), result.error


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "EdDSA", "b64": True, "crit": ["b64"]},  # an encoded payload: another message
        {"alg": "EdDSA"},
        {"alg": "ES256", "b64": False, "crit": ["b64"]},
        {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": "x"},
    ],
)
def test_only_the_one_header_is_accepted(signed: dict[str, Any], header: dict[str, Any]) -> None:
    _, _, signature = signed["proof"]["jws"].partition("..")
    signed["proof"]["jws"] = encode(json.dumps(header).encode()) + ".." + signature
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, InvalidProof)
    assert "jws header must be" in str(result.error)


def test_a_header_naming_a_member_twice_is_refused(signed: dict[str, Any]) -> None:
    """Readers disagree on which of two same-named members counts: ambiguity is refused (before,
    Python's last-one-wins read this as the one allowed header)."""
    header = b'{"alg":"none","alg":"EdDSA","b64":false,"crit":["b64"]}'
    _, _, signature = signed["proof"]["jws"].partition("..")
    signed["proof"]["jws"] = encode(header) + ".." + signature
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, InvalidProof)
    assert "duplicate JSON member 'alg'" in str(result.error)


@pytest.mark.parametrize("jws", ["abc", "a.b.c", "a..b.c", "..sig", "hdr..", "é..x"])
def test_a_jws_that_is_not_detached_is_refused(signed: dict[str, Any], jws: str) -> None:
    signed["proof"]["jws"] = jws
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, InvalidProof)


def test_a_publickeybase58_key_is_read_and_resolved() -> None:
    """Ed25519VerificationKey2018 with publicKeyBase58 in an https controller document (a proof
    made with such a key by Digital Bazaar's library is verified in the interop tests)."""
    key = SigningKey.from_seed(SEED)
    controller = "https://issuer.example/keys"
    method = {
        "id": f"{controller}#k",
        "type": "Ed25519VerificationKey2018",
        "controller": controller,
        "publicKeyBase58": base58.b58encode(key.public_key.public_bytes()).decode(),
    }
    parsed = parse_verification_method(method, document_id=controller)
    assert parsed.key == key.public_key
    document = {"id": controller, "verificationMethod": [method], "assertionMethod": [method["id"]]}
    resolver = KeyResolver(fetcher=DictFetcher({controller: document}))
    assert resolver.resolve(method["id"]).key == key.public_key


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("publicKeyBase58", "3mJr7AoUXx2Wqd"),  # too short
        ("publicKeyBase58", "0OIl" * 11),  # not the base58btc alphabet
        ("publicKeyBase58", 42),
        ("privateKeyBase58", "x"),  # private material is never read
    ],
)
def test_bad_2018_keys_are_refused(member: str, value: Any) -> None:
    method = {
        "id": "https://issuer.example/keys#k",
        "type": "Ed25519VerificationKey2018",
        "controller": "https://issuer.example/keys",
        member: value,
    }
    if member == "privateKeyBase58":
        key = SigningKey.from_seed(SEED).public_key.public_bytes()
        method["publicKeyBase58"] = base58.b58encode(key).decode()
    with pytest.raises(KeyFormatError):
        parse_verification_method(method, document_id="https://issuer.example/keys")


def test_signing_2018_is_refused() -> None:
    key = SigningKey.from_seed(SEED)
    with pytest.raises(UnsupportedSuite, match="verified but never written"):
        add_proof(
            {"@context": ["https://www.w3.org/ns/credentials/v2"]},
            suite="Ed25519Signature2018",
            key=key,
            options=ProofOptions(verification_method="did:key:z6Mk#z6Mk"),
            loader=bundled_loader(),
        )
