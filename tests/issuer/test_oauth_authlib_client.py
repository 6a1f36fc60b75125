"""A real OAuth 2.0 client library against the OB 3.0 API's authorization server, on both
databases: Authlib's httpx ``OAuth2Client`` (``client_secret_basic``, PKCE S256) does what a
Host's client app does — reads the server metadata, registers (RFC 7591), builds the
authorization URL, exchanges the code after the educator allows, reads the educator's
credentials, refreshes (the old refresh token then fails) and revokes (the access token then
gets 401). Our own tests of the flow (test_oauth_flow.py) speak the protocol by hand; this one
proves an independent implementation agrees with the server on every step.

The library talks to the app through the TestClient's transport (a TestClient is an
``httpx.Client``), so no process or port is needed; the educator's consent is given in the
TestClient with a signed-in session cookie, as a browser would.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.api.learner_auth import LEARNER_COOKIE
from issuer.runtime import Runtime
from issuer.services.learners import learner_for_email, open_session
from issuer.settings import Settings
from tests.issuer.ob_api_support import API, READ
from tests.issuer.support import BASE_URL, TEST_KEK, award_http

EMAIL = "ana.garcia@schools.nm.example"
APP = "http://127.0.0.1:8765"
REDIRECT = f"{APP}/callback"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The conftest's settings, plus http redirect URIs to 127.0.0.1 (a client app on this
    machine, which is what the library plays here)."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
        oauth_allow_http_localhost=True,
    )


def _library(client: TestClient, **credentials: str) -> OAuth2Client:
    """An Authlib client whose requests go to the app (the TestClient's transport)."""
    return OAuth2Client(
        transport=client._transport,
        base_url=BASE_URL,
        token_endpoint_auth_method="client_secret_basic",
        code_challenge_method="S256",
        scope=READ,
        redirect_uri=REDIRECT,
        **credentials,
    )


@pytest.fixture
def oauth(client: TestClient) -> Iterator[OAuth2Client]:
    """The app before it registers (no token: its requests withhold one)."""
    with _library(client) as library:
        yield library


def _sign_in(client: TestClient, session: Session, runtime: Runtime) -> None:
    session.rollback()  # a read transaction left open would make SQLite refuse the write
    learner = learner_for_email(session, email=EMAIL, now=runtime.clock())
    cookie = open_session(session, learner=learner, now=runtime.clock())
    session.commit()
    client.cookies.set(LEARNER_COOKIE, cookie)


def _allow(client: TestClient, url: str) -> str:
    """The educator opens ``url`` (the consent page) and presses Allow; the redirect's URL."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    assert "Authlib test app" in page.text
    fields = dict(
        (unescape(n), unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    )
    assert any("csrf" in name for name in fields), fields
    answer = client.post(
        "/oauth/authorize", data={**fields, "decision": "allow"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def test_authlib_client_through_the_whole_flow(
    client: TestClient,
    oauth: OAuth2Client,
    auth: dict[str, str],
    session: Session,
    runtime: Runtime,
) -> None:
    award = award_http(client, auth, recipient_email=EMAIL, idempotency_key=uuid.uuid4().hex)
    award_id = award["credential"]["id"]

    # Discovery.
    metadata = oauth.request("GET", "/.well-known/oauth-authorization-server", withhold_token=True)
    assert metadata.status_code == 200
    server = metadata.json()
    assert "S256" in server["code_challenge_methods_supported"]
    assert "client_secret_basic" in server["token_endpoint_auth_methods_supported"]

    # Dynamic registration (RFC 7591) with the metadata the OB 3.0 API requires.
    registration = oauth.request(
        "POST",
        server["registration_endpoint"],
        withhold_token=True,
        json={
            "client_name": "Authlib test app",
            "client_uri": APP,
            "logo_uri": f"{APP}/logo.png",
            "tos_uri": f"{APP}/tos",
            "policy_uri": f"{APP}/privacy",
            "software_id": "authlib-test-app",
            "software_version": "1.0",
            "redirect_uris": [REDIRECT],
            "scope": READ,
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        },
    )
    assert registration.status_code == 201, registration.text
    registered = registration.json()
    oauth.close()
    oauth = _library(
        client, client_id=registered["client_id"], client_secret=registered["client_secret"]
    )

    # Authorization request built by the library, consent given by the signed-in educator.
    verifier = secrets.token_urlsafe(48)
    url, state = oauth.create_authorization_url(
        server["authorization_endpoint"], code_verifier=verifier
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [state]
    _sign_in(client, session, runtime)
    location = _allow(client, url)
    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [state]

    # Code exchange: Basic authentication and the PKCE verifier, all by the library.
    tokens = oauth.fetch_token(
        server["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == READ
    assert tokens["access_token"] and tokens["refresh_token"]

    # The token reads the educator's credentials: the award made to their email is there.
    listed = oauth.get(f"{API}/credentials")
    assert listed.status_code == 200, listed.text
    ids = [credential["id"] for credential in listed.json()["credential"]]
    assert award_id in ids

    # Refresh rotates: the new pair works, the old refresh token is refused.
    old_refresh = tokens["refresh_token"]
    fresh = oauth.refresh_token(server["token_endpoint"], refresh_token=old_refresh)
    assert fresh["refresh_token"] != old_refresh
    assert fresh["access_token"] != tokens["access_token"]
    assert oauth.get(f"{API}/credentials").status_code == 200
    with pytest.raises(OAuthError) as refused:
        oauth.refresh_token(server["token_endpoint"], refresh_token=old_refresh)
    assert refused.value.error == "invalid_grant"

    # Revocation (RFC 7009): the access token no longer opens the API.
    revoked = oauth.revoke_token(
        server["revocation_endpoint"],
        token=fresh["access_token"],
        token_type_hint="access_token",
    )
    assert revoked.status_code == 200, revoked.text
    gone = oauth.get(f"{API}/credentials")
    assert gone.status_code == 401, gone.text
    assert gone.headers["www-authenticate"].lower().startswith("bearer")
    oauth.close()
