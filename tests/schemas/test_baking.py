"""Baked badge images: the 1EdTech fixtures, round trips, re-baking, and hostile input."""

from __future__ import annotations

import base64
import io
import json
import struct
import time
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from PIL import Image

from schemas.baking import (
    MAX_INPUT_BYTES,
    PNG_KEYWORD,
    PNG_SIGNATURE,
    SVG_NAMESPACE,
    BakingError,
    bake_png,
    bake_svg,
    unbake,
    unbake_png,
    unbake_svg,
)
from schemas.errors import SchemasError

OB30 = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
CREDENTIAL_TAG = f"{{{SVG_NAMESPACE}}}credential"

CREDENTIAL_JSON = json.dumps(
    {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Café ✓ <&> \"quoted\" 'single'",
    },
    ensure_ascii=False,
)
CREDENTIAL_JWS = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


# ------------------------------------------------------------------------------------ helpers


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (4, 3), (200, 30, 60, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def chunks(png: bytes) -> list[tuple[bytes, bytes, int]]:
    """(type, data, stored CRC) of every chunk, parsed independently of the module."""
    assert png[:8] == PNG_SIGNATURE
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        out.append((ctype, data, crc))
        pos += 12 + length
    return out


def credential_chunks(png: bytes) -> list[bytes]:
    return [d for t, d, _ in chunks(png) if t == b"iTXt" and d.startswith(b"openbadgecredential\0")]


def make_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def insert_after_ihdr(png: bytes, chunk: bytes) -> bytes:
    return png[:33] + chunk + png[33:]  # signature (8) + IHDR (12 + 13)


def is_jws(text: str) -> bool:
    parts = text.split(".")
    if len(parts) != 3 or not all(parts):
        return False
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    return "alg" in header


def svg_credentials(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # trusted test output only
    return root.findall(f".//{CREDENTIAL_TAG}")


def plain_svg() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- made by hand -->\n"
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-x="a>b">\n'
        '  <rect width="10" height="10" fill="#c33"/>\n'
        "</svg>\n"
    )


# ----------------------------------------------------------------------------- DCV fixtures


@pytest.mark.parametrize(
    ("name", "kind", "payload"),
    [
        ("simple-json.png", "png", "json"),
        ("simple-json.svg", "svg", "json"),
        ("simple-jwt.png", "png", "jws"),
        ("simple-jwt.svg", "svg", "jws"),
        ("simple-jwt_v1.png", "png", "jws"),
        ("simple-jwt_v1.svg", "svg", "jws"),
    ],
)
def test_unbake_dcv_fixtures(vendor: Path, name: str, kind: str, payload: str) -> None:
    data = (vendor / OB30 / name).read_bytes()
    found = unbake(data)
    assert found is not None
    assert found[0] == kind
    text = found[1]
    direct = unbake_png(data) if kind == "png" else unbake_svg(data)
    assert direct == text
    if payload == "json":
        credential = json.loads(text)
        assert "OpenBadgeCredential" in credential["type"]
        assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    else:
        assert is_jws(text)


def test_dcv_png_and_svg_carry_the_same_json_credential(vendor: Path) -> None:
    png = unbake_png((vendor / OB30 / "simple-json.png").read_bytes())
    svg = unbake_svg((vendor / OB30 / "simple-json.svg").read_text())
    assert png is not None and svg is not None
    assert json.loads(png) == json.loads(svg)


# ---------------------------------------------------------------------------------- PNG


@pytest.mark.parametrize("credential", [CREDENTIAL_JSON, CREDENTIAL_JWS])
def test_png_round_trip(credential: str) -> None:
    baked = bake_png(small_png(), credential)
    assert unbake_png(baked) == credential
    assert unbake(baked) == ("png", credential)


def test_png_chunk_layout_and_crcs() -> None:
    original = small_png()
    baked = bake_png(original, CREDENTIAL_JSON)
    layout = chunks(baked)
    assert layout[0][0] == b"IHDR"
    assert layout[1][0] == b"iTXt"
    assert layout[1][1] == b"openbadgecredential\0\0\0\0\0" + CREDENTIAL_JSON.encode("utf-8")
    assert layout[-1][0] == b"IEND"
    for ctype, data, crc in layout:
        assert zlib.crc32(ctype + data) == crc, ctype
    # every other chunk is copied byte for byte
    assert [c for c in layout if c[0] != b"iTXt"] == chunks(original)


def test_baked_png_still_decodes_with_pillow() -> None:
    original = small_png()
    baked = bake_png(original, CREDENTIAL_JSON)
    with Image.open(io.BytesIO(baked)) as image:
        image.verify()  # checks chunk CRCs and structure
    with Image.open(io.BytesIO(baked)) as image:
        image.load()
        assert image.size == (4, 3)
        assert image.text[PNG_KEYWORD] == CREDENTIAL_JSON  # Pillow reads our iTXt too
        with Image.open(io.BytesIO(original)) as before:
            assert image.tobytes() == before.tobytes()


def test_rebaking_png_replaces_the_credential(vendor: Path) -> None:
    fixture = (vendor / OB30 / "simple-json.png").read_bytes()
    assert len(credential_chunks(fixture)) == 1
    once = bake_png(fixture, CREDENTIAL_JWS)
    twice = bake_png(once, CREDENTIAL_JSON)
    for baked, expected in ((once, CREDENTIAL_JWS), (twice, CREDENTIAL_JSON)):
        found = credential_chunks(baked)
        assert len(found) == 1
        assert chunks(baked)[1][0] == b"iTXt"
        assert unbake_png(baked) == expected
        with Image.open(io.BytesIO(baked)) as image:
            image.verify()
    assert bake_png(twice, CREDENTIAL_JSON) == twice  # baking is idempotent


def test_png_bake_replaces_every_duplicate() -> None:
    dup = make_chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0{}")
    png = insert_after_ihdr(insert_after_ihdr(small_png(), dup), dup)
    assert len(credential_chunks(png)) == 2
    assert len(credential_chunks(bake_png(png, CREDENTIAL_JWS))) == 1


def test_png_unbake_reads_the_first_matching_chunk() -> None:
    first = make_chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0" + CREDENTIAL_JWS.encode())
    second = make_chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0{}")
    other = make_chunk(b"iTXt", b"openbadges\0\0\0\0\0not this one")
    png = insert_after_ihdr(insert_after_ihdr(insert_after_ihdr(small_png(), second), first), other)
    assert unbake_png(png) == CREDENTIAL_JWS


def test_png_without_credential() -> None:
    assert unbake_png(small_png()) is None
    assert unbake(small_png()) is None


def test_png_unbake_reads_a_compressed_itxt() -> None:
    text = zlib.compress(CREDENTIAL_JSON.encode())
    png = insert_after_ihdr(
        small_png(), make_chunk(b"iTXt", b"openbadgecredential\0\1\0\0\0" + text)
    )
    assert unbake_png(png) == CREDENTIAL_JSON


def test_png_unbake_caps_a_compressed_itxt() -> None:
    deflater = zlib.compressobj(9)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(deflater.compress(zeros) for _ in range(64)) + deflater.flush()
    png = insert_after_ihdr(
        small_png(), make_chunk(b"iTXt", b"openbadgecredential\0\1\0\0\0" + bomb)
    )
    started = time.perf_counter()
    with pytest.raises(BakingError, match="inflates"):
        unbake_png(png)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "itxt",
    [
        b"openbadgecredential\0\0",  # no language tag / translated keyword
        b"openbadgecredential\0\2\0\0\0x",  # unknown compression flag
        b"openbadgecredential\0\1\0\0\0not zlib",
        b"openbadgecredential\0\0\0\0\0\xff\xfe",  # not UTF-8
        b"openbadgecredential\0\0\0\0\0",  # empty
    ],
)
def test_png_corrupt_credential_chunk(itxt: bytes) -> None:
    with pytest.raises(BakingError):
        unbake_png(insert_after_ihdr(small_png(), make_chunk(b"iTXt", itxt)))


