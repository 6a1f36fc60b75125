"""The bearer-token store (issuer.services.oauth_tokens) on both databases: what a token grants,
expiry, revocation, rotation and the replayed-code sweep; only digests are stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from issuer.models.learners import Learner
from issuer.models.oauth import OAuthClient, OAuthToken
from issuer.services.learners import learner_for_email
from issuer.services.oauth_tokens import (
    ACCESS_TOKEN_SECONDS,
    SCOPE_PREFIX,
    AccessGrant,
    allowed_apps,
    grant_for_bearer,
    issue_tokens,
    refresh_row,
    revoke_for_learner,
    revoke_row,
    row_for_token,
    token_hash,
)

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
READ = SCOPE_PREFIX + "credential.readonly"
UPSERT = SCOPE_PREFIX + "credential.upsert"


def _client(session: Session, client_id: str = "client-1", name: str = "Backpack") -> OAuthClient:
    client = OAuthClient(
        client_id=client_id,
        secret_hash=token_hash("not-used-here"),
        client_name=name,
        client_uri="https://backpack.example",
        logo_uri="https://backpack.example/logo.png",
        tos_uri="https://backpack.example/tos",
        policy_uri="https://backpack.example/privacy",
        software_id="backpack",
        software_version="1.0",
        redirect_uris=["https://backpack.example/cb"],
        scope=f"{READ} {UPSERT}",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="client_secret_basic",
        created=NOW,
    )
    session.add(client)
    session.commit()
    return client


def _learner(session: Session, email: str = "ana@school.example") -> Learner:
    learner = learner_for_email(session, email=email, now=NOW)
    session.commit()
    return learner


def test_issued_access_token_grants_its_scopes_until_it_expires(session: Session) -> None:
    client, learner = _client(session), _learner(session)
    assert learner.id is not None
    pair = issue_tokens(
        session,
        client_id=client.client_id,
        learner_id=learner.id,
        scope=f"{UPSERT} {READ}",
        now=NOW,
    )
    session.commit()
    assert pair.expires_in == ACCESS_TOKEN_SECONDS == 3600
    assert pair.scope == " ".join(sorted([READ, UPSERT]))
    assert len(pair.access_token) >= 43 and pair.access_token != pair.refresh_token

    grant = grant_for_bearer(session, pair.access_token, now=NOW + timedelta(seconds=3599))
    assert grant == AccessGrant(
        learner_id=learner.id, client_id="client-1", scopes=frozenset({READ, UPSERT})
    )
    assert grant_for_bearer(session, pair.access_token, now=NOW + timedelta(seconds=3600)) is None
    # The refresh token is no access token, and unknown or absurd text is nothing.
    assert grant_for_bearer(session, pair.refresh_token, now=NOW) is None
    assert grant_for_bearer(session, "x" * 5000, now=NOW) is None
    assert grant_for_bearer(session, "", now=NOW) is None


def test_only_digests_are_stored(session: Session) -> None:
    client, learner = _client(session), _learner(session)
    assert learner.id is not None
    pair = issue_tokens(
        session, client_id=client.client_id, learner_id=learner.id, scope=READ, now=NOW
    )
    session.commit()
    dump = " ".join(
        str(value)
        for row in session.connection().execute(text("SELECT * FROM oauth_token")).all()
        for value in row
    )
    assert pair.access_token not in dump and pair.refresh_token not in dump
    assert token_hash(pair.access_token) in dump and token_hash(pair.refresh_token) in dump


def test_revoking_a_row_stops_both_tokens_once(session: Session) -> None:
    client, learner = _client(session), _learner(session)
    assert learner.id is not None
    pair = issue_tokens(
        session, client_id=client.client_id, learner_id=learner.id, scope=READ, now=NOW
    )
    session.commit()
    row = refresh_row(session, pair.refresh_token, now=NOW)
    assert row is not None
    assert row_for_token(session, pair.access_token, client_id="someone-else") is None
    assert row_for_token(session, pair.refresh_token, client_id="client-1") == row
    assert revoke_row(session, row, now=NOW) is True
    assert revoke_row(session, row, now=NOW + timedelta(seconds=1)) is False
    session.commit()
    assert grant_for_bearer(session, pair.access_token, now=NOW) is None
    assert refresh_row(session, pair.refresh_token, now=NOW) is None


def test_refresh_token_expires(session: Session) -> None:
    client, learner = _client(session), _learner(session)
    assert learner.id is not None
    pair = issue_tokens(
        session,
        client_id=client.client_id,
        learner_id=learner.id,
        scope=READ,
        now=NOW,
        refresh_days=2,
    )
    session.commit()
    assert refresh_row(session, pair.refresh_token, now=NOW + timedelta(days=2, seconds=-1))
    assert refresh_row(session, pair.refresh_token, now=NOW + timedelta(days=2)) is None


def test_allowed_apps_and_remove_access(session: Session) -> None:
    one, two = _client(session), _client(session, "client-2", "Another app")
    ana, ben = _learner(session), _learner(session, "ben@school.example")
    assert ana.id is not None and ben.id is not None
    for scope in (READ, UPSERT):
        issue_tokens(session, client_id=one.client_id, learner_id=ana.id, scope=scope, now=NOW)
    kept = issue_tokens(session, client_id=two.client_id, learner_id=ana.id, scope=READ, now=NOW)
    other = issue_tokens(session, client_id=one.client_id, learner_id=ben.id, scope=READ, now=NOW)
    session.commit()

    apps = allowed_apps(session, learner_id=ana.id, now=NOW)
    assert [(app.client_name, app.scopes) for app in apps] == [
        ("Another app", frozenset({READ})),
        ("Backpack", frozenset({READ, UPSERT})),
    ]
    assert revoke_for_learner(session, learner_id=ana.id, client_id="client-1", now=NOW) == 2
    session.commit()
    assert [app.client_id for app in allowed_apps(session, learner_id=ana.id, now=NOW)] == [
        "client-2"
    ]
    # Ben's grant to the same client and Ana's grant to the other client still work.
    assert grant_for_bearer(session, other.access_token, now=NOW) is not None
    assert grant_for_bearer(session, kept.access_token, now=NOW) is not None
    # Long after every token expired, nothing is listed.
    assert allowed_apps(session, learner_id=ana.id, now=NOW + timedelta(days=31)) == []
    assert len(session.exec(select(OAuthToken)).all()) == 4
