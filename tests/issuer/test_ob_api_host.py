"""The OB 3.0 API's Host on both databases: discovery, scopes per endpoint, the Profile, and
errors as ``Imsx_StatusInfo`` — every request and response held to the vendor's OpenAPI
document (tests/issuer/ob_api_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.services.oauth_tokens import revoke_for_learner
from schemas.dates import utcnow
from tests.issuer.ob_api_support import (
    ALL_SCOPES,
    API,
    PROFILE_READ,
    PROFILE_UPDATE,
    READ,
    UPSERT,
    bearer,
    check_imsx,
    check_request,
    check_response,
    expired_token,
    make_holder,
    schema_errors,
    token,
)
from tests.issuer.support import BASE_URL

EMAIL = "ana.garcia@schools.nm.example"


# ------------------------------------------------------------------------------ discovery


def test_discovery_describes_this_service_without_a_token(client: TestClient, vendor: Path) -> None:
    response = client.get(f"{API}/discovery")
    assert response.status_code == 200
    check_response(vendor, "GET", f"{API}/discovery", response)
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": f"{BASE_URL}{API}"}]
    assert set(document["paths"]) == {"/credentials", "/profile", "/discovery"}
    assert document["paths"]["/credentials"]["get"]["operationId"] == "getCredentials"
    assert document["paths"]["/credentials"]["post"]["operationId"] == "upsertCredential"
    assert document["paths"]["/profile"]["put"]["operationId"] == "putProfile"
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == f"{BASE_URL}/oauth/register"
    assert scheme["x-imssf-privacyPolicyUrl"] == f"{BASE_URL}/"
    assert scheme["x-imssf-termsOfServiceUrl"] == f"{BASE_URL}/"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == f"{BASE_URL}/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == f"{BASE_URL}/oauth/token"
    assert set(flow["scopes"]) == set(ALL_SCOPES)
    assert all(flow["scopes"].values())
    # The vendor's schema puts the policy URLs in info (required there): both places.
    assert document["info"]["termsOfService"] == f"{BASE_URL}/"
    assert document["info"]["x-imssf-privacyPolicyUrl"] == f"{BASE_URL}/"
    # Each operation names its scope; every schema it refers to is in the document.
    security = document["paths"]["/credentials"]["post"]["security"]
    assert security == [{"OAuth2ACG": [UPSERT]}]
    refs = {
        ref.rsplit("/", 1)[1]
        for ref in _refs(document["paths"])
        if ref.startswith("#/components/schemas/")
    }
    assert refs and refs <= set(document["components"]["schemas"])


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_discovery_policy_urls_are_settings(settings, engine, runtime, vendor: Path) -> None:
    from issuer.app import create_app
    from issuer.runtime import start

    configured = settings.model_copy(
        update={
            "ob_terms_of_service_url": "https://office.example/terms",
            "ob_privacy_policy_url": "https://office.example/privacy",
        }
    )
    app = create_app(configured, engine=engine, runtime=start(configured, engine))
    with TestClient(app, base_url=BASE_URL) as other:
        scheme = other.get(f"{API}/discovery").json()["components"]["securitySchemes"]
    assert scheme["OAuth2ACG"]["x-imssf-termsOfServiceUrl"] == "https://office.example/terms"
    assert scheme["OAuth2ACG"]["x-imssf-privacyPolicyUrl"] == "https://office.example/privacy"


# ------------------------------------------------------------------------------ scopes

#: Each operation, its scope, and a request body that would otherwise be accepted.
OPERATIONS = [
    ("GET", "/credentials", READ),
    ("POST", "/credentials", UPSERT),
    ("GET", "/profile", PROFILE_READ),
    ("PUT", "/profile", PROFILE_UPDATE),
]


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]):
    if method == "PUT":
        body = {"id": "urn:uuid:00000000-0000-4000-8000-000000000001", "type": ["Profile"]}
        return client.put(API + path, json=body, headers=headers)
    if method == "POST":
        return client.post(API + path, json={"type": ["OpenBadgeCredential"]}, headers=headers)
    return client.get(API + path, headers=headers)


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_every_other_scope_is_refused_403(
    client: TestClient, session: Session, vendor: Path, method: str, path: str, scope: str
) -> None:
    holder = make_holder(session, EMAIL)
    for other in ALL_SCOPES:
        if other == scope:
            continue
        response = _call(client, method, path, bearer(token(session, holder, other)))
        check_response(vendor, method, API + path, response)
        description = check_imsx(vendor, response, 403, "forbidden")
        assert scope in description
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge
        assert f'scope="{scope}"' in challenge
    # With its scope the same request gets past authorization.
    allowed = _call(client, method, path, bearer(token(session, holder, scope)))
    assert allowed.status_code not in (401, 403), allowed.text


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_no_bad_expired_or_revoked_token_is_refused_401(
    client: TestClient, session: Session, vendor: Path, method: str, path: str, scope: str
) -> None:
    holder = make_holder(session, EMAIL)
    live = token(session, holder, scope)
    expired = expired_token(session, holder, scope)
    revoked = token(session, holder, scope)
    revoke_for_learner(
        session, learner_id=holder.learner_id, client_id=holder.client_id, now=utcnow()
    )
    session.commit()
    for headers in (
        {},
        {"Authorization": "Basic YWJjOmRlZg=="},
        bearer("not-a-token"),
        bearer(expired),
        bearer(revoked),
        bearer(live),  # revoked with the others: "Remove access" stops every token
    ):
        response = _call(client, method, path, headers)
        check_response(vendor, method, API + path, response)
        description = check_imsx(vendor, response, 401, "unauthorizedrequest")
        assert response.headers["www-authenticate"].startswith("Bearer ")
        for secret in (live, expired, revoked):
            assert secret not in description and secret not in response.headers["www-authenticate"]


# ------------------------------------------------------------------------------ profile


def test_profile_by_default_is_the_account(
    client: TestClient, session: Session, vendor: Path
) -> None:
    holder = make_holder(session, EMAIL)
    response = client.get(f"{API}/profile", headers=bearer(token(session, holder, PROFILE_READ)))
    assert response.status_code == 200
    check_response(vendor, "GET", f"{API}/profile", response)
    profile = response.json()
    assert profile["type"] == ["Profile"] and profile["email"] == EMAIL
    assert profile["id"].startswith("urn:uuid:")
    again = client.get(f"{API}/profile", headers=bearer(token(session, holder, PROFILE_READ)))
    assert again.json() == profile  # a stable id
    other = make_holder(session, "someone.else@schools.nm.example")
    theirs = client.get(f"{API}/profile", headers=bearer(token(session, other, PROFILE_READ)))
    assert theirs.json()["id"] != profile["id"]
    assert theirs.json()["email"] == "someone.else@schools.nm.example"


def test_profile_put_valid_is_stored_and_read_back(
    client: TestClient, session: Session, vendor: Path
) -> None:
    holder = make_holder(session, EMAIL)
    access = token(session, holder, PROFILE_READ, PROFILE_UPDATE)
    profile = {
        "id": "https://people.example/ana",
        "type": ["Profile"],
        "name": "Ana García",
        "givenName": "Ana",
        "familyName": "García",
        "email": EMAIL,
        "url": "https://people.example/ana",
    }
    check_request(vendor, "PUT", f"{API}/profile", "application/json", profile)
    response = client.put(f"{API}/profile", json=profile, headers=bearer(access))
    assert response.status_code == 200, response.text
    check_response(vendor, "PUT", f"{API}/profile", response)
    assert response.json() == profile
    read = client.get(f"{API}/profile", headers=bearer(access))
    check_response(vendor, "GET", f"{API}/profile", read)
    assert read.json() == profile


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"type": ["Profile"]}, "id"),
        ({"id": "urn:uuid:00000000-0000-4000-8000-000000000001", "type": ["Achievement"]}, "type"),
        ({"id": "not an iri", "type": ["Profile"]}, "id"),
        (
            {
                "id": "urn:uuid:00000000-0000-4000-8000-000000000001",
                "type": ["Profile"],
                "email": 7,
            },
            "email",
        ),
        (["Profile"], "object"),
    ],
)
def test_profile_put_invalid_is_refused_and_changes_nothing(
    client: TestClient, session: Session, vendor: Path, body: object, named: str
) -> None:
    holder = make_holder(session, EMAIL)
    access = token(session, holder, PROFILE_READ, PROFILE_UPDATE)
    before = client.get(f"{API}/profile", headers=bearer(access)).json()
    response = client.put(f"{API}/profile", json=body, headers=bearer(access))
    check_response(vendor, "PUT", f"{API}/profile", response)
    description = check_imsx(vendor, response, 400, "invalid_data")
    assert named in description
    assert client.get(f"{API}/profile", headers=bearer(access)).json() == before


def test_profile_put_takes_json_only(client: TestClient, session: Session, vendor: Path) -> None:
    holder = make_holder(session, EMAIL)
    access = token(session, holder, PROFILE_UPDATE)
    response = client.put(
        f"{API}/profile",
        content=b"id=urn:x",
        headers=bearer(access, **{"Content-Type": "application/x-www-form-urlencoded"}),
    )
    check_imsx(vendor, response, 415, "invalid_data")
    broken = client.put(
        f"{API}/profile",
        content=b"{not json",
        headers=bearer(access, **{"Content-Type": "application/json"}),
    )
    check_imsx(vendor, broken, 400, "invalid_data")


# ------------------------------------------------------------------------------ errors


def test_errors_under_the_api_are_imsx_and_elsewhere_unchanged(
    client: TestClient, session: Session, vendor: Path
) -> None:
    check_imsx(vendor, client.get(f"{API}/no-such-thing"), 404, "not_found")
    refused = client.delete(f"{API}/credentials")
    check_imsx(vendor, refused, 405, "not_allowed")
    check_imsx(vendor, client.post(f"{API}/discovery"), 405, "not_allowed")
    holder = make_holder(session, EMAIL)
    not_json = client.get(
        f"{API}/credentials", headers=bearer(token(session, holder, READ), Accept="text/html")
    )
    check_imsx(vendor, not_json, 406, "not_acceptable")
    # The rest of the service keeps its own shape.
    assert client.get("/no-such-thing").json() == {"detail": "Not Found"}
    assert set(client.delete("/verify").json()) == {"detail"}


def test_imsx_status_info_has_the_vendor_shape(vendor: Path) -> None:
    from issuer.api.imsx import CodeMinor, status_info

    schema = {"$ref": "#/components/schemas/Imsx_StatusInfo"}
    for minor in CodeMinor:
        assert not schema_errors(vendor, schema, status_info("why", minor))
    assert schema_errors(vendor, schema, {"imsx_codeMajor": "failure"})  # the check can fail
