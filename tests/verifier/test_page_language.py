"""The verify page in Spanish: chrome, labels, headline, outcomes and every check's message,
while the JSON report (the public contract) stays English (issue 18)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.verifier.support import World
from verifier.http import get_verifier, router
from verifier.service import Verifier

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TEMPLATE = Path(__file__).resolve().parents[2] / "verifier" / "templates" / "verify.html"
SPANISH_DATE = re.compile(
    r"\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
    r"noviembre|diciembre) de \d{4}"
)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(router)
    service = Verifier(
        fetcher=world.fetcher(),
        trust=world.trust({"id": "did:web:issuer.example"}),
    )
    app.dependency_overrides[get_verifier] = lambda: service
    with TestClient(app) as test_client:
        yield test_client
    service.close()


@pytest.fixture(scope="module")
def credential(world: World) -> dict:
    return world.web_credential()


def _page(client: TestClient, credential: dict, **params: str) -> str:
    response = client.post(
        "/verify",
        params=params,
        headers=HTML,
        data={"credential": json.dumps(credential)},
        files={"f": ("", b"")},
    )
    assert response.status_code == 200
    return response.text


def _template_sentences() -> list[str]:
    """The template's own words (what ``pybabel`` extracts from it), whole sentences only:
    a single word may also occur in a credential's data."""
    with TEMPLATE.open("rb") as file:
        found = extract_from_file(
            "jinja2", file.name, keywords=DEFAULT_KEYWORDS, options={"trimmed": "true"}
        )
        sentences = [message for _, message, _, _ in found if isinstance(message, str)]
    return [s for s in sentences if " " in s and "%(" not in s and "<" not in s]


def test_the_page_in_spanish_has_no_english_left(client: TestClient, credential: dict) -> None:
    english = _page(client, credential)
    spanish = _page(client, credential, lang="es")
    shown = [s for s in _template_sentences() if html.escape(s) in english]
    assert len(shown) >= 20  # the test looks at the page's real words
    left = [s for s in shown if html.escape(s) in spanish]
    assert not left, f"English on the Spanish page: {left}"


def test_labels_headline_outcomes_and_messages_are_spanish(
    client: TestClient, credential: dict
) -> None:
    page = _page(client, credential, lang="es")
    assert '<html lang="es">' in page
    assert '<span class="headline">Válida<small>' in page
    assert "Emisor reconocido: NM PED approved providers" in page  # the list's name is data
    for label in ("Firma", "Clave del propio emisor", "Fechas", "Revocada o suspendida"):
        assert f'<td class="col-check">{label}</td>' in page, label
    assert "✔ Superada" in page and "– No comprobada" in page
    assert "La firma es válida (eddsa-rdfc-2022, clave did:web:issuer.example#key-1)." in page
    assert "No está revocada. No está suspendida." in page
    assert "No se indicó ningún destinatario con el que comparar." in page
    # Dates in Spanish: the summary and the sentences quoting them.
    assert SPANISH_DATE.search(page)
    assert re.search(r"Vigente desde el " + SPANISH_DATE.pattern, page)


def test_a_refusal_is_spanish_too(client: TestClient) -> None:
    client.cookies.set("lang", "es")
    try:
        response = client.post(
            "/verify", headers=HTML, data={"credential": "hello"}, files={"f": ("", b"")}
        )
    finally:
        client.cookies.clear()
    assert response.status_code == 400
    assert response.headers["content-language"] == "es"
    assert "No se pudo verificar: No es una credencial: se esperaba JSON" in response.text


def test_the_json_report_stays_english(client: TestClient, credential: dict) -> None:
    response = client.post(
        "/verify",
        params={"lang": "es"},
        content=json.dumps(credential),
        headers={"content-type": "application/json", "accept-language": "es"},
    )
    report = response.json()
    assert report["verdict"] == "valid"
    messages = {check["id"]: check["message"] for check in report["checks"]}
    assert messages["status"] == "Not revoked. Not suspended."
    assert messages["proof"].startswith("The signature verifies")
    assert "content-language" not in response.headers and "set-cookie" not in response.headers


def test_the_services_own_list_is_named_in_spanish(world: World, credential: dict) -> None:
    """The issuer's own trust list ("this service's issuers", issuer.own_trust) is the service's
    own words: the page says it in Spanish, the JSON report in English."""
    from issuer.own_trust import OWN_ISSUERS_LIST
    from verifier.trust import TrustedIssuer, TrustList, TrustStore

    own = TrustList(
        name=OWN_ISSUERS_LIST,
        format="microcred",
        issuers=(TrustedIssuer(id="did:web:issuer.example", name="Demo Education Office"),),
        source="test",
    )
    app = FastAPI()
    app.include_router(router)
    service = Verifier(fetcher=world.fetcher(), trust=TrustStore([own]))
    app.dependency_overrides[get_verifier] = lambda: service
    with TestClient(app) as own_client:
        page = html.unescape(_page(own_client, credential, lang="es"))
        report = own_client.post(
            "/verify", content=json.dumps(credential), headers={"content-type": "application/json"}
        ).json()
    service.close()
    assert "Emisor reconocido: emisores de este servicio (como Demo Education Office)" in page
    assert 'figura en la lista de confianza "emisores de este servicio".' in page
    assert "this service's issuers" not in page
    assert report["trust"]["list"] == "this service's issuers"
    trust = next(check for check in report["checks"] if check["id"] == "trust")
    assert trust["message"].endswith("""is on the trust list "this service's issuers".""")


def test_verify_says_what_its_answers_vary_by(client: TestClient, credential: dict) -> None:
    """``/verify`` answers JSON or the page by ``Accept``, and the page by language: a cache
    must keep them apart. The stand-alone verifier serves no icon, so its page links none."""
    vary = {
        kind: {v.strip().lower() for v in response.headers["vary"].split(",")}
        for kind, response in {
            "page": client.get("/verify", headers=HTML),
            "json": client.post(
                "/verify",
                content=json.dumps(credential),
                headers={"content-type": "application/json"},
            ),
            "refusal": client.get("/verify", params={"url": "http://127.0.0.1/x"}),
        }.items()
    }
    assert vary["page"] == {"accept", "accept-language", "cookie"}
    assert vary["json"] == vary["refusal"] == {"accept"}
    assert 'rel="icon"' not in client.get("/verify", headers=HTML).text
