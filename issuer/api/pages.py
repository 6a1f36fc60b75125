"""Jinja2 rendering of the public pages (autoescaped: every value may come from a user)."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["badge_svg", "render"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("issuer", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(_environment().get_template(template).render(**context))


def badge_svg(achievement: dict[str, Any]) -> Response:
    """A generated badge image: a hexagon with the initials and human code."""
    name = str(achievement.get("name", ""))
    words = [w for w in name.replace("/", " ").split() if w[:1].isalpha() and w[:1].isupper()]
    initials = "".join(w[0] for w in words)[:3] or name[:2].upper()
    hue = int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:4], 16) % 360
    body = (
        _environment()
        .get_template("badge.svg")
        .render(name=name, initials=initials, code=achievement.get("humanCode", ""), hue=hue)
    )
    return Response(body, media_type="image/svg+xml")
