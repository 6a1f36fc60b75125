"""The reader's language: translatable messages, the choice of language per request, and
templates rendered in it (microcred.messages, microcred.i18n)."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient

from microcred.i18n import (
    COOKIE,
    LanguageDep,
    Pages,
    available_languages,
    language,
    parse_accept_language,
)
from microcred.messages import Instant, Message, joined

# A catalog of two sentences, standing in for a real one.
FAKE = {
    "The issuer %(issuer)s is on %(lists)s.": "L'émetteur %(issuer)s est sur %(lists)s.",
    "the list %(name)s": "la liste %(name)s",
    "it expired on %(end)s": "elle a expiré le %(end)s",
    "Broken %(name)s": "Cassé %(nom)s",  # a translator's slip: the placeholder renamed
}


def fake_gettext(text: str) -> str:
    return FAKE.get(text, text)


# --------------------------------------------------------------------------- messages


def test_a_message_is_its_english_text() -> None:
    message = Message("The issuer %(issuer)s is on %(lists)s.", issuer="did:web:a", lists="X")
    assert message == "The issuer did:web:a is on X."
    assert isinstance(message, str)
    assert message.msgid == "The issuer %(issuer)s is on %(lists)s."
    assert Message("100% literal") == "100% literal"  # no parameters: nothing is interpolated


def test_a_message_is_translated_with_its_parameters_translated_too() -> None:
    inner = Message("the list %(name)s", name="'NM PED'")
    message = Message("The issuer %(issuer)s is on %(lists)s.", issuer="did:web:a", lists=inner)
    assert message == "The issuer did:web:a is on the list 'NM PED'."
    assert message.localize(fake_gettext) == "L'émetteur did:web:a est sur la liste 'NM PED'."


def test_joined_sentences_and_clauses_translate_part_by_part() -> None:
    parts = [Message("the list %(name)s", name="A"), "data, as it is"]
    together = joined("; ", parts)
    assert together == "the list A; data, as it is"
    assert together.localize(fake_gettext) == "la liste A; data, as it is"
    sentence = Message("the list %(name)s", name="A").sentence()
    assert sentence == "The list A."
    assert sentence.localize(fake_gettext) == "La liste A."
    assert Message("the list %(name)s.", name="B").clause() == "the list B"


def test_a_broken_translation_shows_the_english_rather_than_failing() -> None:
    message = Message("Broken %(name)s", name="x")
    assert message.localize(fake_gettext) == "Broken x"


def test_instants_and_numbers_are_written_for_the_reader() -> None:
    moment = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    message = Message("it expired on %(end)s", end=Instant("2026-12-03T14:05:00Z", moment))
    assert message == "it expired on 2026-12-03T14:05:00Z"  # the report's English, unchanged
    spanish = language("es")
    assert spanish.text(message) == "venció el 3 de diciembre de 2026, 14:05:00 UTC"
    count = Message("the input is larger than %(limit)s bytes", limit=5_000_000)
    assert spanish.text(count) == "la entrada supera los 5.000.000 bytes"
    assert language("en").text(count) == "the input is larger than 5000000 bytes"


def test_a_message_survives_pickle_and_copy() -> None:
    message = joined(" ", [Message("the list %(name)s", name="A").sentence(), "x"])
    for clone in (pickle.loads(pickle.dumps(message)), copy.deepcopy(message)):
        assert clone == message
        assert clone.localize(fake_gettext) == "La liste A. x"


# --------------------------------------------------------------------------- the choice


def test_accept_language_is_read_by_weight() -> None:
    header = "fr-CA, es;q=0.8, en;q=0.9, de;q=0, *;q=0.1, x!y, pt;q=oops"
    assert parse_accept_language(header) == ["fr-CA", "en", "es"]
    assert parse_accept_language(None) == []


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()

    @app.get("/which")
    def which(chosen: LanguageDep) -> PlainTextResponse:
        return PlainTextResponse(chosen.code)

    return TestClient(app)


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "en"),
        ("es", "es"),
        ("es-MX,es;q=0.9", "es"),  # the region falls back to the language
        ("fr, es;q=0.8, en;q=0.5", "es"),  # the first offered, by weight
        ("en;q=0.4, es;q=0.9", "es"),  # q-values, not order
        ("es;q=0, en", "en"),  # q=0: not Spanish
        ("fr, de", "en"),  # nothing offered: English
    ],
)
def test_the_language_follows_accept_language(
    client: TestClient, accept_language: str | None, expected: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    assert client.get("/which", headers=headers).text == expected


def test_the_switch_and_the_cookie_win_over_accept_language(client: TestClient) -> None:
    assert "es" in available_languages()
    spanish_browser = {"accept-language": "es"}
    assert client.get("/which", params={COOKIE: "en"}, headers=spanish_browser).text == "en"
    client.cookies.set(COOKIE, "en")
    try:
        assert client.get("/which", headers=spanish_browser).text == "en"
        assert client.get("/which", params={COOKIE: "es"}).text == "es"  # ?lang= beats the cookie
    finally:
        client.cookies.clear()
    # A language not offered, or junk, is ignored: the next choice decides.
    assert client.get("/which", params={COOKIE: "xx"}, headers=spanish_browser).text == "es"
    assert client.get("/which", params={COOKIE: "../../etc"}).text == "en"


def test_locale_formats() -> None:
    spanish, english = language("es"), language("en")
    assert spanish.date("2026-12-03T14:05:00Z") == "3 de diciembre de 2026"
    assert english.date("2026-12-03T14:05:00Z") == "December 3, 2026"
    assert spanish.decimal(131072) == "131.072"
    assert spanish.datetime("not a date") == "not a date"  # shown as given, not an error
    # Read as the checks read them (schemas.dates): no zone, or "z", is UTC, and says so.
    in_utc = "3 de diciembre de 2026, 14:05:00 UTC"
    assert spanish.datetime("2026-12-03T14:05:00") == spanish.datetime("2026-12-03T14:05:00z")
    assert spanish.datetime(datetime(2026, 12, 3, 14, 5)) == in_utc
    assert language("de").code == "en"  # not offered: English


# --------------------------------------------------------------------------- templates


def test_pages_render_in_the_chosen_language_and_say_so(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<html lang="{{ language.code }}"><p>{{ _("Valid until") }}: {{ when | date }}</p>'
        "<p>{{ message | t }}</p><p>{{ name }}</p>"
        '{% for l in languages %}<a href="{{ l.href }}">{{ l.name }}</a>{% endfor %}</html>',
        "utf-8",
    )
    pages = Pages(tmp_path)
    app = FastAPI()

    @app.get("/page")
    def page(request: Request) -> HTMLResponse:
        context = {
            "when": "2026-12-03T00:00:00Z",
            "message": Message("Not revoked."),
            "name": "<b>María</b>",
        }
        return pages.render(request, "page.html", context)

    client = TestClient(app)
    response = client.get("/page", params={"x": "1", COOKIE: "es"})
    assert response.headers["content-language"] == "es"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response.headers["vary"].split(",")}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=es;") and "SameSite=lax" in cookie
    text = response.text
    assert '<html lang="es">' in text
    assert "Vigente hasta: 3 de diciembre de 2026" in text
    assert "No está revocada." in text
    assert "&lt;b&gt;María&lt;/b&gt;" in text  # data is escaped, as before
    assert '<a href="/page?x=1&amp;lang=en">English</a>' in text  # the same page, switched
    assert '<a href="/page?x=1&amp;lang=es">Español</a>' in text
    # The cookie keeps the choice for the next page, whatever the browser prefers.
    again = client.get("/page", headers={"accept-language": "en-GB"})
    assert again.headers["content-language"] == "es"
    client.cookies.clear()
    english = client.get("/page", headers={"accept-language": "en-GB"})
    assert english.headers["content-language"] == "en"
    assert "set-cookie" not in english.headers  # only the switch sets the cookie
    assert "Valid until: December 3, 2026" in english.text