def test_png_bad_crc_on_the_credential_chunk() -> None:
    baked = bytearray(bake_png(small_png(), CREDENTIAL_JSON))
    baked[33 + 8 + 30] ^= 0x01  # a byte of the credential text
    with pytest.raises(BakingError, match="CRC"):
        unbake_png(bytes(baked))
    with pytest.raises(BakingError):
        unbake(bytes(baked))


def test_png_corrupt_structure() -> None:
    baked = bake_png(small_png(), CREDENTIAL_JSON)
    with pytest.raises(BakingError, match="signature"):
        unbake_png(b"\x89PNG\r\n\x1a\x00" + baked[8:])
    for cut in (20, 40, 33 + 12 + 20):  # in IHDR, between chunks, inside the credential chunk
        with pytest.raises(BakingError, match="truncated"):
            unbake_png(baked[:cut])
    with pytest.raises(BakingError):  # chunk type that is not four letters
        unbake_png(baked[:12] + b"IH\0R" + baked[16:])


def test_png_truncated_before_a_late_credential_chunk(vendor: Path) -> None:
    fixture = (vendor / OB30 / "simple-jwt.png").read_bytes()  # credential chunk just before IEND
    with pytest.raises(BakingError, match="truncated"):
        unbake_png(fixture[: len(fixture) // 2])
    with pytest.raises(BakingError, match="truncated"):
        unbake(fixture[: len(fixture) // 2])


def test_bake_refuses_corrupt_or_non_png_input() -> None:
    png = bytearray(small_png())
    png[-13] ^= 0xFF  # last byte of the IDAT CRC (IEND is the final 12 bytes)
    with pytest.raises(BakingError, match="CRC"):
        bake_png(bytes(png), CREDENTIAL_JSON)
    for not_png in (b"", b"GIF89a....", plain_svg().encode(), PNG_SIGNATURE):
        with pytest.raises(BakingError):
            bake_png(not_png, CREDENTIAL_JSON)


def test_bytes_after_iend_are_dropped() -> None:
    baked = bake_png(small_png() + b"trailing junk", CREDENTIAL_JWS)
    assert baked.endswith(b"IEND\xaeB`\x82")


# ---------------------------------------------------------------------------------- SVG


@pytest.mark.parametrize("credential", [CREDENTIAL_JSON, CREDENTIAL_JWS])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_svg_round_trip(credential: str, as_bytes: bool) -> None:
    svg = plain_svg().encode() if as_bytes else plain_svg()
    baked = bake_svg(svg, credential)
    assert isinstance(baked, str)
    assert unbake_svg(baked) == credential
    assert unbake(baked.encode()) == ("svg", credential)
    found = svg_credentials(baked)
    assert len(found) == 1
    assert ET.fromstring(baked)[0] is not None and ET.fromstring(baked)[0].tag == CREDENTIAL_TAG


def test_svg_bake_is_surgical() -> None:
    original = plain_svg()
    baked = bake_svg(original, CREDENTIAL_JWS)
    root_tag = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-x="a>b">'
    assert baked == original.replace(
        root_tag,
        root_tag[:-1]
        + f' xmlns:openbadges="{SVG_NAMESPACE}">'
        + f'<openbadges:credential verify="{CREDENTIAL_JWS}"/>',
    )


def test_svg_json_goes_in_cdata_and_jws_in_verify() -> None:
    json_baked = bake_svg(plain_svg(), CREDENTIAL_JSON)
    assert f"<openbadges:credential><![CDATA[{CREDENTIAL_JSON}]]></openbadges:credential>" in (
        json_baked
    )
    jws_element = svg_credentials(bake_svg(plain_svg(), CREDENTIAL_JWS))[0]
    assert jws_element.get("verify") == CREDENTIAL_JWS
    assert not (jws_element.text or "").strip() and len(jws_element) == 0


def test_svg_json_containing_cdata_end() -> None:
    credential = json.dumps({"type": ["VerifiableCredential"], "name": "a]]>b]]>"})
    baked = bake_svg(plain_svg(), credential)
    assert "]]]]><![CDATA[>" in baked
    assert unbake_svg(baked) == credential
    assert json.loads(svg_credentials(baked)[0].text or "") == json.loads(credential)


def test_rebaking_svg_replaces_the_credential(vendor: Path) -> None:
    fixture = (vendor / OB30 / "simple-json.svg").read_text()
    once = bake_svg(fixture, CREDENTIAL_JWS)
    twice = bake_svg(once, CREDENTIAL_JSON)
    for baked, expected in ((once, CREDENTIAL_JWS), (twice, CREDENTIAL_JSON)):
        assert baked.count("<openbadges:credential") == 1
        assert unbake_svg(baked) == expected
        assert baked.count('xmlns:openbadges="') == 1  # the fixture's declaration is reused
    assert bake_svg(twice, CREDENTIAL_JSON) == twice
    # the author's SVG is untouched: the old element is cut out, the new one follows the root tag
    root_end = fixture.index('xml:space="preserve">') + len('xml:space="preserve">')
    old_start = fixture.index("<openbadges:credential>")
    old_end = fixture.index("</openbadges:credential>") + len("</openbadges:credential>")
    element = f'<openbadges:credential verify="{CREDENTIAL_JWS}"/>'
    assert once == fixture[:root_end] + element + fixture[root_end:old_start] + fixture[old_end:]


def test_svg_bake_replaces_a_credential_anywhere_and_with_any_prefix() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="{SVG_NAMESPACE}"><g>'
        '<ob:credential verify="a.b.c"/></g>'
        f'<x:credential xmlns:x="{SVG_NAMESPACE}"><![CDATA[{{}}]]></x:credential></svg>'
    )
    assert unbake_svg(svg) == "a.b.c"
    baked = bake_svg(svg, CREDENTIAL_JSON)
    assert len(svg_credentials(baked)) == 1
    assert baked == (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="{SVG_NAMESPACE}"'
        f' xmlns:openbadges="{SVG_NAMESPACE}">'
        f"<openbadges:credential><![CDATA[{CREDENTIAL_JSON}]]></openbadges:credential>"
        "<g></g></svg>"
    )


def test_svg_self_closing_root() -> None:
    baked = bake_svg('<svg xmlns="http://www.w3.org/2000/svg" />', CREDENTIAL_JWS)
    assert baked == (
        f'<svg xmlns="http://www.w3.org/2000/svg"  xmlns:openbadges="{SVG_NAMESPACE}">'
        f'<openbadges:credential verify="{CREDENTIAL_JWS}"/></svg>'
    )


def test_svg_prefix_bound_elsewhere_is_refused() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>'
    with pytest.raises(BakingError, match="openbadges"):
        bake_svg(svg, CREDENTIAL_JWS)


def test_svg_with_bom_and_crlf() -> None:
    svg = b"\xef\xbb\xbf" + plain_svg().replace("\n", "\r\n").encode()
    baked = bake_svg(svg, CREDENTIAL_JSON)
    assert baked.startswith("\ufeff<?xml")
    assert unbake(baked.encode()) == ("svg", CREDENTIAL_JSON)
    pretty = json.dumps(json.loads(CREDENTIAL_JSON), indent=2).replace("\n", "\r\n")
    assert json.loads(unbake_svg(bake_svg(svg, pretty)) or "") == json.loads(pretty)


def test_svg_without_credential() -> None:
    assert unbake_svg(plain_svg()) is None
    assert unbake(plain_svg().encode()) is None


def test_svg_empty_credential_element_is_an_error() -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><c:credential xmlns:c="{SVG_NAMESPACE}"/></svg>'
    with pytest.raises(BakingError, match="empty"):
        unbake_svg(svg)


XXE_SVG = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{SVG_NAMESPACE}">'
    "<openbadges:credential>&xxe;</openbadges:credential></svg>"
)
LAUGHS_SVG = (
    '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{SVG_NAMESPACE}">'
    "<openbadges:credential>&lol9;</openbadges:credential></svg>"
)
ATTLIST_SVG = (
    f'<!DOCTYPE svg [<!ATTLIST credential verify CDATA "a.b.c">]>'
    f'<svg xmlns="http://www.w3.org/2000/svg"><credential xmlns="{SVG_NAMESPACE}"/></svg>'
)


@pytest.mark.parametrize(
    "svg", [XXE_SVG, LAUGHS_SVG, ATTLIST_SVG], ids=["xxe", "laughs", "attlist"]
)
def test_svg_dtd_internal_subset_is_refused(svg: str) -> None:
    started = time.perf_counter()
    for call in (unbake_svg, lambda s: bake_svg(s, CREDENTIAL_JWS), lambda s: unbake(s.encode())):
        with pytest.raises(BakingError, match="DTD"):
            call(svg)
    assert time.perf_counter() - started < 2


def test_svg_external_doctype_line_is_accepted_and_not_fetched(vendor: Path) -> None:
    fixture = (vendor / OB30 / "simple-jwt.svg").read_bytes()
    assert b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"' in fixture
    assert unbake_svg(fixture) is not None  # and no network: the suite runs offline


@pytest.mark.parametrize(
    "svg",
    [
        "not xml at all",
        "<svg xmlns='http://www.w3.org/2000/svg'>",  # unclosed
        "<html><svg/></html>",  # root is not svg
        '<svg xmlns="http://www.w3.org/2000/svg">&undefined;</svg>',
    ],
)
def test_svg_malformed(svg: str) -> None:
    with pytest.raises(BakingError):
        unbake_svg(svg)
    with pytest.raises(BakingError):
        bake_svg(svg, CREDENTIAL_JWS)


# ------------------------------------------------------------------------- credential payloads


@pytest.mark.parametrize(
    "credential",
    ["", "hello", "[1, 2]", "a.b", "a.b.c.d", 'a.b.c"><script/>', "{not json"],
)
def test_bake_refuses_what_is_neither_json_object_nor_jws(credential: str) -> None:
    with pytest.raises(BakingError):
        bake_png(small_png(), credential)
    with pytest.raises(BakingError):
        bake_svg(plain_svg(), credential)


def test_svg_credential_with_characters_xml_cannot_carry() -> None:
    with pytest.raises(BakingError):
        bake_svg(plain_svg(), json.dumps({"x": "\ufffe"}, ensure_ascii=False))


# ------------------------------------------------------------------------- sniffing and limits


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b'{"type": "VerifiableCredential"}', b"GIF89a", b"<html></html>", b"\x00" * 64],
)
def test_unbake_non_image_is_none(data: bytes) -> None:
    assert unbake(data) is None


