"""A forged issuer on the issuer's own verify page, in a real browser (issue 12).

Anyone can make a DID and call it by the service's issuer's name. The service's verifier
trusts its own issuers by default ("this service's issuers"); a credential whose signature
holds but whose issuer is none of them reads "Signature valid — issuer not recognised" in amber
(readable: contrast at least 4.5:1), and our own reads "Valid", recognised by that list. The
service here has no office trust list: only its own issuers are recognised.

The same running service also shows the verify page in Spanish (issue 18): the switch is a plain
link, and what it chose is kept by a cookie for the next page.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from keys.did import did_key
from keys.keypairs import SigningKey
from keys.suites import ProofOptions, add_proof
from schemas.loader import bundled_loader
from tests.e2e import test_browser_sharing as sharing
from tests.e2e.live_service import LiveService, live_service

#: The sharing module's chromium and phone viewport, shared rather than written twice.
browser = sharing.browser
phone_page = sharing.phone

pytestmark = pytest.mark.browser

FORGER = SigningKey.from_seed(bytes(range(7, 39)))


@pytest.fixture(scope="module")
def own_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("e2e-trust"), office_list=False) as running:
        running.award("valid")
        yield running


def _forged(genuine: dict[str, Any]) -> dict[str, Any]:
    """Our credential, re-issued by a stranger's DID under our issuer's very name."""
    forged = copy.deepcopy(genuine)
    del forged["proof"]
    forged.pop("credentialStatus", None)
    did = did_key(FORGER.public_key)
    forged["issuer"]["id"] = did
    return add_proof(
        forged,
        suite="eddsa-rdfc-2022",
        key=FORGER,
        options=ProofOptions(verification_method=f"{did}#{did.removeprefix('did:key:')}"),
        loader=bundled_loader(),
    )


def _paste(page: Page, service: LiveService, credential: dict[str, Any]) -> None:
    page.goto(f"{service.base_url}/verify")
    page.fill("#credential", json.dumps(credential))
    page.click("text=Verify pasted credential")


def test_a_forged_issuer_is_amber_and_says_so(own_only: LiveService, phone_page: Page) -> None:
    genuine = own_only.credentials["valid"]
    forged = _forged(genuine)
    assert forged["issuer"]["name"] == genuine["issuer"]["name"]  # the same name, another DID
    _paste(phone_page, own_only, forged)
    banner = phone_page.locator(".verdict").first
    assert banner.get_attribute("data-verdict") == "valid"  # machine-readable: still valid
    assert banner.get_attribute("data-trust") == "not-established"
    assert "tone-warn" in (banner.get_attribute("class") or "")
    words = phone_page.locator(".verdict .headline").first.inner_text()
    assert words.startswith("Signature valid — issuer not recognised")
    assert (
        phone_page.evaluate("getComputedStyle(document.querySelector('.verdict')).backgroundColor")
        == "rgb(255, 209, 102)"
    )  # amber
    assert sharing._contrast(phone_page, ".verdict .headline") >= 4.5
    recognition = phone_page.locator(".recognition").first.inner_text()
    assert recognition.startswith("Issuer not recognised")
    assert forged["issuer"]["id"] in phone_page.locator("dl.summary").first.inner_text()


def test_our_own_issuer_is_valid_and_recognised(own_only: LiveService, phone_page: Page) -> None:
    _paste(phone_page, own_only, own_only.credentials["valid"])
    banner = phone_page.locator(".verdict").first
    assert banner.get_attribute("data-trust") == "established"
    assert phone_page.locator(".verdict .headline").first.inner_text().startswith("Valid")
    assert sharing._contrast(phone_page, ".verdict .headline") >= 4.5
    recognition = phone_page.locator(".recognition").first.inner_text()
    assert "recognised: this service's issuers" in recognition
    # The badge page says the same, with the issuer's DID.
    phone_page.goto(own_only.credentials["valid"]["id"])
    assert phone_page.locator("#standing").inner_text() == "Valid"
    issuer_row = phone_page.locator("dl.facts").inner_text()
    assert "Recognised: this service's issuers" in issuer_row
    assert own_only.issuer.did in issuer_row


def test_the_verify_page_in_spanish(own_only: LiveService, phone_page: Page) -> None:
    """Switch to Español (no script: a link and a cookie), verify, read the checks in Spanish."""
    phone_page.goto(f"{own_only.base_url}/verify")
    assert phone_page.locator("html").get_attribute("lang") == "en"
    phone_page.click("nav.languages >> text=Español")
    assert phone_page.locator("html").get_attribute("lang") == "es"
    phone_page.goto(f"{own_only.base_url}/verify")  # the cookie keeps the choice
    phone_page.fill("#credential", json.dumps(own_only.credentials["valid"]))
    phone_page.click("text=Verificar la credencial pegada")
    assert phone_page.locator(".verdict .headline").first.inner_text().startswith("Válida")
    checks = phone_page.locator("table").first.inner_text()
    for words in ("Firma", "Revocada o suspendida", "La firma es válida", "No está revocada."):
        assert words in checks, words
    phone_page.click("nav.languages >> text=English")
    assert phone_page.locator("html").get_attribute("lang") == "en"
