"""The generated badge: its design (initials, code, hue) and its SVG, and the page templates.

No FastAPI here: the public pages (:mod:`issuer.api.pages`) wrap the text in responses, and the
sharing service (:mod:`issuer.services.sharing`) bakes the same SVG, or draws the same design
as a PNG, so every copy of a generated badge looks alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from issuer.services.narrative import narrative_html
from microcred.i18n import language_name
from verifier.safe_links import register_safe_url

__all__ = [
    "LOADED_ABBREVIATIONS",
    "TEMPLATES",
    "BadgeDesign",
    "badge_design",
    "badge_initials",
    "badge_svg_text",
    "configure_pages",
    "render_text",
]


#: The issuer's templates: the pages (rendered in the reader's language by
#: :mod:`issuer.api.pages`) and the images drawn here.
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def configure_pages(environment: Environment) -> None:
    """The filters every issuer template may use, in this environment and in each language's
    page environment (:class:`microcred.i18n.Pages`): ``safe_url`` (only http(s) URLs of a
    credential's data become links), ``narrative`` (criteria: escaped paragraphs and lists),
    ``language_name`` (a language tag as that language names itself: "es" → "Español")."""
    register_safe_url(environment)
    environment.filters["narrative"] = narrative_html
    environment.filters["language_name"] = language_name


@cache
def _environment() -> Environment:
    """Autoescaped: every value in a page or a badge may come from a user."""
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    configure_pages(environment)
    return environment


def render_text(template: str, **context: Any) -> str:
    """A template of ``issuer/templates`` rendered with ``context``, with no reader: the badge
    image and the icon (pages go through :func:`issuer.api.pages.html_page`)."""
    return _environment().get_template(template).render(**context)


@dataclass(frozen=True)
class BadgeDesign:
    """What the generated badge shows; the SVG here and the PNG in
    :mod:`issuer.services.sharing` draw the same design from it."""

    name: str
    initials: str
    code: str
    hue: int


#: Abbreviations that already mean something in schools, mostly about students and their needs:
#: a badge lettered "ESL" for "Engaging Students in Learning" reads as English as a Second
#: Language on a résumé. Generated lettering never shows one of these unless the name is the
#: abbreviation's own meaning (``badge_initials``). Keys are upper case; values are what each
#: stands for, by which a name that *is* that meaning keeps it.
LOADED_ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "ABA": ("applied behavior analysis",),
    "ADD": ("attention deficit disorder",),
    "ADHD": ("attention deficit hyperactivity disorder",),
    "ARD": ("admission review and dismissal",),
    "ASD": ("autism spectrum disorder",),
    "BIP": ("behavior intervention plan",),
    "DD": ("developmental delay",),
    "EBD": ("emotional and behavioral disorders",),
    "ED": ("emotional disturbance",),
    "EL": ("english learner", "english learners"),
    "ELD": ("english language development",),
    "ELL": ("english language learner", "english language learners"),
    "ESE": ("exceptional student education",),
    "ESL": ("english as a second language",),
    "ESOL": ("english for speakers of other languages",),
    "ESY": ("extended school year",),
    "FAPE": ("free appropriate public education",),
    "FBA": ("functional behavior assessment",),
    "GT": ("gifted and talented",),
    "ID": ("intellectual disability",),
    "IEP": ("individualized education program", "individualized education plan"),
    "IFSP": ("individualized family service plan",),
    "LD": ("learning disability", "learning disabilities"),
    "LEP": ("limited english proficiency", "limited english proficient"),
    "LRE": ("least restrictive environment",),
    "OHI": ("other health impairment",),
    "SLD": ("specific learning disability",),
    "SLP": ("speech language pathology", "speech-language pathology"),
    "SPED": ("special education",),
    "TBI": ("traumatic brain injury",),
}


def _means(name: str, abbreviation: str) -> bool:
    """Whether ``name`` is what ``abbreviation`` stands for (then the lettering is honest)."""
    plain = " ".join(name.casefold().replace("-", " ").split())
    return any(plain == m.replace("-", " ") for m in LOADED_ABBREVIATIONS[abbreviation])


def _candidates(name: str) -> Iterator[str]:
    """Letterings in order of preference: the capitalised words' initials (three at most),
    then two of them, then the first word's opening letters, then its first letter."""
    words = [w for w in name.replace("/", " ").split() if w[:1].isalpha() and w[:1].isupper()]
    letters = [w[0] for w in words]
    if letters:
        yield "".join(letters[:3])
        for size in (3, 2):
            for chosen in combinations(letters, size):
                yield "".join(chosen)
    first = next((w for w in name.split() if w[:1].isalpha()), name)
    for size in (2, 3):
        yield first[:size].upper()
    yield first[:1].upper()


def badge_initials(name: str) -> str:
    """The lettering of a generated badge: the first candidate that is not a loaded education
    abbreviation (:data:`LOADED_ABBREVIATIONS`) meaning something other than ``name``."""
    for lettering in _candidates(name):
        if lettering and (lettering not in LOADED_ABBREVIATIONS or _means(name, lettering)):
            return lettering
    return ""


def badge_design(achievement: dict[str, Any]) -> BadgeDesign:
    """Initials (:func:`badge_initials`), the human code, and a hue fixed by the name."""
    name = str(achievement.get("name", ""))
    hue = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:4], 16) % 360
    return BadgeDesign(name, badge_initials(name), str(achievement.get("humanCode") or ""), hue)


def badge_svg_text(achievement: dict[str, Any]) -> str:
    """The generated badge image as SVG text."""
    design = badge_design(achievement)
    return render_text(
        "badge.svg", name=design.name, initials=design.initials, code=design.code, hue=design.hue
    )
