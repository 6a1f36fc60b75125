"""The claim page: a valid, expired, unknown and revoked link; the rate limit; no token in
any log line."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from issuer.api.routes.claims import ClaimRateLimiter
from issuer.models import Issuer
from issuer.runtime import Runtime
from issuer.services.claims import mint_claim_token
from issuer.services.status import revoke
from tests.issuer import test_delivery
from tests.issuer.test_delivery import Clock, award_one

# The delivery tests' fixtures: a service with SMTP configured and a clock the test moves.
smtp = test_delivery.smtp
settings = test_delivery.settings
clock = test_delivery.clock
runtime = test_delivery.runtime
issuer = test_delivery.issuer


def _token(session: Session, runtime: Runtime, issuer: Issuer, **fields: Any) -> tuple[Any, str]:
    made = award_one(session, runtime, issuer, **fields)
    token = mint_claim_token(session, award=made, now=runtime.clock(), ttl=timedelta(days=30))
    session.commit()
    return made, token


def test_a_valid_link_shows_the_badge_downloads_and_linkedin(
    client: Any,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    made, token = _token(session, runtime, issuer)
    page = client.get(f"/claim/{token}", headers={"accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert "Classroom Environment" in html and "María López" in html
    assert "New Mexico Public Education Department" in html
    for link in (
        f"/credentials/{made.id}.json",
        f"/credentials/{made.id}.jwt",
        f"/credentials/{made.id}/badge.png",
        f"/credentials/{made.id}/badge.svg",
    ):
        assert f'href="{link}"' in html
        assert client.get(link).status_code == 200
    assert "linkedin.com" in html
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    # The service logs nothing with the token (httpx is this test's own client).
    assert not [r for r in caplog.records if token in r.getMessage() and r.name != "httpx"]


def test_an_unknown_or_expired_link_says_how_to_get_a_new_one(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer, clock: Clock
) -> None:
    _, token = _token(session, runtime, issuer)
    unknown = client.get("/claim/" + "A" * 32)
    assert unknown.status_code == 404 and "Unknown claim link" in unknown.text
    clock.advance(timedelta(days=30))
    expired = client.get(f"/claim/{token}")
    assert expired.status_code == 410
    assert "expired" in expired.text and "Send me a new link" in expired.text
    assert client.get("/claim/" + "x" * 500).status_code == 404


def test_a_revoked_award_offers_nothing(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    made, token = _token(session, runtime, issuer)
    revoke(session, runtime, made.id, "issued in error", "test")
    page = client.get(f"/claim/{token}")
    assert page.status_code == 200
    assert "has been revoked" in page.text
    assert "linkedin.com" not in page.text and ".json" not in page.text


def test_claim_requests_are_rate_limited_per_client(client: Any) -> None:
    codes = [client.get("/claim/" + "B" * 32).status_code for _ in range(31)]
    assert codes[:30] == [404] * 30 and codes[30] == 429
    limiter = ClaimRateLimiter(2, 60)
    assert [limiter.allow("a", 0), limiter.allow("a", 1), limiter.allow("a", 2)] == [
        True,
        True,
        False,
    ]
    assert limiter.allow("b", 2) and limiter.allow("a", 61)
