"""Issuers, their DIDs and keys: DID documents, JWKS, rotation, and keeping secrets secret."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from issuer.models import IssuerKey
from issuer.runtime import Runtime
from issuer.services.errors import InvalidInput
from issuer.services.issuers import rotate_keys, signing_key
from issuer.urls import Urls
from keys.did import KeyResolver, did_web_document_url
from keys.suites.vc_jwt import verify_jwt
from schemas.models import Profile
from tests.issuer.support import (
    BASE_URL,
    ISSUER,
    AppFetcher,
    award_http,
    make_issuer,
    verified_by,
)


def test_did_web_under_the_base_url() -> None:
    urls = Urls("https://ped.nm.example:8443/microcred")
    did = urls.did_web("nm-ped")
    assert did == "did:web:ped.nm.example%3A8443:microcred:issuers:nm-ped"
    assert did_web_document_url(did) == urls.did_document("nm-ped")
    assert Urls("http://127.0.0.1:8000").did_web("x") == "did:web:127.0.0.1%3A8000:issuers:x"


def test_create_a_did_web_issuer_with_its_profile(client: TestClient, auth, issuer) -> None:
    response = client.post(
        "/api/issuers",
        json={
            "slug": "albuquerque-ps",
            "name": "Albuquerque Public Schools",
            "url": "https://aps.nm.example",
            "email": "pd@aps.nm.example",
            "image": "https://aps.nm.example/logo.png",
            "parent": ISSUER,
            "other_identifiers": [
                {"identifier": "3500060", "identifierType": "ext:NCESDistrictID"}
            ],
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["did"] == "did:web:issuer.test:issuers:albuquerque-ps"
    assert {k["purpose"]: k["key_type"] for k in body["keys"]} == {"ldp": "Ed25519", "jwt": "P-256"}
    profile = client.get("/issuers/albuquerque-ps", headers={"accept": "application/json"}).json()
    Profile.model_validate(profile)
    assert profile["parentOrg"] == {
        "id": "did:web:issuer.test:issuers:nm-ped",
        "type": ["Profile"],
        "name": "New Mexico Public Education Department",
        "url": "https://ped.nm.example",
    }
    assert profile["otherIdentifier"][0]["identifierType"] == "ext:NCESDistrictID"
    assert profile["image"] == {"id": "https://aps.nm.example/logo.png", "type": "Image"}
    page = client.get("/issuers/albuquerque-ps")
    assert page.headers["content-type"].startswith("text/html")
    assert "Albuquerque Public Schools" in page.text


def test_did_document_and_jwks(client: TestClient, issuer) -> None:
    document = client.get("/issuers/nm-ped/did.json")
    assert document.headers["content-type"] == "application/did+json"
    doc = document.json()
    assert doc["id"] == issuer.did
    types = [m["type"] for m in doc["verificationMethod"]]
    assert types == ["Multikey", "Multikey"]  # Ed25519 and P-256
    assert doc["assertionMethod"] == [m["id"] for m in doc["verificationMethod"]]
    jwks = client.get("/issuers/nm-ped/jwks.json").json()["keys"]
    assert [k["alg"] for k in jwks] == ["EdDSA", "ES256"]
    assert [k["kid"] for k in jwks] == doc["assertionMethod"]
    assert all("d" not in k for k in jwks)


def test_an_rsa_jwt_key_is_published_as_a_jsonwebkey(
    client: TestClient, auth, session: Session, runtime: Runtime, resolver
) -> None:
    make_issuer(session, runtime, "rsa-provider", jwt_key_type="RSA")
    doc = client.get("/issuers/rsa-provider/did.json").json()
    assert [m["type"] for m in doc["verificationMethod"]] == ["Multikey", "JsonWebKey"]
    client.post(
        "/api/issuers/rsa-provider/achievements",
        json={
            "slug": "provider-course",
            "name": "Provider course",
            "description": "A course.",
            "criteria": {"narrative": "Attend."},
        },
        headers=auth,
    ).raise_for_status()
    body = award_http(
        client, auth, "rsa-provider", achievement="provider-course", score=None, rubric_level=None
    )
    token = client.get(f"/credentials/{body['id']}.jwt").text
    checked = verify_jwt(token, resolver=resolver)
    assert checked.header["alg"] == "RS256"
    assert checked.method.id == doc["verificationMethod"][1]["id"]


def test_did_key_on_plain_http_and_did_web_refused(
    session: Session, runtime: Runtime, engine, settings
) -> None:
    from issuer.runtime import start

    http_runtime = start(
        settings.model_copy(update={"base_url": "http://127.0.0.1:8000"}),
        engine,
        migrate_schema=False,
    )
    row = make_issuer(session, http_runtime, "local")
    assert row.did_method == "key" and row.did.startswith("did:key:z6Mk")
    keys = session.exec(select(IssuerKey).where(IssuerKey.issuer_id == row.id)).all()
    assert len(keys) == 1  # a did:key is one key: it signs the JWT too (EdDSA)
    with pytest.raises(InvalidInput, match="https only") as error:
        make_issuer(session, http_runtime, "web-on-http", did_method="web")
    assert error.value.loc == ("did_method",)


def test_rotation_keeps_old_credentials_verifying(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime, fetcher: AppFetcher
) -> None:
    before = award_http(client, auth)
    old_method = verified_by(before["credential"], KeyResolver(fetcher=fetcher))
    old_jwt = client.get(f"/credentials/{before['id']}.jwt").text

    rotated = client.post("/api/issuers/nm-ped/rotate-keys", headers=auth)
    assert rotated.status_code == 200
    keys = rotated.json()["keys"]
    assert [(k["purpose"], k["retired"] is None) for k in keys] == [
        ("ldp", True), ("jwt", True), ("ldp", False), ("jwt", False)
    ]  # fmt: skip
    after = award_http(client, auth, recipient_email="second@schools.nm.example")

    resolver = KeyResolver(fetcher=fetcher)  # fresh: no cached DID document
    new_method = verified_by(after["credential"], resolver)
    assert new_method != old_method
    assert verified_by(before["credential"], resolver) == old_method
    assert verify_jwt(old_jwt, resolver=resolver).method is not None
    new_jwt = client.get(f"/credentials/{after['id']}.jwt").text
    assert verify_jwt(new_jwt, resolver=resolver).method.id == keys[1]["id"]  # current JWT key
    document = client.get("/issuers/nm-ped/did.json").json()
    assert document["assertionMethod"][0] == new_method
    assert old_method in document["assertionMethod"]


def test_did_key_rotation_gives_a_new_did_and_old_credentials_verify(
    client: TestClient, auth, session: Session, runtime: Runtime, issuer, resolver
) -> None:
    row = make_issuer(session, runtime, "keyed", did_method="key")
    client.post(
        "/api/issuers/keyed/achievements",
        json={"slug": "k-course", "name": "K", "description": "d", "criteria": {"narrative": "n"}},
        headers=auth,
    ).raise_for_status()
    first = award_http(client, auth, "keyed", achievement="k-course", score=None, rubric_level=None)
    old_did = row.did
    rotate_keys(session=session, runtime=runtime, slug="keyed")
    session.refresh(row)
    assert row.did != old_did and row.did.startswith("did:key:")
    second = award_http(  # another educator: the same request again would be a retry
        client,
        auth,
        "keyed",
        achievement="k-course",
        score=None,
        rubric_level=None,
        recipient_email="another.educator@schools.nm.example",
    )
    assert second["credential"]["issuer"]["id"] == row.did
    assert verified_by(first["credential"], resolver).startswith(old_did)
    assert verified_by(second["credential"], resolver).startswith(row.did)
    token = client.get(f"/credentials/{first['id']}.jwt").text
    assert verify_jwt(token, resolver=resolver).header["alg"] == "EdDSA"
    assert client.get("/issuers/keyed/did.json").status_code == 404


def test_private_keys_never_appear_in_a_response_or_a_log(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    def secrets_now() -> list[str]:
        values = []
        for row in session.exec(select(IssuerKey)).all():
            private = signing_key(runtime, row).private_jwk()
            values += [v for k, v in private.items() if k in ("d", "p", "q", "dp", "dq", "qi")]
            values.append(json.loads(row.sealed_private_jwk)["ct"])
        return values

    rsa = {"slug": "rsa2", "name": "R", "jwt_key_type": "RSA"}
    bodies.append(client.post("/api/issuers", json=rsa, headers=auth).text)
    body = award_http(client, auth)
    bodies.append(json.dumps(body))
    bodies.append(client.post("/api/issuers/nm-ped/rotate-keys", headers=auth).text)
    for path in (
        "/api/issuers",
        "/api/issuers/nm-ped",
        "/api/issuers/rsa2",
        f"/api/issuers/nm-ped/awards/{body['id']}",
        "/api/issuers/nm-ped/awards",
    ):
        bodies.append(client.get(path, headers=auth).text)
    for path in (
        "/issuers/nm-ped/did.json",
        "/issuers/rsa2/did.json",
        "/issuers/nm-ped/jwks.json",
        "/issuers/nm-ped",
        f"/credentials/{body['id']}",
        f"/credentials/{body['id']}.json",
        f"/credentials/{body['id']}.jwt",
        "/",
    ):
        bodies.append(client.get(path).text)
    everything = "\n".join(bodies) + caplog.text
    found = [s for s in secrets_now() if s in everything]
    assert found == []
    assert "rotated the keys of issuer nm-ped" in caplog.text  # logging did happen


def test_issuer_input_is_checked(client: TestClient, auth, issuer) -> None:
    cases = {
        "slug": {"slug": "Not A Slug", "name": "x"},
        "name": {"slug": "ok", "name": ""},
        "email": {"slug": "ok", "name": "x", "email": "nope"},
        "url": {"slug": "ok", "name": "x", "url": "ftp://x"},
        "image": {"slug": "ok", "name": "x", "image": "javascript:alert(1)"},
        "did_method": {"slug": "ok", "name": "x", "did_method": "ion"},
        "jwt_key_type": {"slug": "ok", "name": "x", "jwt_key_type": "HS256"},
        "parent": {"slug": "ok", "name": "x", "parent": "missing"},
        "other_identifiers": {
            "slug": "ok",
            "name": "x",
            "other_identifiers": [{"identifier": "1", "identifierType": "nces"}],
        },
        "unknown": {"slug": "ok", "name": "x", "unknown": 1},
    }
    for field, body in cases.items():
        response = client.post("/api/issuers", json=body, headers=auth)
        assert response.status_code == 422, (field, response.text)
        locs = [e["loc"] for e in response.json()["detail"]]
        assert any(field in loc for loc in locs), (field, locs)
    taken = client.post("/api/issuers", json={"slug": ISSUER, "name": "again"}, headers=auth)
    assert taken.status_code == 409


def test_update_profile_does_not_change_issued_credentials(
    client: TestClient, auth, issuer
) -> None:
    body = award_http(client, auth)
    update = client.put(
        "/api/issuers/nm-ped",
        json={"name": "NM PED Educator Licensure Bureau", "email": "elb@ped.nm.example"},
        headers=auth,
    )
    assert update.status_code == 200
    assert update.json()["profile"]["name"] == "NM PED Educator Licensure Bureau"
    stored = client.get(f"/credentials/{body['id']}.json").json()
    assert stored["issuer"]["name"] == "New Mexico Public Education Department"
    assert BASE_URL in stored["id"]
