"""The pages under their Content-Security-Policy in a real browser (issue 17 #8).

The CSP is only right if the pages still work under it: chromium must report no violation
(console, or a ``securitypolicyviolation`` event) on the verify page, its result page, the
badge page and the certificate. And a page of another origin cannot frame the service
(``frame-ancestors 'none'`` / ``X-Frame-Options: DENY``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.e2e import test_browser_sharing as sharing
from tests.e2e.live_service import LiveService, live_service

browser = sharing.browser
phone_page = sharing.phone

pytestmark = pytest.mark.browser

_WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("e2e-security")) as running:
        running.award("valid")
        yield running


def _console(page: Page) -> list[str]:
    messages: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        messages.append(f"{message.type}: {message.text}")

    page.on("console", keep)
    page.add_init_script(_WATCH)
    return messages


def _violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__violations"))


def test_the_pages_render_with_no_csp_violation(service: LiveService, phone_page: Page) -> None:
    console = _console(phone_page)
    credential = service.credentials["valid"]
    response = phone_page.goto(f"{service.base_url}/verify")
    assert (
        response is not None
        and "frame-ancestors 'none'" in response.headers["content-security-policy"]
    )
    assert _violations(phone_page) == []
    phone_page.fill("#credential", json.dumps(credential))
    phone_page.click("text=Verify pasted credential")
    assert phone_page.locator(".verdict").first.get_attribute("data-verdict") == "valid"
    assert _violations(phone_page) == []
    page_url = credential["id"]
    for url in (page_url, f"{page_url}/certificate"):
        phone_page.goto(url)
        assert phone_page.locator("img").first.evaluate("i => i.complete && i.naturalWidth > 0")
        assert _violations(phone_page) == [], url
    # the certificate's Print button works under the CSP (a script file, no inline handler)
    phone_page.evaluate("window.print = () => { window.__printed = true; }")
    phone_page.click("text=Print")
    assert phone_page.evaluate("window.__printed === true")
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console


def test_the_api_reference_renders_offline_under_the_page_csp(
    service: LiveService, phone_page: Page
) -> None:
    """/docs: Swagger UI from the service itself (no CDN: this machine has no network), with
    the page CSP and not one violation; its operations are listed."""
    console = _console(phone_page)
    requested: list[str] = []
    phone_page.on("request", lambda request: requested.append(request.url))
    response = phone_page.goto(f"{service.base_url}/docs")
    assert (
        response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    )
    operations = phone_page.locator(".opblock-summary-path")
    operations.first.wait_for(timeout=15_000)
    assert operations.count() > 20
    paths = operations.all_inner_texts()
    assert any(p.replace("\u200b", "") == "/api/issuers/{issuer_slug}/awards" for p in paths), paths
    assert _violations(phone_page) == []
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    assert all(url.startswith(service.base_url) or url.startswith("data:") for url in requested), (
        requested
    )


@contextmanager
def _framer(target: str) -> Iterator[str]:
    """Another origin (another port on loopback) serving a page that frames ``target``."""
    body = f'<!doctype html><iframe src="{target}" width="300" height="300"></iframe>'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_another_origin_cannot_frame_the_service(service: LiveService, phone_page: Page) -> None:
    with _framer(f"{service.base_url}/verify") as framer:
        phone_page.goto(framer, wait_until="load")  # the iframe's load (or refusal) included
        [child] = [f for f in phone_page.frames if f is not phone_page.main_frame]
        assert child.locator("#credential").count() == 0  # the verify form did not load
        assert child.url.startswith("chrome-error://")  # chromium refused to display it
