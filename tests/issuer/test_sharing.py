"""Sharing: the badge page (verified live), content negotiation, QR codes, baked downloads,
the LinkedIn link, Open Graph tags, the certificate, and ``POST /api/bake``.

QR codes are decoded with zxing-cpp, not just generated: the test is that a phone would read
the badge link back. Baked downloads are unbaked with ``schemas.baking`` and verified through
the service's own ``/verify``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import struct
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.api.badge_page import standing
from issuer.models import Award, AwardStatus
from issuer.runtime import Runtime
from issuer.self_fetch import SelfFetcher
from issuer.services import status
from issuer.services.sharing import (
    QR_BORDER,
    badge_image,
    linkedin_url,
    qr_code,
    qr_png,
)
from keys.errors import FetchBlocked
from keys.fetch import GuardedFetcher
from schemas.baking import PNG_KEYWORD, bake_png, unbake, unbake_png, unbake_svg
from schemas.dates import as_utc
from tests.issuer.support import BASE_URL, award_http
from verifier.report import CheckId, CheckResult, Outcome, VerificationReport

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def issued(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """One award through the API: ``{"id", "url", "credential", "jwt", ...}``."""
    body = award_http(client, auth)
    body["jwt"] = client.get(f"/credentials/{body['id']}.jwt").text
    return body


class _Page(HTMLParser):
    """The few things the tests read from a page: meta tags, links, labels and inputs."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.html_lang: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "a":
            self.links.append(a)
        elif tag in ("input", "textarea", "select"):
            self.inputs.append(a)
        elif tag == "label" and "for" in a:
            self.labels.add(a["for"])


