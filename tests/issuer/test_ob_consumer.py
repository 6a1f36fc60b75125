"""microcred as an OB 3.0 API Service Consumer (Write), against a test-double Host on loopback:
discovery, registration (once per Host), PKCE S256, Basic client authentication, the upsert
of the credential byte for byte, and every way the far side can fail, on both databases.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from issuer.models import Award, AwardCreate, HostPush, Issuer, PushFormat, PushStatus, RemoteHost
from issuer.runtime import Runtime
from issuer.services import ob_consumer
from issuer.services.awards import award
from issuer.services.errors import Conflict, Gone, InvalidInput, NotFound
from issuer.services.ob_consumer import PushFailed, finish_push, refuse_push, start_push
from issuer.services.status import revoke
from keys.fetch import GuardedFetcher
from schemas.dates import utcnow
from tests.issuer.ob_host_double import UPSERT, HostDouble, consent, host_double
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, TEST_KEK


@pytest.fixture
def award_row(session: Session, runtime: Runtime, issuer: Issuer) -> Award:
    request = AwardCreate.model_validate(GOOD_AWARD)
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


@pytest.fixture
def host() -> Iterator[HostDouble]:
    with host_double() as double:
        yield double


@pytest.fixture
def fetcher() -> Iterator[GuardedFetcher]:
    """The guarded fetcher as a development setup has it: http to loopback allowed."""
    with GuardedFetcher(allow_http_localhost=True) as guarded:
        yield guarded


def push(
    session: Session,
    runtime: Runtime,
    fetcher: GuardedFetcher,
    award_row: Award,
    host: HostDouble,
    now: datetime | None = None,
    **kwargs: object,
) -> HostPush:
    """A whole push: start, the educator's consent at the Host, the callback's finish."""
    now = now or utcnow()
    url = start_push(
        session,
        runtime,
        award=award_row,
        host_url=host.base,
        now=now,
        fetcher=fetcher,
        **kwargs,  # type: ignore[arg-type]
    )
    back = consent(url)
    return finish_push(
        session, runtime, state=back["state"], code=back["code"], now=now, fetcher=fetcher
    )


def test_a_push_registers_authorizes_and_upserts_the_credential_as_issued(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    done = push(session, runtime, fetcher, award_row, host)

    assert done.status == PushStatus.pushed and done.answer_status == 201
    assert done.finished_at is not None
    # registration: the metadata the OB 3.0 API requires, on our host, client_secret_basic
    ((registration),) = [r["body"] for r in host.registrations]
    assert registration == {
        "client_name": "New Mexico Public Education Department",
        "client_uri": f"{BASE_URL}/",
        "logo_uri": f"{BASE_URL}/favicon.svg",
        "tos_uri": f"{BASE_URL}/",
        "policy_uri": f"{BASE_URL}/",
        "software_id": "microcred",
        "software_version": registration["software_version"],
        "redirect_uris": [f"{BASE_URL}/ob-api/callback"],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": UPSERT,
    }
    assert registration["software_version"]
    assert host.registrations[0]["content-type"] == "application/json"
    # authorization request: code flow, PKCE S256, our redirect, the upsert scope
    (asked,) = host.authorizations
    assert asked["response_type"] == "code" and asked["scope"] == UPSERT
    assert asked["code_challenge_method"] == "S256" and len(asked["state"]) >= 43
    assert asked["redirect_uri"] == f"{BASE_URL}/ob-api/callback"
    # token: Basic authentication with the registered secret, the verifier matching
    (token,) = host.token_requests
    client_id, secret = (
        unquote(part)
        for part in base64.b64decode(token["authorization"][6:]).decode().split(":", 1)
    )
    assert host.clients[client_id]["secret"] == secret
    assert token["form"]["grant_type"] == "authorization_code"
    assert "client_secret" not in token["form"]
    # the upsert: the signed credential byte for byte, nothing added
    (upsert,) = host.upserts
    assert upsert["content-type"] == "application/json"
    assert upsert["body"] == award_row.credential.encode("utf-8")
    assert upsert["authorization"].startswith("Bearer ")


def test_the_vc_jwt_is_sent_as_text_plain(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    done = push(session, runtime, fetcher, award_row, host, format=PushFormat.jwt)
    assert done.status == PushStatus.pushed
    (upsert,) = host.upserts
    assert upsert["content-type"] == "text/plain"
    assert upsert["body"] == award_row.credential_jwt.encode("ascii")


def test_one_registration_per_host_is_reused(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    push(session, runtime, fetcher, award_row, host)
    second = push(session, runtime, fetcher, award_row, host)
    assert second.status == PushStatus.pushed
    assert len(host.registrations) == 1
    assert len({a["client_id"] for a in host.authorizations}) == 1
    assert len(session.exec(select(RemoteHost)).all()) == 1
    # the Host's site, its API base and its discovery URL are one Host
    for spelling in (f"{host.api}/", f"{host.api}/discovery", host.base.upper()):
        start_push(
            session,
            runtime,
            award=award_row,
            host_url=spelling.replace("HTTP", "http"),
            now=utcnow(),
            fetcher=fetcher,
        )
    assert len(host.registrations) == 1


def test_the_client_secret_and_verifier_are_sealed_and_the_state_hashed(
    session: Session,
    runtime: Runtime,
    engine: Engine,
    fetcher: GuardedFetcher,
    award_row: Award,
    host: HostDouble,
) -> None:
    url = start_push(
        session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    ((client_id, client),) = host.clients.items()
    with engine.connect() as connection:
        dump = json.dumps(
            [
                [str(value) for value in row]
                for table in ("remote_host", "host_push")
                for row in connection.execute(text(f"SELECT * FROM {table}"))
            ]
        )
    assert client["secret"] not in dump and client_id in dump
    assert query["state"] not in dump
    assert ob_consumer.state_hash(query["state"]) in dump
    row = session.exec(select(RemoteHost)).one()
    assert (
        runtime.kek.open(
            row.client_secret_sealed, associated_data=f"remote_host:{row.api_url}:client_secret"
        ).decode()
        == client["secret"]
    )
    assert TEST_KEK not in dump


def test_state_replay_unknown_and_expiry_are_refused(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    url = start_push(
        session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
    )
    back = consent(url)
    finish_push(
        session, runtime, state=back["state"], code=back["code"], now=utcnow(), fetcher=fetcher
    )
    with pytest.raises(Gone, match="already completed"):
        finish_push(
            session,
            runtime,
            state=back["state"],
            code=back["code"],
            now=utcnow(),
            fetcher=fetcher,
        )
    with pytest.raises(NotFound, match="unknown"):
        finish_push(session, runtime, state="forged", code="x", now=utcnow(), fetcher=fetcher)

    started = utcnow()
    late = consent(
        start_push(
            session, runtime, award=award_row, host_url=host.base, now=started, fetcher=fetcher
        )
    )
    with pytest.raises(Gone, match="expired"):
        finish_push(
            session,
            runtime,
            state=late["state"],
            code=late["code"],
            now=started + timedelta(minutes=10, seconds=1),
            fetcher=fetcher,
        )
    assert len(host.token_requests) == 1  # neither the replay nor the late one reached it
    expired = session.exec(
        select(HostPush).where(HostPush.state_hash == ob_consumer.state_hash(late["state"]))
    ).one()
    assert expired.status == PushStatus.failed


def test_the_educator_saying_no_fails_the_push(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    host.deny_consent = True
    back = consent(
        start_push(
            session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
        )
    )
    assert back["error"] == "access_denied"
    done = refuse_push(session, state=back["state"], reason="you did not allow it", now=utcnow())
    assert done.status == PushStatus.failed and done.answer_description == "you did not allow it"
    assert host.token_requests == [] and host.upserts == []


def test_a_refused_registration_says_what_the_host_said(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    host.refuse_registration = True
    with pytest.raises(PushFailed, match="the Host refused the registration: tos_uri is not https"):
        start_push(
            session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
        )
    assert session.exec(select(RemoteHost)).all() == []
    assert session.exec(select(HostPush)).all() == []


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (
            400,
            {
                "imsx_codeMajor": "failure",
                "imsx_severity": "error",
                "imsx_description": "the credential's issuer is not trusted here",
            },
            "the Host refused the credential: the credential's issuer is not trusted here",
        ),
        (500, None, "the Host refused the credential: HTTP 500"),
        (
            403,
            {"imsx_codeMajor": "failure", "imsx_severity": "error"},
            "the Host refused the credential: HTTP 403 (failure)",
        ),
    ],
)
def test_host_errors_are_recorded_as_failed_with_a_clear_message(
    session: Session,
    runtime: Runtime,
    fetcher: GuardedFetcher,
    award_row: Award,
    host: HostDouble,
    status: int,
    body: object,
    reason: str,
) -> None:
    host.upsert_status = status
    host.upsert_body = body if body is not None else {"oops": True}
    done = push(session, runtime, fetcher, award_row, host)
    assert done.status == PushStatus.failed
    assert done.answer_status == status
    assert done.answer_description == reason


def test_an_unknown_token_at_the_upsert_is_a_401_failure(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    url = start_push(
        session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
    )
    back = consent(url)
    host.forget_tokens = True
    done = finish_push(
        session, runtime, state=back["state"], code=back["code"], now=utcnow(), fetcher=fetcher
    )
    assert done.status == PushStatus.failed and done.answer_status == 401
    assert done.answer_description == "the Host refused the credential: the access token is unknown"


def test_a_wrong_code_verifier_is_refused_by_the_host(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    """The PKCE check is real: a challenge altered on the way makes the token request fail."""
    url = start_push(
        session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
    )
    tampered = url.replace("code_challenge=", "code_challenge=A")
    back = consent(tampered)
    done = finish_push(
        session, runtime, state=back["state"], code=back["code"], now=utcnow(), fetcher=fetcher
    )
    assert done.status == PushStatus.failed
    assert done.answer_description == (
        "the Host refused the authorization code: PKCE verification failed"
    )
    assert host.upserts == []


def test_a_slow_host_and_a_huge_reply_are_failures_not_hangs(
    session: Session, runtime: Runtime, award_row: Award, host: HostDouble
) -> None:
    with GuardedFetcher(allow_http_localhost=True, timeout=0.5, max_bytes=50_000) as guarded:
        host.upsert_delay = 1.5
        slow = push(session, runtime, guarded, award_row, host)
        assert slow.status == PushStatus.failed
        assert slow.answer_description is not None
        assert slow.answer_description.startswith("the Host gave no usable answer:")
        assert "timed out" in slow.answer_description
        host.upsert_delay = 0
        host.upsert_reply_bytes = 200_000
        huge = push(session, runtime, guarded, award_row, host)
        assert huge.status == PushStatus.failed
        assert huge.answer_description is not None
        assert "more than the 50000 allowed" in huge.answer_description


def test_a_private_address_is_refused_without_configuration(
    session: Session, runtime: Runtime, award_row: Award, host: HostDouble
) -> None:
    with GuardedFetcher() as guarded:
        with pytest.raises(PushFailed, match="plain http is only allowed"):
            start_push(
                session,
                runtime,
                award=award_row,
                host_url=host.base,
                now=utcnow(),
                fetcher=guarded,
            )
        with pytest.raises(PushFailed, match="private address"):
            start_push(
                session,
                runtime,
                award=award_row,
                host_url="https://10.1.2.3",
                now=utcnow(),
                fetcher=guarded,
            )
    assert host.registrations == [] and session.exec(select(HostPush)).all() == []


@pytest.mark.parametrize(
    "bad",
    ["ftp://host.example", "host.example", "https://u:p@host.example", "https://h.example/?a=1"],
)
def test_a_malformed_host_address_is_invalid_input(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, bad: str
) -> None:
    with pytest.raises(InvalidInput):
        start_push(session, runtime, award=award_row, host_url=bad, now=utcnow(), fetcher=fetcher)


def test_a_revoked_credential_is_not_pushed(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    url = start_push(
        session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
    )
    revoke(session, runtime, award_row.id, "issued in error", "test")
    back = consent(url)
    done = finish_push(
        session, runtime, state=back["state"], code=back["code"], now=utcnow(), fetcher=fetcher
    )
    assert (
        done.status == PushStatus.failed and done.answer_description == "the credential is revoked"
    )
    assert host.upserts == []
    award_row = session.get(Award, award_row.id)  # type: ignore[assignment]
    with pytest.raises(Conflict, match="revoked"):
        start_push(
            session, runtime, award=award_row, host_url=host.base, now=utcnow(), fetcher=fetcher
        )


def test_a_discovery_without_the_upsert_scope_is_refused(
    session: Session,
    runtime: Runtime,
    fetcher: GuardedFetcher,
    award_row: Award,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents = {
        "https://host.example/ims/ob/v3p0/discovery": {"openapi": "3.0.1"},
        "https://other.example/ims/ob/v3p0/discovery": {
            "components": {
                "securitySchemes": {
                    "OAuth2ACG": {
                        "x-imssf-registrationUrl": "https://other.example/register",
                        "flows": {
                            "authorizationCode": {
                                "authorizationUrl": "https://other.example/authorize",
                                "tokenUrl": "https://other.example/token",
                                "scopes": {f"{ob_consumer.SCOPE_PREFIX}credential.readonly": ""},
                            }
                        },
                    }
                }
            }
        },
    }
    monkeypatch.setattr(fetcher, "fetch_json", lambda url, **_: documents[url])
    with pytest.raises(PushFailed, match="not an OB 3.0 discovery document"):
        start_push(
            session,
            runtime,
            award=award_row,
            host_url="https://host.example",
            now=utcnow(),
            fetcher=fetcher,
        )
    with pytest.raises(PushFailed, match="does not offer the credential.upsert scope"):
        start_push(
            session,
            runtime,
            award=award_row,
            host_url="https://other.example",
            now=utcnow(),
            fetcher=fetcher,
        )


def test_pushes_of_lists_an_awards_pushes_newest_first(
    session: Session, runtime: Runtime, fetcher: GuardedFetcher, award_row: Award, host: HostDouble
) -> None:
    first = utcnow()
    host.upsert_status = 500
    push(session, runtime, fetcher, award_row, host, now=first)
    host.upsert_status = 200
    push(session, runtime, fetcher, award_row, host, now=first + timedelta(minutes=1))
    listed = ob_consumer.pushes_of(session, award_id=award_row.id)
    assert [(p.status, p.answer_status, api) for p, api in listed] == [
        (PushStatus.pushed, 200, host.api),
        (PushStatus.failed, 500, host.api),
    ]
