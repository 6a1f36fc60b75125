"""The stand-alone verifier (``create_verifier_app``) sends the security headers too, and no
CORS header at all: nothing of it is meant to be read by another origin's page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from verifier.http import create_verifier_app
from verifier.security_headers import PAGE_CSP
from verifier.settings import VerifierSettings

ORIGIN = {"origin": "https://elsewhere.example"}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_verifier_app(VerifierSettings()))


def test_the_verify_page_has_csp_no_framing_nosniff_and_no_referrer(client: TestClient) -> None:
    response = client.get("/verify", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert "frame-ancestors 'none'" in PAGE_CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_json_answers_are_nosniff_too(client: TestClient) -> None:
    response = client.post("/verify", content=b"{}", headers={"content-type": "application/json"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_cross_origin_reads_of_the_stand_alone_verifier(client: TestClient, method: str) -> None:
    response = client.request(
        method, "/verify", content=b"x", headers={**ORIGIN, "content-type": "text/plain"}
    )
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    preflight = client.options(
        "/verify", headers={**ORIGIN, "access-control-request-method": "GET"}
    )
    assert preflight.status_code == 400
