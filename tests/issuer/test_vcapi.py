"""VC-API issuing over HTTP: every malformed body, the auth order, VC 1.1 and 2.0, options.

What is asserted of each refusal is the status code *and* the body's ``name`` / ``field``: a
caller must be able to tell which member to fix. The W3C VC-API test suites require 400 for a
malformed body, and never 401 from an authorised caller.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.app import create_app
from issuer.models import Issuer, Scope
from issuer.runtime import Runtime
from issuer.services.apikeys import create_api_key
from issuer.settings import Settings
from tests.issuer.support import BASE_URL, bearer, make_issuer

VC2 = "https://www.w3.org/ns/credentials/v2"
VC11 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DI = "https://w3id.org/security/data-integrity/v2"


# ------------------------------------------------------------------------------ helpers


def vc2(issuer: str | dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A plain VC 2.0 credential (not an Open Badge)."""
    return {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "name": "Teaching licence",
        "issuer": issuer,
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "Pat"},
        **fields,
    }


def vc11(issuer: str, **fields: Any) -> dict[str, Any]:
    """A VC 1.1 credential using only terms the VC 1.1 context defines."""
    return {
        "@context": [VC11],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
        **fields,
    }


def open_badge(issuer_did: str) -> dict[str, Any]:
    """An OB 3.0 credential as a DCC user posts it (issuer a Profile, no id)."""
    return {
        "@context": [VC2, OB],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "DCC Test Credential",
        "issuer": {
            "type": ["Profile"],
            "id": issuer_did,
            "name": "New Mexico Public Education Department",
        },
        "validFrom": "2026-08-02T17:43:32Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:example:learner",
            "achievement": {
                "id": "urn:uuid:bd6d9316-f7ae-4073-a1e5-2f7f5bd22922",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Badge",
                "description": "A sample credential.",
                "criteria": {"type": "Criteria", "narrative": "Did the work."},
            },
            "name": "Jane Doe",
        },
    }


def issue(
    client: TestClient,
    headers: dict[str, str],
    credential: Any,
    options: Any = None,
    *,
    path: str = "/credentials/issue",
) -> dict[str, Any]:
    """Issue, expecting 201; the signed credential."""
    body: dict[str, Any] = {"credential": credential}
    if options is not None:
        body["options"] = options
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["verifiableCredential"]


def verify(client: TestClient, credential: Any, **options: Any) -> Any:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options:
        body["options"] = options
    return client.post("/credentials/verify", json=body)


@pytest.fixture
def did(issuer: Issuer) -> str:
    return issuer.did


# ------------------------------------------------------------------------------ malformed


def _without(member: str) -> Any:
    def change(credential: dict[str, Any]) -> dict[str, Any]:
        credential.pop(member)
        return credential

    return change


def _setting(member: str, value: Any) -> Any:
    def change(credential: dict[str, Any]) -> dict[str, Any]:
        credential[member] = value
        return credential

    return change


