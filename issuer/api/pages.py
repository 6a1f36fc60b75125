"""The public pages and the generated badge as HTTP responses (the rendering itself is in
:mod:`issuer.services.badge_design`, shared with the sharing service)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import HTMLResponse, Response

from issuer.services.badge_design import badge_svg_text, render_text
from issuer.services.stacks import stack_rule_url

__all__ = ["badge_svg", "criteria_links", "html_page"]


def html_page(template: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    """The page ``template`` renders with ``context``, as an HTML response (``status_code``
    for a page that refuses: a 404, a withheld certificate)."""
    return HTMLResponse(render_text(template, **context), status_code=status_code)


def badge_svg(achievement: dict[str, Any]) -> Response:
    """A generated badge image: a hexagon with the initials and human code."""
    return Response(badge_svg_text(achievement), media_type="image/svg+xml")


def criteria_links(achievement: Mapping[str, Any]) -> dict[str, str | None]:
    """``rule_url`` (a stack's rule document) and ``criteria_url`` (a criteria page of the
    issuer's, not the ``…#criteria`` fragment the catalog gives an achievement without one)
    of an OB Achievement, for ``rule_link.html``."""
    rule = stack_rule_url(achievement)
    criteria = achievement.get("criteria")
    found = criteria.get("id") if isinstance(criteria, Mapping) else None
    own = f"{achievement.get('id')}#criteria"
    page = found if isinstance(found, str) and found not in (own, rule) else None
    return {"rule_url": rule, "criteria_url": page}
