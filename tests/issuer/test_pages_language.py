"""The issuer's pages in the reader's language (issue 18), and achievements published in Spanish
the Open Badges 3.0 way: a related Achievement (``related`` / ``inLanguage``), never a second
set of strings in the signed credential.

Fast HTTP tests; the browser switches a badge page to Español and back in
``tests/e2e/test_browser_sharing.py``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from issuer.demo_catalog import DEMO_SPANISH
from issuer.services.catalog import translation_for
from schemas.validation import FORMAT_CHECKER, OB_ACHIEVEMENT_V1_SCHEMA_ID, bundled_schema
from tests.issuer.support import BASE_URL, ISSUER, award_http

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SPANISH = {**HTML, "accept-language": "es-MX,es;q=0.9,en;q=0.5"}
TEMPLATES = Path(__file__).resolve().parents[2] / "issuer" / "templates"
SPANISH_DATE = (
    r"\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
    r"noviembre|diciembre) de \d{4}"
)
ENGLISH_NAME = "Classroom Environment"
SPANISH_NAME = DEMO_SPANISH["classroom-environment"][0]
TRANSLATION = f"{BASE_URL}/achievements/classroom-environment/v1/translations/es"


@pytest.fixture
def issued(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    """One award of classroom-environment (which the demo catalog publishes in Spanish)."""
    return award_http(client, auth)


def _pages(issued: dict[str, Any]) -> list[str]:
    path = f"/credentials/{issued['id']}"
    return [
        "/",
        "/achievements/classroom-environment/v1",
        f"/issuers/{ISSUER}",
        path,
        f"{path}/certificate",
        "/credentials/not-a-credential",  # the 404 page
    ]


def _language(response: Any) -> str:
    found = re.search(r'<html lang="([^"]+)">', response.text)
    assert found, response.text[:300]
    assert response.headers["content-language"] == found.group(1)
    vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    return found.group(1)


def test_every_page_is_chosen_by_accept_language_cookie_and_switch(
    client: TestClient, issued: dict[str, Any]
) -> None:
    for path in _pages(issued):
        assert _language(client.get(path, headers=HTML)) == "en", path
        assert _language(client.get(path, headers=SPANISH)) == "es", path
        client.cookies.set("lang", "es")
        try:
            assert _language(client.get(path, headers=HTML)) == "es", path
            # the switch overrides the cookie and the header, and is remembered
            switched = client.get(path, params={"lang": "en"}, headers=SPANISH)
        finally:
            client.cookies.clear()
        assert _language(switched) == "en", path
        assert "lang=en" in switched.headers["set-cookie"], path
        # and every page offers the switch, as a link to the same page in each language
        assert 'hreflang="es"' in switched.text and ">Español</a>" in switched.text, path


def _template_sentences() -> list[str]:
    """The issuer templates' own words (what ``pybabel`` extracts), whole sentences only: a
    single word may also be in a credential's data."""
    sentences: list[str] = []
    for template in sorted(TEMPLATES.glob("*.html")):
        with template.open("rb") as file:
            found = extract_from_file(
                "jinja2", file.name, keywords=DEFAULT_KEYWORDS, options={"trimmed": "true"}
            )
            sentences += [m for _, m, _, _ in found if isinstance(m, str)]
    return [s for s in sentences if " " in s and "%(" not in s and "<" not in s]


def test_the_badge_page_in_spanish(client: TestClient, issued: dict[str, Any]) -> None:
    path = f"/credentials/{issued['id']}"
    english = client.get(path, headers=HTML).text
    spanish = client.get(path, headers=SPANISH).text
    shown = [s for s in _template_sentences() if html.escape(s) in english]
    assert len(shown) >= 15  # the test looks at the page's real words
    left = [s for s in shown if html.escape(s) in spanish]
    assert not left, f"English on the Spanish page: {left}"
    # dates, status words and outcomes in Spanish
    assert re.search(r"Otorgada a <strong>María López</strong> por <strong>", spanish)
    assert re.search(r'<time datetime="[0-9-]+">' + SPANISH_DATE + "</time>", spanish)
    assert "Comprobada el" in spanish and "Superada" in spanish
    assert "Añadir al perfil de LinkedIn" in spanish and "Certificado imprimible" in spanish
    assert "Código QR que abre esta página" in spanish
    assert re.search(r"Reconocido: </span>\s*emisores de este servicio", spanish)  # own list
    # the issuer's Spanish name for the achievement, said to be a translation of the signed one
    assert f'<h1 id="achievement-name" lang="es">{SPANISH_NAME}</h1>' in spanish
    assert f"La credencial firmada está en su idioma original: «{ENGLISH_NAME}»" in spanish
    assert f'href="{TRANSLATION}"' in spanish
    # the English page shows the signed words and no translation note
    assert f">{ENGLISH_NAME}</h1>" in english and "translation-note" not in english