RELATED = "credential.relatedResource"
#: Digests of https://www.w3.org/ns/credentials/v2 as W3C published them (VC DM 2.0 §B.1, and
#: the July 2024 revision the W3C suite's fixtures name), and wrong ones.
V2_SHA256_REC = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
V2_SRI = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"
V2_MULTIBASE = "uJKGMkOmFbVJhEfKTduMC2XCyvRAYLjOVmZWwIH1wQ7k"
WRONG_MULTIBASE = "uM4RgWQc3RUDtjJCSgTJtTfvpZ7SPEg_LNO0ESlovQC0"
WRONG_SRI = "sha384-_rCVIV7fSXXTNIvpiq26jRDyj8JG8TDjij-tD0ewLk4JpnXEz6a5AeeY_1qQ0d0P"
#: The sha256 of the npm-bundled copy in schemas/contexts, which is not what W3C publishes.
NPM_COPY_MULTIBASE = "u" + base64.urlsafe_b64encode(
    bytes.fromhex("d342d52cb46fef7d2900a27d62a40222b1c7cf28f8e7f3e70f25635b82b82f68")
).decode().rstrip("=")
CONTEXT = "credential.@context"
SUBJECT = "credential.credentialSubject"
#: (case, change to a valid credential, the field the error must name)
MALFORMED_CREDENTIALS = [
    ("no @context", _without("@context"), CONTEXT),
    ("@context null", _setting("@context", None), CONTEXT),
    ("@context number", _setting("@context", 4), CONTEXT),
    ("@context string", _setting("@context", VC2), CONTEXT),
    ("@context object", _setting("@context", {"foo": True}), CONTEXT),
    ("@context empty", _setting("@context", []), CONTEXT),
    ("@context [number]", _setting("@context", [4]), CONTEXT + "[0]"),
    ("@context [null]", _setting("@context", [None]), CONTEXT + "[0]"),
    ("@context [object]", _setting("@context", [{"foo": True}]), CONTEXT + "[0]"),
    ("@context [false]", _setting("@context", [False]), CONTEXT + "[0]"),
    ("@context other first", _setting("@context", ["https://example.org/c"]), CONTEXT + "[0]"),
    ("@context [vc, number]", _setting("@context", [VC2, 5]), CONTEXT + "[1]"),
    ("no type", _without("type"), "credential.type"),
    ("type null", _setting("type", None), "credential.type"),
    ("type number", _setting("type", 4), "credential.type"),
    ("type string", _setting("type", "VerifiableCredential"), "credential.type"),
    ("type true", _setting("type", True), "credential.type"),
    ("type empty", _setting("type", []), "credential.type"),
    ("type [null]", _setting("type", [None]), "credential.type[0]"),
    ("type [2]", _setting("type", [2, None, {"foo": True}, False]), "credential.type[0]"),
    ("type [object]", _setting("type", [{"foo": True}]), "credential.type[0]"),
    ("type without VC", _setting("type", ["OpenBadgeCredential"]), "credential.type"),
    ("no issuer", _without("issuer"), "credential.issuer"),
    ("issuer null", _setting("issuer", None), "credential.issuer"),
    ("issuer number", _setting("issuer", 4), "credential.issuer"),
    ("issuer true", _setting("issuer", True), "credential.issuer"),
    ("issuer array", _setting("issuer", []), "credential.issuer"),
    ("issuer [did]", _setting("issuer", ["did:example:1"]), "credential.issuer"),
    ("issuer empty string", _setting("issuer", ""), "credential.issuer"),
    ("issuer not a URL", _setting("issuer", "New Mexico"), "credential.issuer"),
    ("issuer object without id", _setting("issuer", {"name": "x"}), "credential.issuer.id"),
    ("issuer object id number", _setting("issuer", {"id": 4}), "credential.issuer.id"),
    ("no credentialSubject", _without("credentialSubject"), SUBJECT),
    ("subject null", _setting("credentialSubject", None), SUBJECT),
    ("subject number", _setting("credentialSubject", 4), SUBJECT),
    ("subject true", _setting("credentialSubject", True), SUBJECT),
    ("subject string", _setting("credentialSubject", "did:example:1234"), SUBJECT),
    ("subject empty array", _setting("credentialSubject", []), SUBJECT),
    ("subject [null,true,4]", _setting("credentialSubject", [None, True, 4]), SUBJECT + "[0]"),
    ("subject empty object", _setting("credentialSubject", {}), SUBJECT),
    ("id number", _setting("id", 4), "credential.id"),
    ("id not a URI", _setting("id", "credential 12"), "credential.id"),
    ("id too long", _setting("id", "urn:x:" + "a" * 600), "credential.id"),
    ("id ours, unserved", _setting("id", BASE_URL + "/credentials/abc"), "credential.id"),
    ("validFrom not a date", _setting("validFrom", "yesterday"), "credential.validFrom"),
    ("validFrom number", _setting("validFrom", 2026), "credential.validFrom"),
    ("proof present", _setting("proof", {"type": "DataIntegrityProof"}), "credential.proof"),
    ("credentialStatus number", _setting("credentialStatus", 3), "credential.credentialStatus"),
    # VC DM 2.0 §4.5: these members' objects must say their type.
    *(
        (f"{member} without type", _setting(member, {"id": "https://example.org/x"}), where)
        for member, where in (
            ("credentialStatus", "credential.credentialStatus.type"),
            ("termsOfUse", "credential.termsOfUse.type"),
            ("evidence", "credential.evidence.type"),
            ("refreshService", "credential.refreshService.type"),
            ("credentialSchema", "credential.credentialSchema.type"),
        )
    ),
    (
        "evidence [typed, untyped]",
        _setting("evidence", [{"type": ["Evidence"]}, {"id": "https://example.org/e"}]),
        "credential.evidence[1].type",
    ),
    ("termsOfUse string", _setting("termsOfUse", "no"), "credential.termsOfUse"),
    (
        "credentialSchema without id",
        _setting("credentialSchema", {"type": "JsonSchema"}),
        "credential.credentialSchema.id",
    ),
    *(
        (f"relatedResource {name}", _setting("relatedResource", value), RELATED)
        for name, value in (
            ("[string]", [VC2]),
            ("empty", []),
            ("no id", [{"digestMultibase": V2_MULTIBASE}]),
            ("id not a URL", [{"id": "v2", "digestMultibase": V2_MULTIBASE}]),
            ("duplicate id", [{"id": VC2, "digestSRI": V2_SRI}, {"id": VC2, "digestSRI": V2_SRI}]),
            ("no digest", [{"id": VC2}]),
            ("SRI malformed", [{"id": "https://example.org/r", "digestSRI": "sha384-%%"}]),
            ("SRI unknown algorithm", [{"id": "https://example.org/r", "digestSRI": "md5-AAAA"}]),
            ("multibase not base64url", [{"id": VC2, "digestMultibase": "z3yMApqCuCjXDWPrbjfR5"}]),
            ("wrong multibase of v2", [{"id": VC2, "digestMultibase": WRONG_MULTIBASE}]),
            ("wrong SRI of v2", [{"id": VC2, "digestSRI": WRONG_SRI}]),
            ("npm copy's sha256", [{"id": VC2, "digestMultibase": NPM_COPY_MULTIBASE}]),
        )
    ),
]


