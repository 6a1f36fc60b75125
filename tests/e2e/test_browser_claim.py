"""The claim page in chromium, on a phone (390 px) and a desktop: it fits, shows the badge,
every action is reachable by keyboard, the CSP is not violated and nothing is requested from
anywhere but the service. Then an expired link's "Send me a new link" button, pressed from the
keyboard, is accepted as the page's own (the same-origin check passes in a real browser).

Screenshots: ``/tmp/claim-390.png``, ``/tmp/claim-desktop.png``, ``/tmp/claim-expired-390.png``,
``/tmp/claim-new-link-390.png``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request
from sqlmodel import Session, col, select

from issuer.models import Award, Delivery
from issuer.services.claims import mint_claim_token
from schemas.dates import utcnow
from tests.e2e import test_browser_sharing as sharing
from tests.e2e.live_service import LiveService, live_service
from tests.issuer.smtp_support import SmtpServer

browser = sharing.browser

pytestmark = pytest.mark.browser

PHONE = sharing.PHONE
DESKTOP = {"width": 1280, "height": 900}
_WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    smtp = SmtpServer().start()  # configured, so an expired link's page offers a new one
    try:
        with live_service(
            tmp_path_factory.mktemp("e2e-claim"),
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_tls="none",
            smtp_from="Credentials Office <credentials@ped.nm.example>",
        ) as running:
            running.award("valid")
            yield running
    finally:
        smtp.stop()


def _token(service: LiveService, *, expired: bool) -> tuple[Award, str]:
    """A claim token for the "valid" award (one that ran out yesterday when ``expired``)."""
    with Session(service.engine) as session:
        award = session.get(Award, uuid.UUID(service.credentials["valid"]["id"].rsplit("/", 1)[1]))
        assert award is not None
        now = utcnow() - (timedelta(days=31) if expired else timedelta())
        token = mint_claim_token(session, award=award, now=now, ttl=timedelta(days=30))
        session.commit()
        session.refresh(award)
        session.expunge(award)
    return award, token


@pytest.fixture(params=["390", "desktop"])
def viewport(request: Any) -> tuple[str, dict[str, int]]:
    return request.param, PHONE if request.param == "390" else DESKTOP


def _open(browser: Browser, size: dict[str, int], phone: bool) -> tuple[Page, list[str]]:
    context = browser.new_context(
        viewport=size, device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.add_init_script(_WATCH)
    requested: list[str] = []

    def keep(request: Request) -> None:
        requested.append(request.url)

    page.on("request", keep)
    return page, requested


def _tab_order(page: Page, stops: int = 40) -> list[str]:
    """What Tab reaches, in order: each focused element's text or href."""
    reached = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " if (!e || e === document.body) return '';"  # nothing focused: not a stop
                " return (e.textContent || '').trim() + ' ' + (e.getAttribute('href') || ''); }"
            )
        )
    return reached


def _breathes(page: Page) -> None:
    """The heading is not jammed against the site header's rule."""
    rule = page.locator("header.site").bounding_box()
    heading = page.locator("main h1").bounding_box()
    assert rule is not None and heading is not None
    assert heading["y"] - (rule["y"] + rule["height"]) >= 12


def _focused(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.tagName + ' ' + (e === document.body ? '' : e.textContent.trim()); }"
        )
    )


def test_the_claim_page_fits_works_by_keyboard_and_stays_on_the_service(
    service: LiveService, browser: Browser, viewport: tuple[str, dict[str, int]]
) -> None:
    name, size = viewport
    award, token = _token(service, expired=False)
    page, requested = _open(browser, size, phone=name == "390")
    response = page.goto(f"{service.base_url}/claim/{token}")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")

    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    badge = page.locator("main > header img")
    assert badge.evaluate("i => i.complete && i.naturalWidth > 0")
    assert page.locator("h1").inner_text() == "Classroom Environment"
    assert page.evaluate("window.__violations") == []
    assert [url for url in requested if not url.startswith(service.base_url)] == []

    reached = " | ".join(_tab_order(page))
    for expected in (
        f"/credentials/{award.id}.json",
        f"/credentials/{award.id}.jwt",
        f"/credentials/{award.id}/badge.png",
        f"/credentials/{award.id}/badge.svg",
        "Add to LinkedIn profile",
        f"/credentials/{award.id}",
    ):
        assert expected in reached, (expected, reached)
    # The focused control is visibly marked (an outline or a box shadow).
    page.locator("a.button").first.focus()
    ring = page.locator("a.button").first.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0"
        " || s.boxShadow !== 'none'; }"
    )
    assert ring
    assert sharing._contrast(page, "a.button") >= 4.5
    assert sharing._contrast(page, "main > header p") >= 4.5

    page.evaluate("document.activeElement.blur()")  # the page as it opens, no focus ring
    shot = Path(f"/tmp/claim-{name}.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.context.close()


def test_an_expired_links_button_sends_a_new_link_from_the_keyboard(
    service: LiveService, browser: Browser
) -> None:
    award, token = _token(service, expired=True)
    page, requested = _open(browser, PHONE, phone=True)
    response = page.goto(f"{service.base_url}/claim/{token}")
    assert response is not None and response.status == 410
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _breathes(page)
    page.screenshot(path="/tmp/claim-expired-390.png", full_page=True)
    with Session(service.engine) as session:
        before = len(session.exec(select(Delivery).where(col(Delivery.award_id) == award.id)).all())

    for _ in range(20):
        page.keyboard.press("Tab")
        if "Send me a new link" in _focused(page):
            break
    assert _focused(page) == "BUTTON Send me a new link"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "A new link is on its way to the address the issuer has." in page.inner_text("main")
    _breathes(page)
    page.screenshot(path="/tmp/claim-new-link-390.png", full_page=True)
    assert award.recipient_email not in page.content()
    assert page.evaluate("window.__violations") == []
    assert [url for url in requested if not url.startswith(service.base_url)] == []
    with Session(service.engine) as session:
        after = len(session.exec(select(Delivery).where(col(Delivery.award_id) == award.id)).all())
    assert after == before + 1
    page.context.close()
