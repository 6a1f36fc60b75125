"""Sharing a credential: QR codes of its badge link, its badge image baked, a LinkedIn link.

No FastAPI here (the routes are in :mod:`issuer.api.routes.sharing`, the commands in
:mod:`issuer.cli.sharing`): the same functions serve the HTTP downloads and the CLI, so a QR code
printed from ``microcred qr`` is the one the page shows.

**QR codes** encode the credential's badge link — its id URL, which the service answers with a
page for people and the credential for machines — at error correction level **Q** (25% of the
code can be lost: a crease, a coffee ring, a poor print), with 10-pixel modules in the PNG and a
4-module quiet zone (what ISO/IEC 18004 requires for a phone camera to find the code). The PNG is
black on white, 1 bit; the SVG is a path of 1-unit squares on a white background, sized in
millimetres (one module per millimetre) so it prints large enough to scan from arm's length.

**Badge images** are the achievement's image with the credential baked in (``schemas.baking``,
OB 3.0 §5.3): a ``data:`` image the catalog holds is baked as it is; otherwise (our generated
image, or an image hosted elsewhere, which we do not fetch on a download) the generated design
of :func:`issuer.services.badge_design.badge_design` is used, drawn with Pillow for the PNG.

**A revoked or suspended credential** (:data:`WITHHELD`, by the issuer's own records) is not
shared as if it were good: its page offers no LinkedIn link and no certificate, the certificate
route refuses, and its badge images are served greyscale with a "REVOKED" / "SUSPENDED" band
(:func:`marked_png`) — still baked, so a verifier given the file reaches the same verdict. A
marked image rather than a refusal because the same URL is the page's ``og:image``: a link
preview that fetches it again shows the credential's state instead of a broken image.
"""

from __future__ import annotations

import base64
import colorsys
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote, unquote_to_bytes, urlencode

import qrcode
import qrcode.constants
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont

from issuer.models import Award, AwardStatus
from issuer.services.badge_design import BadgeDesign, badge_design, badge_svg_text
from schemas.baking import BakingError, bake_png, bake_svg
from schemas.dates import parse_datetime

__all__ = [
    "QR_BORDER",
    "QR_BOX_SIZE",
    "QR_ERROR_CORRECTION",
    "WITHHELD",
    "ImageKind",
    "PayloadKind",
    "badge_image",
    "badge_png",
    "baked_badge",
    "download_name",
    "linkedin_url",
    "marked_png",
    "qr_code",
    "qr_data_uri",
    "qr_png",
    "qr_svg",
]

ImageKind = Literal["png", "svg"]
PayloadKind = Literal["json", "jwt"]

#: Error correction Q: a quarter of the code may be damaged and it still reads.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
#: Pixels per module in the PNG (a 41-module code is 490 px square with its border).
QR_BOX_SIZE = 10
#: The quiet zone, in modules, that ISO/IEC 18004 requires around the code.
QR_BORDER = 4
#: Side of the generated badge PNG, in pixels (large enough for link previews).
BADGE_PNG_SIZE = 512

#: The states in which a credential is not offered for sharing (LinkedIn, certificate, colour
#: badge image): revoked for good, or suspended for now.
WITHHELD = frozenset({AwardStatus.revoked, AwardStatus.suspended})
#: The band across a withheld credential's badge image: the page's ``--bad`` red.
_BAND = (164, 22, 26, 255)

_LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
_DATA_URI = re.compile(r"^data:(image/(?:png|svg\+xml))(;base64)?,(.*)$", re.DOTALL | re.I)


# ------------------------------------------------------------------------------ QR codes


def qr_code(url: str) -> qrcode.QRCode:
    """The QR code of ``url`` at the parameters above (smallest version that fits)."""
    code = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION, box_size=QR_BOX_SIZE, border=QR_BORDER
    )
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, *, box_size: int = QR_BOX_SIZE) -> bytes:
    """A 1-bit black-on-white PNG of the QR code of ``url``."""
    code = qr_code(url)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a ``data:`` PNG, for a link that must not be a URL of its own
    (a wallet link holds a secret: a ``/qr?…`` request would put it in an access log)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")


