"""Keeping the translation catalogs in step with the code: ``python -m microcred.catalogs``.

``extract`` writes the template of every sentence to translate (a ``.pot``), ``update`` merges
it into each language's ``.po`` (new sentences appear untranslated, changed ones fuzzy), and
``init LANG`` starts a new language. ``make i18n`` runs extract then update; the catalog test
(``tests/test_i18n_catalogs.py``) runs :func:`extract_template` too, so what is extracted is
decided here only: the packages and templates ``babel.cfg`` maps, and the markers below.
"""

from __future__ import annotations

import sys
from contextlib import chdir
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from microcred.i18n import LOCALES

__all__ = ["KEYWORDS", "SOURCES", "extract_template", "start_catalog", "update_catalogs"]

PROJECT = Path(__file__).resolve().parents[1]
#: The packages whose code and templates hold sentences for people.
SOURCES = ("schemas", "keys", "verifier", "issuer", "microcred")
#: The markers besides gettext's own (``_``, ``gettext``, ``ngettext``, ...): a
#: :class:`microcred.messages.Message` template, and ``plural_message``'s two forms.
KEYWORDS = ("Message", "plural_message:1,2")
#: The comment above a marked string that is passed on to translators.
TRANSLATOR_COMMENTS = "Translators:"
DEFAULT_POT = PROJECT / "var" / "i18n" / "messages.pot"


def _pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])


def extract_template(pot: Path = DEFAULT_POT) -> Path:
    """Every marked sentence of the project into ``pot`` (sorted by file, with locations
    relative to the project, so catalogs do not change with where the checkout is)."""
    pot = pot.resolve()
    pot.parent.mkdir(parents=True, exist_ok=True)
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    with chdir(PROJECT):
        _pybabel(
            "extract",
            "-F",
            "babel.cfg",
            *keywords,
            f"--add-comments={TRANSLATOR_COMMENTS}",
            "--sort-by-file",
            "--width=100",
            "--project=microcred",
            "-o",
            str(pot),
            *SOURCES,
        )
    return pot


def update_catalogs(pot: Path = DEFAULT_POT) -> None:
    """Merge ``pot`` into every language's catalog (sentences no longer in the code are dropped)."""
    _pybabel("update", "-i", str(pot), "-d", str(LOCALES), "--width=100", "--ignore-obsolete")


def start_catalog(code: str, pot: Path = DEFAULT_POT) -> None:
    """Start the catalog of a new language ``code`` (``fr``, ``pt_BR``) from ``pot``."""
    _pybabel("init", "-i", str(pot), "-d", str(LOCALES), "-l", code, "--width=100")


def main(argv: list[str]) -> int:
    match argv:
        case ["extract"]:
            extract_template()
        case ["update"]:
            update_catalogs()
        case ["init", code]:
            start_catalog(code)
        case _:
            print(
                "usage: python -m microcred.catalogs extract | update | init LANG", file=sys.stderr
            )
            return 64
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