@pytest.mark.parametrize(
    ("change", "field"),
    [pytest.param(c, f, id=name) for name, c, f in MALFORMED_CREDENTIALS],
)
def test_a_malformed_credential_is_400_naming_the_field(
    client: TestClient, auth, did: str, change, field: str
) -> None:
    credential = change(vc2(did, validFrom="2026-01-01T00:00:00Z"))
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["name"] == "invalid_credential"
    assert body["field"] == field
    assert field in body["message"]
    assert body["code"] == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({}, "credential is required", id="empty object"),
        pytest.param({"verifiableCredential": {}}, "credential is required", id="other member"),
        pytest.param({"credential": None}, "credential is required", id="credential null"),
        pytest.param({"credential": "x"}, "credential must be an object", id="credential str"),
        pytest.param({"credential": 4}, "credential must be an object", id="credential number"),
        pytest.param({"credential": []}, "credential must be an object", id="credential array"),
        pytest.param([], "must be a JSON object", id="body array"),
        pytest.param("credential", "must be a JSON object", id="body string"),
        pytest.param(4, "must be a JSON object", id="body number"),
        pytest.param(None, "must be a JSON object", id="body null"),
    ],
)
def test_a_malformed_request_body_is_400(client: TestClient, auth, body: Any, message) -> None:
    headers = {**auth, "content-type": "application/json"}
    response = client.post("/credentials/issue", content=json.dumps(body), headers=headers)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]


