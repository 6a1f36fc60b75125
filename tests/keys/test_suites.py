"""Embedded proof suites: the published vectors byte for byte, round trips, proof sets and
chains, and the property that changing any single value breaks the signature."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keys.did import KeyResolver, did_document, did_key
from keys.errors import InvalidProof, InvalidSignature, KeyResolutionError, UnsupportedSuite
from keys.keypairs import KeyType, SigningKey
from keys.multikey import decode_secret_multikey
from keys.suites import ProofExpectations, ProofOptions, add_proof, get_suite, verify_proofs
from schemas.loader import bundled_loader, preloading_loader
from schemas.samples import sample_micro_credential

OB_VECTOR = "openbadges-specification/_extracted/impl-linked-data-proof-ob"
W3C = "vc-di-eddsa/TestVectors"
DCV = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


class DictFetcher:
    """Serves controller / DID documents from memory, as the guarded fetcher would."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        from keys.errors import FetchStatusError

        if url not in self.documents:
            raise FetchStatusError(f"404 for {url}", url=url, status=404)
        return self.documents[url]


def controller_document(controller: str, key_id: str, public_multibase: str) -> dict[str, Any]:
    """What an issuer publishes at its https id: the key, listed for assertionMethod."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {
                "id": key_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": public_multibase,
            }
        ],
        "assertionMethod": [key_id],
    }


@pytest.fixture(scope="module")
def w3c_loader(vendor: Path):
    examples = _json(vendor / "vc-data-model/contexts/credentials/examples/v2")
    return preloading_loader(bundled_loader(), {EXAMPLES_V2: examples})


@pytest.fixture(scope="module")
def ob_vector(vendor: Path) -> dict[str, Any]:
    return _json(vendor / OB_VECTOR / "vector.json")


def test_ob_vector_is_reproduced_byte_for_byte(vendor: Path) -> None:
    unsigned = _json(vendor / OB_VECTOR / "unsigned-credential.json")
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    options = _json(vendor / OB_VECTOR / "proof-options.json")
    key = SigningKey.from_seed(
        bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
    )
    result = add_proof(
        unsigned,
        suite="eddsa-rdfc-2022",
        key=key,
        options=ProofOptions(
            verification_method=options["verificationMethod"], created=options["created"]
        ),
        loader=bundled_loader(),
    )
    assert result["proof"]["proofValue"] == (
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
    )
    assert result == signed


def test_ob_vector_verifies_through_its_issuers_controller_document(vendor: Path) -> None:
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    vm = signed["proof"]["verificationMethod"]
    controller = vm.split("#")[0]
    multibase = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    resolver = KeyResolver(
        fetcher=DictFetcher({controller: controller_document(controller, vm, multibase)})
    )
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=resolver)
    assert result.verified, result.error
    assert result.method is not None and result.method.controller == controller


def test_key_in_url_fragment_alone_binds_nothing(vendor: Path) -> None:
    """1EdTech's validator reads the key out of `issuer#z6Mk...`; we need the issuer to say so."""
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver(fetcher=None))
    assert not result.verified
    assert isinstance(result.error, KeyResolutionError)


def test_w3c_eddsa_rdfc_2022_vector(vendor: Path, w3c_loader) -> None:
    pair = _json(vendor / W3C / "keyPair.json")
    key = decode_secret_multikey(pair["privateKeyMultibase"])
    signed = _json(vendor / W3C / "eddsa-rdfc-2022/signedDataInt.json")
    config = _json(vendor / W3C / "eddsa-rdfc-2022/proofConfigDataInt.json")
    unsigned = _json(vendor / W3C / "unsigned.json")
    result = add_proof(
        unsigned,
        suite="eddsa-rdfc-2022",
        key=key,
        options=ProofOptions(
            verification_method=config["verificationMethod"], created=config["created"]
        ),
        loader=w3c_loader,
    )
    assert result["proof"]["proofValue"] == signed["proof"]["proofValue"]
    [outcome] = verify_proofs(signed, loader=w3c_loader, resolver=KeyResolver())
    assert outcome.verified, outcome.error


