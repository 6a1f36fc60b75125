"""The OB 3.0 API's browser steps in chromium, keyboard only: an app's consent page (Allow
reaches the app's redirect URI with the code and the state — the page's CSP must let the
form's redirect through), and an educator sending a credential from /me to a Host (here the
service itself: /me → the Host's consent page → back to /ob-api/callback, "Sent").

Screenshots: ``/tmp/ob-consent-390.png``, ``/tmp/ob-me-390.png``, ``/tmp/ob-pushed-390.png``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlmodel import Session

from issuer.models import HostedCredential
from issuer.services.learners import learner_for_email, open_session
from issuer.services.oauth_tokens import SCOPE_PREFIX
from schemas.dates import utcnow
from tests.e2e import test_browser_sharing as sharing
from tests.e2e.live_service import LiveService, live_service

browser = sharing.browser

pytestmark = pytest.mark.browser

EDUCATOR = "ana.lucero@schools.nm.example"
APP_CALLBACK = "http://localhost:9/callback"  # nothing listens: the request itself is the proof
_WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(
        tmp_path_factory.mktemp("e2e-ob-api"), oauth_allow_http_localhost=True
    ) as running:
        running.award("valid", recipient_email=EDUCATOR)
        yield running


def _signed_in_page(browser: Browser, service: LiveService) -> Page:
    """A phone-sized page whose browser holds the educator's session cookie."""
    with Session(service.engine) as session:
        learner = learner_for_email(session, email=EDUCATOR, now=utcnow())
        session.commit()
        cookie = open_session(session, learner=learner, now=utcnow())
        session.commit()
    context = browser.new_context(viewport=sharing.PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "microcred_session", "value": cookie, "url": service.base_url}])
    context.add_init_script(_WATCH)
    return context.new_page()


def _press_until(page: Page, selector: str) -> None:
    """Tab until ``selector`` has the focus, then press Enter (keyboard only)."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"{selector} is not reachable by keyboard")


def test_allow_on_the_consent_page_reaches_the_apps_redirect_uri(
    browser: Browser, service: LiveService
) -> None:
    registered = httpx.post(
        f"{service.base_url}/oauth/register",
        json={
            "client_name": "Backpack Pro",
            "client_uri": "http://localhost:9",
            "logo_uri": "http://localhost:9/logo.png",
            "tos_uri": "http://localhost:9/terms",
            "policy_uri": "http://localhost:9/privacy",
            "software_id": "backpack-pro",
            "software_version": "1.0",
            "redirect_uris": [APP_CALLBACK],
            "scope": f"{SCOPE_PREFIX}credential.readonly",
        },
    )
    assert registered.status_code == 201, registered.text
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": registered.json()["client_id"],
            "redirect_uri": APP_CALLBACK,
            "scope": f"{SCOPE_PREFIX}credential.readonly",
            "state": "s-42",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    page = _signed_in_page(browser, service)
    page.goto(f"{service.base_url}/oauth/authorize?{query}")
    assert "Backpack Pro" in page.inner_text("h1")
    assert "read the credentials kept for you" in page.inner_text("main, body")
    page.screenshot(path="/tmp/ob-consent-390.png", full_page=True)
    with page.expect_request(lambda r: r.url.startswith(APP_CALLBACK)) as sent:
        _press_until(page, "button[value=allow]")
    answer = urllib.parse.parse_qs(urllib.parse.urlsplit(sent.value.url).query)
    assert answer["state"] == ["s-42"] and answer["code"][0]
    page.context.close()


def test_an_educator_sends_a_credential_to_a_host_from_their_page(
    browser: Browser, service: LiveService
) -> None:
    page = _signed_in_page(browser, service)
    page.goto(f"{service.base_url}/me")
    page.click("details.push > summary")  # "Send to another backpack"
    page.fill("input[name=host_url]", service.base_url)
    page.screenshot(path="/tmp/ob-me-390.png", full_page=True)
    page.focus("input[name=host_url]")
    page.keyboard.press("Enter")  # submits the form: → the Host's consent page
    page.wait_for_url(lambda url: "/oauth/authorize" in url)
    _press_until(page, "button[value=allow]")
    page.wait_for_url(lambda url: "/ob-api/callback" in url)
    assert "Sent to your backpack" in page.inner_text("body")
    page.screenshot(path="/tmp/ob-pushed-390.png", full_page=True)
    assert page.evaluate("window.__violations") == []
    with Session(service.engine) as session:
        hosted = session.query(HostedCredential).all()
    assert len(hosted) == 1
    issued = httpx.get(f"{service.credentials['valid']['id']}.json")
    assert hosted[0].body == issued.text  # upserted exactly as issued
    page.context.close()
