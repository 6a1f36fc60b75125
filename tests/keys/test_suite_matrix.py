"""Every proof suite × every DID method its key type fits: sign → verifies, tampered → invalid,
a suite microcred does not know → UnsupportedSuite (the verifier reports it indeterminate).

Plus the W3C eddsa-jcs-2022 vector byte for byte, and ECDSA's strict signature encoding.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import base58
import pytest

from keys.did import KeyResolver, did_document, did_jwk, did_key
from keys.errors import InvalidProof, InvalidSignature, UnsupportedSuite
from keys.keypairs import KeyType, SigningKey
from keys.multikey import decode_secret_multikey
from keys.suites import ProofOptions, add_proof, verify_proofs
from keys.suites.jcs import canonicalize_jcs
from schemas.loader import bundled_loader
from schemas.samples import sample_micro_credential
from tests.keys.test_suites import DictFetcher

JCS = "vc-di-eddsa/TestVectors/eddsa-jcs-2022"
W3C = "vc-di-eddsa/TestVectors"

#: suite name → the key types it signs with.
SUITE_KEYS: dict[str, tuple[KeyType, ...]] = {
    "eddsa-rdfc-2022": (KeyType.ED25519,),
    "Ed25519Signature2020": (KeyType.ED25519,),
    "eddsa-jcs-2022": (KeyType.ED25519,),
    "ecdsa-rdfc-2019": (KeyType.P256, KeyType.P384),
    "ecdsa-jcs-2019": (KeyType.P256, KeyType.P384),
}
SIGNATURE_BYTES = {KeyType.ED25519: 64, KeyType.P256: 64, KeyType.P384: 96}
DID_METHODS = ("did:key", "did:jwk", "did:web")
CASES = [
    (suite, key_type, method)
    for suite, key_types in SUITE_KEYS.items()
    for key_type in key_types
    for method in DID_METHODS
]

_KEYS: dict[KeyType, SigningKey] = {}


def _key(key_type: KeyType) -> SigningKey:
    if key_type not in _KEYS:
        _KEYS[key_type] = SigningKey.generate(key_type)
    return _KEYS[key_type]


def _issuer(key: SigningKey, method: str) -> tuple[str, str, KeyResolver]:
    """(issuer DID, verification method id, a resolver that can find it)."""
    if method == "did:key":
        did = did_key(key.public_key)
        return did, f"{did}#{did.removeprefix('did:key:')}", KeyResolver()
    if method == "did:jwk":
        did = did_jwk(key.public_key)
        return did, f"{did}#0", KeyResolver()
    did = f"did:web:{key.key_type.lower().replace('-', '')}.issuer.example"
    document = did_document(did, [key.public_key])
    host = did.removeprefix("did:web:")
    fetcher = DictFetcher({f"https://{host}/.well-known/did.json": document})
    return did, document["assertionMethod"][0], KeyResolver(fetcher=fetcher)


def _sign(suite: str, key_type: KeyType, method: str) -> tuple[dict[str, Any], KeyResolver]:
    key = _key(key_type)
    did, vm, resolver = _issuer(key, method)
    signed = add_proof(
        sample_micro_credential(issuer_id=did),
        suite=suite,
        key=key,
        options=ProofOptions(verification_method=vm),
        loader=bundled_loader(),
    )
    return signed, resolver


@pytest.mark.parametrize(("suite", "key_type", "method"), CASES)
def test_signed_verifies(suite: str, key_type: KeyType, method: str) -> None:
    signed, resolver = _sign(suite, key_type, method)
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert result.verified, result.error
    assert result.suite == suite
    proof_value = signed["proof"]["proofValue"]
    assert len(base58.b58decode(proof_value[1:])) == SIGNATURE_BYTES[key_type]


@pytest.mark.parametrize("suite", list(SUITE_KEYS))
def test_a_proof_says_it_expanded_the_document_only_if_it_did(
    suite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verifier skips its own safe-mode expansion for a verified proof that says it
    expanded the document (``ProofResult.expanded_jsonld``): a JCS suite claiming it would let
    undefined terms pass. What each suite says is checked against what it does."""
    import schemas.canonical

    signed, resolver = _sign(suite, SUITE_KEYS[suite][0], "did:key")
    expanded: list[Any] = []
    to_quads = schemas.canonical.to_quads

    def recording(document: Any, **kwargs: Any) -> Any:
        expanded.append(document)
        return to_quads(document, **kwargs)

    monkeypatch.setattr(schemas.canonical, "to_quads", recording)
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert result.verified, result.error
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert result.expanded_jsonld == (unsecured in expanded)