def test_w3c_ed25519_signature_2020_vector(vendor: Path, w3c_loader) -> None:
    pair = _json(vendor / W3C / "keyPair.json")
    key = decode_secret_multikey(pair["privateKeyMultibase"])
    signed = _json(vendor / W3C / "Ed25519Signature2020/signedEdSig.json")
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    result = add_proof(
        unsigned,
        suite="Ed25519Signature2020",
        key=key,
        options=ProofOptions(
            verification_method=signed["proof"]["verificationMethod"],
            created=signed["proof"]["created"],
        ),
        loader=w3c_loader,
    )
    assert result["proof"]["proofValue"] == signed["proof"]["proofValue"]
    [outcome] = verify_proofs(signed, loader=w3c_loader, resolver=KeyResolver())
    assert outcome.verified, outcome.error


def test_w3c_proof_chain_vector(vendor: Path, w3c_loader) -> None:
    signed = _json(vendor / W3C / "proof-set-chain/signedProofChain2.json")
    results = verify_proofs(signed, loader=w3c_loader, resolver=KeyResolver())
    assert len(results) >= 3
    assert all(r.verified for r in results), [str(r.error) for r in results]
    # Break the first proof: every proof that chains onto it fails too.
    broken = copy.deepcopy(signed)
    broken["proof"][0]["proofValue"] = broken["proof"][1]["proofValue"]
    results = verify_proofs(broken, loader=w3c_loader, resolver=KeyResolver())
    assert not results[0].verified
    chained = [r for r in results if r.proof.get("previousProof")]
    assert chained and not any(r.verified for r in chained)


@pytest.mark.parametrize(
    "fixture",
    ["simple-did-key-method.json", "simple.json", "complete.json", "simple-eddsa-2022.json"],
)
def test_1edtech_validator_fixtures_verify(vendor: Path, fixture: str) -> None:
    credential = _json(vendor / DCV / fixture)
    documents = {}
    for proof in (
        credential["proof"] if isinstance(credential["proof"], list) else [credential["proof"]]
    ):
        vm = proof["verificationMethod"]
        if vm.startswith("http"):
            controller, _, fragment = vm.partition("#")
            documents[controller] = controller_document(controller, vm, fragment)
    resolver = KeyResolver(fetcher=DictFetcher(documents))
    results = verify_proofs(credential, loader=bundled_loader(), resolver=resolver)
    assert any(r.verified for r in results), [str(r.error) for r in results]


def test_1edtech_bad_proof_value_fixture_fails(vendor: Path) -> None:
    credential = _json(vendor / DCV / "simple-err-proof-value.json")
    vm = (
        credential["proof"][0]["verificationMethod"]
        if isinstance(credential["proof"], list)
        else credential["proof"]["verificationMethod"]
    )
    controller, _, fragment = vm.partition("#")
    fetcher = DictFetcher({controller: controller_document(controller, vm, fragment)})
    results = verify_proofs(
        credential, loader=bundled_loader(), resolver=KeyResolver(fetcher=fetcher)
    )
    assert not any(r.verified for r in results)


@pytest.fixture(scope="module")
def issuer_key() -> SigningKey:
    return SigningKey.generate(KeyType.ED25519)


def _signed(key: SigningKey, suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
    did = did_key(key.public_key)
    credential = sample_micro_credential(issuer_id=did)
    return add_proof(
        credential,
        suite=suite,
        key=key,
        options=ProofOptions(verification_method=f"{did}#{did.removeprefix('did:key:')}"),
        loader=bundled_loader(),
    )


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_round_trip(issuer_key: SigningKey, suite: str) -> None:
    signed = _signed(issuer_key, suite)
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert result.verified, result.error
    assert result.suite == suite
    assert result.method is not None and result.method.controller == signed["issuer"]["id"]


def test_proof_set_with_both_suites(issuer_key: SigningKey) -> None:
    signed = _signed(issuer_key, "eddsa-rdfc-2022")
    did = signed["issuer"]["id"]
    both = add_proof(
        signed,
        suite="Ed25519Signature2020",
        key=issuer_key,
        options=ProofOptions(verification_method=f"{did}#{did.removeprefix('did:key:')}"),
        loader=bundled_loader(),
    )
    results = verify_proofs(both, loader=bundled_loader(), resolver=KeyResolver())
    assert [r.suite for r in results] == ["eddsa-rdfc-2022", "Ed25519Signature2020"]
    assert all(r.verified for r in results), [str(r.error) for r in results]


def test_did_web_issuer_round_trip(issuer_key: SigningKey) -> None:
    did = "did:web:ped.nm.example"
    document = did_document(did, [issuer_key.public_key])
    vm = document["assertionMethod"][0]
    credential = sample_micro_credential(issuer_id=did)
    signed = add_proof(
        credential,
        suite="eddsa-rdfc-2022",
        key=issuer_key,
        options=ProofOptions(verification_method=vm),
        loader=bundled_loader(),
    )
    fetcher = DictFetcher({"https://ped.nm.example/.well-known/did.json": document})
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver(fetcher=fetcher))
    assert result.verified, result.error


