"""VC-API verification over HTTP: the 200/400 shapes, ``options.checks``, proof chains, the 2020
suite, VC-JWT, presentations with right and wrong challenge and domain.

Credentials here are signed in the test with did:key keys (no service issuer needed), except
where the service's own issuing is the point.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.app import create_app
from issuer.settings import Settings
from keys.did import did_key
from keys.keypairs import KeyType, SigningKey
from keys.suites import ProofOptions, add_proof
from schemas.loader import bundled_loader, preloading_loader
from tests.issuer.support import BASE_URL, award_http, bearer
from tests.issuer.test_vcapi import VC2, configured_client, issue, vc2, verify
from verifier.settings import VerifierSettings

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

ISSUER_KEY = SigningKey.from_seed(bytes(range(32)))
NOTARY_KEY = SigningKey.from_seed(bytes(range(1, 33)))
HOLDER_KEY = SigningKey.from_seed(bytes(range(2, 34)))
STRANGER_KEY = SigningKey.from_seed(bytes(range(3, 35)))


def _vm(key: SigningKey) -> str:
    did = did_key(key.public_key)
    return f"{did}#{did.removeprefix('did:key:')}"


def sign(
    document: dict[str, Any],
    key: SigningKey = ISSUER_KEY,
    suite: str = "eddsa-rdfc-2022",
    **options: Any,
) -> dict[str, Any]:
    return add_proof(
        document,
        suite=suite,
        key=key,
        options=ProofOptions(verification_method=_vm(key), **options),
        loader=bundled_loader(),
    )


def credential(**fields: Any) -> dict[str, Any]:
    return vc2(did_key(ISSUER_KEY.public_key), validFrom="2026-01-01T00:00:00Z", **fields)


def _shape(body: dict[str, Any]) -> None:
    assert isinstance(body["verified"], bool)
    assert isinstance(body["checks"], list)
    assert isinstance(body["warnings"], list)
    assert isinstance(body["errors"], list)
    for entry in body["errors"] + body["warnings"]:
        assert isinstance(entry["name"], str) and isinstance(entry["message"], str)


# ------------------------------------------------------------------------------ credentials


def test_a_credential_that_verifies_is_200_with_its_checks(client: TestClient) -> None:
    response = verify(client, sign(credential()))
    assert response.status_code == 200, response.text
    body = response.json()
    _shape(body)
    assert body["verified"] is True
    assert body["errors"] == []
    # A did:key issuer is none of this service's: verified, with the trust warning.
    assert [w["name"] for w in body["warnings"]] == ["untrusted_issuer"]
    assert body["report"]["trust"]["status"] == "not-established"
    assert {"proof", "issuer_key", "context", "validity", "schema"} <= set(body["checks"])
    # Not an Open Badge: the VC Data Model's rules apply, not the OB schema, and the report
    # says the same as `verified` (it said "invalid" before issue 12).
    assert body["report"]["verdict"] == "valid"
    schema = {c["id"]: c for c in body["report"]["checks"]}["schema"]
    assert schema["details"]["profile"] == "vc-data-model"


def test_a_tampered_credential_is_400_with_the_same_shape(client: TestClient) -> None:
    tampered = sign(credential())
    tampered["name"] = "Something else"
    response = verify(client, tampered)
    assert response.status_code == 400
    body = response.json()
    _shape(body)
    assert body["verified"] is False
    assert "proof" not in body["checks"]
    [error] = [e for e in body["errors"] if e["check"] == "proof"]
    assert error["name"] == "invalid_signature"


def test_an_unsigned_credential_is_400_no_proof(client: TestClient) -> None:
    response = verify(client, credential())
    assert response.status_code == 400
    assert "no_proof" in {e["name"] for e in response.json()["errors"]}


def test_an_expired_credential_fails_unless_only_the_proof_is_required(client) -> None:
    expired = sign(credential(validUntil="2026-02-01T00:00:00Z"))
    response = verify(client, expired)
    assert response.status_code == 400
    assert [e["name"] for e in response.json()["errors"]] == ["expired"]
    response = verify(client, expired, checks=["proof"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checks"] == ["proof"]
    assert "expired" in {w["name"] for w in body["warnings"]}


def test_check_aliases_are_understood(client: TestClient) -> None:
    response = verify(client, sign(credential()), checks=["valid_signature", "expiration"])
    assert response.status_code == 200
    assert response.json()["checks"] == ["proof", "validity"]


def test_a_required_check_that_does_not_apply_is_a_warning(client: TestClient) -> None:
    response = verify(client, sign(credential()), checks=["proof", "credentialStatus"])
    assert response.status_code == 200
    assert "status_not_applicable" in {w["name"] for w in response.json()["warnings"]}


def test_a_vc2_credential_without_validfrom_verifies(client: TestClient) -> None:
    document = vc2(did_key(ISSUER_KEY.public_key))
    response = verify(client, sign(document))
    assert response.status_code == 200, response.text
    expired = sign(vc2(did_key(ISSUER_KEY.public_key), validUntil="2020-01-01T00:00:00Z"))
    assert verify(client, expired).status_code == 400


def test_a_key_not_the_issuers_fails_issuer_key(client: TestClient) -> None:
    response = verify(client, sign(credential(), key=STRANGER_KEY))
    assert response.status_code == 400
    assert "issuer_key_mismatch" in {e["name"] for e in response.json()["errors"]}


def test_an_unreachable_status_list_is_not_verified(client: TestClient) -> None:
    status = {
        "id": f"{BASE_URL}/status/nope#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": f"{BASE_URL}/status/nope",
    }
    response = verify(client, sign(credential(credentialStatus=status)))
    assert response.status_code == 400  # fail closed, unlike DCC
    assert "status_list_not_found" in {e["name"] for e in response.json()["errors"]}


def test_ed25519signature2020_verifies(client: TestClient) -> None:
    signed = sign(credential(), suite="Ed25519Signature2020")
    assert signed["proof"]["type"] == "Ed25519Signature2020"
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    tampered = {**signed, "name": "Other"}
    assert verify(client, tampered).status_code == 400


@pytest.mark.parametrize(
    ("suite", "key_type"),
    [
        ("ecdsa-rdfc-2019", KeyType.P256),
        ("ecdsa-rdfc-2019", KeyType.P384),
        ("eddsa-jcs-2022", KeyType.ED25519),
        ("ecdsa-jcs-2019", KeyType.P256),
        ("ecdsa-jcs-2019", KeyType.P384),
    ],
)
def test_every_suite_verifies(client: TestClient, suite: str, key_type: KeyType) -> None:
    key = SigningKey.generate(key_type)
    signed = sign(vc2(did_key(key.public_key), validFrom="2026-01-01T00:00:00Z"), key, suite)
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    assert verify(client, {**signed, "name": "Other"}).status_code == 400


def test_an_unknown_suite_cannot_be_checked(client: TestClient) -> None:
    """Not verified (an indeterminate check never verifies), named for what it is."""
    signed = sign(credential())
    signed["proof"]["cryptosuite"] = "bbs-2023"
    response = verify(client, signed)
    assert response.status_code == 400
    body = response.json()
    [error] = [e for e in body["errors"] if e["check"] == "proof"]
    assert error["name"] == "unsupported_proof_suite"
    assert "cannot be checked: unsupported proof suite" in error["message"]
    [proof] = [c for c in body["report"]["checks"] if c["id"] == "proof"]
    assert proof["outcome"] == "indeterminate"


def test_a_vc_jwt_verifies(client: TestClient, auth, issuer) -> None:
    body = award_http(client, auth)
    token = client.get(f"/credentials/{body['id']}.jwt").text
    response = verify(client, token)
    assert response.status_code == 200, response.text
    assert "schema" in response.json()["checks"]  # an Open Badge: its schema applies


def test_a_credential_issued_here_verifies(client: TestClient, auth, issuer) -> None:
    signed = issue(client, auth, vc2(issuer.did))
    response = verify(client, signed)
    assert response.status_code == 200
    # Its issuer is one of this service's own: recognised, by that list and entry.
    assert response.json()["warnings"] == []
    assert response.json()["report"]["trust"] == {
        "status": "established",
        "list": "this service's issuers",
        "entry": {"id": issuer.did, "name": issuer.name},
        "reason": f'The issuer {issuer.did} is on the trust list "this service\'s issuers".',
    }


# ------------------------------------------------------------------------------ chains


def _chain() -> dict[str, Any]:
    """An issuer's proof, then a notary's proof over it (``previousProof``)."""
    first = sign(credential(), id="urn:uuid:proof-1")
    return sign(first, key=NOTARY_KEY, id="urn:uuid:proof-2", previous_proof="urn:uuid:proof-1")


def test_a_previous_proof_chain_verifies(client: TestClient) -> None:
    chained = _chain()
    assert [p["id"] for p in chained["proof"]] == ["urn:uuid:proof-1", "urn:uuid:proof-2"]
    assert chained["proof"][1]["previousProof"] == "urn:uuid:proof-1"
    response = verify(client, chained)
    assert response.status_code == 200, response.text
    proofs = response.json()["report"]["checks"][3]["details"]["proofs"]
    assert [p["verified"] for p in proofs] == [True, True]


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda c: c["proof"][0].update(proofValue="z" + "1" * 86), id="first bad"),
        pytest.param(lambda c: c["proof"].pop(0), id="first removed"),
        pytest.param(lambda c: c["proof"][1].update(previousProof="urn:uuid:nope"), id="dangling"),
        pytest.param(lambda c: c["proof"].reverse() or c["proof"][0].pop("id"), id="id removed"),
        pytest.param(lambda c: c.update(name="Changed after both proofs"), id="content changed"),
    ],
)
def test_a_broken_chain_is_not_verified(client: TestClient, break_it) -> None:
    chained = copy.deepcopy(_chain())
    break_it(chained)
    response = verify(client, chained)
    assert response.status_code == 400, response.text
    assert "invalid_signature" in {e["name"] for e in response.json()["errors"]}


def test_a_proof_set_with_one_bad_proof_is_not_verified(client: TestClient) -> None:
    both = sign(sign(credential()), key=NOTARY_KEY)
    assert verify(client, both).status_code == 200
    both["proof"][1]["proofValue"] = both["proof"][0]["proofValue"]
    assert verify(client, both).status_code == 400


# ------------------------------------------------------------------------------ bad requests


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"credential": {}}, id="other member"),
        pytest.param({"verifiableCredential": None}, id="null"),
        pytest.param({"verifiableCredential": 4}, id="number"),
        pytest.param({"verifiableCredential": []}, id="array"),
        pytest.param({"verifiableCredential": "not a jws"}, id="string"),
        pytest.param({"verifiableCredential": {"type": ["Nothing"]}}, id="not a credential"),
        pytest.param({"verifiableCredential": {"a": 1}, "options": 4}, id="options number"),
        pytest.param({"verifiableCredential": {"a": 1}, "options": {"checks": "proof"}}, id="ck"),
        pytest.param({"verifiableCredential": {"a": 1}, "options": {"checks": ["x"]}}, id="ck2"),
        pytest.param([], id="body array"),
        pytest.param("x", id="body string"),
    ],
)
def test_a_bad_verify_request_is_400_with_the_verify_shape(client: TestClient, body) -> None:
    response = client.post(
        "/credentials/verify",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    result = response.json()
    _shape(result)
    assert result["verified"] is False
    assert result["errors"][0]["name"] in ("invalid_request", "invalid_credential", "PARSING_ERROR")


def test_a_credential_sent_as_a_json_string_is_a_parsing_error(client: TestClient) -> None:
    """It was 200 verified: the string was read as JSON text (fails before issue 12)."""
    signed = sign(credential())
    response = verify(client, json.dumps(signed))
    assert response.status_code == 400, response.text
    assert response.json()["verified"] is False
    assert response.json()["errors"][0]["name"] == "PARSING_ERROR"
    assert verify(client, signed).status_code == 200  # the same credential as an object


@pytest.mark.parametrize("previous", [456321, {"id": "urn:uuid:proof-1"}, [1, 2], True])
def test_a_malformed_previous_proof_is_400_without_a_traceback(client, caplog, previous) -> None:
    """A number made _dependency_order raise TypeError (logged as a traceback) before issue 12."""
    chained = copy.deepcopy(_chain())
    chained["proof"][1]["previousProof"] = previous
    with caplog.at_level("ERROR"):
        response = verify(client, chained)
    assert response.status_code == 400, response.text
    assert "invalid_signature" in {e["name"] for e in response.json()["errors"]}
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"


def test_not_json_is_400(client: TestClient) -> None:
    response = client.post("/credentials/verify", content=b"{", headers={"content-type": "a/b"})
    assert response.status_code == 400
    assert response.json()["verified"] is False


def test_a_presentation_sent_as_a_credential_is_400(client: TestClient) -> None:
    presentation = {"@context": [VC2], "type": ["VerifiablePresentation"]}
    response = verify(client, presentation)
    assert response.status_code == 400
    assert "/presentations/verify" in response.json()["errors"][0]["message"]


def test_verification_needs_no_token(client: TestClient) -> None:
    assert verify(client, sign(credential())).status_code == 200


# ------------------------------------------------------------------------------ presentations


def presentation(*credentials: dict[str, Any], **proof: Any) -> dict[str, Any]:
    document = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": did_key(HOLDER_KEY.public_key),
        "verifiableCredential": list(credentials),
    }
    if not credentials:
        document.pop("verifiableCredential")
    if proof is None:
        return document
    return sign(document, key=HOLDER_KEY, proof_purpose="authentication", **proof)


def verify_vp(client: TestClient, vp: dict[str, Any], **options: Any) -> Any:
    body: dict[str, Any] = {"verifiablePresentation": vp}
    if options:
        body["options"] = options
    return client.post("/presentations/verify", json=body)


def test_a_presentation_with_the_right_challenge_and_domain_verifies(client) -> None:
    vp = presentation(sign(credential()), challenge="c-123", domain="verifier.example")
    response = verify_vp(client, vp, challenge="c-123", domain="verifier.example")
    assert response.status_code == 200, response.text
    body = response.json()
    _shape(body)
    assert body["verified"] is True
    assert body["checks"] == ["proof"]
    assert body["presentationResult"]["verified"] is True
    [result] = body["credentialResults"]
    assert result["verified"] is True
    assert result["credentialId"] is None or isinstance(result["credentialId"], str)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"challenge": "other", "domain": "verifier.example"}, id="wrong challenge"),
        pytest.param({"challenge": "c-123", "domain": "evil.example"}, id="wrong domain"),
    ],
)
def test_a_presentation_with_a_wrong_challenge_or_domain_fails(client, options) -> None:
    vp = presentation(sign(credential()), challenge="c-123", domain="verifier.example")
    response = verify_vp(client, vp, **options)
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert body["presentationResult"]["verified"] is False
    assert body["credentialResults"][0]["verified"] is True  # the credential itself is fine
    assert body["errors"][0]["name"] == "invalid_signature"


def test_an_unsigned_presentation_fails(client: TestClient) -> None:
    vp = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [sign(credential())],
    }
    response = verify_vp(client, vp, challenge="c-1")
    assert response.status_code == 400
    assert response.json()["errors"][0]["name"] == "no_proof"


def test_a_presentation_signed_for_assertion_fails(client: TestClient) -> None:
    vp = presentation(sign(credential()))
    vp["proof"]["proofPurpose"] = "assertionMethod"
    assert verify_vp(client, vp).status_code == 400


def test_a_bad_credential_in_a_good_presentation_fails(client: TestClient) -> None:
    good = sign(credential(id="urn:uuid:6e0d1f08-1111-4c4c-9a9a-000000000001"))
    bad = sign(credential(id="urn:uuid:6e0d1f08-1111-4c4c-9a9a-000000000002"))
    bad["name"] = "Tampered"
    vp = presentation(good, bad, challenge="c-9")
    response = verify_vp(client, vp, challenge="c-9")
    assert response.status_code == 400
    body = response.json()
    assert body["presentationResult"]["verified"] is True
    assert [r["verified"] for r in body["credentialResults"]] == [True, False]
    assert body["errors"][0]["credential"] == 1


def test_a_presentation_without_credentials_is_a_did_auth(client: TestClient) -> None:
    vp = presentation(challenge="login-7")
    response = verify_vp(client, vp, challenge="login-7")
    assert response.status_code == 200, response.text
    assert response.json()["credentialResults"] == []


def test_no_challenge_expected_is_a_warning(client: TestClient) -> None:
    vp = presentation(sign(credential()), challenge="c-1")
    response = verify_vp(client, vp)
    assert response.status_code == 200
    assert "no_challenge" in {w["name"] for w in response.json()["warnings"]}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"verifiablePresentation": None}, id="null"),
        pytest.param({"verifiablePresentation": "eyJ.x.y"}, id="vp-jwt"),
        pytest.param({"verifiablePresentation": {"type": ["VerifiableCredential"]}}, id="a vc"),
        pytest.param({"verifiablePresentation": {"type": "VerifiablePresentation"},
                      "options": {"challenge": 5}}, id="challenge number"),
    ],
)  # fmt: skip
def test_a_bad_presentation_request_is_400(client: TestClient, body) -> None:
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 400
    assert response.json()["verified"] is False


# ------------------------------------------------------------------------------ W3C contexts

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.fixture
def examples_context(vendor: Path) -> str:
    """``MICROCRED_VCAPI_CONTEXTS`` entry for the W3C examples context (test suites use it)."""
    return f"{EXAMPLES_V2}={vendor / 'vc-data-model/contexts/credentials/examples/v2'}"


def test_the_w3c_proof_chain_vector_verifies_with_the_examples_context(
    client: TestClient, settings, engine, runtime, vendor: Path, examples_context: str
) -> None:
    vector = json.loads(
        (vendor / "vc-di-eddsa/TestVectors/proof-set-chain/signedProofChain2.json").read_text()
    )
    # Two proofs, a third over both (previousProof: [id, id]), a fourth over the third.
    assert vector["proof"][2]["previousProof"] == [p["id"] for p in vector["proof"][:2]]
    assert vector["proof"][3]["previousProof"] == vector["proof"][2]["id"]
    # Not a context this service carries, unless configured.
    response = verify(client, vector, checks=["proof"])
    assert response.status_code == 400
    with configured_client(settings, engine, runtime, vcapi_contexts=[examples_context]) as c:
        # Its issuer is an https URL whose key is a did:key: only the proofs are asked for.
        response = verify(c, vector, checks=["proof"])
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == ["proof"]
        proofs = response.json()["report"]["checks"][3]["details"]["proofs"]
        assert [p["verified"] for p in proofs] == [True] * 4
        broken = copy.deepcopy(vector)
        broken["proof"][0]["proofValue"] = vector["proof"][1]["proofValue"]
        assert verify(c, broken, checks=["proof"]).status_code == 400


def test_a_test_suite_credential_issues_with_the_examples_context(
    settings, engine, runtime, issuer, admin_token: str, examples_context: str
) -> None:
    credential = {
        "@context": [VC2, EXAMPLES_V2],
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": issuer.did,
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    }
    with configured_client(settings, engine, runtime, vcapi_contexts=[examples_context]) as c:
        signed = issue(c, bearer(admin_token), credential)
        assert verify(c, signed).status_code == 200


def test_a_bad_contexts_setting_stops_start_up(tmp_path: Path) -> None:
    missing = f"{EXAMPLES_V2}={tmp_path / 'nope.jsonld'}"
    with pytest.raises(ValueError, match="cannot read"):
        Settings(vcapi_contexts=[missing])
    (tmp_path / "bad.jsonld").write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        Settings(vcapi_contexts=[f"{EXAMPLES_V2}={tmp_path / 'bad.jsonld'}"])


def test_a_signed_credential_with_a_context_we_do_not_carry_is_400(client, vendor) -> None:
    """Regression: the proof's ContextNotBundled error was made its own cause's cause, and the
    proof check followed that chain forever (the request never returned)."""
    vector = json.loads(
        (vendor / "vc-di-eddsa/TestVectors/proof-set-chain/signedProofSet2.json").read_text()
    )
    response = verify(client, vector)
    assert response.status_code == 400
    names = {e["name"] for e in response.json()["errors"]}
    assert {"invalid_jsonld", "invalid_signature"} <= names
    assert "examples/v2" in response.text


# ------------------------------------------------------------------------------ operator contexts

OFFICE_CONTEXT_URL = "https://office.example/contexts/classroom/v1"
OFFICE_CONTEXT = {
    "@context": {
        "@protected": True,
        "favouriteColour": "https://office.example/vocab#favouriteColour",
    }
}


def test_operator_contexts_reach_the_vcapi_verifier(
    settings: Settings, engine, runtime, tmp_path: Path
) -> None:
    """``MICROCRED_VERIFIER_CONTEXTS`` applies to ``/credentials/verify`` as to ``/verify``:
    the VC-API adds its own contexts on top of the verifier's loader, not instead of it."""
    unsigned = credential(
        credentialSubject={"id": "did:example:teacher", "favouriteColour": "teal"}
    )
    unsigned["@context"] = [*unsigned["@context"], OFFICE_CONTEXT_URL]
    signed = add_proof(
        unsigned,
        suite="eddsa-rdfc-2022",
        key=ISSUER_KEY,
        options=ProofOptions(verification_method=_vm(ISSUER_KEY)),
        loader=preloading_loader(bundled_loader(), {OFFICE_CONTEXT_URL: OFFICE_CONTEXT}),
    )
    context_file = tmp_path / "classroom.jsonld"
    context_file.write_text(json.dumps(OFFICE_CONTEXT))
    answers = {}
    for label, contexts in (("without", []), ("with", [f"{OFFICE_CONTEXT_URL}={context_file}"])):
        app = create_app(
            settings,
            engine=engine,
            runtime=runtime,
            verifier_settings=VerifierSettings(contexts=contexts),
        )
        with TestClient(app, base_url=BASE_URL) as client:
            answers[label] = client.post(
                "/credentials/verify", json={"verifiableCredential": signed}
            )
    assert answers["without"].status_code == 400
    assert answers["with"].status_code == 200, answers["with"].json()
    assert answers["with"].json()["verified"] is True


def test_the_verify_endpoints_take_the_verifiers_body_limit(settings, engine, runtime) -> None:
    """``MICROCRED_VERIFIER_MAX_BODY_BYTES`` bounds ``/credentials/verify`` and
    ``/presentations/verify`` exactly as it bounds ``/verify`` (the VC-API's reader once kept
    a fixed 2 MB of its own, whatever the setting)."""
    limit = 4096
    app = create_app(
        settings,
        engine=engine,
        runtime=runtime,
        verifier_settings=VerifierSettings(max_body_bytes=limit),
    )
    signed = json.dumps({"verifiableCredential": sign(credential())})
    headers = {"content-type": "application/json"}
    with TestClient(app, base_url=BASE_URL) as client:
        for path in ("/verify", "/credentials/verify", "/presentations/verify"):
            read = client.post(path, content=signed.ljust(limit).encode(), headers=headers)
            assert read.status_code != 413, (path, read.text)
            over = client.post(path, content=signed.ljust(limit + 1).encode(), headers=headers)
            assert over.status_code == 413, (path, over.text)
            assert str(limit) in over.json()["detail"]
