"""The claim page: a valid, expired, unknown and revoked link; the rate limit; no token in
any log line."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, func, select

from issuer.api.rate_limit import RateLimiter
from issuer.models import Exchange, Issuer
from issuer.runtime import Runtime
from issuer.services.claims import mint_claim_token
from issuer.services.status import revoke
from tests.issuer import test_delivery
from tests.issuer.support import BASE_URL
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
    limiter = RateLimiter(2, 60)
    assert [limiter.allow("a", 0), limiter.allow("a", 1), limiter.allow("a", 2)] == [
        True,
        True,
        False,
    ]
    assert limiter.allow("b", 2) and limiter.allow("a", 61)


# ------------------------------------------------------------------------------ wallets


def _hrefs(html: str, scheme: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="(' + re.escape(scheme) + r'[^"]*)"', html)]


def test_each_visit_mints_wallet_links_for_the_lcw_and_oid4vci(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    """The page offers the Learner Credential Wallet's dccrequest link (button), the
    interaction link and an OpenID4VCI offer, as plain hrefs and as QR codes in the page
    (``data:`` images: no URL of their own); a reload mints new ones, and every one works."""
    _, token = _token(session, runtime, issuer)
    first = client.get(f"/claim/{token}", headers={"accept": "text/html"}).text
    second = client.get(f"/claim/{token}", headers={"accept": "text/html"}).text
    for html in (first, second):
        assert len(_hrefs(html, "dccrequest://request?")) == 1
        assert len(_hrefs(html, "openid-credential-offer://?credential_offer_uri=")) == 1
        assert len(_hrefs(html, f"{BASE_URL}/exchanges/")) == 1
        assert html.count('src="data:image/png;base64,') == 3
        assert "/qr" not in html.split("<main", 1)[-1].replace("/qr.svg", "")
    assert _hrefs(first, "dccrequest://") != _hrefs(second, "dccrequest://")
    assert _hrefs(first, "openid-credential-offer://") != _hrefs(second, "openid-credential-offer://")
    # the links of the first visit still work (each is single use, not "latest only")
    interaction = _hrefs(first, f"{BASE_URL}/exchanges/")[0]
    protocols = client.get(
        interaction.removeprefix(BASE_URL), headers={"accept": "application/json"}
    ).json()["protocols"]
    assert protocols["OID4VCI"] == _hrefs(first, "openid-credential-offer://")[0]
    offer_uri = parse_qs(urlsplit(protocols["OID4VCI"]).query)["credential_offer_uri"][0]
    assert client.get(offer_uri.removeprefix(BASE_URL)).status_code == 200
    legacy = parse_qs(urlsplit(_hrefs(first, "dccrequest://")[0]).query)
    assert legacy["auth_type"] == ["bearer"] and legacy["vc_request_url"][0].endswith("/direct")


def test_the_claim_link_answers_json_to_a_client_that_asks(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    made, token = _token(session, runtime, issuer)
    answer = client.get(f"/claim/{token}", headers={"accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert "Accept" in answer.headers["vary"] and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["credential"] == f"{BASE_URL}/credentials/{made.id}"
    assert body["downloads"]["json"] == f"{BASE_URL}/credentials/{made.id}.json"
    wallets = body["wallets"]
    assert wallets["lcw"]["deepLink"].startswith("dccrequest://request?")
    assert wallets["lcw"]["interactionUrl"].endswith("?iuv=1")
    assert wallets["oid4vci"]["offer"].startswith("openid-credential-offer://")
    assert wallets["expires"].endswith("Z")
    # a browser's Accept (and */*) still gets the page
    assert client.get(f"/claim/{token}").headers["content-type"].startswith("text/html")


def test_a_revoked_award_mints_no_wallet_links(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    made, token = _token(session, runtime, issuer)
    revoke(session, runtime, made.id, "issued in error", "test")
    before = session.exec(select(func.count()).select_from(Exchange)).one()
    page = client.get(f"/claim/{token}", headers={"accept": "text/html"})
    assert "dccrequest://" not in page.text and "openid-credential-offer" not in page.text
    body = client.get(f"/claim/{token}", headers={"accept": "application/json"}).json()
    assert body["wallets"] is None and body["downloads"] is None and body["status"] == "revoked"
    assert session.exec(select(func.count()).select_from(Exchange)).one() == before