def test_unbake_sniffs_svg_after_prolog() -> None:
    body = bake_svg(plain_svg(), CREDENTIAL_JWS).split("\n", 2)[2]  # drop declaration, comment
    prolog = (
        '\ufeff<?xml version="1.0"?>\n<!-- a -->\n<?xml-stylesheet href="s.css"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/1999/svg11.dtd">\n'
    )
    assert unbake((prolog + body).encode()) == ("svg", CREDENTIAL_JWS)
    assert unbake(body.encode("utf-16")) == ("svg", CREDENTIAL_JWS)


def test_size_limits() -> None:
    big = PNG_SIGNATURE + bytes(MAX_INPUT_BYTES)
    for call in (unbake, unbake_png, lambda d: bake_png(d, CREDENTIAL_JWS)):
        with pytest.raises(BakingError, match="larger"):
            call(big)
    big_svg = "<svg>" + " " * MAX_INPUT_BYTES + "</svg>"
    for call in (unbake_svg, lambda s: bake_svg(s, CREDENTIAL_JWS)):
        with pytest.raises(BakingError, match="larger"):
            call(big_svg)
    huge = json.dumps({"x": "y" * MAX_INPUT_BYTES})
    with pytest.raises(BakingError, match="larger"):
        bake_png(small_png(), huge)


