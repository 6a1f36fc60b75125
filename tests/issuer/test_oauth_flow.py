"""The OAuth 2.0 server of the OB 3.0 API over HTTP, on both databases: registration, the
consent page, the code grant with PKCE S256, the token endpoint, refresh rotation, revocation,
and every refusal the brief lists."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from issuer.api.learner_auth import LEARNER_COOKIE
from issuer.models.oauth import OAuthCode
from issuer.runtime import Runtime
from issuer.services.learners import learner_for_email, open_session
from issuer.services.oauth_tokens import SCOPE_PREFIX, grant_for_bearer, token_hash
from schemas.dates import as_utc

READ = SCOPE_PREFIX + "credential.readonly"
UPSERT = SCOPE_PREFIX + "credential.upsert"
PROFILE = SCOPE_PREFIX + "profile.readonly"
REDIRECT = "https://backpack.example/callback"

METADATA: dict[str, Any] = {
    "client_name": "Backpack",
    "client_uri": "https://backpack.example",
    "logo_uri": "https://backpack.example/logo.png",
    "tos_uri": "https://backpack.example/tos",
    "policy_uri": "https://backpack.example/privacy",
    "software_id": "backpack-app",
    "software_version": "2.1",
    "redirect_uris": [REDIRECT],
    "scope": f"{READ} {UPSERT}",
    "token_endpoint_auth_method": "client_secret_basic",
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
}


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
def registered(client: TestClient) -> dict[str, Any]:
    response = client.post("/oauth/register", json=METADATA)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def signed_in(client: TestClient, session: Session, runtime: Runtime) -> int:
    learner = learner_for_email(session, email="ana@school.example", now=runtime.clock())
    token = open_session(session, learner=learner, now=runtime.clock())
    session.commit()
    client.cookies.set(LEARNER_COOKIE, token)
    assert learner.id is not None
    return learner.id


def _authorize_query(registered: dict[str, Any], challenge: str, **over: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": registered["client_id"],
        "redirect_uri": REDIRECT,
        "scope": READ,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    query.update(over)
    return {k: v for k, v in query.items() if v != ""}


def _consent(client: TestClient, query: dict[str, str], decision: str = "allow") -> Any:
    page = client.get("/oauth/authorize?" + urlencode(query))
    assert page.status_code == 200, page.text
    fields = dict(
        (unescape(n), unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    )
    return client.post(
        "/oauth/authorize", data={**fields, "decision": decision}, follow_redirects=False
    )


def _code(client: TestClient, registered: dict[str, Any], **over: str) -> tuple[str, str]:
    verifier, challenge = _pkce()
    answer = _consent(client, _authorize_query(registered, challenge, **over))
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    params = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert params["state"] == ["st-123"]
    return params["code"][0], verifier


def _exchange(
    client: TestClient, registered: dict[str, Any], code: str, verifier: str | None, **form: str
) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **form}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post(
        "/oauth/token",
        data=data,
        headers=_basic(registered["client_id"], registered["client_secret"]),
    )


# Registration ------------------------------------------------------------------------------


def test_registration_answers_201_with_a_secret_shown_once(client: TestClient) -> None:
    response = client.post("/oauth/register", json=METADATA)
    assert response.status_code == 201
    body = response.json()
    assert body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    assert len(body["client_secret"]) >= 43
    for name in ("client_name", "client_uri", "redirect_uris", "scope", "software_id"):
        assert body[name] == METADATA[name] or name == "scope"
    assert set(body["scope"].split()) == {READ, UPSERT}
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "name",
    [
        "client_name",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "software_id",
        "software_version",
        "redirect_uris",
        "scope",
    ],
)
def test_registration_without_a_required_field_names_it(client: TestClient, name: str) -> None:
    body = {k: v for k, v in METADATA.items() if k != name}
    response = client.post("/oauth/register", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert name in response.json()["error_description"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"token_endpoint_auth_method": "client_secret_post"}, "token_endpoint_auth_method"),
        ({"token_endpoint_auth_method": "none"}, "token_endpoint_auth_method"),
        ({"grant_types": ["authorization_code", "implicit"]}, "grant_types"),
        ({"response_types": ["token"]}, "response_types"),
        ({"scope": f"{READ} https://example.org/admin"}, "scope"),
        ({"client_uri": "http://backpack.example"}, "https"),
        ({"redirect_uris": ["http://backpack.example/cb"]}, "https"),
        ({"redirect_uris": ["https://evil.example/cb"]}, "same host"),
        ({"logo_uri": "https://cdn.example/logo.png"}, "same host"),
        ({"redirect_uris": ["http://127.0.0.1:9/cb"]}, "https"),
    ],
)
def test_registration_refuses_what_the_ob_api_forbids(
    client: TestClient, change: dict[str, Any], named: str
) -> None:
    response = client.post("/oauth/register", json={**METADATA, **change})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert named in response.json()["error_description"]


def test_registration_of_a_non_object_is_invalid_request(client: TestClient) -> None:
    response = client.post("/oauth/register", content=b"[1, 2]")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_metadata_document(client: TestClient) -> None:
    body = client.get("/.well-known/oauth-authorization-server").json()
    assert body["issuer"] == "https://issuer.test"
    assert body["authorization_endpoint"] == "https://issuer.test/oauth/authorize"
    assert body["token_endpoint"] == "https://issuer.test/oauth/token"
    assert body["registration_endpoint"] == "https://issuer.test/oauth/register"
    assert body["revocation_endpoint"] == "https://issuer.test/oauth/revoke"
    assert body["response_types_supported"] == ["code"]
    assert body["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert set(body["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert len(body["scopes_supported"]) == 4


# Authorization ----------------------------------------------------------------------------


def test_not_signed_in_goes_to_sign_in_with_next(
    client: TestClient, registered: dict[str, Any]
) -> None:
    query = _authorize_query(registered, _pkce()[1])
    answer = client.get("/oauth/authorize?" + urlencode(query), follow_redirects=False)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert location.path == "/sign-in"
    next_path = parse_qs(location.query)["next"][0]
    assert next_path.startswith("/oauth/authorize?") and registered["client_id"] in next_path


def test_consent_page_names_client_and_scopes_without_off_site_images(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    query = _authorize_query(registered, _pkce()[1], scope=f"{READ} {UPSERT}")
    page = client.get("/oauth/authorize?" + urlencode(query))
    assert page.status_code == 200
    assert "Backpack" in page.text and "backpack.example" in page.text
    assert "read the credentials kept for you" in page.text
    assert "add credentials to your account" in page.text
    assert "<img" not in page.text.split("</header>", 1)[1]
    spanish = client.get("/oauth/authorize?" + urlencode(query), headers={"Accept-Language": "es"})
    assert spanish.status_code == 200


def test_full_flow_refresh_rotation_and_revocation(
    client: TestClient,
    registered: dict[str, Any],
    signed_in: int,
    session: Session,
    runtime: Runtime,
) -> None:
    code, verifier = _code(client, registered)
    answer = _exchange(client, registered, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == READ
    session.rollback()  # a new read transaction: SQLite keeps a snapshot
    grant = grant_for_bearer(session, tokens["access_token"], now=runtime.clock())
    assert grant is not None and grant.learner_id == signed_in
    assert grant.scopes == frozenset({READ})

    auth = _basic(registered["client_id"], registered["client_secret"])
    refreshed = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=auth,
    )
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    session.rollback()  # a new read transaction: SQLite keeps a snapshot
    assert grant_for_bearer(session, new["access_token"], now=runtime.clock()) is not None
    # Rotation: the old refresh token stops working.
    again = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=auth,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    # Revoking the refresh token revokes its access token too.
    revoked = client.post(
        "/oauth/revoke",
        data={"token": new["refresh_token"], "token_type_hint": "refresh_token"},
        headers=auth,
    )
    assert revoked.status_code == 200
    session.rollback()  # a new read transaction: SQLite keeps a snapshot
    assert grant_for_bearer(session, new["access_token"], now=runtime.clock()) is None
    after = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
        headers=auth,
    )
    assert after.status_code == 400


def test_consent_deny_redirects_with_access_denied(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    answer = _consent(client, _authorize_query(registered, _pkce()[1]), decision="deny")
    assert answer.status_code == 303
    params = parse_qs(urlsplit(answer.headers["location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["st-123"]
    assert "code" not in params


def test_consent_post_without_csrf_is_refused(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    query = _authorize_query(registered, _pkce()[1])
    answer = client.post(
        "/oauth/authorize", data={**query, "decision": "allow"}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"scope": f"{READ} {PROFILE}"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
    ],
)
def test_bad_authorization_requests_go_back_with_an_error(
    client: TestClient,
    registered: dict[str, Any],
    signed_in: int,
    over: dict[str, str],
    error: str,
) -> None:
    query = _authorize_query(registered, _pkce()[1], **over)
    answer = client.get("/oauth/authorize?" + urlencode(query), follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    params = parse_qs(urlsplit(location).query)
    assert params["error"] == [error] and params["state"] == ["st-123"]


@pytest.mark.parametrize(
    "over",
    [
        {"redirect_uri": "https://backpack.example/other"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": ""},
        {"client_id": "no-such-client"},
    ],
)
def test_unverified_redirect_is_an_error_page_never_a_redirect(
    client: TestClient, registered: dict[str, Any], signed_in: int, over: dict[str, str]
) -> None:
    query = _authorize_query(registered, _pkce()[1], **over)
    answer = client.get("/oauth/authorize?" + urlencode(query), follow_redirects=False)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "text/html" in answer.headers["content-type"]
    assert "cannot be accepted" in answer.text


def test_scope_narrowing_is_granted(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    code, verifier = _code(client, registered, scope=UPSERT)
    tokens = _exchange(client, registered, code, verifier).json()
    assert tokens["scope"] == UPSERT


# Token endpoint ---------------------------------------------------------------------------


def test_wrong_or_missing_verifier_is_refused(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    code, _ = _code(client, registered)
    wrong = _exchange(client, registered, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code, _ = _code(client, registered)
    missing = _exchange(client, registered, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_replayed_code_fails_and_revokes_its_tokens(
    client: TestClient,
    registered: dict[str, Any],
    signed_in: int,
    session: Session,
    runtime: Runtime,
) -> None:
    code, verifier = _code(client, registered)
    first = _exchange(client, registered, code, verifier).json()
    auth = _basic(registered["client_id"], registered["client_secret"])
    refreshed = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=auth,
    ).json()
    replay = _exchange(client, registered, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    session.rollback()  # a new read transaction: SQLite keeps a snapshot
    # Every token descending from the code, refreshed ones too, is revoked.
    assert grant_for_bearer(session, first["access_token"], now=runtime.clock()) is None
    assert grant_for_bearer(session, refreshed["access_token"], now=runtime.clock()) is None


def test_expired_code_is_refused(
    client: TestClient,
    registered: dict[str, Any],
    signed_in: int,
    session: Session,
    runtime: Runtime,
) -> None:
    code, verifier = _code(client, registered)
    session.rollback()
    row = session.exec(select(OAuthCode).where(OAuthCode.code_hash == token_hash(code))).one()
    # Issued 600 s ago (the runtime's clock is fixed for the service): the code has expired.
    assert (as_utc(row.expires) - as_utc(row.created)).total_seconds() == 600
    row.expires = runtime.clock() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    answer = _exchange(client, registered, code, verifier)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_redirect_uri_mismatch_at_token_is_refused(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    code, verifier = _code(client, registered)
    answer = _exchange(
        client, registered, code, verifier, redirect_uri="https://backpack.example/other"
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_client_secret_post_is_refused_with_401(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    code, verifier = _code(client, registered)
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": registered["client_id"],
            "client_secret": registered["client_secret"],
        },
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_wrong_secret_is_refused(
    client: TestClient, registered: dict[str, Any], signed_in: int
) -> None:
    code, verifier = _code(client, registered)
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=_basic(registered["client_id"], "not-the-secret"),
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_no_secret_reaches_a_log_line(
    client: TestClient,
    registered: dict[str, Any],
    signed_in: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        code, verifier = _code(client, registered)
        tokens = _exchange(client, registered, code, verifier).json()
        refreshed = client.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            headers=_basic(registered["client_id"], registered["client_secret"]),
        ).json()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (
        code,
        verifier,
        registered["client_secret"],
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
    ):
        assert secret not in logged


def test_the_educators_page_lists_an_allowed_app_and_removes_its_access(
    client: TestClient,
    registered: dict[str, Any],
    signed_in: int,
    session: Session,
    runtime: Runtime,
) -> None:
    """The consent page promises "you can remove this access at any time from your page":
    /me names the app and what it may do, and "Remove access" ends its tokens at once."""
    assert "Apps you have allowed" not in client.get("/me").text
    code, verifier = _code(client, registered)
    tokens = _exchange(client, registered, code, verifier).json()
    page = client.get("/me")
    assert "Apps you have allowed" in page.text
    assert registered["client_name"] in page.text
    assert "read the credentials kept for you" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"client_id": registered["client_id"]}
    refused = client.post("/me/apps/remove", data=form, follow_redirects=False)
    assert refused.status_code == 403
    session.rollback()
    assert grant_for_bearer(session, tokens["access_token"], now=runtime.clock()) is not None

    removed = client.post(
        "/me/apps/remove", data={**form, "csrf_token": csrf[1]}, follow_redirects=False
    )
    assert removed.status_code == 303 and removed.headers["location"] == "/me"
    session.rollback()
    assert grant_for_bearer(session, tokens["access_token"], now=runtime.clock()) is None
    refresh = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=_basic(registered["client_id"], registered["client_secret"]),
    )
    assert refresh.status_code == 400
    assert "Apps you have allowed" not in client.get("/me").text
