"""The public pages and the generated badge as HTTP responses (the rendering itself is in
:mod:`issuer.services.badge_design`, shared with the sharing service)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, Response

from issuer.services.badge_design import badge_svg_text, render_text

__all__ = ["badge_svg", "html_page"]


def html_page(template: str, **context: Any) -> HTMLResponse:
    """The page ``template`` renders with ``context``, as an HTML response."""
    return HTMLResponse(render_text(template, **context))


def badge_svg(achievement: dict[str, Any]) -> Response:
    """A generated badge image: a hexagon with the initials and human code."""
    return Response(badge_svg_text(achievement), media_type="image/svg+xml")