def _page(client: TestClient, credential_id: str) -> tuple[str, _Page]:
    response = client.get(f"/credentials/{credential_id}", headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    return response.text, _Page(response.text)


def _checks(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-check="([a-z_]+)" data-outcome="([a-z]+)"', html))


# ------------------------------------------------------------------------------ the badge page


def test_the_badge_page_shows_the_credential_and_its_live_verdict(
    client: TestClient, issued: dict[str, Any]
) -> None:
    html, page = _page(client, issued["id"])
    credential = issued["credential"]
    achievement = credential["credentialSubject"]["achievement"]
    assert page.html_lang == "en"
    assert page.meta["viewport"] == "width=device-width, initial-scale=1"
    for text in (
        achievement["name"],
        "María López",
        "New Mexico Public Education Department",
        "Mastery component score",
        "92%",
        "Proficient",
        "How it is earned",
        "Aligned to",
        "Elevate NM Domain",
        "Scored submission",
    ):
        assert text in html, text
    assert "Recording of the 14 September lesson" not in html  # student data is never published
    # Our own issuer: the headline every surface shows, and which list recognised it.
    assert 'data-state="valid"' in html and '<p class="headline" id="standing">Valid</p>' in html
    assert "Recognised: </span>" in html and "this service&#39;s issuers" in html
    checks = _checks(html)
    assert checks["proof"] == "passed" and checks["issuer_key"] == "passed"
    assert checks["validity"] == "passed" and checks["schema"] == "passed"
    assert set(checks) >= {"parse", "context", "schema", "proof", "issuer_key", "validity"}
    assert checks.get("status", "passed") in ("passed", "skipped")
    # every check is said in words, not only with an icon or colour
    assert "✔</span> Passed" in html


def test_the_live_verdict_reads_the_issuers_did_document_in_process(
    client: TestClient, issued: dict[str, Any]
) -> None:
    fetcher = client.app.state.verifier.fetcher
    assert isinstance(fetcher, SelfFetcher)
    before = fetcher.local_requests
    _page(client, issued["id"])
    assert fetcher.local_requests > before  # did:web document (and status lists), no network
    assert isinstance(fetcher.fallback, GuardedFetcher)


def test_the_page_has_open_graph_twitter_and_linkedin(
    client: TestClient, issued: dict[str, Any]
) -> None:
    _, page = _page(client, issued["id"])
    url = issued["url"]
    assert page.meta["og:url"] == url
    assert page.meta["og:image"] == f"{url}/badge.png"
    assert page.meta["og:title"].startswith("Classroom Environment")
    assert "María López" in page.meta["og:description"]
    assert page.meta["twitter:card"] == "summary"
    assert page.meta["twitter:image"] == f"{url}/badge.png"
    [linkedin] = [a["href"] for a in page.links if a["href"].startswith("https://www.linkedin.")]
    parts = urlsplit(linkedin)
    assert (parts.netloc, parts.path) == ("www.linkedin.com", "/profile/add")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    awarded = datetime.fromisoformat(issued["credential"]["awardedDate"].replace("Z", "+00:00"))
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Classroom Environment",
        "organizationName": "New Mexico Public Education Department",
        "issueYear": str(awarded.year),
        "issueMonth": str(awarded.month),
        "certUrl": url,
        "certId": issued["id"],
    }


def test_the_page_offers_every_download_and_the_qr_code(
    client: TestClient, issued: dict[str, Any]
) -> None:
    html, page = _page(client, issued["id"])
    path = f"/credentials/{issued['id']}"
    hrefs = {a["href"] for a in page.links}
    for href in (
        f"{path}.json",
        f"{path}.jwt",
        f"{path}/badge.png",
        f"{path}/badge.svg",
        f"{path}/badge.png?format=jwt",
        f"{path}/certificate",
        f"{path}/qr.png?download=1",
        f"/verify?url={issued['url']}",
    ):
        assert href in hrefs, href
    assert f'src="{path}/qr.svg"' in html
    for href in hrefs - {"#main", "#verification"}:
        if href.startswith("/"):
            assert client.get(href, headers=HTML).status_code == 200, href


def test_every_input_has_a_label(client: TestClient, issued: dict[str, Any]) -> None:
    _, page = _page(client, issued["id"])
    assert page.inputs
    assert all(i["id"] in page.labels for i in page.inputs)


def test_an_unknown_credential_is_404(client: TestClient, issuer: Any) -> None:
    assert client.get("/credentials/00000000-0000-4000-8000-000000000000/qr.png").status_code == 404
    assert client.get("/credentials/nope/badge.png").status_code == 404
    assert client.get("/credentials/nope/certificate").status_code == 404


# ------------------------------------------------------------------------------ negotiation


@pytest.mark.parametrize(
    "accept, media_type, form",
    [
        ("application/vc+ld+json", "application/vc+ld+json", "json"),
        ("application/ld+json", "application/ld+json", "json"),
        ("application/json", "application/json", "json"),
        ("text/plain", "text/plain", "jwt"),
        ("application/vc+jwt", "application/vc+jwt", "jwt"),
        ("application/jwt", "application/jwt", "jwt"),
        ("*/*", "text/html", "html"),
        (HTML["accept"], "text/html", "html"),
        ("application/vc+ld+json, text/html;q=0.5", "application/vc+ld+json", "json"),
    ],
)
def test_the_badge_link_negotiates(
    client: TestClient, issued: dict[str, Any], accept: str, media_type: str, form: str
) -> None:
    response = client.get(f"/credentials/{issued['id']}", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    if form == "json":
        assert response.json() == issued["credential"]
    elif form == "jwt":
        assert response.text == issued["jwt"]
    else:
        assert "<!doctype html>" in response.text


def test_suffixes_pick_the_form_whatever_the_accept_header(
    client: TestClient, issued: dict[str, Any]
) -> None:
    as_json = client.get(f"/credentials/{issued['id']}.json", headers=HTML)
    assert as_json.json() == issued["credential"]
    as_jwt = client.get(f"/credentials/{issued['id']}.jwt", headers=HTML)
    assert as_jwt.text == issued["jwt"] and as_jwt.text.count(".") == 2


def test_an_unacceptable_type_is_406(client: TestClient, issued: dict[str, Any]) -> None:
    response = client.get(f"/credentials/{issued['id']}", headers={"accept": "image/png"})
    assert response.status_code == 406


# ------------------------------------------------------------------------------ QR codes


def _decode(png: bytes) -> zxingcpp.Barcode:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode


def _svg_modules(svg: bytes) -> set[tuple[int, int]]:
    """Dark modules of a qrcode SvgPath image: one ``M x,y H.. V.. H.. z`` square each."""
    path = re.search(rb'<path d="([^"]+)"', svg)
    assert path is not None
    return {(int(x), int(y)) for x, y in re.findall(rb"M(\d+),(\d+)H", path.group(1))}


def test_the_qr_png_carries_the_badge_link(client: TestClient, issued: dict[str, Any]) -> None:
    response = client.get(f"/credentials/{issued['id']}/qr.png")
    assert response.headers["content-type"] == "image/png"
    barcode = _decode(response.content)
    assert barcode.text == issued["url"]
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.ec_level == "Q"
    image = Image.open(io.BytesIO(response.content))
    modules = qr_code(issued["url"]).modules_count + 2 * QR_BORDER
    assert image.size == (modules * 10, modules * 10)  # 10 px per module, 4-module quiet zone
    assert image.getpixel((5, 5)) == 255  # the quiet zone is white
    download = client.get(f"/credentials/{issued['id']}/qr.png?download=1")
    assert download.headers["content-disposition"].startswith("attachment;")


def test_the_qr_svg_draws_the_same_code(client: TestClient, issued: dict[str, Any]) -> None:
    response = client.get(f"/credentials/{issued['id']}/qr.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    svg = response.content
    code = qr_code(issued["url"])
    matrix = code.get_matrix()  # with the border
    dark = {(x, y) for y, row in enumerate(matrix) for x, on in enumerate(row) if on}
    assert _svg_modules(svg) == dark
    assert b'fill="white"' in svg or b"fill:white" in svg or b'fill="#fff' in svg
    size = len(matrix)
    assert f'viewBox="0 0 {size} {size}"'.encode() in svg
    assert f'width="{size}mm"'.encode() in svg  # one millimetre per module in print
    # and the PNG of the same matrix decodes to the link
    assert _decode(qr_png(issued["url"])).text == issued["url"]


def test_qr_survives_damage_to_a_fifth_of_its_width() -> None:
    """Level Q: a stripe of ruined modules (a fold, a staple hole) still reads."""
    link = f"{BASE_URL}/credentials/5a0c4c1e-4a8e-4b8e-9c7e-2d2b7c1f6a55"
    image = Image.open(io.BytesIO(qr_png(link))).convert("L")
    width = image.size[0]
    band = (int(width * 0.45), int(width * 0.25), int(width * 0.58), int(width * 0.75))
    image.paste(128, band)  # a grey smudge across the middle
    assert zxingcpp.read_barcodes(image)[0].text == link


# ------------------------------------------------------------------------------ baked badges


def _itxt_chunks(png: bytes) -> list[bytes]:
    chunks, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"iTXt":
            chunks.append(data)
        pos += 12 + length
    return chunks


def test_the_badge_png_is_baked_with_the_credential(
    client: TestClient, issued: dict[str, Any]
) -> None:
    response = client.get(f"/credentials/{issued['id']}/badge.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="classroom-environment-{issued["id"][:8]}.png"'
    png = response.content
    [chunk] = [c for c in _itxt_chunks(png) if c.startswith(PNG_KEYWORD.encode() + b"\0")]
    assert chunk[len(PNG_KEYWORD) + 1 : len(PNG_KEYWORD) + 3] == b"\0\0"  # not compressed
    assert json.loads(unbake_png(png) or "") == issued["credential"]
    assert Image.open(io.BytesIO(png)).size == (512, 512)
    # the JWT form on request; re-baking replaces, never adds
    jwt_png = client.get(f"/credentials/{issued['id']}/badge.png?format=jwt").content
    assert unbake_png(jwt_png) == issued["jwt"]
    rebaked = bake_png(jwt_png, json.dumps(issued["credential"]))
    assert len([c for c in _itxt_chunks(rebaked) if c.startswith(b"openbadgecredential")]) == 1


def test_the_badge_svg_is_baked_with_the_credential(
    client: TestClient, issued: dict[str, Any]
) -> None:
    response = client.get(f"/credentials/{issued['id']}/badge.svg")
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-disposition"].startswith("attachment;")
    svg = response.text
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg
    root_end = svg.index(">") + 1
    assert svg[root_end:].startswith("<openbadges:credential><![CDATA[")
    assert json.loads(unbake_svg(svg) or "") == issued["credential"]
    jwt_svg = client.get(f"/credentials/{issued['id']}/badge.svg?format=jwt").text
    assert f'<openbadges:credential verify="{issued["jwt"]}"/>' in jwt_svg
    assert unbake_svg(jwt_svg) == issued["jwt"]


@pytest.mark.parametrize("kind", ["png", "svg"])
@pytest.mark.parametrize("form", ["json", "jwt"])
def test_baked_downloads_verify_on_the_services_own_verifier(
    client: TestClient, issued: dict[str, Any], kind: str, form: str
) -> None:
    image = client.get(f"/credentials/{issued['id']}/badge.{kind}?format={form}").content
    media_type = {"png": "image/png", "svg": "image/svg+xml"}[kind]
    report = client.post("/verify", content=image, headers={"content-type": media_type}).json()
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert outcomes["proof"] == "passed", report
    assert outcomes["parse"] == "passed" and outcomes["issuer_key"] == "passed"
    assert report["credential"]["id"] == issued["url"]
    assert report["verdict"] == "valid", report


def test_a_data_image_in_the_catalog_is_the_one_baked() -> None:
    square = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(square, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(square.getvalue()).decode()
    achievement = {"name": "Own Image", "image": {"id": uri, "type": "Image"}}
    assert badge_image(achievement, "png") == square.getvalue()
    assert b"<image" in badge_image(achievement, "svg")
    generated = badge_image({"name": "Hosted", "image": {"id": "https://x.example/i.png"}}, "png")
    assert Image.open(io.BytesIO(generated)).size == (512, 512)


def test_post_api_bake_bakes_any_credential(client: TestClient, issued: dict[str, Any]) -> None:
    png = client.get(f"/credentials/{issued['id']}/badge.png").content
    response = client.post(
        "/api/bake",
        files={"image": ("badge.png", png, "image/png")},
        data={"credential": issued["jwt"]},
    )
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert unbake(response.content) == ("png", issued["jwt"])
    svg = client.get(f"/credentials/{issued['id']}/badge.svg").content
    response = client.post(
        "/api/bake",
        files={
            "image": ("badge.svg", svg, "image/svg+xml"),
            "credential_file": ("c.json", json.dumps(issued["credential"]), "application/json"),
        },
    )
    assert unbake(response.content) == ("svg", json.dumps(issued["credential"]))
    refused = client.post(
        "/api/bake", files={"image": ("x.gif", b"GIF89a", "image/gif")}, data={"credential": "{}"}
    )
    assert refused.status_code == 422


# ------------------------------------------------------------------------------ certificate


def test_the_certificate_has_the_qr_code_and_the_facts(
    client: TestClient, issued: dict[str, Any]
) -> None:
    response = client.get(f"/credentials/{issued['id']}/certificate")
    assert response.status_code == 200
    html = response.text
    for text in (
        "Certificate of Achievement",
        "María López",
        "Classroom Environment",
        "New Mexico Public Education Department",
        issued["url"],
        f'src="/credentials/{issued["id"]}/qr.svg"',
        "@page",
        "@media print",
        "Valid",
    ):
        assert text in html, text


# ------------------------------------------------------------------------------ pieces


def test_linkedin_url_carries_expiry_and_encodes_names() -> None:
    credential = {
        "issuer": {"name": "Ed & Co / Santa Fe"},
        "validFrom": "2026-03-02T10:00:00Z",
        "validUntil": "2029-03-01T00:00:00Z",
        "credentialSubject": {"achievement": {"name": "Math, Grades 6–8"}},
    }
    url = linkedin_url(credential, "https://i.example/credentials/abc")
    assert "name=Math%2C%20Grades%206%E2%80%938" in url
    assert "organizationName=Ed%20%26%20Co%20%2F%20Santa%20Fe" in url
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["issueYear"] == "2026" and query["issueMonth"] == "3"
    assert query["expirationYear"] == "2029" and query["expirationMonth"] == "3"
    assert query["certId"] == "abc"


# ------------------------------------------------------------------------------ self fetcher


class _Recorder:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/json") -> Any:
        self.urls.append(url)
        raise FetchBlocked(f"refusing {url}", url=url)

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        return self.fetch(url, accept=accept)

    def fetch_text(self, url: str, *, accept: str = "*/*") -> str:
        return self.fetch(url, accept=accept)


def test_self_fetcher_answers_only_its_own_public_urls(
    client: TestClient, issued: dict[str, Any]
) -> None:
    fallback = _Recorder()
    fetcher = SelfFetcher(client.app, BASE_URL, fallback)
    document = fetcher.fetch(issued["url"], accept="application/vc+ld+json")
    assert json.loads(document.body) == issued["credential"]
    assert document.content_type == "application/vc+ld+json"
    assert fetcher.fetch_json(f"{BASE_URL}/issuers/nm-ped/did.json")["id"].startswith("did:web:")
    # the achievement's unversioned URL redirects to its current version, still in process
    assert fetcher.fetch_json(f"{BASE_URL}/achievements/classroom-environment")["name"]
    assert fallback.urls == []
    for foreign in (
        "https://issuer.test.evil.example/credentials/x",
        "http://issuer.test/credentials/x",  # another scheme is another origin
        "https://user@issuer.test/credentials/x",
        "https://example.org/did.json",
    ):
        with pytest.raises(FetchBlocked):
            fetcher.fetch(foreign)
    assert fallback.urls == [
        "https://issuer.test.evil.example/credentials/x",
        "http://issuer.test/credentials/x",
        "https://user@issuer.test/credentials/x",
        "https://example.org/did.json",
    ]
    # Our own URLs that are not documents are refused outright, not fetched over the network
    # (which would reach /verify again): see tests/issuer/test_self_fetch_limits.py.
    for own in (
        f"{BASE_URL}/verify?url={issued['url']}",  # would recurse
        f"{BASE_URL}/api/issuers",
        f"{BASE_URL}/credentials/../verify",
        f"{BASE_URL}/credentials/%2e%2e/verify",
    ):
        with pytest.raises(FetchBlocked):
            fetcher.fetch(own)
    assert len(fallback.urls) == 4


def test_self_fetcher_reports_a_missing_document(client: TestClient, issuer: Any) -> None:
    from keys.errors import FetchStatusError

    fetcher = SelfFetcher(client.app, BASE_URL, _Recorder())
    with pytest.raises(FetchStatusError) as caught:
        fetcher.fetch(f"{BASE_URL}/issuers/nobody/did.json")
    assert caught.value.status == 404


def test_self_fetcher_works_from_inside_an_event_loop(
    client: TestClient, issued: dict[str, Any]
) -> None:
    """A caller already running asyncio (an async route, a notebook) still gets an answer."""
    fetcher = SelfFetcher(client.app, BASE_URL, _Recorder())

    async def inside() -> Any:
        return fetcher.fetch_json(issued["url"])

    assert asyncio.run(inside())["id"] == issued["url"]


# ------------------------------------------------------------------------------ standing


def _report(*checks: tuple[CheckId, Outcome, str, dict[str, Any]], **credential: Any):
    results = [CheckResult(i, o, m, d) for i, o, m, d in checks]
    return VerificationReport.build(
        results,
        credential={"validFrom": None, "validUntil": None, **credential},
        source="t",
        checked_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


PASS = (CheckId.PROOF, Outcome.PASSED, "ok", {})
TRUSTED = (
    CheckId.TRUST,
    Outcome.PASSED,
    "on the list",
    {"issuer": "did:example:us", "matches": [{"list": "this service's issuers"}]},
)


def _status(*purposes: str) -> tuple[CheckId, Outcome, str, dict[str, Any]]:
    entries = [
        {"statusPurpose": p, "outcome": "failed", "type": "BitstringStatusListEntry"}
        for p in purposes
    ]
    words = " ".join("REVOKED" if p == "revocation" else "SUSPENDED" for p in purposes)
    return (CheckId.STATUS, Outcome.FAILED, f"The issuer has {words} it.", {"entries": entries})


def test_standing_names_the_most_consequential_fact() -> None:
    assert standing(_report(PASS, TRUSTED)).state == "valid"
    assert standing(_report(PASS, TRUSTED)).headline == "Valid"
    # Valid, but no list recognises the issuer: the amber words (issue 12; was "Verified").
    unrecognised = standing(_report(PASS))
    assert unrecognised.state == "unrecognised" and unrecognised.tone == "warn"
    assert unrecognised.headline == "Signature valid — issuer not recognised"
    assert standing(_report(PASS, _status("revocation"))).state == "revoked"
    assert standing(_report(PASS, _status("suspension"))).state == "suspended"
    both = standing(_report(_status("suspension", "revocation")))
    assert both.state == "revoked"
    expired = _report(
        PASS,
        (CheckId.VALIDITY, Outcome.FAILED, "expired", {}),
        validUntil="2026-06-30T00:00:00Z",
    )
    assert standing(expired).state == "expired" and "30 June 2026" in standing(expired).summary
    early = _report(
        (CheckId.VALIDITY, Outcome.FAILED, "not yet", {}), validFrom="2027-02-01T00:00:00Z"
    )
    assert standing(early).state == "not-yet-valid"
    tampered = _report((CheckId.PROOF, Outcome.FAILED, "bad signature", {}))
    assert standing(tampered).state == "invalid"
    unknown = _report(PASS, (CheckId.STATUS, Outcome.INDETERMINATE, "list unreachable", {}))
    assert standing(unknown).state == "unconfirmed" and standing(unknown).tone == "warn"
    for state in (expired, early, tampered):
        assert standing(state).tone == "bad"


def test_the_stored_status_is_a_fallback_hint() -> None:
    revoked = standing(_report(PASS), AwardStatus.revoked)
    assert revoked.state == "revoked" and "records" in revoked.summary
    suspended = standing(_report(PASS), AwardStatus.suspended)
    assert suspended.state == "suspended"
    # when the report says it, the report is the source
    assert "records" not in standing(_report(_status("revocation")), "revoked").summary


def test_pages_are_not_cached_and_images_are(client: TestClient, issued: dict[str, Any]) -> None:
    page = client.get(f"/credentials/{issued['id']}", headers=HTML)
    assert page.headers["cache-control"] == "no-store"
    qr = client.get(f"/credentials/{issued['id']}/qr.svg")
    assert "max-age" in qr.headers["cache-control"]


def test_a_rebaked_png_keeps_one_uncompressed_credential_chunk() -> None:
    from issuer.services.sharing import badge_png

    png = badge_png({"name": "Reading Across the Curriculum", "humanCode": "APL-R"})
    twice = bake_png(bake_png(png, '{"a": 1}'), '{"b": 2}')
    chunks = [c for c in _itxt_chunks(twice) if c.startswith(b"openbadgecredential\0")]
    assert len(chunks) == 1 and chunks[0] == b"openbadgecredential\0\0\0\0\0" + b'{"b": 2}'


# ------------------------------------------------------------------------------ revoked, suspended


@pytest.mark.parametrize(
    "action, state, words",
    [("revoke", "revoked", "Revoked"), ("suspend", "suspended", "Suspended")],
)
def test_a_revoked_or_suspended_credential_says_so_from_its_status_list(
    client: TestClient,
    engine: Engine,
    runtime: Runtime,
    issued: dict[str, Any],
    action: str,
    state: str,
    words: str,
) -> None:
    """The issuer's own status service changes the list; the page reads it from the report."""
    with Session(engine) as session:
        getattr(status, action)(session, runtime, issued["id"], "test", "tests")
    html, page = _page(client, issued["id"])
    assert f'data-state="{state}"' in html
    assert f'<p class="headline" id="standing">{words}</p>' in html
    assert _checks(html)["status"] == "failed"  # the verdict comes from the status list
    assert "the issuer's records say so" not in html  # ... not from the database fallback
    assert page.meta["og:title"].startswith(f"{words}: ")
    # since when, from the audit log, in the banner and the details
    [when] = re.findall(r'class="since">[A-Za-z ]+ <time datetime="([^"]+)"', html)
    with Session(engine) as session:
        [event] = status.events(session, award=session.get(Award, uuid.UUID(issued["id"])))
    assert datetime.fromisoformat(when) == as_utc(event.at)
    # nothing offered for sharing: no LinkedIn, no certificate, no badge image ...
    hrefs = [link.get("href", "") for link in page.links]
    assert not [h for h in hrefs if "linkedin.com" in h or h.endswith(("/certificate",))]
    assert not [h for h in hrefs if "/badge.png" in h or "/badge.svg" in h]
    assert 'id="withheld"' in html
    assert f"{issued['id']}.json" in " ".join(hrefs)  # ... the signed credential stays
    # ... and the routes themselves refuse, or mark
    certificate = client.get(f"/credentials/{issued['id']}/certificate", headers=HTML)
    assert certificate.status_code == (410 if state == "revoked" else 409)
    assert certificate.headers["content-type"].startswith("text/html")
    assert "no certificate is printed" in certificate.text
    assert f'<time datetime="{when}">' in certificate.text


def _colours(png: bytes) -> tuple[bool, tuple[int, int, int]]:
    """Whether every opaque pixel off the middle band is grey, and the middle pixel's colour."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    width, height = image.size
    grey = all(
        r == g == b
        for y in (height // 4, height // 3, 2 * height // 3)
        for x in range(0, width, 7)
        for r, g, b, a in [image.getpixel((x, y))]
        if a
    )
    r, g, b, _ = image.getpixel((width // 8, height // 2))
    return grey, (r, g, b)


def test_a_revoked_credentials_badge_images_are_greyscale_marked_and_still_baked(
    client: TestClient, engine: Engine, runtime: Runtime, issued: dict[str, Any]
) -> None:
    before = client.get(f"/credentials/{issued['id']}/badge.png")
    assert _colours(before.content)[0] is False  # full colour while valid
    assert before.headers["cache-control"] == "no-cache"  # so a later revocation shows
    with Session(engine) as session:
        status.revoke(session, runtime, issued["id"], "test", "tests")
    png = client.get(f"/credentials/{issued['id']}/badge.png").content
    grey, band = _colours(png)
    assert grey and band == (164, 22, 26)  # greyscale, with the red "REVOKED" band
    assert json.loads(unbake_png(png))["id"] == issued["url"]  # the same verdict for a verifier
    svg = client.get(f"/credentials/{issued['id']}/badge.svg?format=jwt").content
    assert unbake_svg(svg) == issued["jwt"]
    shown = re.search(rb'href="data:image/png;base64,([^"]+)"', svg)
    assert shown is not None and _colours(base64.b64decode(shown.group(1)))[0]


def test_the_verify_pages_link_form_verifies_a_badge_link(
    client: TestClient, issued: dict[str, Any]
) -> None:
    """The form sends ``recipient=`` empty when no email was typed: that is no recipient."""
    response = client.get("/verify", params={"url": issued["url"], "recipient": ""})
    assert response.json()["verdict"] == "valid", response.json()


# ------------------------------------------------------------------------------ links from data

_UNSAFE_URLS = ["JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<b>x</b>"]


@pytest.mark.parametrize("url", _UNSAFE_URLS)
def test_only_http_s_urls_of_the_credential_become_links(
    client: TestClient, engine: Engine, issued: dict[str, Any], url: str
) -> None:
    """Issuer, alignment and evidence URLs and the achievement id are the credential's data:
    a ``javascript:`` or ``data:`` one is shown as text, an https one stays a link."""
    with Session(engine) as session:
        row = session.get(Award, uuid.UUID(issued["id"]))
        assert row is not None
        document = json.loads(row.credential)
        document["issuer"]["url"] = url
        achievement = document["credentialSubject"]["achievement"]
        achievement["id"] = url
        achievement["alignment"] = [
            {"type": ["Alignment"], "targetName": "Bad", "targetUrl": url},
            {"type": ["Alignment"], "targetName": "Good", "targetUrl": "https://example.org/std"},
        ]
        document["evidence"] = [{"type": ["Evidence"], "id": url, "name": "Portfolio"}]
        row.credential = json.dumps(document)
        session.add(row)
        session.commit()
    html, page = _page(client, issued["id"])
    hrefs = [link.get("href", "") for link in page.links]
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
    assert "https://example.org/std" in hrefs
    assert "Portfolio" in html and "Bad" in html  # shown, as text
