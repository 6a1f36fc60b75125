""" "Send me a new link" on an expired claim link's page: a new claim email to the address on
record, a few a day at most, only from the service's own page, never for a revoked or
suspended award or without email configured. Storage on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.app import create_app
from issuer.models import Award, DeliveryKind, Issuer
from issuer.runtime import Runtime
from issuer.services import deliveries
from issuer.services.claims import mint_claim_token, withdraw_claim_links
from issuer.services.errors import LimitReached
from issuer.services.status import revoke, suspend
from issuer.settings import Settings
from tests.issuer import test_delivery
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.support import BASE_URL
from tests.issuer.test_delivery import Clock, award_one, rows, send_all

# The delivery tests' fixtures: a service with SMTP configured and a clock the test moves.
smtp = test_delivery.smtp
settings = test_delivery.settings
clock = test_delivery.clock
runtime = test_delivery.runtime
issuer = test_delivery.issuer

ISSUER_NAME = "New Mexico Public Education Department"
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "accept": "text/html"}


def _expired_link(
    session: Session, runtime: Runtime, issuer: Issuer, clock: Clock, **fields: Any
) -> tuple[Award, str]:
    """An award whose one claim link expired a day ago (its award-time email already sent)."""
    made = award_one(session, runtime, issuer, **fields)
    send_all(session, runtime)
    token = mint_claim_token(session, award=made, now=clock.now, ttl=timedelta(days=30))
    session.commit()
    clock.advance(timedelta(days=31))
    return made, token


def _claims(session: Session, award: Award) -> int:
    return sum(1 for row in rows(session, award.id) if row.kind == DeliveryKind.claim)


def test_an_expired_link_offers_a_new_one_sent_to_the_address_on_record(
    client: Any,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    clock: Clock,
    smtp: SmtpServer,
) -> None:
    made, token = _expired_link(session, runtime, issuer, clock)
    before = len(smtp.messages)
    page = client.get(f"/claim/{token}", headers={"accept": "text/html"})
    assert page.status_code == 410
    assert f'<form method="post" action="/claim/{token}/new-link">' in page.text
    assert "Send me a new link" in page.text
    # The form needs a real Origin from browsers without Sec-Fetch-Site; nothing leaves.
    assert page.headers["referrer-policy"] == "same-origin"
    assert "<input" not in page.text  # the educator types nothing

    answer = client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN)
    assert answer.status_code == 202
    assert "A new link is on its way to the address the issuer has." in answer.text
    assert made.recipient_email not in answer.text and "maria" not in answer.text.lower()
    assert answer.headers["cache-control"] == "no-store"
    # No language link to GET a URL that only takes POST (the page came in the reader's
    # language already).
    assert 'class="languages"' not in answer.text and 'class="languages"' in page.text

    [outcome] = [o for o in send_all(session, runtime) if o.status is not None]
    assert outcome.status == "sent"
    [message] = smtp.messages[before:]
    assert message["To"] == made.recipient_email  # the address on record
    text = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https://issuer\.test/claim/[A-Za-z0-9_-]+", text)
    new_token = link.rsplit("/", 1)[1]
    assert new_token != token
    assert client.get(f"/claim/{new_token}").status_code == 200
    assert client.get(f"/claim/{token}").status_code == 410  # the old one stays expired


def test_at_most_three_new_links_a_day(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer, clock: Clock
) -> None:
    made, token = _expired_link(session, runtime, issuer, clock)
    claims = _claims(session, made)
    codes = [
        client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN).status_code
        for _ in range(deliveries.RENEWALS_PER_DAY)
    ]
    assert codes == [202] * deliveries.RENEWALS_PER_DAY
    refused = client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN)
    assert refused.status_code == 429
    assert "New links were already sent 3 times today" in refused.text
    assert _claims(session, made) == claims + deliveries.RENEWALS_PER_DAY
    clock.advance(timedelta(days=1))  # a new day, three more
    assert client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN).status_code == 202
    assert _claims(session, made) == claims + deliveries.RENEWALS_PER_DAY + 1


def test_the_daily_cap_holds_under_concurrent_requests(
    engine: Engine, session: Session, runtime: Runtime, issuer: Issuer, clock: Clock
) -> None:
    made, _ = _expired_link(session, runtime, issuer, clock)
    claims = _claims(session, made)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def ask() -> None:
        with Session(engine) as own:
            start.wait()
            try:
                deliveries.renew_claim_link(session=own, runtime=runtime, award_id=made.id)
                outcomes.append("sent")
            except LimitReached:
                outcomes.append("limit")

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["limit"] * 3 + ["sent"] * 3
    assert _claims(session, made) == claims + 3


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": BASE_URL},  # a sibling host is not us
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {},  # no page at all (a script)
    ],
)
def test_the_form_is_refused_from_anywhere_but_the_services_own_page(
    client: Any,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    clock: Clock,
    headers: dict[str, str],
) -> None:
    made, token = _expired_link(session, runtime, issuer, clock)
    claims = _claims(session, made)
    refused = client.post(f"/claim/{token}/new-link", headers=headers)
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "a new link can only be asked for from the claim link's own page"
    }
    assert _claims(session, made) == claims
    # A browser that sends no Sec-Fetch-Site but this service's Origin is accepted.
    accepted = client.post(f"/claim/{token}/new-link", headers={"origin": BASE_URL})
    assert accepted.status_code == 202


def test_no_new_link_for_a_revoked_or_suspended_award(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer, clock: Clock
) -> None:
    for change in (revoke, suspend):
        made, token = _expired_link(session, runtime, issuer, clock)
        change(session, runtime, made.id, "issued in error", "test")
        claims = _claims(session, made)
        page = client.get(f"/claim/{token}")
        assert page.status_code == 410
        assert "<form" not in page.text and "revoked or suspended this credential" in page.text
        refused = client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN)
        assert refused.status_code == 409
        assert "no new link can be sent" in refused.text
        assert _claims(session, made) == claims


def test_without_email_the_pages_say_to_ask_the_issuer(
    settings: Settings,
    engine: Engine,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    clock: Clock,
) -> None:
    made, token = _expired_link(session, runtime, issuer, clock)
    claims = _claims(session, made)
    no_email = dataclasses.replace(
        runtime, settings=settings.model_copy(update={"smtp_host": None})
    )
    app = create_app(no_email.settings, engine=engine, runtime=no_email)
    with TestClient(app, base_url=BASE_URL) as client:
        page = client.get(f"/claim/{token}")
        assert page.status_code == 410 and "<form" not in page.text
        assert f"Ask {ISSUER_NAME} for a new link" in page.text
        refused = client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN)
    assert refused.status_code == 409
    assert f"This service cannot send email just now. Ask {ISSUER_NAME} for a new link." in (
        refused.text
    )
    assert _claims(session, made) == claims


def test_withdrawn_unknown_and_live_links(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer, clock: Clock
) -> None:
    made = award_one(session, runtime, issuer)
    send_all(session, runtime)
    live = mint_claim_token(session, award=made, now=clock.now, ttl=timedelta(days=30))
    session.commit()
    claims = _claims(session, made)
    # A link that still works: nothing to renew, back to its page.
    kept = client.post(f"/claim/{live}/new-link", headers=SAME_ORIGIN, follow_redirects=False)
    assert kept.status_code == 303 and kept.headers["location"] == f"/claim/{live}"
    # A link the issuer withdrew: a new one is the issuer's to send.
    withdraw_claim_links(session, award=made, now=clock.now)
    session.commit()
    page = client.get(f"/claim/{live}")
    assert page.status_code == 410 and "<form" not in page.text
    assert "This claim link was withdrawn" in page.text
    refused = client.post(f"/claim/{live}/new-link", headers=SAME_ORIGIN)
    assert refused.status_code == 410 and "<form" not in refused.text
    unknown = client.post("/claim/" + "C" * 32 + "/new-link", headers=SAME_ORIGIN)
    assert unknown.status_code == 404 and "Unknown claim link" in unknown.text
    assert _claims(session, made) == claims


def test_the_form_counts_towards_the_claim_rate_limit(
    client: Any, session: Session, runtime: Runtime, issuer: Issuer, clock: Clock
) -> None:
    made, token = _expired_link(session, runtime, issuer, clock)
    claims = _claims(session, made)
    for _ in range(30):
        client.get("/claim/" + "D" * 32)
    limited = client.post(f"/claim/{token}/new-link", headers=SAME_ORIGIN)
    assert limited.status_code == 429
    assert _claims(session, made) == claims
