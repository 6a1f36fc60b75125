"""Every sentence for people is translated: the code and templates, extracted as ``make i18n``
extracts them (microcred.catalogs), against each language's catalog.

A sentence added or changed without its translation fails here, named with where it is; the fix
is ``make i18n`` and a translation in ``microcred/locales/<lang>/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from microcred.catalogs import extract_template
from microcred.i18n import LOCALES, SOURCE_LANGUAGE, available_languages

TRANSLATED = [code for code in available_languages() if code != SOURCE_LANGUAGE]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = extract_template(tmp_path_factory.mktemp("i18n") / "messages.pot")
    with pot.open("rb") as file:
        return read_po(file)


def _catalog(code: str) -> Catalog:
    with (LOCALES / code / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=code)


def test_there_is_something_to_translate(template: Catalog) -> None:
    """Guards the tests below against passing on an empty extraction."""
    ids = {message.id for message in template if message.id}
    assert "Signature valid — issuer not recognised" in ids  # verifier.report
    assert "The issuer has REVOKED this credential." in ids  # verifier.status
    assert "Ways to verify" in ids  # verifier/templates/verify.html
    assert "Add to LinkedIn profile" in ids  # issuer/templates/credential.html
    assert "This credential expired on %(day)s." in ids  # issuer.api.badge_page (standing)
    assert TRANSLATED == ["es"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_sentence_is_translated(template: Catalog, code: str) -> None:
    catalog = _catalog(code)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found is not None else None
        # a plural entry has one string per form, and every form must be there
        done = all(strings) if isinstance(strings, tuple | list) else bool(strings)
        if found is None or not done or found.fuzzy:
            where = ", ".join(f"{path}:{line}" for path, line in message.locations)
            state = "missing" if found is None else "fuzzy" if found.fuzzy else "untranslated"
            missing.append(f"{state}: {message.id!r} ({where})")
    assert not missing, (
        f"{len(missing)} sentence(s) without a {code} translation (run `make i18n`, then "
        f"translate them in {LOCALES / code / 'LC_MESSAGES' / 'messages.po'}):\n"
        + "\n".join(missing)
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_their_placeholders(code: str) -> None:
    """``%(issuer)s`` in the English must be ``%(issuer)s`` in the translation (Babel's checks),
    or the page falls back to English for that sentence."""
    problems = [
        f"{message.id!r}: {'; '.join(str(error) for error in errors)}"
        for message, errors in _catalog(code).check()
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_translation_is_left_over(template: Catalog, code: str) -> None:
    """A sentence no longer in the code leaves the catalog (``make i18n`` drops it), so
    translators never work on words nobody reads."""
    current = {message.id for message in template if message.id}
    stale = [message.id for message in _catalog(code) if message.id and message.id not in current]
    assert not stale, "run `make i18n`; no longer in the code:\n" + "\n".join(map(repr, stale))


def test_catalogs_ship_with_the_package() -> None:
    """The ``.po`` files are the catalogs (compiled in memory on first use), so they must be
    package data; no ``.mo`` is kept to go stale beside them."""
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8")
    assert '"*.po"' in pyproject
    assert not list(LOCALES.rglob("*.mo"))