@pytest.mark.parametrize(
    "raw", [b"", b"{not json", b'{"credential": ', "\u00e9".encode("latin-1")], ids=str
)
def test_a_body_that_is_not_json_is_400(client: TestClient, auth, raw: bytes) -> None:
    headers = {**auth, "content-type": "application/json"}
    response = client.post("/credentials/issue", content=raw, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["name"] == "invalid_request"


@pytest.mark.parametrize(
    ("options", "status"),
    [
        pytest.param(4, 400, id="number"),
        pytest.param("eddsa", 400, id="string"),
        pytest.param([], 400, id="array"),
        pytest.param({"created": "now"}, 400, id="created not a date"),
        pytest.param({"credentialStatus": 4}, 400, id="status number"),
        pytest.param({"cryptosuite": "bbs-2023"}, 422, id="unsupported suite"),
        pytest.param({"credentialStatus": {"type": "StatusList2021Entry"}}, 422, id="status type"),
        pytest.param({"credentialStatus": {"statusPurpose": "message"}}, 422, id="status purpose"),
    ],
)
def test_bad_options_are_refused(client: TestClient, auth, did: str, options, status) -> None:
    body = {"credential": vc2(did), "options": options}
    response = client.post("/credentials/issue", json=body, headers=auth)
    assert response.status_code == status, response.text
    assert response.json()["field"].startswith("options")


def test_a_bare_credential_on_the_vc_api_path_gets_a_hint(client, auth, did: str) -> None:
    response = client.post("/credentials/issue", json=vc2(did), headers=auth)
    assert response.status_code == 400
    assert response.json()["message"].startswith("credential is required: the body looks like")
    assert "/instance/{tenant}/credentials/issue" in response.json()["message"]


def test_validuntil_before_validfrom_is_refused(client: TestClient, auth, did: str) -> None:
    credential = vc2(did, validFrom="2027-01-01T00:00:00Z", validUntil="2026-01-01T00:00:00Z")
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code == 400
    assert response.json()["field"] == "credential.validUntil"


# ------------------------------------------------------------------------------ JSON-LD


def test_an_undefined_term_is_422_naming_it(client: TestClient, auth, did: str) -> None:
    credential = vc11(did)
    credential["credentialSubject"]["favouriteColour"] = "green"
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["name"] == "undefined_term"
    assert "favouriteColour" in body["message"]


def test_a_context_we_do_not_carry_is_422(client: TestClient, auth, did: str) -> None:
    credential = vc2(did)
    credential["@context"] = [VC2, "https://www.w3.org/ns/credentials/examples/v2"]
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code == 422
    assert response.json()["name"] == "unknown_context"
    assert "examples/v2" in response.json()["message"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param(
            {"type": ["VerifiableCredential", "AlumniCredential"]},
            "AlumniCredential",
            id="undefined type",
        ),
        pytest.param({"credentialSubject": {"id": "learner-12"}}, "learner-12", id="relative id"),
    ],
)
def test_an_undefined_type_or_relative_id_is_422(client, auth, did, change, named) -> None:
    credential = {**vc2(did), **change}
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["name"] == "relative_iri"
    assert named in response.json()["message"]


@pytest.mark.parametrize(
    "related",
    [
        pytest.param({"id": VC2, "digestSRI": V2_SRI}, id="SRI of the 2024 revision"),
        pytest.param({"id": VC2, "digestMultibase": V2_MULTIBASE}, id="multibase, 2024"),
        pytest.param(
            [
                {
                    "id": VC2,
                    "digestSRI": "sha256-"
                    + base64.b64encode(bytes.fromhex(V2_SHA256_REC)).decode(),
                    "mediaType": "application/ld+json",
                }
            ],
            id="SRI sha256 of the Recommendation",
        ),
        pytest.param(
            [{"id": "https://example.org/unknown.pdf", "digestSRI": "sha256-" + "A" * 43 + "="}],
            id="a resource we know nothing of, on the issuer's word",
        ),
    ],
)
def test_a_well_formed_related_resource_is_signed(client, auth, did: str, related) -> None:
    signed = issue(client, auth, vc2(did, relatedResource=related))
    assert signed["relatedResource"] == related


def test_a_vocab_null_context_is_a_clean_client_error(client, auth, did, caplog) -> None:
    """pyld raises KeyError('@vocab') on it; that was a 500 caught by luck (fails before)."""
    credential = vc2(did)
    credential["@context"] = [VC2, {"@vocab": None}]
    credential["credentialSubject"]["favouriteColour"] = "green"
    with caplog.at_level("ERROR"):
        response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code in (400, 422), response.text
    assert "KeyError" not in response.json()["name"]
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"


# ------------------------------------------------------------------------------ auth


def test_no_token_is_401_whatever_the_body(client: TestClient, did: str) -> None:
    for body in ({"credential": vc2(did)}, {"nothing": 1}, []):
        response = client.post("/credentials/issue", json=body)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    response = client.post("/credentials/issue", content=b"{oops")
    assert response.status_code == 401


def test_an_invalid_token_is_401(client: TestClient, did: str) -> None:
    for header in ("Bearer mc_nope_nope", "Basic abc", "Bearer "):
        response = client.post(
            "/credentials/issue",
            json={"credential": vc2(did)},
            headers={"Authorization": header},
        )
        assert response.status_code == 401, header


def test_a_token_without_the_issue_scope_is_403(
    client: TestClient, session: Session, issuer: Issuer, did: str
) -> None:
    _, token = create_api_key(session=session, name="cat", scopes=[Scope.catalog], issuer=issuer)
    response = client.post(
        "/credentials/issue", json={"credential": vc2(did)}, headers=bearer(token)
    )
    assert response.status_code == 403


