"""The educator's push over HTTP: ``POST /ob-api/push`` (signed in, CSRF, own awards only)
303s to the Host's consent, and ``GET /ob-api/callback`` finishes it, against the test-double
Host on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.requests import Request

from issuer.api.csrf import bind_session, csrf_token
from issuer.api.learner_auth import LEARNER_COOKIE
from issuer.app import create_app
from issuer.models import Award, AwardCreate, HostPush, Issuer, PushStatus
from issuer.models.learners import LearnerSession
from issuer.runtime import Runtime
from issuer.services.awards import award
from issuer.services.learners import learner_for_email, open_session, token_hash
from issuer.settings import Settings
from schemas.dates import utcnow
from tests.issuer.ob_host_double import HostDouble, consent, host_double
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER
from verifier.settings import VerifierSettings


@pytest.fixture
def award_row(session: Session, runtime: Runtime, issuer: Issuer) -> Award:
    request = AwardCreate.model_validate(GOOD_AWARD)
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


@pytest.fixture
def other_award(session: Session, runtime: Runtime, issuer: Issuer) -> Award:
    request = AwardCreate.model_validate(
        {**GOOD_AWARD, "recipient_email": "someone.else@schools.nm.example"}
    )
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


@pytest.fixture
def host() -> Iterator[HostDouble]:
    with host_double() as double:
        yield double


@pytest.fixture
def dev_app(settings: Settings, engine: Engine, runtime: Runtime) -> FastAPI:
    """The service with http to loopback allowed (where the Host double listens)."""
    return create_app(
        settings,
        engine=engine,
        runtime=runtime,
        verifier_settings=VerifierSettings(allow_http_localhost=True),
    )


@pytest.fixture
def signed_in(session: Session, dev_app: FastAPI) -> Iterator[tuple[TestClient, str]]:
    """A browser signed in as the award's educator, and its form's CSRF token."""
    learner = learner_for_email(session, email=GOOD_AWARD["recipient_email"], now=utcnow())
    token = open_session(session, learner=learner, now=utcnow())
    session.commit()
    row = session.exec(
        select(LearnerSession).where(LearnerSession.token_hash == token_hash(token))
    ).one()
    request = Request({"type": "http", "headers": [], "state": {}})
    bind_session(request, row.csrf_secret)
    with TestClient(dev_app, base_url=BASE_URL, follow_redirects=False) as browser:
        browser.cookies.set(LEARNER_COOKIE, token)
        yield browser, csrf_token(request)


def test_the_form_on_me_sends_the_educator_to_the_host_and_the_callback_completes_it(
    signed_in: tuple[TestClient, str], award_row: Award, host: HostDouble, session: Session
) -> None:
    browser, _ = signed_in
    page = browser.get("/me")
    assert page.status_code == 200 and "Send to another backpack" in page.text
    form = page.text[page.text.index('action="/ob-api/push"') :]
    assert f'name="award_id" value="{award_row.id}"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    started = browser.post(
        "/ob-api/push",
        data={"host_url": host.base, "award_id": str(award_row.id), "csrf_token": token[1]},
    )
    assert started.status_code == 303, started.text
    assert started.headers["location"].startswith(f"{host.base}/oauth/authorize?")
    back = consent(started.headers["location"])
    assert back["_location"].startswith(f"{BASE_URL}/ob-api/callback?")
    done = browser.get(urlsplit(back["_location"]).path + "?" + urlsplit(back["_location"]).query)
    assert done.status_code == 200
    assert "Sent to your backpack at" in done.text and host.api in done.text
    assert done.headers["cache-control"] == "no-store"
    assert host.upserts[0]["body"] == award_row.credential.encode()
    again = browser.get(urlsplit(back["_location"]).path + "?" + urlsplit(back["_location"]).query)
    assert again.status_code == 410


def test_only_the_educators_own_awards_and_only_with_the_csrf_token(
    signed_in: tuple[TestClient, str], other_award: Award, award_row: Award, host: HostDouble
) -> None:
    browser, csrf = signed_in
    theirs = browser.post(
        "/ob-api/push",
        data={"host_url": host.base, "award_id": str(other_award.id), "csrf_token": csrf},
    )
    assert theirs.status_code == 404
    assert "not one of yours" in theirs.text
    garbage = browser.post(
        "/ob-api/push", data={"host_url": host.base, "award_id": "nope", "csrf_token": csrf}
    )
    assert garbage.status_code == 404
    forged = browser.post(
        "/ob-api/push",
        data={"host_url": host.base, "award_id": str(award_row.id), "csrf_token": "forged"},
    )
    assert forged.status_code == 403
    assert host.registrations == []


def test_signed_out_is_sent_to_sign_in(
    dev_app: FastAPI, award_row: Award, host: HostDouble
) -> None:
    with TestClient(dev_app, base_url=BASE_URL, follow_redirects=False) as browser:
        response = browser.post(
            "/ob-api/push",
            data={"host_url": host.base, "award_id": str(award_row.id), "csrf_token": "x"},
        )
    assert response.status_code in (303, 403)
    assert host.registrations == []


def test_a_host_that_cannot_be_used_is_explained(
    signed_in: tuple[TestClient, str], award_row: Award, host: HostDouble
) -> None:
    browser, csrf = signed_in
    bad = browser.post(
        "/ob-api/push",
        data={"host_url": "ftp://x.example", "award_id": str(award_row.id), "csrf_token": csrf},
    )
    assert bad.status_code == 400 and "https://" in bad.text
    host.refuse_registration = True
    refused = browser.post(
        "/ob-api/push",
        data={"host_url": host.base, "award_id": str(award_row.id), "csrf_token": csrf},
    )
    assert refused.status_code == 502
    assert "the Host refused the registration: tos_uri is not https" in refused.text


def test_access_denied_says_you_did_not_allow_it(
    signed_in: tuple[TestClient, str], award_row: Award, host: HostDouble, session: Session
) -> None:
    browser, csrf = signed_in
    host.deny_consent = True
    started = browser.post(
        "/ob-api/push",
        data={"host_url": host.base, "award_id": str(award_row.id), "csrf_token": csrf},
    )
    back = consent(started.headers["location"])
    page = browser.get("/ob-api/callback?" + urlsplit(back["_location"]).query)
    assert page.status_code == 200 and "You did not allow it" in page.text
    (row,) = session.exec(select(HostPush)).all()
    assert row.status == PushStatus.failed


def test_a_bare_or_forged_callback_is_refused(signed_in: tuple[TestClient, str]) -> None:
    browser, _ = signed_in
    assert browser.get("/ob-api/callback").status_code == 400
    assert browser.get("/ob-api/callback?state=abc").status_code == 400
    assert browser.get("/ob-api/callback?state=abc&code=def").status_code == 404