def test_the_certificate_in_spanish(client: TestClient, issued: dict[str, Any]) -> None:
    page = client.get(f"/credentials/{issued['id']}/certificate", headers=SPANISH).text
    assert "Certificado de logro" in page and "Se certifica que" in page
    assert re.search(r"<dt>Otorgada</dt><dd>" + SPANISH_DATE + "</dd>", page)
    assert f'<h1 class="what" lang="es">{SPANISH_NAME}</h1>' in page
    assert "92 %" in page  # the score, written the Spanish way


def test_a_credential_names_its_spanish_achievement_which_is_served(
    client: TestClient, issued: dict[str, Any]
) -> None:
    achievement = client.get(f"/credentials/{issued['id']}.json").json()["credentialSubject"][
        "achievement"
    ]
    assert achievement["inLanguage"] == "en" and achievement["name"] == ENGLISH_NAME
    assert achievement["related"] == [{"id": TRANSLATION, "type": ["Related"], "inLanguage": "es"}]

    document = client.get(TRANSLATION, headers={"accept": "application/ld+json"}).json()
    assert client.get(f"{TRANSLATION}.json").json() == document
    assert document["id"] == TRANSLATION and document["inLanguage"] == "es"
    assert document["name"] == SPANISH_NAME
    assert document["criteria"]["narrative"].startswith("Completar los componentes")
    assert document["related"] == [
        {"id": achievement["id"], "type": ["Related"], "inLanguage": "en"}
    ]
    # what the translation does not change is the original's
    assert document["resultDescription"] == achievement["resultDescription"]
    schema = bundled_schema(OB_ACHIEVEMENT_V1_SCHEMA_ID)
    validator = Draft202012Validator(
        {"$ref": "#/$defs/Achievement", "$defs": schema["$defs"]}, format_checker=FORMAT_CHECKER
    )
    assert not [e.message for e in validator.iter_errors(document)]
    assert not [e.message for e in validator.iter_errors(achievement)]

    page = client.get(TRANSLATION, headers=HTML)
    assert page.status_code == 200 and f'<h1 lang="es">{SPANISH_NAME}</h1>' in page.text
    assert f'hreflang="en">{ENGLISH_NAME}</a>' in page.text  # the original, linked
    assert client.get(f"{TRANSLATION[:-2]}fr", headers=HTML).status_code == 404


def test_an_issuer_adds_spanish_text_through_the_catalog_api(
    client: TestClient, auth: dict[str, str], issuer: Any
) -> None:
    body = {
        "slug": "inquiry-based-science",
        "name": "Inquiry-Based Science",
        "description": "The educator plans science lessons around students' own questions.",
        "criteria": {"narrative": "Teach three inquiry lessons."},
        "translations": {
            "es": {
                "name": "Ciencias basadas en la indagación",
                "description": "El educador planifica clases de ciencias a partir de las "
                "preguntas de sus estudiantes.",
            }
        },
    }
    url = f"/api/issuers/{ISSUER}/achievements"
    created = client.post(url, json=body, headers=auth)
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["achievement"]["inLanguage"] == "en"  # said, since it has a translation
    spanish = made["translations"]["es"]
    assert spanish["name"] == "Ciencias basadas en la indagación"
    # no Spanish criteria given: the translation points to the original's
    assert spanish["criteria"] == {"id": made["achievement"]["criteria"]["id"]}
    # a translation into the achievement's own language is refused, naming the field
    again = {**body, "slug": "inquiry-again", "translations": {"en": body["translations"]["es"]}}
    refused = client.post(url, json=again, headers=auth)
    assert refused.status_code == 422 and "translations" in refused.text
    assert client.get(f"{url}/inquiry-again", headers=auth).status_code == 404


def test_a_translation_tagged_with_a_region_is_shown_to_readers_of_its_language(
    client: TestClient, auth: dict[str, str], issuer: Any
) -> None:
    """An issuer may tag its Spanish ``es-MX`` (or ``ES``): Spanish pages show it all the same,
    and an exact tag wins over a regional one."""
    body = {
        "slug": "family-literacy",
        "name": "Family Literacy Nights",
        "description": "The educator runs reading evenings with families.",
        "criteria": {"narrative": "Run two evenings."},
        "translations": {
            "es-MX": {"name": "Noches de lectura en familia", "description": "Lectura."}
        },
    }
    created = client.post(f"/api/issuers/{ISSUER}/achievements", json=body, headers=auth)
    assert created.status_code == 201, created.text
    link = f"{BASE_URL}/achievements/family-literacy/v1/translations/es-MX"
    for path in ("/", f"/issuers/{ISSUER}"):
        page = client.get(path, headers=SPANISH).text
        assert f'<a href="{link}"' in page and "Noches de lectura en familia</a>" in page, path
        assert "Family Literacy Nights</a>" in client.get(path, headers=HTML).text, path
    both = {"es-MX": {"name": "regional"}, "es": {"name": "exact"}}
    assert translation_for(both, "es") == {"name": "exact"}
    assert translation_for({"ES": {"name": "upper"}}, "es") == {"name": "upper"}
    assert translation_for(both, "fr") is None