def test_error_is_a_schemas_error() -> None:
    assert issubclass(BakingError, SchemasError)


# ------------------------------------------------------------------------------ active content

_XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'


def _svg(body: str, root_attrs: str = "") -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" {_XLINK} {root_attrs}>{body}</svg>'


ACTIVE_SVGS = {
    "script": _svg("<script>alert(1)</script>"),
    "script in CDATA, other prefix": _svg(
        '<s:script xmlns:s="http://www.w3.org/2000/svg"><![CDATA[alert(1)]]></s:script>'
    ),
    "SCRIPT uppercase, no namespace": "<svg><SCRIPT>alert(1)</SCRIPT></svg>",
    "onload on the root": _svg("", 'onload="alert(1)"'),
    "onclick on a child": _svg('<rect width="1" height="1" ONCLICK="alert(1)"/>'),
    "javascript: link": _svg('<a href="javascript:alert(1)"><text>x</text></a>'),
    "JaVaScRiPt: xlink with whitespace": _svg(
        '<a xlink:href=" JaVa&#x09;ScRiPt:alert(1)"><text>x</text></a>'
    ),
    "foreignObject": _svg(
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
    ),
    "http link": _svg('<a href="https://evil.example/"><text>x</text></a>'),
    "protocol-relative use": _svg('<use href="//evil.example/s.svg#x"/>'),
    "file use": _svg('<use xlink:href="file:///etc/passwd#x"/>'),
    "use of another document": _svg('<use href="other.svg#icon"/>'),
    "external image": _svg('<image href="https://evil.example/track.png"/>'),
    "svg data image in use": _svg('<use href="data:image/svg+xml,&lt;svg/&gt;#x"/>'),
    "style @import": _svg('<style>@import "https://evil.example/x.css";</style>'),
    "style external url()": _svg("<style>rect { fill: url(https://evil.example/p) }</style>"),
    "style attribute url()": _svg('<rect style="background:url(//evil.example/p)"/>'),
    "fill attribute url()": _svg('<rect fill="url(http://evil.example/g.svg#g)"/>'),
    "animation writes href": _svg(
        '<a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>'
    ),
    "animate values javascript": _svg(
        '<a href="#x"><animate attributeName="xlink:href" values="javascript:alert(1)"/></a>'
    ),
    "xml-stylesheet": '<?xml-stylesheet href="https://evil.example/x.css"?>' + _svg(""),
    "iframe": _svg('<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://e.example"/>'),
}