def test_wrong_key_fails(issuer_key: SigningKey) -> None:
    signed = _signed(issuer_key)
    other = SigningKey.generate(KeyType.ED25519)
    other_did = did_key(other.public_key)
    signed["proof"]["verificationMethod"] = f"{other_did}#{other_did.removeprefix('did:key:')}"
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, InvalidSignature)


def test_purpose_challenge_and_domain_are_enforced(issuer_key: SigningKey) -> None:
    signed = _signed(issuer_key)
    [result] = verify_proofs(
        signed,
        loader=bundled_loader(),
        resolver=KeyResolver(),
        expected=ProofExpectations(proof_purpose="authentication"),
    )
    assert isinstance(result.error, InvalidProof)
    [result] = verify_proofs(
        signed,
        loader=bundled_loader(),
        resolver=KeyResolver(),
        expected=ProofExpectations(challenge="abc"),
    )
    assert isinstance(result.error, InvalidProof)


def test_signature_length_comes_from_the_cryptosuite(issuer_key: SigningKey) -> None:
    import base58

    from keys.suites.eddsa_rdfc_2022 import EDDSA_RDFC_2022

    signed = _signed(issuer_key)
    signature = base58.b58decode(signed["proof"]["proofValue"][1:])
    assert len(signature) == EDDSA_RDFC_2022.signature_length == 64
    signed["proof"]["proofValue"] = "z" + base58.b58encode(signature + b"\0").decode()
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, InvalidProof)
    assert "signatures are 64 bytes, this one is 65" in str(result.error)


def test_unknown_cryptosuite_and_no_proof(issuer_key: SigningKey) -> None:
    signed = _signed(issuer_key)
    signed["proof"]["cryptosuite"] = "ecdsa-sd-2023"
    [result] = verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver())
    assert isinstance(result.error, UnsupportedSuite)
    del signed["proof"]
    assert verify_proofs(signed, loader=bundled_loader(), resolver=KeyResolver()) == []
    with pytest.raises(UnsupportedSuite):
        get_suite("nope")


def test_non_ed25519_key_cannot_sign_eddsa() -> None:
    with pytest.raises(UnsupportedSuite):
        _signed(SigningKey.generate(KeyType.P256))


# ------------------------------------------------------------------------------------------
# Property: any single change to a signed credential breaks its signature.


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        out = [prefix] if prefix else []
        for k, v in value.items():
            if k in ("proof", "@context"):
                continue
            out += _paths(v, (*prefix, k))
        return out
    if isinstance(value, list):
        out = [prefix]
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
        return out
    return [prefix]


def _get(document: Any, path: tuple) -> Any:
    for part in path:
        document = document[part]
    return document


@pytest.fixture(scope="module")
def signed_sample() -> dict[str, Any]:
    return _signed(SigningKey.generate(KeyType.ED25519))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_change_breaks_the_signature(signed_sample: dict[str, Any], data: Any) -> None:
    document = copy.deepcopy(signed_sample)
    paths = [p for p in _paths(document) if p]
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["change", "remove", "add"]))
    parent = _get(document, path[:-1])
    last = path[-1]
    if action == "remove":
        if isinstance(parent, list):
            parent.pop(last)
        else:
            del parent[last]
    elif action == "add":
        target = _get(document, path)
        if isinstance(target, dict):
            target["description"] = target.get("description", "") + " (amended)"
        elif isinstance(target, list) and target and isinstance(target[0], dict):
            extra = copy.deepcopy(target[0])
            extra["name"] = "an extra entry"
            target.append(extra)
        elif isinstance(target, list):
            target.append("extra value")
        else:
            parent[last] = [target, "extra value"] if not isinstance(parent, list) else target
            if isinstance(parent, list):
                parent.append("extra value")
    else:
        value = parent[last]
        if isinstance(value, bool):
            parent[last] = not value
        elif isinstance(value, int | float):
            parent[last] = value + 1
        elif isinstance(value, str):
            parent[last] = value + "x"
        else:
            parent[last] = "replaced"
    if document == signed_sample:
        return
    results = verify_proofs(document, loader=bundled_loader(), resolver=KeyResolver())
    assert not any(r.verified for r in results)
