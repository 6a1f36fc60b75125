"""Badge pages, the certificate and the employer's verify page in a real browser, on a phone.

Debian's chromium, driven headless by Playwright for Python, against the service running on
``http://127.0.0.1:<port>`` (see ``live_service.py``). One browser for the module, a 390×844
phone viewport: what an employer sees after scanning the QR code on a résumé.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.live_service import LiveService, live_service

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}

#: WCAG 2.1 contrast ratio of two computed CSS colours ``rgb(r, g, b)`` / ``rgba(...)``.
CONTRAST_JS = """
([fg, bg]) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""

#: Every form control without a label (explicit, wrapping, or aria-label / labelledby).
UNLABELLED_JS = """
() => [...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby'))
  .map((el) => el.id || el.name || el.outerHTML)
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("e2e-service")) as running:
        running.award("valid")
        running.award("revoked", recipient_name="Tomás Baca", idempotency_key="to-revoke")
        running.revoke("revoked")
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(
            "chromium is missing: `make test` installs Debian's (scripts/ensure-chromium.sh)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _contrast(page: Page, selector: str) -> float:
    """Contrast of ``selector``'s text colour on the background it sits on (first opaque one)."""
    colours = page.eval_on_selector(
        selector,
        """(el) => {
          const fg = getComputedStyle(el).color;
          let node = el, bg = 'rgba(0, 0, 0, 0)';
          while (node && /rgba\\(.*, 0\\)|transparent/.test(bg)) {
            bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
          }
          return [fg, /rgba\\(.*, 0\\)/.test(bg) ? 'rgb(255, 255, 255)' : bg];
        }""",
    )
    return float(page.evaluate(CONTRAST_JS, colours))


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _labelled(page: Page) -> None:
    assert page.evaluate(UNLABELLED_JS) == []


# ------------------------------------------------------------------------------ badge pages


