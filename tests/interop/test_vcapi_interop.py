"""Credentials issued through ``POST /credentials/issue`` verify in Digital Bazaar's ``vc`` and
the DCC's verifier-core; a status change made through ``POST /credentials/status`` is what they
read; a presentation Digital Bazaar signs verifies through ``POST /presentations/verify``.

The harness is offline: it gets the issuer's DID document and the status lists exactly as the
service serves them at that moment. The service runs in process on SQLite (the issuer tests run
both databases; this file is about what other implementations accept).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.app import create_app
from issuer.db import make_engine, migrate
from issuer.models import Issuer, Scope
from issuer.runtime import start
from issuer.services.apikeys import create_api_key
from issuer.settings import Settings
from keys.did import did_key
from keys.keypairs import SigningKey
from tests.issuer.support import BASE_URL, TEST_KEK, bearer, make_issuer

pytestmark = pytest.mark.node

VC2 = "https://www.w3.org/ns/credentials/v2"
VC11 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
HOLDER_SEED = "9b3a1f2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Issuer, str]]:
    """The issuer service with one did:web issuer and an all-issuers API key."""
    data = tmp_path_factory.mktemp("vcapi-interop")
    settings = Settings(data_dir=data, base_url=BASE_URL, key_encryption_key=TEST_KEK)
    engine = make_engine(settings)
    migrate(engine)
    runtime = start(settings, engine, migrate_schema=False)
    with Session(engine) as session:
        _, token = create_api_key(session=session, name="dcc", scopes=[Scope.admin], issuer=None)
        issuer = make_issuer(session, runtime)
        session.refresh(issuer)
        session.expunge(issuer)
    app = create_app(settings, engine=engine, runtime=runtime)
    with TestClient(app, base_url=BASE_URL) as client:
        yield client, issuer, token
    engine.dispose()


def issue(service: tuple[TestClient, Issuer, str], body: Any, path: str = "/credentials/issue"):
    client, _, token = service
    response = client.post(path, json=body, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    payload = response.json()
    return payload.get("verifiableCredential", payload)


def documents(service: tuple[TestClient, Issuer, str], credential: dict[str, Any]) -> dict:
    """What a verifier fetches: the issuer's DID document and the credential's status lists."""
    client, issuer, _ = service
    docs = {issuer.did: client.get(f"/issuers/{issuer.slug}/did.json").json()}
    status = credential.get("credentialStatus") or []
    for entry in status if isinstance(status, list) else [status]:
        url = entry["statusListCredential"]
        docs[url] = client.get(urlsplit(url).path).json()
    return docs


def db_verify(js: Any, credential: dict[str, Any], docs: dict[str, Any]) -> dict[str, int]:
    """Digital Bazaar: verified, and the status bits it read (``{purpose: 0|1}``)."""
    result = js.run("verify-db", credential=credential, documents=docs, checkStatus=True)
    assert result["verified"] is True, result["errors"]
    assert result["blocked"] == []
    return {s["statusPurpose"]: int(bool(s["status"])) for s in result["statuses"]}


def dcc_verify(js: Any, credential: dict[str, Any], docs: dict[str, Any]) -> dict[str, Any]:
    result = js.run("verify-dcc", credential=credential, documents=docs)
    assert result["valid_signature"] is True, result["errors"]
    return result


def _vc2(did: str, **fields: Any) -> dict[str, Any]:
    return {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "name": "Teaching licence",
        "issuer": {"id": did, "name": "New Mexico Public Education Department"},
        "credentialSubject": {"id": "did:example:learner", "name": "Pat"},
        **fields,
    }


def _open_badge() -> dict[str, Any]:
    """DCC's quick-start credential, with the DCC test issuer's DID (the tenant replaces it)."""
    return {
        "@context": [VC2, OB],
        "id": "urn:uuid:2fe53dc9-b2ec-4939-9b2c-0d00f6663b6c",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "DCC Test Credential",
        "issuer": {
            "type": ["Profile"],
            "id": "did:key:z6MkhVTX9BF3NGYX6cc7jWpbNnR7cAjH8LUffabZP8Qu4ysC",
            "name": "Digital Credentials Consortium Test Issuer",
            "url": "https://dcconsortium.org",
        },
        "validFrom": "2023-08-02T17:43:32.903Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:bd6d9316-f7ae-4073-a1e5-2f7f5bd22922",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Badge",
                "description": "A sample credential.",
                "criteria": {"type": "Criteria", "narrative": "Proficiency in Python."},
            },
            "name": "Jane Doe",
        },
    }


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_a_vc2_credential_with_status_verifies_in_digital_bazaar_and_dcc(
    js, service, suite: str
) -> None:
    _, issuer, _ = service
    options = {"credentialStatus": True, "cryptosuite": suite}
    credential = issue(service, {"credential": _vc2(issuer.did), "options": options})
    docs = documents(service, credential)
    assert db_verify(js, credential, docs) == {"revocation": 0, "suspension": 0}
    dcc = dcc_verify(js, credential, docs)
    assert dcc["revocation_status"]["valid"] is True, dcc["result"]


def test_a_vc11_credential_verifies_in_digital_bazaar_and_dcc(js, service) -> None:
    _, issuer, _ = service
    credential = issue(
        service,
        {
            "credential": {
                "@context": [VC11],
                "type": ["VerifiableCredential"],
                "issuer": issuer.did,
                "credentialSubject": {"id": "did:example:learner"},
            },
            "options": {"credentialStatus": True},
        },
    )
    docs = documents(service, credential)
    assert db_verify(js, credential, docs) == {"revocation": 0, "suspension": 0}
    dcc_verify(js, credential, docs)


def test_the_dcc_quick_start_request_on_the_tenant_path_verifies_everywhere(js, service) -> None:
    """What a DCC user sends unchanged but for the base URL and the token."""
    client, issuer, _ = service
    credential = issue(service, _open_badge(), path=f"/instance/{issuer.slug}/credentials/issue")
    assert credential["issuer"]["id"] == issuer.did
    docs = documents(service, credential)
    db_verify(js, credential, docs)
    dcc_verify(js, credential, docs)
    # DCC's sample names no recipient (no credentialSubject.id or identifier), which OB 3.0
    # requires: our verifier says so, and passes it when only the rest is asked for.
    ours = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert ours.status_code == 400
    assert [e["name"] for e in ours.json()["errors"]] == ["invalid_schema"]
    checks = ["proof", "issuer_key", "validity", "status"]
    body = {"verifiableCredential": credential, "options": {"checks": checks}}
    assert client.post("/credentials/verify", json=body).status_code == 200


def test_the_vc_api_path_warns_of_an_open_badge_without_a_recipient(service) -> None:
    client, issuer, token = service
    credential = _open_badge()
    credential["issuer"]["id"] = issuer.did
    response = client.post(
        "/credentials/issue", json={"credential": credential}, headers=bearer(token)
    )
    assert response.status_code == 201
    [warning] = response.json()["warnings"]
    assert warning["name"] == "open_badges_schema"
    assert "credentialSubject" in warning["path"]
    credential["credentialSubject"]["id"] = "did:example:jane"
    response = client.post(
        "/credentials/issue", json={"credential": credential}, headers=bearer(token)
    )
    assert "warnings" not in response.json()


def test_a_revocation_through_credentials_status_is_what_they_read(js, service) -> None:
    client, issuer, token = service
    credential = issue(
        service, {"credential": _vc2(issuer.did), "options": {"credentialStatus": True}}
    )
    response = client.post(
        "/credentials/status",
        json={
            "credentialId": credential["id"],
            "credentialStatus": [{"type": "BitstringStatusListCredential", "status": "revoked"}],
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    docs = documents(service, credential)
    assert db_verify(js, credential, docs) == {"revocation": 1, "suspension": 0}
    dcc = dcc_verify(js, credential, docs)
    assert dcc["revocation_status"]["valid"] is False, dcc["result"]


def test_a_presentation_digital_bazaar_signs_verifies_here(js, service) -> None:
    client, issuer, _ = service
    credential = issue(service, {"credential": _vc2(issuer.did)})
    holder = did_key(SigningKey.from_seed(bytes.fromhex(HOLDER_SEED)).public_key)
    presentation = {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [credential],
    }
    signed = js.run(
        "sign-presentation",
        presentation=presentation,
        seedHex=HOLDER_SEED,
        challenge="ch-42",
        domain="verifier.example",
    )["signed"]
    assert signed["proof"]["proofPurpose"] == "authentication"

    def verify(**options: Any) -> Any:
        body = {"verifiablePresentation": signed, "options": options}
        return client.post("/presentations/verify", json=body)

    response = verify(challenge="ch-42", domain="verifier.example")
    assert response.status_code == 200, response.text
    assert response.json()["credentialResults"][0]["verified"] is True
    assert verify(challenge="ch-43", domain="verifier.example").status_code == 400
    assert verify(challenge="ch-42", domain="other.example").status_code == 400
    # And Digital Bazaar agrees with the first verdict.
    db = js.run(
        "verify-presentation-db",
        presentation=signed,
        challenge="ch-42",
        domain="verifier.example",
        documents=documents(service, credential),
    )
    assert db["verified"] is True, db["errors"]