@pytest.mark.parametrize(("suite", "key_type", "method"), CASES)
def test_tampered_is_invalid(suite: str, key_type: KeyType, method: str) -> None:
    signed, resolver = _sign(suite, key_type, method)
    signed["credentialSubject"]["achievement"]["name"] += " (edited)"
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert isinstance(result.error, InvalidSignature), result.error


@pytest.mark.parametrize(("suite", "key_type", "method"), CASES)
def test_unknown_suite_is_unsupported(suite: str, key_type: KeyType, method: str) -> None:
    signed, resolver = _sign(suite, key_type, method)
    signed["proof"]["type"] = "DataIntegrityProof"
    signed["proof"]["cryptosuite"] = "bbs-2023"
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert isinstance(result.error, UnsupportedSuite), result.error


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"])
def test_p256_signature_under_a_p384_key_is_refused(suite: str) -> None:
    """The signature length must be the one of the resolved key's curve."""
    signed, resolver = _sign(suite, KeyType.P384, "did:key")
    other, _ = _sign(suite, KeyType.P256, "did:key")
    signed["proof"]["proofValue"] = other["proof"]["proofValue"]
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert isinstance(result.error, InvalidProof)
    assert "with P-384 keys are 96 bytes, this one is 64" in str(result.error)


@pytest.mark.parametrize("key_type", [KeyType.P256, KeyType.P384])
def test_ecdsa_signature_must_be_raw_fixed_length(key_type: KeyType) -> None:
    """A DER signature (what OpenSSL emits by default) or a zero r is refused, not normalised."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    key = _key(key_type)
    raw = key.sign(b"data")
    size = len(raw) // 2
    r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    key.public_key.verify(raw, b"data")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(encode_dss_signature(r, s), b"data")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(raw[:-1], b"data")
    with pytest.raises(InvalidSignature):
        key.public_key.verify(bytes(size) + raw[size:], b"data")


def test_ecdsa_p384_hashes_with_sha384() -> None:
    """ecdsa-rdfc-2019 on P-384: hashData is two SHA-384 digests, signed as ES384."""
    from keys.suites.ecdsa_rdfc_2019 import ECDSA_RDFC_2019_P256, ECDSA_RDFC_2019_P384

    assert ECDSA_RDFC_2019_P384.digest(b"x") == hashlib.sha384(b"x").digest()
    assert ECDSA_RDFC_2019_P256.digest(b"x") == hashlib.sha256(b"x").digest()
    signed, resolver = _sign("ecdsa-rdfc-2019", KeyType.P384, "did:key")
    key = _key(KeyType.P384)
    proof = signed["proof"]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    config["@context"] = unsecured["@context"]
    loader = bundled_loader()
    hash_data = ECDSA_RDFC_2019_P384.digest(
        ECDSA_RDFC_2019_P384.canonicalize(config, loader).encode()
    ) + ECDSA_RDFC_2019_P384.digest(ECDSA_RDFC_2019_P384.canonicalize(unsecured, loader).encode())
    assert len(hash_data) == 96
    key.public_key.verify(base58.b58decode(proof["proofValue"][1:]), hash_data)


# ------------------------------------------------------------------------------------------
# The W3C eddsa-jcs-2022 vector, byte for byte.


def _read(path: Path) -> str:
    return path.read_text().strip()


def test_w3c_eddsa_jcs_2022_vector_byte_for_byte(vendor: Path) -> None:
    pair = json.loads((vendor / W3C / "keyPair.json").read_text())
    key = decode_secret_multikey(pair["privateKeyMultibase"])
    unsigned = json.loads((vendor / W3C / "unsigned.json").read_text())
    config = json.loads((vendor / JCS / "proofConfigJCS.json").read_text())
    signed = json.loads((vendor / JCS / "signedJCS.json").read_text())
    loader = bundled_loader()

    assert canonicalize_jcs(unsigned, loader) == _read(vendor / JCS / "canonDocJCS.txt")
    assert canonicalize_jcs(config, loader) == _read(vendor / JCS / "proofCanonJCS.txt")
    doc_hash = hashlib.sha256(canonicalize_jcs(unsigned, loader).encode()).hexdigest()
    proof_hash = hashlib.sha256(canonicalize_jcs(config, loader).encode()).hexdigest()
    assert doc_hash == _read(vendor / JCS / "docHashJCS.txt")
    assert proof_hash == _read(vendor / JCS / "proofHashJCS.txt")
    assert proof_hash + doc_hash == _read(vendor / JCS / "combinedHashJCS.txt")

    result = add_proof(
        unsigned,
        suite="eddsa-jcs-2022",
        key=key,
        options=ProofOptions(
            verification_method=config["verificationMethod"], created=config["created"]
        ),
        loader=loader,
    )
    assert result == signed  # the whole signed document, proof @context and all
    signature = base58.b58decode(result["proof"]["proofValue"][1:])
    assert signature.hex() == _read(vendor / JCS / "sigHexJCS.txt")
    assert result["proof"]["proofValue"] == _read(vendor / JCS / "sigBTC58JCS.txt")
    [outcome] = verify_proofs(signed, loader=loader, resolver=KeyResolver())
    assert outcome.verified, outcome.error


def test_jcs_proof_context_must_prefix_the_documents(vendor: Path) -> None:
    signed = json.loads((vendor / JCS / "signedJCS.json").read_text())
    changed = copy.deepcopy(signed)
    changed["proof"]["@context"] = list(reversed(changed["proof"]["@context"]))
    [outcome] = verify_proofs(changed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(outcome.error, InvalidProof)
    assert "does not begin with the proof's @context" in str(outcome.error)


def test_jcs_refuses_what_it_cannot_represent() -> None:
    with pytest.raises(InvalidProof):
        canonicalize_jcs({"n": float("nan")}, bundled_loader())


def test_p384_rdfc_uses_sha384_as_the_canonicalization_hash() -> None:
    """RDFC-1.0's hash parameter: the P-384 variant labels blank nodes with SHA-384 (Digital
    Bazaar does; tests/interop/test_suites_interop.py compares the bytes with rdf-canonize)."""
    from keys.suites.ecdsa_rdfc_2019 import ECDSA_RDFC_2019_P256, ECDSA_RDFC_2019_P384
    from schemas.canonical import canonicalize

    credential = sample_micro_credential(issuer_id="did:example:issuer")
    loader = bundled_loader()
    p256 = ECDSA_RDFC_2019_P256.canonicalize(credential, loader)
    p384 = ECDSA_RDFC_2019_P384.canonicalize(credential, loader)
    assert p256 == canonicalize(credential, loader=loader)
    assert p384 == canonicalize(credential, loader=loader, hash_algorithm="sha384")
    assert p256 != p384 and sorted(p256.splitlines()) != sorted(p384.splitlines())
    with pytest.raises(ValueError):
        canonicalize(credential, loader=loader, hash_algorithm="md5")


def test_an_rdfc_proof_with_its_own_context_is_read_under_the_documents() -> None:
    """Only the JCS suites compare a proof's @context with the document's; an RDFC proof that
    carries one (some older signers add it) is hashed under the document's @context as before."""
    signed, resolver = _sign("eddsa-rdfc-2022", KeyType.ED25519, "did:key")
    signed["proof"]["@context"] = "https://w3id.org/security/data-integrity/v2"
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert result.verified, result.error