def qr_svg(url: str) -> bytes:
    """An SVG of the QR code of ``url``: one path, white background, 1 mm per module."""
    buffer = io.BytesIO()
    qr_code(url).make_image(image_factory=qrcode.image.svg.SvgPathFillImage).save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------------ badge images


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A bold sans-serif if the system has DejaVu, else Pillow's bundled font."""
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "DejaVuSans-Bold.ttf",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=64)
def _draw_badge(design: BadgeDesign, size: int) -> bytes:
    """The generated design (templates/badge.svg) drawn with Pillow at ``size`` px square.

    Drawn at twice the size and scaled down: Pillow's polygons are not anti-aliased.
    """
    scale = 2 * size / 256
    image = Image.new("RGBA", (2 * size, 2 * size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def points(*xy: int) -> list[tuple[float, float]]:
        return [(xy[i] * scale, xy[i + 1] * scale) for i in range(0, len(xy), 2)]

    red, green, blue = colorsys.hls_to_rgb(design.hue / 360, 0.38, 0.55)
    fill = (round(red * 255), round(green * 255), round(blue * 255), 255)
    draw.polygon(points(128, 8, 232, 68, 232, 188, 128, 248, 24, 188, 24, 68), fill=fill)
    draw.polygon(
        points(128, 24, 218, 76, 218, 180, 128, 232, 38, 180, 38, 76),
        outline=(255, 255, 255, 255),
        width=round(4 * scale),
    )
    white = (255, 255, 255, 255)
    draw.text(
        (128 * scale, 122 * scale), design.initials, fill=white, font=_font(round(44 * scale)),
        anchor="ms",
    )  # fmt: skip
    if design.code:
        draw.text(
            (128 * scale, 162 * scale), design.code, fill=white, font=_font(round(16 * scale)),
            anchor="ms",
        )  # fmt: skip
    image = image.resize((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def badge_png(achievement: Mapping[str, Any], *, size: int = BADGE_PNG_SIZE) -> bytes:
    """The generated badge design of ``achievement`` as a PNG."""
    return _draw_badge(badge_design(dict(achievement)), size)


def _data_image(achievement: Mapping[str, Any]) -> tuple[str, bytes] | None:
    """``(media type, bytes)`` of a ``data:`` image the achievement carries, if any."""
    image = achievement.get("image")
    ref = image.get("id") if isinstance(image, Mapping) else image
    match = _DATA_URI.match(ref) if isinstance(ref, str) else None
    if match is None:
        return None
    media_type, is_base64, payload = match.group(1).lower(), match.group(2), match.group(3)
    try:
        data = base64.b64decode(payload, validate=True) if is_base64 else unquote_to_bytes(payload)
    except ValueError:
        return None
    return media_type, data


def badge_image(achievement: Mapping[str, Any], kind: ImageKind) -> bytes:
    """The achievement's image as ``kind``, not yet baked (see the module docstring)."""
    carried = _data_image(achievement)
    if kind == "png":
        if carried is not None and carried[0] == "image/png":
            return carried[1]
        return badge_png(achievement)
    if carried is not None and carried[0] == "image/svg+xml":
        return carried[1]
    if carried is not None:  # a PNG shown inside an SVG, so the SVG download shows it too
        return _svg_showing(carried[1])
    return badge_svg_text(dict(achievement)).encode("utf-8")


def _svg_showing(png: bytes) -> bytes:
    """An SVG that shows ``png`` (512 px square), so an SVG download looks like the PNG."""
    encoded = base64.b64encode(png).decode("ascii")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" '
        'viewBox="0 0 512 512"><image width="512" height="512" '
        f'href="data:image/png;base64,{encoded}"/></svg>'
    ).encode()


def marked_png(png: bytes, word: str) -> bytes:
    """``png`` in greyscale, faded, with ``word`` in white on a red band across its middle:
    the badge of a credential that must not be relied on (see the module docstring)."""
    with Image.open(io.BytesIO(png)) as opened:
        source = opened.convert("RGBA")
    grey = source.convert("LA").convert("RGBA")
    faded = Image.blend(Image.new("RGBA", grey.size, (255, 255, 255, 0)), grey, 0.6)
    width, height = faded.size
    draw = ImageDraw.Draw(faded)
    band = round(height * 0.16)
    top = (height - band) // 2
    draw.rectangle((0, top, width, top + band), fill=_BAND)
    font = _font(round(band * 0.6))
    draw.text((width / 2, top + band / 2), word, fill=(255, 255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    faded.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _withheld_image(achievement: Mapping[str, Any], kind: ImageKind, status: str) -> bytes:
    """The marked badge of a withheld credential: the catalog's PNG, or the generated design
    (an SVG of the catalog's is not rasterised here), greyscale with the state's word."""
    try:
        marked = marked_png(badge_image(achievement, "png"), status.upper())
    except (OSError, ValueError):  # a carried PNG Pillow cannot read: the generated design
        marked = marked_png(badge_png(achievement), status.upper())
    return marked if kind == "png" else _svg_showing(marked)


def baked_badge(award: Award, kind: ImageKind, payload: PayloadKind = "json") -> bytes:
    """The achievement's image with the award's credential baked in (JSON or its VC-JWT);
    for a :data:`WITHHELD` credential, the marked greyscale image (module docstring)."""
    credential = json.loads(award.credential)
    achievement = credential["credentialSubject"]["achievement"]
    text = award.credential_jwt if payload == "jwt" else award.credential
    if award.status in WITHHELD:
        image = _withheld_image(achievement, kind, award.status)
    else:
        image = badge_image(achievement, kind)
    if kind == "png":
        try:
            return bake_png(image, text)
        except BakingError:  # a carried PNG we cannot bake into: use the generated design
            return bake_png(badge_png(achievement), text)
    try:
        return bake_svg(image, text).encode("utf-8")
    except BakingError:  # a carried SVG we cannot bake into: use the generated design
        return bake_svg(badge_svg_text(dict(achievement)), text).encode("utf-8")


def download_name(award: Award, extension: str) -> str:
    """``classroom-environment-1a2b3c4d.png``: what the file is, and which credential."""
    return f"{award.achievement_slug}-{str(award.id)[:8]}.{extension}"


# ------------------------------------------------------------------------------ LinkedIn


def linkedin_url(credential: Mapping[str, Any], badge_link: str) -> str:
    """LinkedIn's "Add license or certification" form, filled in from the credential.

    LinkedIn documents these parameters for its Add to Profile feature; a certification shows
    the achievement's name, the issuing organization, the issue (and expiry) month, the
    credential id and the URL that verifies it — the badge link.
    """
    subject = credential.get("credentialSubject", {})
    achievement = subject.get("achievement", {}) if isinstance(subject, Mapping) else {}
    issuer = credential.get("issuer", {})
    issued = _date(credential.get("awardedDate") or credential.get("validFrom"))
    params: dict[str, str] = {
        "startTask": "CERTIFICATION_NAME",
        "name": str(achievement.get("name") or credential.get("name") or "Credential"),
        "organizationName": str(issuer.get("name", "")) if isinstance(issuer, Mapping) else "",
    }
    if issued is not None:
        params |= {"issueYear": str(issued.year), "issueMonth": str(issued.month)}
    expires = _date(credential.get("validUntil"))
    if expires is not None:
        params |= {"expirationYear": str(expires.year), "expirationMonth": str(expires.month)}
    params |= {"certUrl": badge_link, "certId": badge_link.rstrip("/").rsplit("/", 1)[-1]}
    return f"{_LINKEDIN_ADD}?{urlencode(params, quote_via=quote)}"


def _date(value: Any) -> datetime | None:
    return parse_datetime(value)