@pytest.mark.parametrize("svg", ACTIVE_SVGS.values(), ids=ACTIVE_SVGS.keys())
def test_bake_refuses_an_svg_with_script_handlers_or_external_references(svg: str) -> None:
    with pytest.raises(BakingError, match="script, event handlers or external references"):
        bake_svg(svg, CREDENTIAL_JSON)


PASSIVE_SVGS = {
    "internal use and gradient": _svg(
        '<defs><linearGradient id="g"/><circle id="c" r="1"/></defs>'
        '<use href="#c"/><use xlink:href="#c"/><rect fill="url(#g)" style="fill:url(\'#g\')"/>'
    ),
    "inline data image": _svg('<image href="data:image/png;base64,iVBORw0KGgo="/>'),
    "inline style": _svg("<style>rect { fill: red } .a { stroke: url(#g) }</style><rect/>"),
    "text that talks about script": _svg("<text>onload javascript: &lt;script&gt;</text>"),
}


@pytest.mark.parametrize("svg", PASSIVE_SVGS.values(), ids=PASSIVE_SVGS.keys())
def test_bake_accepts_an_svg_without_active_content(svg: str) -> None:
    assert unbake_svg(bake_svg(svg, CREDENTIAL_JSON)) == CREDENTIAL_JSON


def test_unbaking_still_reads_an_svg_with_script() -> None:
    """A verifier reads the credential from any SVG; it never serves the SVG back."""
    svg = _svg(
        f"<script>alert(1)</script><openbadges:credential xmlns:openbadges="
        f'"{SVG_NAMESPACE}" verify="{CREDENTIAL_JWS}"/>'
    )
    assert unbake_svg(svg) == CREDENTIAL_JWS
