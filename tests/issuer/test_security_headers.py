"""Security headers and CORS on the issuer service (issue 17 #3 and #8).

Every response: nosniff, no framing, no referrer. HTML pages: the page CSP (/docs too: its
Swagger UI is served by the service, started by a script file). Images, above all SVG: a CSP
with no script, sandboxed; baked images are attachments. CORS: GET/HEAD may be read
cross-origin; a POST (to /verify, any content type) never gets an Access-Control-Allow-Origin
header.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.issuer.support import award_http
from verifier.security_headers import IMAGE_CSP, PAGE_CSP

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

HTML = {"accept": "text/html"}
ORIGIN = {"origin": "https://elsewhere.example"}
EVERY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def issued(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    return award_http(client, auth)


def _has_every(response: Any) -> None:
    for name, value in EVERY.items():
        assert response.headers.get(name) == value, (name, response.request.url)


def test_html_pages_carry_the_page_csp(client: TestClient, issued: dict[str, Any]) -> None:
    for path in ("/verify", f"/credentials/{issued['id']}", "/"):
        response = client.get(path, headers=HTML)
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["content-security-policy"] == PAGE_CSP, path
        _has_every(response)


def test_json_and_docs_assets_carry_the_common_headers_only(
    client: TestClient, issued: dict[str, Any]
) -> None:
    document = client.get(f"/credentials/{issued['id']}.json")
    _has_every(document)
    assert "content-security-policy" not in document.headers
    for asset in ("/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"):
        response = client.get(asset)
        assert response.status_code == 200, asset
        _has_every(response)
        assert "content-security-policy" not in response.headers, asset


def test_docs_are_served_by_the_service_under_the_page_csp(client: TestClient) -> None:
    docs = client.get("/docs")  # Swagger UI from this origin, started by a script file
    assert docs.status_code == 200
    _has_every(docs)
    assert docs.headers["content-security-policy"] == PAGE_CSP
    assert "https://" not in docs.text and "http://" not in docs.text  # no CDN
    assert "<script>" not in docs.text  # no inline script: the CSP would refuse it
    assert 'data-openapi="/openapi.json"' in docs.text
    assert "validatorUrl: null" in client.get("/docs/init.js").text  # nothing sent away
    assert client.get("/redoc").status_code == 404


def test_every_image_forbids_script(client: TestClient, issued: dict[str, Any]) -> None:
    path = f"/credentials/{issued['id']}"
    downloads = [f"{path}/badge.svg", f"{path}/badge.png", f"{path}/qr.svg?download=1"]
    for url in [*downloads, f"{path}/qr.svg", f"{path}/qr.png"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-security-policy"] == IMAGE_CSP, url
        _has_every(response)
    for url in downloads:
        assert client.get(url).headers["content-disposition"].startswith("attachment;"), url
    achievement = urlsplit(issued["credential"]["credentialSubject"]["achievement"]["id"])
    image = client.get(f"{achievement.path}/image.svg")  # the generated badge
    assert image.headers["content-type"].startswith("image/svg+xml")
    assert image.headers["content-security-policy"] == IMAGE_CSP


def _bake(client: TestClient, svg: bytes, credential: str) -> Any:
    return client.post(
        "/api/bake",
        files={"image": ("b.svg", svg, "image/svg+xml")},
        data={"credential": credential},
    )


def test_baked_images_are_attachments_that_forbid_script(
    client: TestClient, issued: dict[str, Any]
) -> None:
    svg = client.get(f"/credentials/{issued['id']}/badge.svg").content
    response = _bake(client, svg, json.dumps(issued["credential"]))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="baked.svg"'
    assert response.headers["content-security-policy"] == IMAGE_CSP
    _has_every(response)


@pytest.mark.parametrize(
    "svg",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)">x</a></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://e.example/t.png"/></svg>',
    ],
)
def test_bake_refuses_an_svg_with_active_content(
    client: TestClient, issued: dict[str, Any], svg: bytes
) -> None:
    """The reflected XSS of issue 17: the attacker's SVG is not served back at all."""
    response = _bake(client, svg, json.dumps(issued["credential"]))
    assert response.status_code == 422
    [refusal] = response.json()["detail"]  # a 422 in FastAPI's shape, as the document says
    assert refusal["loc"] == ["body", "image"]
    assert "script, event handlers or external references" in refusal["msg"]


# ------------------------------------------------------------------------------ CORS


def test_public_documents_may_be_read_cross_origin(
    client: TestClient, issued: dict[str, Any]
) -> None:
    for path in (f"/credentials/{issued['id']}.json", "/verify"):
        response = client.get(path, headers=ORIGIN)
        assert response.headers.get("access-control-allow-origin") == "*", (path, response.headers)
    preflight = client.options(
        f"/credentials/{issued['id']}.json",
        headers={**ORIGIN, "access-control-request-method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/x-www-form-urlencoded"]
)
def test_a_cross_origin_post_to_verify_gets_no_cors_header(
    client: TestClient, issued: dict[str, Any], content_type: str
) -> None:
    body = json.dumps(issued["credential"])
    if content_type.endswith("urlencoded"):
        body = "credential=" + body
    response = client.post(
        "/verify", content=body, headers={**ORIGIN, "content-type": content_type}
    )
    assert response.status_code == 200  # answered (same-origin forms work) ...
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_preflight_for_anything_but_a_read_is_refused(client: TestClient, method: str) -> None:
    response = client.options(
        "/verify", headers={**ORIGIN, "access-control-request-method": method}
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_for_an_authorised_read_is_refused(client: TestClient) -> None:
    """The admin API's bearer token is not a header another origin may send."""
    response = client.options(
        "/issuers",
        headers={
            **ORIGIN,
            "access-control-request-method": "GET",
            "access-control-request-headers": "authorization",
        },
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
