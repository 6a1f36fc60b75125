"""The service's own icon, ``/favicon.svg`` and ``/favicon.ico``: a badge's hexagon with a tick.

Served by the service itself (pages fetch nothing from elsewhere) and linked from every page;
``/favicon.ico`` also answers the browsers and link previews that ask for it without a link.
One geometry (64-unit square) drawn twice: as SVG text from ``templates/favicon.svg`` and, with
Pillow, as a multi-size ICO, so both look alike.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

from issuer.services.badge_design import render_text

__all__ = ["favicon_ico", "favicon_svg"]

_HEXAGON = ((32, 2), (58, 17), (58, 47), (32, 62), (6, 47), (6, 17))
_CHECK = ((19, 33), (28, 42), (46, 23))
_STROKE = 7
#: The pages' link blue (share.css ``--link``): white on it is 7:1.
_FILL = (10, 79, 191)
_ICO_SIZES = (16, 32, 48)


def _points(points: tuple[tuple[int, int], ...]) -> str:
    return " ".join(f"{x},{y}" for x, y in points)


@cache
def favicon_svg() -> str:
    """The icon as SVG text."""
    return render_text(
        "favicon.svg",
        hexagon=_points(_HEXAGON),
        check=_points(_CHECK),
        stroke=_STROKE,
        fill="#{:02x}{:02x}{:02x}".format(*_FILL),
    )


@cache
def favicon_ico() -> bytes:
    """The icon as a Windows icon file at 16, 32 and 48 px (drawn at 256 px, scaled down)."""
    scale = 4
    image = Image.new("RGBA", (64 * scale, 64 * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(x * scale, y * scale) for x, y in _HEXAGON], fill=(*_FILL, 255))
    check = [(x * scale, y * scale) for x, y in _CHECK]
    draw.line(check, fill=(255, 255, 255, 255), width=_STROKE * scale, joint="curve")
    radius = _STROKE * scale / 2
    for x, y in (check[0], check[-1]):  # round caps, as the SVG's
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "ICO", sizes=[(size, size) for size in _ICO_SIZES])
    return buffer.getvalue()
