"""The VC-API refuses a credential that asks for too much JSON-LD work: 422 to sign it,
``invalid`` to verify it, in milliseconds rather than the 17 s and more that processing a
``@context`` of 5,000 entries took, or the 40 s of a member with 8,000 values
(schemas.jsonld_limits)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from issuer.models import Issuer
from tests.issuer.test_vcapi import VC2, issue, vc2, verify

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

#: Generous: refusing costs milliseconds, processing the abuse costs many seconds.
TIME_BOUND_S = 2.0


@pytest.fixture
def did(issuer: Issuer) -> str:
    return issuer.did


def test_issuing_a_credential_with_a_context_repeated_5000_times_is_422(
    client: TestClient, auth, did: str
) -> None:
    credential = vc2(did)
    credential["@context"] = [VC2] * 5000
    started = time.perf_counter()
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert time.perf_counter() - started < TIME_BOUND_S
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["name"] == "invalid_jsonld"
    assert body["field"] == "credential"
    assert "5000 entries in one @context at $.@context; the limit is 32" in body["message"]


def test_issuing_a_credential_listing_a_context_twice_is_422(
    client: TestClient, auth, did: str
) -> None:
    credential = vc2(did)
    credential["@context"] = [VC2, VC2]
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert response.status_code == 422, response.text
    assert "is listed twice in one @context" in response.json()["message"]


def test_issuing_a_credential_with_8000_values_in_one_member_is_422(
    client: TestClient, auth, did: str
) -> None:
    credential = vc2(did)
    credential["credentialSubject"]["knows"] = [f"did:example:{n}" for n in range(8000)]
    started = time.perf_counter()
    response = client.post("/credentials/issue", json={"credential": credential}, headers=auth)
    assert time.perf_counter() - started < TIME_BOUND_S
    assert response.status_code == 422, response.text
    assert "MAX_PROPERTY_VALUES" in response.json()["message"]


def test_verifying_a_signed_credential_with_its_context_repeated_is_not_valid(
    client: TestClient, auth, did: str
) -> None:
    """RDFC signs the same dataset however often VC 2.0 is listed, so the signature holds:
    the limit is what refuses it."""
    signed = issue(client, auth, vc2(did))
    signed["@context"] = [*signed["@context"], *[VC2] * 5000]
    started = time.perf_counter()
    response = verify(client, signed)
    assert time.perf_counter() - started < TIME_BOUND_S
    assert response.status_code == 400, response.text
    assert "MAX_CONTEXT_ENTRIES" in response.text
