"""The educator's page /me: every award made to the signed-in address, from every issuer,
newest first, and nobody else's; a revoked or suspended award listed with its status and no
share action; the links are the public ones the claim page uses. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.demo_catalog import DEMO_ACHIEVEMENTS, demo_content
from issuer.models import AchievementCreate, Award, Issuer
from issuer.runtime import Runtime
from issuer.services.catalog import create_achievement
from issuer.services.status import revoke, suspend
from tests.issuer import test_delivery
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.support import make_issuer
from tests.issuer.test_delivery import Clock, award_one
from tests.issuer.test_learner_sign_in import ANA, HTML, csrf_of, signed_in

smtp = test_delivery.smtp
settings = test_delivery.settings
clock = test_delivery.clock
runtime = test_delivery.runtime
issuer = test_delivery.issuer


def _second_issuer(session: Session, runtime: Runtime) -> Issuer:
    """Another issuer with one achievement of its own (slugs are unique service-wide)."""
    row = make_issuer(session, runtime, slug="santa-fe", name="Santa Fe Teaching Academy")
    item = DEMO_ACHIEVEMENTS[4]
    content = demo_content(item, image=runtime.urls.achievement_image("sf-family", 1))
    data = AchievementCreate.model_validate({**content.model_dump(), "slug": "sf-family"})
    create_achievement(session=session, runtime=runtime, issuer=row, data=data)
    return row


def _items(page: Any) -> list[str]:
    return re.findall(
        r"<li(?: class=\"withheld\")?>\s*<img.*?</li>\s*(?=<li|</ul>)", page.text, re.S
    )


def test_me_lists_this_learners_awards_from_every_issuer_and_no_one_elses(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    other_issuer = _second_issuer(session, runtime)
    first = award_one(session, runtime, issuer, recipient_email=" Ana.Educator@Schools.NM.example")
    clock.advance(timedelta(days=1))
    second = award_one(session, runtime, other_issuer, recipient_email=ANA, achievement="sf-family")
    someone_else = award_one(session, runtime, issuer, recipient_email="bo@schools.nm.example")

    assert signed_in(client, session, runtime, smtp).status_code == 303
    page = client.get("/me", headers=HTML)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    items = _items(page)
    assert len(items) == 2
    # Newest first, each with its issuer, image, public page and downloads.
    assert str(second.id) in items[0] and "Santa Fe Teaching Academy" in items[0]
    assert str(first.id) in items[1] and "New Mexico Public Education Department" in items[1]
    for made, item in ((second, items[0]), (first, items[1])):
        assert f'href="https://issuer.test/credentials/{made.id}"' in item
        assert f'src="/credentials/{made.id}/badge.svg"' in item
        assert f'href="/credentials/{made.id}.json"' in item
        assert f'href="/credentials/{made.id}.jwt"' in item
        assert "linkedin.com/profile/add" in item
        # The links answer: the page offers nothing the service does not serve.
        assert client.get(f"/credentials/{made.id}.json").status_code == 200
    assert str(someone_else.id) not in page.text
    assert "bo@schools.nm.example" not in page.text


def test_revoked_and_suspended_awards_are_listed_without_share_actions(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    smtp: SmtpServer,
) -> None:
    good, revoked, suspended = (
        award_one(session, runtime, issuer, recipient_email=ANA, achievement=slug)
        for slug in ("classroom-environment", "assessment-literacy", "family-engagement")
    )
    revoke(session, runtime, revoked.id, "issued in error", "test")
    suspend(session, runtime, suspended.id, "under review", "test")
    signed_in(client, session, runtime, smtp)
    page = client.get("/me", headers=HTML)
    items = {
        award_id: item
        for item in _items(page)
        for award_id in (str(good.id), str(revoked.id), str(suspended.id))
        if award_id in item
    }
    assert len(items) == 3
    assert "Revoked by the issuer" in items[str(revoked.id)]
    assert "Suspended by the issuer" in items[str(suspended.id)]
    for withheld in (revoked, suspended):
        item = items[str(withheld.id)]
        assert 'class="withheld"' in page.text
        assert ".json" not in item and "linkedin" not in item and "download" not in item
    assert "linkedin.com/profile/add" in items[str(good.id)]


def test_me_without_awards_says_so_and_offers_sign_out(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    signed_in(client, session, runtime, smtp)
    page = client.get("/me", headers=HTML)
    assert "No credential on this service was awarded to this address yet." in page.text
    assert 'action="/sign-out"' in page.text and csrf_of(page)
    # The page is in Spanish for a Spanish reader, labels included.
    spanish = client.get("/me?lang=es", headers=HTML)
    assert "Sus credenciales" in spanish.text and "Cerrar sesión" in spanish.text


def test_the_claim_page_links_to_sign_in(
    client: TestClient, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    from issuer.services.claims import mint_claim_token

    made = award_one(session, runtime, issuer, recipient_email=ANA)
    token = mint_claim_token(
        session,
        award=session.get(Award, made.id) or made,
        now=runtime.clock(),
        ttl=timedelta(days=1),
    )
    session.commit()
    page = client.get(f"/claim/{token}", headers=HTML)
    assert 'href="/sign-in?next=%2Fme"' in page.text and "See all your credentials" in page.text
