"""API keys: 401 without a usable one, 403 for the wrong scope or issuer, stored hashed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from issuer.models import ApiKey, Scope
from issuer.runtime import Runtime
from issuer.services.apikeys import authenticate, create_api_key
from schemas.dates import utcnow
from tests.issuer.support import GOOD_AWARD, bearer, make_issuer

#: Every admin route, with a body that would be valid, and the scope it needs.
ROUTES = [
    ("GET", "/api/issuers/nm-ped", None, None),
    ("PUT", "/api/issuers/nm-ped", {"name": "NM PED"}, Scope.admin),
    ("POST", "/api/issuers/nm-ped/rotate-keys", None, Scope.admin),
    ("POST", "/api/issuers/nm-ped/api-keys", {"name": "k", "scopes": ["issue"]}, Scope.admin),
    ("GET", "/api/issuers/nm-ped/achievements", None, None),
    ("GET", "/api/issuers/nm-ped/achievements/classroom-environment", None, None),
    (
        "PUT",
        "/api/issuers/nm-ped/achievements/family-engagement",
        {"name": "CE", "description": "d", "criteria": {"narrative": "n"}},
        Scope.catalog,
    ),
    (
        "POST",
        "/api/issuers/nm-ped/achievements",
        {"slug": "x1", "name": "X", "description": "d", "criteria": {"narrative": "n"}},
        Scope.catalog,
    ),
    ("POST", "/api/issuers/nm-ped/awards", GOOD_AWARD, Scope.issue),
    ("GET", "/api/issuers/nm-ped/awards", None, Scope.issue),
    ("POST", "/api/issuers/nm-ped/batches", {"rows": [GOOD_AWARD]}, Scope.issue),
]


def call(client: TestClient, method: str, path: str, body, headers=None):
    return client.request(method, path, json=body, headers=headers or {})


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer mc_000000000000_notthesecret",
        "Bearer not-a-token",
    ],
)
def test_missing_or_bad_tokens_get_401(client: TestClient, issuer, admin_token, header) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path, body, _ in [*ROUTES, ("GET", "/api/issuers", None, None)]:
        response = call(client, method, path, body, headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_secret_with_a_real_prefix_gets_401(client: TestClient, admin_token) -> None:
    prefix = admin_token.split("_")[1]
    forged = bearer(f"mc_{prefix}_{'A' * 43}")
    assert client.get("/api/issuers", headers=forged).status_code == 401


@pytest.mark.parametrize("scope", [Scope.catalog, Scope.issue, Scope.revoke])
def test_each_route_needs_its_scope(
    client: TestClient, session: Session, issuer, scope: Scope
) -> None:
    token = create_api_key(session=session, name="one scope", scopes=[scope], issuer=issuer)[1]
    for method, path, body, needed in ROUTES:
        response = call(client, method, path, body, bearer(token))
        if needed is None or needed == scope:
            assert response.status_code < 400, (scope, method, path, response.text)
        else:
            assert response.status_code == 403, (scope, method, path, response.text)
            assert f"'{needed.value}' scope" in response.json()["detail"]


def test_admin_scope_includes_the_others(client: TestClient, session: Session, issuer) -> None:
    token = create_api_key(session=session, name="admin", scopes=[Scope.admin], issuer=issuer)[1]
    for method, path, body, _ in ROUTES:
        assert call(client, method, path, body, bearer(token)).status_code < 400, path


def test_a_key_acts_only_for_its_issuer(
    client: TestClient, session: Session, runtime: Runtime, issuer
) -> None:
    make_issuer(session, runtime, "district")
    other = make_issuer(session, runtime, "other")
    token = create_api_key(session=session, name="other", scopes=[Scope.admin], issuer=other)[1]
    for method, path, body, _ in ROUTES:
        response = call(client, method, path, body, bearer(token))
        assert response.status_code == 403, path
        assert response.json()["detail"] == "this API key is for another issuer"
    # an issuer that does not exist looks the same to it: no probing which ones do
    assert client.get("/api/issuers/no-such", headers=bearer(token)).status_code == 403
    assert [i["slug"] for i in client.get("/api/issuers", headers=bearer(token)).json()] == [
        "other"
    ]
    created = client.post("/api/issuers", json={"slug": "x", "name": "X"}, headers=bearer(token))
    assert created.status_code == 403  # creating issuers needs a key for every issuer


def test_unknown_issuer_with_a_service_wide_key_is_404(client: TestClient, auth) -> None:
    assert client.get("/api/issuers/no-such", headers=auth).status_code == 404


def test_keys_are_stored_hashed_and_can_be_created_and_revoked(
    client: TestClient, session: Session, issuer, auth
) -> None:
    response = client.post(
        "/api/issuers/nm-ped/api-keys", json={"name": "LMS", "scopes": ["issue"]}, headers=auth
    )
    assert response.status_code == 201
    created = response.json()
    token = created["token"]
    assert created["scopes"] == ["issue"] and created["issuer"] == "nm-ped"
    session.rollback()  # end the fixture's read snapshot (SQLite WAL): see the new row
    row = session.exec(select(ApiKey).where(ApiKey.prefix == created["prefix"])).one()
    assert token not in (row.secret_hash, row.prefix) and len(row.secret_hash) == 64
    assert authenticate(session, token) is not None
    assert client.get("/api/issuers/nm-ped/awards", headers=bearer(token)).status_code == 200
    row.revoked = utcnow()
    session.add(row)
    session.commit()
    assert client.get("/api/issuers/nm-ped/awards", headers=bearer(token)).status_code == 401
    bad = client.post(
        "/api/issuers/nm-ped/api-keys", json={"name": "x", "scopes": ["root"]}, headers=auth
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:2] == ["body", "scopes"]


def test_public_endpoints_need_no_key(client: TestClient, auth, issuer) -> None:
    from tests.issuer.support import award_http

    body = award_http(client, auth)
    for path in (
        f"/credentials/{body['id']}",
        "/achievements/classroom-environment/v1",
        "/issuers/nm-ped",
        "/issuers/nm-ped/did.json",
        "/issuers/nm-ped/jwks.json",
        "/healthz",
        "/",
    ):
        assert client.get(path).status_code == 200, path
    cors = client.get("/issuers/nm-ped/did.json", headers={"Origin": "https://wallet.example"})
    assert cors.headers["access-control-allow-origin"] == "*"
