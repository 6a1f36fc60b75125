"""The HTTP interface: POST /verify in every form, GET /verify?url=, limits and errors, the
OpenAPI description, and the human page at /verify."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from keys.errors import FetchBlocked
from keys.suites import ProofOptions, add_proof
from keys.suites.vc_jwt import sign_jwt
from schemas.baking import bake_png
from tests.verifier.support import (
    DID_URL,
    REVOCATION_URL,
    SUSPENSION_URL,
    Recorder,
    World,
    vm_of,
)
from verifier.http import create_verifier_app, get_verifier, install_busy_handler, router
from verifier.service import Limits, Verifier
from verifier.settings import VerifierSettings, get_verifier_settings

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BADGE_LINK = "https://issuer.example/badges/7f1e7c55"


@pytest.fixture(scope="module")
def signed(world: World) -> dict:
    return world.web_credential()


@pytest.fixture()
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture()
def client(world: World, signed: dict, recorder: Recorder) -> Iterator[TestClient]:
    """The router in an app of its own, its verifier serving the published documents plus a
    badge link; everything else goes to the recording transport (503)."""
    app = FastAPI()
    app.include_router(router)
    service = Verifier(
        fetcher=world.fetcher({BADGE_LINK: signed}, recorder=recorder),
        trust=world.trust({"id": "did:web:issuer.example", "purposes": ["renewal-credit"]}),
        limits=Limits(max_body_bytes=256 * 1024),
    )
    app.dependency_overrides[get_verifier] = lambda: service
    with TestClient(app) as test_client:
        yield test_client
    service.close()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), (11, 107, 43)).save(buffer, "PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- POST /verify


@pytest.mark.parametrize("media_type", ["application/json", "application/vc+ld+json"])
def test_post_json(client: TestClient, signed: dict, media_type: str) -> None:
    response = client.post(
        "/verify", content=json.dumps(signed), headers={"content-type": media_type}
    )
    assert response.status_code == 200
    report = response.json()
    assert report["verdict"] == "valid", report
    trust = {c["id"]: c for c in report["checks"]}["trust"]
    assert trust["outcome"] == "passed"
    assert trust["details"]["matches"][0]["purposes"] == ["renewal-credit"]


def test_post_an_invalid_credential_is_still_200(client: TestClient, signed: dict) -> None:
    forged = json.loads(json.dumps(signed))
    forged["name"] = "Forged"
    response = client.post("/verify", json=forged)
    assert response.status_code == 200
    assert response.json()["verdict"] == "invalid"


@pytest.mark.parametrize("media_type", ["text/plain", "application/jwt", "application/vc+jwt"])
def test_post_a_jws(client: TestClient, world: World, media_type: str) -> None:
    token = sign_jwt(world.credential(), key=world.key_a, kid=vm_of(world.key_a))
    response = client.post("/verify", content=token, headers={"content-type": media_type})
    assert response.status_code == 200
    assert response.json()["credential"]["format"] == "jwt"
    # did_a is not on this verifier's trust list: valid, but trust not established
    assert response.json()["verdict"] == "valid"
    assert response.json()["trust"]["status"] == "not-established"


def test_post_a_baked_image(client: TestClient, signed: dict) -> None:
    baked = bake_png(_png(), json.dumps(signed))
    response = client.post("/verify", content=baked, headers={"content-type": "image/png"})
    assert response.status_code == 200
    assert response.json()["verdict"] == "valid"


def test_multipart_upload_of_json_and_of_a_baked_image(client: TestClient, signed: dict) -> None:
    files = {"file": ("badge.json", json.dumps(signed).encode(), "application/json")}
    assert client.post("/verify", files=files).json()["verdict"] == "valid"
    baked = bake_png(_png(), json.dumps(signed))
    response = client.post("/verify", files={"file": ("badge.png", baked, "image/png")})
    assert response.json()["verdict"] == "valid"
    assert response.json()["source"] == "badge.png"


def test_multipart_pasted_text_and_recipient(client: TestClient, signed: dict) -> None:
    data = {"credential": json.dumps(signed), "recipient": "someone@else.example"}
    report = client.post("/verify", data=data, files={"nothing": ("", b"")}).json()
    assert {c["id"]: c["outcome"] for c in report["checks"]}["recipient"] == "failed"


def test_query_parameters(client: TestClient, signed: dict) -> None:
    response = client.post(
        "/verify",
        json=signed,
        params={"recipient": "maria.lopez@schools.nm.example", "at": "2030-01-01T00:00:00Z"},
    )
    report = response.json()
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert outcomes["recipient"] == "passed"
    assert report["checkedAt"] == "2030-01-01T00:00:00Z"


def test_presentation_challenge(client: TestClient, world: World, signed: dict) -> None:
    vp = add_proof(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [signed],
        },
        suite="eddsa-rdfc-2022",
        key=world.key_b,
        options=ProofOptions(
            verification_method=vm_of(world.key_b), proof_purpose="authentication", challenge="n1"
        ),
        loader=world.loader,
    )
    assert client.post("/verify", json=vp, params={"challenge": "n1"}).json()["verdict"] == "valid"
    assert client.post("/verify", json=vp, params={"challenge": "n2"}).json()["verdict"] == (
        "invalid"
    )
    two = {**vp, "verifiableCredential": [signed, signed]}
    del two["proof"]
    reports = client.post("/verify", json=two).json()
    assert isinstance(reports, list) and len(reports) == 2


def test_unreachable_status_list_is_indeterminate(
    world: World, signed: dict, recorder: Recorder
) -> None:
    app = FastAPI()
    app.include_router(router)
    service = Verifier(fetcher=world.fetcher({REVOCATION_URL: None}, recorder=recorder))
    app.dependency_overrides[get_verifier] = lambda: service
    with TestClient(app) as client:
        report = client.post("/verify", json=signed).json()
    assert report["verdict"] == "indeterminate"
    assert recorder.urls == [REVOCATION_URL]


@pytest.mark.parametrize(
    "content, media_type, status",
    [
        (b"not a credential", "text/plain", 400),
        (b'{"type": ["Thing"]}', "application/json", 400),
        (b"<xml/>", "application/xml", 415),
        (b"{}", "", 415),
    ],
)
def test_bad_input(client: TestClient, content: bytes, media_type: str, status: int) -> None:
    headers = {"content-type": media_type} if media_type else {}
    response = client.post("/verify", content=content, headers=headers)
    assert response.status_code == status
    assert set(response.json()) == {"detail"}
    assert response.json()["detail"]


def test_empty_form(client: TestClient) -> None:
    response = client.post("/verify", data={"recipient": "x@example.org"}, files={"f": ("", b"")})
    assert response.status_code == 400
    assert "Paste a credential" in response.json()["detail"]


def test_body_size_limit(client: TestClient) -> None:
    big = b"{" + b" " * (300 * 1024) + b"}"
    response = client.post("/verify", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(100):
            yield b" " * 4096

    response = client.post(
        "/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


# --------------------------------------------------------------------------- GET /verify?url=


def test_get_a_badge_link(client: TestClient) -> None:
    response = client.get("/verify", params={"url": BADGE_LINK})
    assert response.status_code == 200
    assert response.json()["verdict"] == "valid"
    assert response.json()["source"] == BADGE_LINK


def test_a_badge_link_to_a_private_address_is_refused(
    client: TestClient, recorder: Recorder
) -> None:
    for url in ("http://169.254.169.254/latest/meta-data/", "https://10.0.0.8/badge"):
        response = client.get("/verify", params={"url": url})
        assert response.status_code == 400
        assert "refused" in response.json()["detail"]
    assert recorder.requests == []


def test_an_unreachable_badge_link_is_502(client: TestClient, recorder: Recorder) -> None:
    response = client.get("/verify", params={"url": "https://gone.example/badge"})
    assert response.status_code == 502
    assert recorder.urls == ["https://gone.example/badge"]
    assert "application/vc+ld+json" in recorder.requests[0].headers["accept"]


def test_get_without_url(client: TestClient) -> None:
    assert client.get("/verify").status_code == 422


# --------------------------------------------------------------------------- the page


def test_the_page_has_its_ways_with_labels(client: TestClient) -> None:
    response = client.get("/verify", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.count("<form") == 4  # paste, upload, badge link, and a stack claim
    assert 'enctype="multipart/form-data"' in page
    assert 'method="get" action="/verify"' in page
    controls = re.findall(r'<(?:input|textarea)[^>]*\bid="([^"]+)"', page)
    assert set(controls) == {
        "credential",
        "recipient-paste",
        "file",
        "recipient-file",
        "url",
        "recipient-link",
        "stack-files",
        "stack-pasted",
        "stack-rule",
        "recipient-stack",
    }
    for control in controls:
        assert f'<label for="{control}"' in page, control
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert '<html lang="en">' in page and 'name="viewport"' in page


def test_the_page_shows_the_verdict_and_every_check(client: TestClient, signed: dict) -> None:
    forged = json.loads(json.dumps(signed))
    forged["validUntil"] = "2026-10-01T00:00:00Z"
    response = client.post(
        "/verify",
        headers=HTML,
        files={"file": ("badge.json", json.dumps(forged).encode(), "application/json")},
    )
    assert response.status_code == 200
    page = response.text
    assert 'class="verdict tone-bad"' in page and 'data-verdict="invalid"' in page
    assert '<span class="headline">Invalid<small>' in page
    for label in ("Signature", "Issuer&#39;s own key", "Dates", "Revoked or suspended"):
        assert label in page, label
    assert "expired on 2026-10-01" in page
    assert "changed after it was signed" in page


def test_the_page_for_a_pasted_credential_and_a_link(client: TestClient, signed: dict) -> None:
    response = client.post(
        "/verify", headers=HTML, data={"credential": json.dumps(signed)}, files={"f": ("", b"")}
    )
    # The issuer is on the client's trust list: Valid, and which list recognised it.
    assert 'data-verdict="valid" data-trust="established"' in response.text
    assert '<span class="headline">Valid<small>' in response.text
    assert "Issuer recognised: " in response.text
    response = client.get("/verify", headers=HTML, params={"url": BADGE_LINK})
    assert 'data-verdict="valid" data-trust="established"' in response.text
    assert f'value="{BADGE_LINK}"' in response.text


def test_the_page_explains_unusable_input(client: TestClient) -> None:
    response = client.post(
        "/verify", headers=HTML, data={"credential": "hello"}, files={"f": ("", b"")}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert "Not a credential" in response.text


# --------------------------------------------------------------------------- OpenAPI and the app


def test_openapi_documents_both_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/verify"]["post"]
    assert set(post["requestBody"]["content"]) >= {
        "application/vc+ld+json",
        "application/json",
        "text/plain",
        "multipart/form-data",
        "image/png",
    }
    assert {"200", "400", "413", "415"} <= set(post["responses"])
    get = spec["paths"]["/verify"]["get"]
    assert any(p["name"] == "url" for p in get["parameters"])
    assert "ReportModel" in spec["components"]["schemas"]


def test_create_verifier_app_reads_its_settings(world: World, signed: dict, tmp_path: Path) -> None:
    documents = {DID_URL: world.published[DID_URL]}
    for url in (REVOCATION_URL, SUSPENSION_URL, BADGE_LINK):
        documents[url] = world.published.get(url, signed)
    preloads = []
    for index, (url, document) in enumerate(documents.items()):
        path = tmp_path / f"doc{index}.json"
        path.write_text(json.dumps(document))
        preloads.append(f"{url}={path}")
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"name": "Office", "issuers": [{"id": "did:web:other.example"}]}))
    settings = VerifierSettings(preloads=preloads, trust_lists=[trust])
    with TestClient(create_verifier_app(settings)) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/verify"
        report = client.get("/verify", params={"url": BADGE_LINK}).json()
    assert {c["id"]: c["outcome"] for c in report["checks"]}["status"] == "passed"
    # Its issuer is not on the office's list: a valid signature, trust not established.
    assert report["verdict"] == "valid"
    assert report["trust"] == {
        "status": "not-established",
        "list": None,
        "entry": None,
        "reason": {c["id"]: c for c in report["checks"]}["trust"]["message"],
    }


def test_a_broken_configuration_stops_start_up(tmp_path: Path) -> None:
    from verifier.trust import TrustListError

    bad = tmp_path / "trust.json"
    bad.write_text("[]")
    with pytest.raises(TrustListError):
        create_verifier_app(VerifierSettings(trust_lists=[bad]))


def test_the_router_mounted_elsewhere_builds_its_service_from_settings(signed: dict) -> None:
    app = FastAPI()
    app.include_router(router)
    settings = VerifierSettings()
    app.dependency_overrides[get_verifier_settings] = lambda: settings
    with TestClient(app) as client:
        response = client.post("/verify", content=b"junk", headers={"content-type": "text/plain"})
        assert response.status_code == 400
        first = app.state.microcred_verifier[1]
        client.post("/verify", content=b"junk", headers={"content-type": "text/plain"})
        assert app.state.microcred_verifier[1] is first
    first.close()


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST", "true")
    monkeypatch.setenv("MICROCRED_VERIFIER_ALLOWED_PRIVATE_HOSTS", '["registry.internal"]')
    settings = VerifierSettings()
    assert settings.allow_http_localhost is True
    assert settings.allowed_private_hosts == ["registry.internal"]


def test_the_service_fetches_through_the_guarded_fetcher() -> None:
    from keys.fetch import GuardedFetcher

    service = Verifier.from_settings(VerifierSettings())
    try:
        assert isinstance(service.fetcher, GuardedFetcher)
    finally:
        service.close()


# --------------------------------------------------------------------------- slot wait


class _Blocking:
    """A fetcher whose every fetch waits for ``release`` (a slow issuer holding a slot)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def fetch(self, url: str, *, accept: str = "application/json") -> Any:
        self.entered.set()
        self.release.wait(30)
        raise FetchBlocked(f"gave up on {url}", url=url)

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        return self.fetch(url, accept=accept)


