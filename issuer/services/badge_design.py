"""The generated badge: its design (initials, code, hue) and its SVG, and the page templates.

No FastAPI here: the public pages (:mod:`issuer.api.pages`) wrap the text in responses, and the
sharing service (:mod:`issuer.services.sharing`) bakes the same SVG, or draws the same design
as a PNG, so every copy of a generated badge looks alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from verifier.safe_links import register_safe_url

__all__ = ["BadgeDesign", "badge_design", "badge_svg_text", "render_text"]


@cache
def _environment() -> Environment:
    """Autoescaped: every value in a page or a badge may come from a user."""
    environment = Environment(
        loader=PackageLoader("issuer", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    register_safe_url(environment)  # only http(s) URLs of a credential's data become links
    return environment


def render_text(template: str, **context: Any) -> str:
    """A template of ``issuer/templates`` rendered with ``context``."""
    return _environment().get_template(template).render(**context)


@dataclass(frozen=True)
class BadgeDesign:
    """What the generated badge shows; the SVG here and the PNG in
    :mod:`issuer.services.sharing` draw the same design from it."""

    name: str
    initials: str
    code: str
    hue: int


def badge_design(achievement: dict[str, Any]) -> BadgeDesign:
    """Initials of the capitalised words, the human code, and a hue fixed by the name."""
    name = str(achievement.get("name", ""))
    words = [w for w in name.replace("/", " ").split() if w[:1].isalpha() and w[:1].isupper()]
    initials = "".join(w[0] for w in words)[:3] or name[:2].upper()
    hue = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:4], 16) % 360
    return BadgeDesign(name, initials, str(achievement.get("humanCode") or ""), hue)


def badge_svg_text(achievement: dict[str, Any]) -> str:
    """The generated badge image as SVG text."""
    design = badge_design(achievement)
    return render_text(
        "badge.svg", name=design.name, initials=design.initials, code=design.code, hue=design.hue
    )