def test_badge_page_shows_the_live_verdict_on_a_phone(
    service: LiveService, phone: Page, tmp_path: Path
) -> None:
    link = service.credentials["valid"]["id"]
    phone.goto(link)
    banner = phone.locator(".banner")
    assert banner.get_attribute("data-state") == "valid"
    assert phone.locator("#standing").inner_text() == "Valid"
    assert banner.bounding_box()["y"] < PHONE["height"] / 2  # the first thing on screen
    checks = {
        li.get_attribute("data-check"): li.inner_text() for li in phone.locator("li.check").all()
    }
    for check in ("proof", "issuer_key", "validity", "status", "trust"):
        assert "Passed" in checks[check], (check, checks[check])
    assert "Not revoked" in checks["status"]
    # the issuer's trust standing, from the verifier's trust list
    details = phone.locator("dl.facts").inner_text()
    assert "Recognised: NM PED approved providers (US-NM)" in details
    assert "license-advancement, renewal-credit" in details
    assert phone.locator("h1").inner_text() == "Classroom Environment"

    _fits_the_phone(phone)
    _labelled(phone)
    assert _contrast(phone, "main p.description") >= 4.5
    assert _contrast(phone, "#standing") >= 4.5
    assert _contrast(phone, "dl.facts dt") >= 4.5
    assert _contrast(phone, ".outcome.o-passed") >= 4.5
    assert _contrast(phone, "#badge-link-hint") >= 4.5
    font_px = float(phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    assert font_px >= 16  # readable without zooming

    # the QR code as chromium draws it (the SVG) reads back as the badge link
    qr = phone.locator("figure img")
    qr.scroll_into_view_if_needed()
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert barcode.text == link

    shot = tmp_path / "badge-page-phone.png"
    phone.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert Image.open(shot).size[0] == PHONE["width"] * 2


def test_the_badge_page_switches_to_spanish_and_back(service: LiveService, phone: Page) -> None:
    """The language switch on a phone: Español gives the whole page in Spanish (the issuer's
    Spanish name for the achievement, said to be a translation), remembered on the next page;
    English brings the signed words back. Nothing overflows the phone in either language."""
    phone.goto(service.credentials["valid"]["id"])
    phone.locator("nav.languages a[hreflang=es]").click()
    phone.wait_for_url(re.compile(r"lang=es"))
    assert phone.locator("html").get_attribute("lang") == "es"
    assert phone.locator("#standing").inner_text() == "Válida"
    assert phone.locator("h1").inner_text() == "Ambiente del salón de clases"
    assert "Classroom Environment" in phone.locator(".translation-note").inner_text()
    assert re.search(
        r"Otorgada a María López por .+ el \d{1,2} de \w+ de \d{4}",
        phone.locator(".awarded").inner_text(),
    )
    assert "Superada" in phone.locator('li.check[data-check="proof"]').inner_text()
    _fits_the_phone(phone)
    # every button keeps its words inside it (long Spanish labels wrap, never spill)
    spilled = phone.evaluate(
        "[...document.querySelectorAll('.button')].filter(b => b.scrollWidth > b.clientWidth + 1)"
        ".map(b => b.textContent)"
    )
    assert spilled == []
    # remembered: the certificate opens in Spanish too
    phone.locator("a[href$='/certificate']").click()
    assert phone.locator("html").get_attribute("lang") == "es"
    assert phone.locator(".kind").inner_text() == "Certificado de logro"
    phone.go_back()
    phone.locator("nav.languages a[hreflang=en]").click()
    phone.wait_for_url(re.compile(r"lang=en"))
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.locator("h1").inner_text() == "Classroom Environment"
    assert phone.locator(".translation-note").count() == 0


def test_revoked_badge_page_says_revoked(service: LiveService, phone: Page) -> None:
    phone.goto(service.credentials["revoked"]["id"])
    banner = phone.locator(".banner")
    assert banner.get_attribute("data-state") == "revoked"
    assert banner.is_visible() and banner.bounding_box()["y"] < PHONE["height"] / 2
    assert phone.locator("#standing").inner_text() == "REVOKED"  # uppercase, large, red
    assert "The issuer has revoked this credential" in banner.inner_text()
    assert _contrast(phone, "#standing") >= 4.5
    assert phone.locator(".badge-frame .stamp").inner_text() == "REVOKED"
    status = phone.locator('li.check[data-check="status"]')
    assert status.get_attribute("data-outcome") == "failed"
    assert "REVOKED" in status.inner_text() and "Failed" in status.inner_text()
    assert phone.title().startswith("Revoked: ")
    assert banner.locator(".since time").inner_text()  # when, from the audit log
    # nothing to share it by: no LinkedIn, no certificate, no colour badge image
    share = phone.locator("#share ~ .share")
    assert share.locator("a[href*='linkedin.com']").count() == 0
    assert share.locator("a[href$='/certificate']").count() == 0
    assert share.locator("a[href*='/badge.']").count() == 0
    assert "has been revoked" in phone.locator("#withheld").inner_text()
    assert _contrast(phone, "#withheld") >= 4.5
    _fits_the_phone(phone)
    # and the certificate itself is refused, with the way back
    response = phone.goto(f"{service.credentials['revoked']['id']}/certificate")
    assert response is not None and response.status == 410
    assert "no certificate is printed" in phone.locator("main").inner_text()
    phone.click("text=See its badge page")
    assert phone.locator(".banner").get_attribute("data-state") == "revoked"


def test_certificate_prints_on_one_page(service: LiveService, browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{service.credentials['valid']['id']}/certificate")
        assert page.locator(".verify img").evaluate("img => img.naturalWidth") > 0
        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=True)
            pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
            assert pages == 1, (paper, pages)
    finally:
        page.close()


def test_a_mistyped_badge_link_gets_a_page_with_the_way_home(
    service: LiveService, phone: Page
) -> None:
    """A badge link cut short when copied: a page (not JSON) that leads to the home page,
    which lists the achievements and leads on to the verify page."""
    link = service.credentials["valid"]["id"]
    response = phone.goto(link[:-1])
    assert response is not None and response.status == 404
    assert phone.locator("h1").inner_text() == "Nothing here"
    assert "cut short or mistyped" in phone.locator("main").inner_text()
    icon = phone.evaluate("fetch('/favicon.ico').then(r => r.status)")
    assert icon == 200
    _fits_the_phone(phone)
    assert _contrast(phone, "main p") >= 4.5
    phone.click("text=Go to the home page")
    assert phone.url.rstrip("/") == service.base_url
    items = phone.locator("ul.achievements li a")
    assert items.count() >= 13
    assert "Classroom Environment" in items.all_inner_texts()
    _fits_the_phone(phone)
    phone.click("a.button.primary:has-text('Verify a credential')")
    phone.fill("#url", link)
    phone.click("text=Verify link")
    assert "Every check that applies passed" in _verdict(phone)


# ------------------------------------------------------------------------------ the verify page


def _verdict(page: Page) -> str:
    return page.locator(".verdict").first.inner_text()


def test_verify_page_with_pasted_json(service: LiveService, phone: Page) -> None:
    phone.goto(f"{service.base_url}/verify")
    _fits_the_phone(phone)
    _labelled(phone)
    phone.fill("#credential", json.dumps(service.credentials["valid"]))
    phone.click("text=Verify pasted credential")
    assert "Valid" in _verdict(phone)
    assert "Every check that applies passed" in _verdict(phone)
    _fits_the_phone(phone)


def test_verify_page_with_an_uploaded_baked_png(service: LiveService, phone: Page) -> None:
    link = service.credentials["valid"]["id"]
    baked = httpx.get(f"{link}/badge.png").content
    phone.goto(f"{service.base_url}/verify")
    phone.set_input_files(
        "#file", files=[{"name": "badge.png", "mimeType": "image/png", "buffer": baked}]
    )
    phone.click("text=Verify file")
    assert "Every check that applies passed" in _verdict(phone)
    assert "baked in a PNG" in phone.locator("table").inner_text()


def test_verify_page_with_a_badge_link(service: LiveService, phone: Page) -> None:
    phone.goto(f"{service.base_url}/verify")
    phone.fill("#url", service.credentials["revoked"]["id"])
    phone.click("text=Verify link")
    verdict = _verdict(phone)
    assert "Invalid" in verdict
    assert "REVOKED" in phone.locator("table").inner_text()
    phone.goto(f"{service.base_url}/verify")
    phone.fill("#url", service.credentials["valid"]["id"])
    phone.click("text=Verify link")
    assert "Every check that applies passed" in _verdict(phone)
    _fits_the_phone(phone)


def test_the_badge_page_links_to_the_verify_page(service: LiveService, phone: Page) -> None:
    phone.goto(service.credentials["valid"]["id"])
    phone.click("text=verify this badge link")
    assert "Every check that applies passed" in _verdict(phone)