def test_a_request_that_waits_too_long_for_a_slot_is_503(signed: dict) -> None:
    """One slot, held by a verification stuck on a fetch: the next request gets 503 JSON with
    Retry-After after ``queue_timeout_seconds`` instead of waiting indefinitely."""
    blocking = _Blocking()
    service = Verifier(
        fetcher=blocking, limits=Limits(max_concurrent_verifications=1, queue_timeout_seconds=0.5)
    )
    app = FastAPI()
    app.include_router(router)
    install_busy_handler(app)
    app.dependency_overrides[get_verifier] = lambda: service
    with TestClient(app) as client:
        held: list[int] = []

        def hold() -> None:
            held.append(client.get("/verify", params={"url": BADGE_LINK}).status_code)

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            assert blocking.entered.wait(10)
            started = time.monotonic()
            response = client.post("/verify", json=signed)
            waited = time.monotonic() - started
        finally:
            blocking.release.set()
            holder.join(30)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "busy" in response.json()["detail"]
    assert 0.4 < waited < 5
    assert held == [400]  # the stuck one finishes once its fetch gives up


def test_the_queue_timeout_is_a_setting() -> None:
    assert VerifierSettings().limits.queue_timeout_seconds == 10
    assert VerifierSettings(queue_timeout_seconds=2.5).limits.queue_timeout_seconds == 2.5
    with pytest.raises(ValueError):
        VerifierSettings(queue_timeout_seconds=0)
