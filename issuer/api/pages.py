"""The public pages and the generated badge as HTTP responses (the rendering itself is in
:mod:`issuer.services.badge_design`, shared with the sharing service).

Every page is rendered in the reader's language through :class:`microcred.i18n.Pages`, the
machinery the verify page uses: ``?lang=`` (remembered in a cookie), the cookie,
``Accept-Language``, English; the response says which (``Content-Language``, ``Vary``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from issuer.services.badge_design import TEMPLATES, badge_svg_text, configure_pages
from issuer.services.stacks import stack_rule_url
from microcred.i18n import Pages

__all__ = ["PAGES", "badge_svg", "criteria_links", "html_page"]

#: The issuer's pages, one environment per language.
PAGES = Pages(TEMPLATES, configure=configure_pages)


def html_page(
    request: Request, template: str, status_code: int = 200, /, **context: Any
) -> HTMLResponse:
    """The page ``template`` rendered with ``context`` in the request's language, as an HTML
    response (``status_code`` for a page that refuses: a 404, a withheld certificate)."""
    return PAGES.render(request, template, context, status_code=status_code)


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
