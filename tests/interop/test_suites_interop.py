"""The suites beyond eddsa-rdfc-2022 against Digital Bazaar's libraries, both ways: what their
ecdsa-rdfc-2019, eddsa-jcs-2022, ecdsa-jcs-2019 and Ed25519Signature2018 suites sign verifies
here (and stops verifying when tampered), and what we sign with the first three verifies there.
One node process per direction (the harness's ``batch`` op)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from keys.did import KeyResolver, did_key
from keys.keypairs import KeyType, SigningKey
from keys.suites import ProofOptions, add_proof, verify_proofs
from schemas.loader import bundled_document, bundled_loader
from schemas.samples import sample_micro_credential
from tests.keys.test_suites import DictFetcher
from tests.verifier.support import World, seeded
from verifier.report import Verdict

pytestmark = pytest.mark.node

SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
#: (suite, key type) pairs both sides sign.
SIGNED_BOTH_WAYS = [
    ("ecdsa-rdfc-2019", KeyType.P256),
    ("ecdsa-rdfc-2019", KeyType.P384),
    ("eddsa-jcs-2022", KeyType.ED25519),
    ("ecdsa-jcs-2019", KeyType.P256),
    ("ecdsa-jcs-2019", KeyType.P384),
]
ED2018_CONTEXT = "https://w3id.org/security/suites/ed25519-2018/v1"
CONTROLLER = "https://issuer.example/issuers/legacy"
KEY_2018_ID = f"{CONTROLLER}#key-2018"

_KEYS = {KeyType.ED25519: SigningKey.from_seed(SEED)}


def _key(key_type: KeyType) -> SigningKey:
    if key_type not in _KEYS:
        _KEYS[key_type] = SigningKey.generate(key_type)
    return _KEYS[key_type]


def _vm(key: SigningKey) -> str:
    did = did_key(key.public_key)
    return f"{did}#{did.removeprefix('did:key:')}"


def _key_fields(key: SigningKey) -> dict[str, Any]:
    if key.key_type is KeyType.ED25519:
        return {"seedHex": SEED.hex()}
    return {"privateJwk": key.private_jwk()}


def _legacy_controller_document(key: SigningKey) -> dict[str, Any]:
    """A controller document publishing the key the 2018 way (publicKeyBase58)."""
    import base58

    return {
        "@context": ["https://w3id.org/security/v2"],
        "id": CONTROLLER,
        "verificationMethod": [
            {
                "id": KEY_2018_ID,
                "type": "Ed25519VerificationKey2018",
                "controller": CONTROLLER,
                "publicKeyBase58": base58.b58encode(key.public_key.public_bytes()).decode(),
            }
        ],
        "assertionMethod": [KEY_2018_ID],
    }


@pytest.fixture(scope="module")
def theirs(js) -> dict[str, dict[str, Any]]:
    """Credentials Digital Bazaar signed, by case name (one node process)."""
    cases: dict[str, dict[str, Any]] = {}
    for suite, key_type in SIGNED_BOTH_WAYS:
        key = _key(key_type)
        issuer = did_key(key.public_key)
        cases[f"{suite}/{key_type}"] = {
            "op": "sign-suite",
            "suite": suite,
            "credential": sample_micro_credential(issuer_id=issuer),
            **_key_fields(key),
        }
    ed = _key(KeyType.ED25519)
    cases["Ed25519Signature2018/did:key"] = {
        "op": "sign-suite",
        "suite": "Ed25519Signature2018",
        "credential": sample_micro_credential(issuer_id=did_key(ed.public_key)),
        "seedHex": SEED.hex(),
    }
    cases["Ed25519Signature2018/publicKeyBase58"] = {
        "op": "sign-suite",
        "suite": "Ed25519Signature2018",
        "credential": sample_micro_credential(issuer_id=CONTROLLER),
        "seedHex": SEED.hex(),
        "verificationMethod": KEY_2018_ID,
        "controller": CONTROLLER,
    }
    results = js.run_batch(list(cases.values()))
    return {name: result["signed"] for name, result in zip(cases, results, strict=True)}


THEIR_CASES = [f"{s}/{k}" for s, k in SIGNED_BOTH_WAYS] + [
    "Ed25519Signature2018/did:key",
    "Ed25519Signature2018/publicKeyBase58",
]


def _resolver() -> KeyResolver:
    legacy = _legacy_controller_document(_key(KeyType.ED25519))
    return KeyResolver(fetcher=DictFetcher({CONTROLLER: legacy}))


@pytest.mark.parametrize("case", THEIR_CASES)
def test_digital_bazaar_signed_verifies_here(theirs, case: str) -> None:
    signed = theirs[case]
    suite = case.split("/")[0]
    proof = signed["proof"]
    assert proof.get("cryptosuite", proof["type"]) == suite
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=_resolver())
    assert result.verified, result.error
    assert result.suite == suite
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["value"] = "100"
    [result] = verify_proofs(tampered, loader=bundled_loader(), resolver=_resolver())
    assert not result.verified


def test_digital_bazaar_2018_proof_is_a_detached_b64_false_jws(theirs) -> None:
    """What the 2018 suite writes, so our reading of it is pinned to theirs."""
    signed = theirs["Ed25519Signature2018/did:key"]
    assert ED2018_CONTEXT in signed["@context"]
    header, _, _ = signed["proof"]["jws"].partition("..")
    from schemas.base64url import decode

    assert json.loads(decode(header)) == {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


def test_a_changed_2018_header_is_refused(theirs) -> None:
    from schemas.base64url import encode

    signed = copy.deepcopy(theirs["Ed25519Signature2018/did:key"])
    _, _, signature = signed["proof"]["jws"].partition("..")
    header = encode(json.dumps({"alg": "EdDSA", "b64": True, "crit": ["b64"]}).encode())
    signed["proof"]["jws"] = f"{header}..{signature}"
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=_resolver())
    assert not result.verified
    assert "jws header must be" in str(result.error)


def test_digital_bazaar_signed_is_valid_through_the_verifier(theirs) -> None:
    """The whole pipeline, not only the proof: every check the credential needs passes (the
    legacy controller document served from the simulated network)."""
    world = World(loader=bundled_loader(), key_a=seeded(1), key_b=seeded(2), web_key=seeded(3))
    legacy = _legacy_controller_document(_key(KeyType.ED25519))
    for case in THEIR_CASES:
        report = world.verify(theirs[case], extra={CONTROLLER: legacy})
        assert report.verdict is Verdict.VALID, (case, report.to_json())


@pytest.mark.parametrize(("suite", "key_type"), SIGNED_BOTH_WAYS)
def test_ours_verifies_in_digital_bazaar(js, suite: str, key_type: KeyType) -> None:
    key = _key(key_type)
    signed = add_proof(
        sample_micro_credential(issuer_id=did_key(key.public_key)),
        suite=suite,
        key=key,
        options=ProofOptions(verification_method=_vm(key)),
        loader=bundled_loader(),
    )
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["result"][0]["value"] = "100"
    good, bad = js.run_batch(
        [{"op": "verify-db", "credential": signed}, {"op": "verify-db", "credential": tampered}]
    )
    assert good["verified"], good["errors"]
    assert not bad["verified"]


def test_bundled_2018_context_is_the_one_digital_bazaar_loads(js) -> None:
    """No vendor-data copy exists; Digital Bazaar's suite loads this one (from its own package,
    contextsDir pointed away from ours)."""
    [result] = js.run_batch(
        [
            {
                "op": "canonize",
                "contextsDir": "/nonexistent",
                "document": {"@context": ED2018_CONTEXT, "type": "Ed25519Signature2018"},
            }
        ]
    )
    assert result["loaded"] == {ED2018_CONTEXT: "bundled:ed25519-signature-2018-context"}
    from schemas.canonical import canonicalize

    ours = canonicalize(
        {"@context": ED2018_CONTEXT, "type": "Ed25519Signature2018"}, loader=bundled_loader()
    )
    assert ours == result["nquads"]
    assert bundled_document(ED2018_CONTEXT)["@context"]["Ed25519Signature2018"]


def test_rdfc_with_sha384_matches_rdf_canonize_byte_for_byte(js) -> None:
    """ecdsa-rdfc-2019 on P-384 canonicalizes with SHA-384 as RDFC-1.0's hash: the blank node
    labels differ from the SHA-256 form, and ours must be theirs."""
    from schemas.canonical import canonicalize

    credential = sample_micro_credential(issuer_id=did_key(_key(KeyType.P384).public_key))
    sha256_form, sha384_form = js.run_batch(
        [
            {"op": "canonize", "document": credential},
            {"op": "canonize", "document": credential, "messageDigestAlgorithm": "SHA-384"},
        ]
    )
    loader = bundled_loader()
    assert canonicalize(credential, loader=loader) == sha256_form["nquads"]
    assert canonicalize(credential, loader=loader, hash_algorithm="sha384") == sha384_form["nquads"]
    assert sha256_form["nquads"] != sha384_form["nquads"]