#: Second spellings of one proofValue: the ``base58`` package strips trailing whitespace, so
#: each decodes to the very same signature bytes (base58 itself has one spelling per bytes).
SAME_BYTES = {
    "trailing space": lambda v: v + " ",
    "trailing newline": lambda v: v + "\n",
    "trailing tab and CRLF": lambda v: v + "\t\r\n",
}


@pytest.mark.parametrize("mangle", list(SAME_BYTES), ids=str)
@pytest.mark.parametrize(
    ("suite", "key_type"),
    [
        ("eddsa-rdfc-2022", KeyType.ED25519),
        ("Ed25519Signature2020", KeyType.ED25519),
        ("eddsa-jcs-2022", KeyType.ED25519),
        ("ecdsa-rdfc-2019", KeyType.P256),
        ("ecdsa-jcs-2019", KeyType.P384),
    ],
)
def test_proof_value_is_decoded_strictly(suite: str, key_type: KeyType, mangle: str) -> None:
    """One signature, one spelling: a proofValue whose base58 decodes (leniently) to the valid
    signature's bytes is still refused, since decoding re-encodes and compares."""
    signed, resolver = _sign(suite, key_type, "did:key")
    proof_value = signed["proof"]["proofValue"]
    mangled = SAME_BYTES[mangle](proof_value)
    assert base58.b58decode(mangled[1:]) == base58.b58decode(proof_value[1:])
    signed["proof"]["proofValue"] = mangled
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert isinstance(result.error, InvalidProof), result.error
    assert "not canonical base58btc" in str(result.error)