def test_an_authorised_caller_with_a_malformed_body_gets_400_not_401(
    client: TestClient, session: Session, issuer: Issuer
) -> None:
    _, token = create_api_key(session=session, name="lms", scopes=[Scope.issue], issuer=issuer)
    response = client.post("/credentials/issue", json={"credential": {}}, headers=bearer(token))
    assert response.status_code == 400


def test_an_issuer_the_token_may_not_use_is_422(
    client: TestClient, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    other = make_issuer(session, runtime, "district-7", name="District 7")
    _, token = create_api_key(session=session, name="lms", scopes=[Scope.issue], issuer=issuer)
    for did in (other.did, "did:web:elsewhere.example"):
        response = client.post(
            "/credentials/issue", json={"credential": vc2(did)}, headers=bearer(token)
        )
        assert response.status_code == 422
        assert response.json()["name"] == "issuer_not_allowed"
        assert "issuer not allowed for this token" in response.json()["message"]
    # The token's own issuer is fine.
    issue(client, bearer(token), vc2(issuer.did))


def test_an_unknown_issuer_is_422_for_an_all_issuers_token(client: TestClient, auth) -> None:
    response = client.post(
        "/credentials/issue", json={"credential": vc2("did:web:elsewhere.example")}, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["name"] == "unknown_issuer"


def test_either_issuer_of_two_for_an_all_issuers_token(
    client: TestClient, auth, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    other = make_issuer(session, runtime, "district-7", name="District 7")
    for did in (issuer.did, other.did):
        signed = issue(client, auth, vc2({"id": did, "name": "x"}))
        assert signed["proof"]["verificationMethod"].startswith(did + "#")


# ------------------------------------------------------------------------------ issuing


def test_a_vc2_credential_is_signed_completed_and_verifies(
    client: TestClient, auth, did: str
) -> None:
    credential = vc2(did)
    signed = issue(client, auth, copy.deepcopy(credential))
    assert signed["id"].startswith("urn:uuid:")
    assert signed["validFrom"].endswith("Z")
    assert signed["@context"] == [VC2]  # VC 2.0 already defines DataIntegrityProof
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].startswith(did + "#")
    assert "credentialStatus" not in signed
    for member in ("type", "issuer", "credentialSubject"):
        assert signed[member] == credential[member]
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    assert {"proof", "issuer_key", "context", "validity"} <= set(response.json()["checks"])


def test_a_vc11_credential_gets_the_data_integrity_context_and_issuance_date(
    client: TestClient, auth, did: str
) -> None:
    signed = issue(client, auth, vc11(did))
    assert signed["@context"] == [VC11, DI]
    assert "issuanceDate" in signed and "validFrom" not in signed
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    response = verify(client, signed)
    assert response.status_code == 200, response.text


def test_a_given_id_and_dates_are_kept(client: TestClient, auth, did: str) -> None:
    credential = vc11(
        did,
        id="https://registrar.example.edu/credentials/1872",
        issuanceDate="2026-01-01T00:00:00Z",
        expirationDate="2036-01-01T00:00:00Z",
    )
    signed = issue(client, auth, credential)
    assert signed["id"] == credential["id"]
    assert signed["issuanceDate"] == "2026-01-01T00:00:00Z"
    assert signed["expirationDate"] == "2036-01-01T00:00:00Z"


def test_an_open_badge_is_signed_and_verifies_with_its_schema(
    client: TestClient, auth, did: str
) -> None:
    signed = issue(client, auth, open_badge(did))
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    assert "schema" in response.json()["checks"]


def test_ed25519signature2020_on_request(client: TestClient, auth, did: str) -> None:
    signed = issue(client, auth, vc2(did), {"cryptosuite": "Ed25519Signature2020"})
    assert signed["proof"]["type"] == "Ed25519Signature2020"
    assert "https://w3id.org/security/suites/ed25519-2020/v1" in signed["@context"]
    assert verify(client, signed).status_code == 200


def test_ecdsa_rdfc_2019_on_request_uses_the_issuers_p256_key(
    client: TestClient, auth, did: str, session: Session, issuer: Issuer
) -> None:
    """Signed with the did:web issuer's P-256 (JWT) key, which its DID document lists under
    assertionMethod, so the credential verifies (here, through the issuer's own DID document)."""
    from issuer.models import KeyPurpose
    from issuer.services.issuers import current_key

    signed = issue(client, auth, vc2(did), {"cryptosuite": "ecdsa-rdfc-2019"})
    proof = signed["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "ecdsa-rdfc-2019")
    jwt_key = current_key(session, issuer, KeyPurpose.jwt)
    assert jwt_key.key_type == "P-256"
    assert proof["verificationMethod"] == jwt_key.verification_method
    document = client.get(f"/issuers/{issuer.slug}/did.json")
    assert document.status_code == 200, document.text
    assert jwt_key.verification_method in document.json()["assertionMethod"]
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    assert verify(client, {**signed, "name": "changed"}).status_code == 400


def test_ecdsa_rdfc_2019_from_a_did_key_issuer_is_refused(
    client: TestClient, auth, session: Session, runtime
) -> None:
    """A did:key issuer holds one Ed25519 key: no P-256 key to sign ECDSA with."""
    keyed = make_issuer(session, runtime, "keyed", did_method="key")
    body = {"credential": vc2(keyed.did), "options": {"cryptosuite": "ecdsa-rdfc-2019"}}
    response = client.post("/credentials/issue", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "options.cryptosuite"
    assert "P-256" in response.text


def test_options_null_or_missing_or_unknown_members_are_fine(
    client: TestClient, auth, did: str
) -> None:
    for body in (
        {"credential": vc2(did)},
        {"credential": vc2(did), "options": None},
        {"credential": vc2(did), "options": {"somethingElse": 1}},
    ):
        response = client.post("/credentials/issue", json=body, headers=auth)
        assert response.status_code == 201, response.text


def test_a_credential_subject_array_of_objects_is_fine(client: TestClient, auth, did) -> None:
    credential = vc2(did, credentialSubject=[{"id": "did:example:1"}, {"id": "did:example:2"}])
    assert verify(client, issue(client, auth, credential)).status_code == 200


def test_an_id_under_our_base_url_is_served_there(client: TestClient, auth, did: str) -> None:
    credential_id = f"{BASE_URL}/vc-api/credentials/degree-1872"
    signed = issue(client, auth, vc2(did, id=credential_id))
    served = client.get(credential_id, headers={"accept": "application/vc+ld+json"})
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/vc+ld+json")
    assert served.json() == signed
    # The one Accept parser: q=0 means "not this type" (a substring test served it anyway).
    refused = client.get(
        credential_id, headers={"accept": "application/vc+ld+json;q=0, application/json"}
    )
    assert refused.headers["content-type"].startswith("application/json")
    assert client.get(f"{BASE_URL}/vc-api/credentials/other").status_code == 404


def test_reissuing_an_id_re_signs_it_and_keeps_its_status(client: TestClient, auth, did) -> None:
    first = issue(
        client,
        auth,
        vc2(did, id="urn:uuid:9c0a3a5e-2f0e-4b5a-8d7e-0b1f2c3d4e5f"),
        {"credentialStatus": True},
    )
    again = vc2(did, id=first["id"], name="Amended")
    second = issue(client, auth, again)
    assert second["credentialStatus"] == first["credentialStatus"]
    assert second["name"] == "Amended"
    assert verify(client, second).status_code == 200


def test_an_id_another_issuer_used_is_409(
    client: TestClient, auth, session: Session, runtime: Runtime, did: str
) -> None:
    other = make_issuer(session, runtime, "district-7", name="District 7")
    first = issue(client, auth, vc2(did, id="https://registrar.example.edu/c/1"))
    response = client.post(
        "/credentials/issue",
        json={"credential": vc2(other.did, id=first["id"])},
        headers=auth,
    )
    assert response.status_code == 409
    assert response.json()["name"] == "duplicate_credential_id"


# ------------------------------------------------------------------------------ status option


def test_options_credential_status_adds_revocation_and_suspension_entries(
    client: TestClient, auth, did: str
) -> None:
    options = {"credentialStatus": {"type": "BitstringStatusListEntry"}}
    signed = issue(client, auth, vc2(did), options)
    entries = signed["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    for entry in entries:
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListCredential"].startswith(BASE_URL + "/status/")
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
        listed = client.get(entry["statusListCredential"])
        assert listed.status_code == 200
        assert listed.json()["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
    response = verify(client, signed)
    assert response.status_code == 200, response.text
    assert "status" in response.json()["checks"]


def test_one_purpose_on_request(client: TestClient, auth, did: str) -> None:
    signed = issue(client, auth, vc2(did), {"credentialStatus": [{"statusPurpose": "revocation"}]})
    assert signed["credentialStatus"]["statusPurpose"] == "revocation"


def test_a_vc11_credential_with_status_gets_the_status_context(client, auth, did) -> None:
    signed = issue(client, auth, vc11(did), {"credentialStatus": True})
    assert signed["@context"] == [VC11, "https://www.w3.org/ns/credentials/status/v1", DI]
    assert verify(client, signed).status_code == 200


@contextmanager
def configured_client(
    settings: Settings, engine: Engine, runtime: Runtime, **changes: Any
) -> Iterator[TestClient]:
    """A client of the service with some settings changed."""
    configured = settings.model_copy(update=changes)
    runtime = dataclasses.replace(runtime, settings=configured)
    app = create_app(configured, engine=engine, runtime=runtime)
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


def test_an_issuer_configured_for_status_always_gets_it(
    settings, engine, runtime: Runtime, issuer: Issuer, admin_token: str
) -> None:
    for configured in ([issuer.slug], ["*"]):
        with configured_client(settings, engine, runtime, vcapi_status_issuers=configured) as c:
            signed = issue(c, bearer(admin_token), vc2(issuer.did))
        assert len(signed["credentialStatus"]) == 2
    with configured_client(settings, engine, runtime, vcapi_status_issuers=["other"]) as c:
        assert "credentialStatus" not in issue(c, bearer(admin_token), vc2(issuer.did))


def test_status_requested_over_a_given_status_is_422(client: TestClient, auth, did) -> None:
    credential = vc2(did, credentialStatus={"id": "https://x.example/s#1", "type": "X"})
    response = client.post(
        "/credentials/issue",
        json={"credential": credential, "options": {"credentialStatus": True}},
        headers=auth,
    )
    assert response.status_code == 422
    assert response.json()["name"] == "status_conflict"


# ------------------------------------------------------------------------------ DCC paths


def test_the_tenant_path_takes_a_bare_credential_and_answers_like_dcc(
    client: TestClient, auth, issuer: Issuer
) -> None:
    credential = open_badge("did:key:z6MkhVTX9BF3NGYX6cc7jWpbNnR7cAjH8LUffabZP8Qu4ysC")
    response = client.post(
        f"/instance/{issuer.slug}/credentials/issue", json=credential, headers=auth
    )
    assert response.status_code == 200, response.text
    signed = response.json()
    assert signed["issuer"]["id"] == issuer.did  # set to the tenant's DID, as DCC does
    assert signed["issuer"]["name"] == credential["issuer"]["name"]
    assert signed["proof"]["verificationMethod"].startswith(issuer.did + "#")
    assert verify(client, signed).status_code == 200


def test_the_tenant_path_takes_a_vc_api_body_too(client: TestClient, auth, issuer) -> None:
    signed = issue(
        client,
        auth,
        vc2("did:example:placeholder"),
        {"credentialStatus": True},
        path=f"/instance/{issuer.slug}/credentials/issue",
    )
    assert signed["issuer"] == issuer.did
    assert len(signed["credentialStatus"]) == 2


def test_the_tenant_path_checks_the_tenant(
    client: TestClient, auth, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    other = make_issuer(session, runtime, "district-7", name="District 7")
    _, token = create_api_key(session=session, name="lms", scopes=[Scope.issue], issuer=issuer)
    credential = vc2(issuer.did)
    response = client.post(
        "/instance/district-7/credentials/issue", json=credential, headers=bearer(token)
    )
    assert response.status_code == 403
    response = client.post("/instance/nobody/credentials/issue", json=credential, headers=auth)
    assert response.status_code == 404
    response = client.post("/instance/district-7/credentials/issue", json=credential)
    assert response.status_code == 401
    response = client.post(
        f"/instance/{other.slug}/credentials/issue", json={"credential": {}}, headers=auth
    )
    assert response.status_code == 400


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/credentials/issue",
        "/credentials/status",
        "/credentials/verify",
        "/presentations/verify",
        "/instance/{tenant}/credentials/issue",
        "/instance/{tenant}/credentials/status",
    ):
        operation = paths[path]["post"]
        assert "vc-api" in operation["tags"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "201" in paths["/credentials/issue"]["post"]["responses"]
    json.dumps(document)  # serializable as a whole
