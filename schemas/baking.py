"""Baked badge images: an Open Badges 3.0 credential carried inside a PNG or SVG (OB 3.0 §5.3).

Why this module is byte-level and not an image library: baking must not touch the picture.
Re-encoding a PNG through an imaging library would change its pixels' bytes, drop chunks, and
make two bakes of the same image differ. So we work on the file formats themselves:

**PNG.** The credential (credential JSON text or a compact JWS) goes in one ``iTXt`` chunk with
keyword ``openbadgecredential``, compression flag 0 and method 0, an empty language tag and
translated keyword, UTF-8 text. We insert it right after ``IHDR``, drop any earlier
``openbadgecredential`` iTXt chunk (the spec forbids two) and copy every other chunk verbatim;
each chunk's CRC is checked on the way in and the new one's is computed. Bytes after ``IEND``
are not part of the PNG and are dropped. Reading takes the *first* matching chunk, checks that
chunk's CRC, and also accepts a compressed chunk (some bakers do it) with its inflated size
capped.

**SVG.** The credential goes in ``<openbadges:credential>`` (namespace
``https://purl.imsglobal.org/ob/v3p0``) as the first child of the root ``<svg>``: a JWS in its
``verify`` attribute (element empty), JSON inside ``<![CDATA[...]]>`` (a ``]]>`` inside the JSON
is split across two CDATA sections). Baking is string surgery, not parse-and-reserialize: the
SVG is parsed once (to check it, find the root start tag and any old credential elements by
byte offset), then ``xmlns:openbadges`` is added to the root start tag if missing, old
credential elements are cut out, and the new one is inserted after the root start tag. Every
other byte of the author's SVG is preserved. The result is parsed again and must yield exactly
the credential we baked.

**Safe XML.** Baked images come from strangers. We parse with the stdlib's expat directly
rather than adding ``defusedxml``: the defence we need is the one ``defusedxml`` applies to
expat (refuse declarations), and a streaming parser that keeps only byte offsets is all
baking and unbaking need. Any DTD *internal subset* (``<!DOCTYPE svg [ ... ]>``) is refused,
which rules out entity declarations (billion laughs, external entities / XXE) and DTD-supplied
default attributes; the plain ``<!DOCTYPE svg PUBLIC ...>`` line that SVG 1.1 editors write
(as in the 1EdTech fixtures) is accepted, and expat never fetches the DTD it names.

**Active content.** A baked SVG is served back (``POST /api/bake``), so :func:`bake_svg`
refuses one with script, event handlers, ``javascript:`` URLs, ``<foreignObject>`` or external
references (:mod:`schemas.svg_safety`); unbaking (verifying) reads any SVG, since it never
shows it.

**Limits.** Inputs (images and credentials) over :data:`MAX_INPUT_BYTES` are refused with
:class:`BakingError`, as is an inflated compressed iTXt text over the same size.

**Errors.** ``unbake_png``/``unbake_svg``/``unbake`` return ``None`` when the image carries no
credential, and :func:`unbake` also returns ``None`` for data that is neither PNG nor SVG. A
corrupt PNG (bad signature, truncated chunk, bad CRC on the chunk read), malformed or unsafe
XML, an SVG whose root is not ``<svg>``, or an empty credential raise :class:`BakingError`.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NoReturn
from xml.parsers import expat

from schemas.errors import SchemasError
from schemas.svg_safety import SvgSafety

__all__ = [
    "MAX_INPUT_BYTES",
    "PNG_KEYWORD",
    "PNG_SIGNATURE",
    "SVG_NAMESPACE",
    "BakingError",
    "bake_png",
    "bake_svg",
    "unbake",
    "unbake_png",
    "unbake_svg",
]

PNG_KEYWORD = "openbadgecredential"
SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest image, credential, or inflated compressed iTXt text accepted.
MAX_INPUT_BYTES = 10 * 1024 * 1024


class BakingError(SchemasError):
    """The image or the credential cannot be baked or unbaked."""


# ----------------------------------------------------------------------------- credential text

_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", re.ASCII)


def _credential_kind(credential: str) -> Literal["json", "jws"]:
    """``"jws"`` for a compact JWS, ``"json"`` for a JSON object's text; anything else is refused
    (a baked image carries exactly one credential, in one of those two forms)."""
    if not isinstance(credential, str):
        raise BakingError(f"credential must be str, not {type(credential).__name__}")
    if len(credential) > MAX_INPUT_BYTES:
        raise BakingError(f"credential is larger than {MAX_INPUT_BYTES} bytes")
    if _JWS.fullmatch(credential):
        return "jws"
    try:
        parsed = json.loads(credential)
    except (ValueError, RecursionError) as exc:
        raise BakingError("credential is neither a compact JWS nor JSON") from exc
    if not isinstance(parsed, dict):
        raise BakingError("credential JSON must be an object")
    return "json"


def _check_size(data: bytes | str, what: str) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise BakingError(f"{what} is larger than {MAX_INPUT_BYTES} bytes")


# ----------------------------------------------------------------------------------------- PNG

_PNG_KEYWORD_BYTES = PNG_KEYWORD.encode("latin-1")
_MAX_CHUNK_LENGTH = 2**31 - 1  # PNG §5.3


@dataclass(frozen=True)
class _Chunk:
    type: bytes
    data: bytes
    crc: int
    start: int  # offset of the length field
    end: int  # offset just after the CRC

    def crc_ok(self) -> bool:
        return zlib.crc32(self.type + self.data) == self.crc


def _iter_chunks(png: bytes) -> Iterator[_Chunk]:
    """Every chunk up to and including ``IEND``; structure is checked, CRCs are not."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG (bad signature)")
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(png):
            raise BakingError("truncated PNG: no IEND chunk")
        length, ctype = struct.unpack_from(">I4s", png, pos)
        if length > _MAX_CHUNK_LENGTH or not ctype.isalpha():
            raise BakingError(f"corrupt PNG chunk header at byte {pos}")
        end = pos + 12 + length
        if end > len(png):
            raise BakingError(f"truncated PNG chunk {ctype.decode('latin-1')!r} at byte {pos}")
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", png, pos + 8 + length)
        yield _Chunk(ctype, data, crc, pos, end)
        if ctype == b"IEND":
            return
        pos = end


def _make_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def _is_credential_itxt(chunk: _Chunk) -> bool:
    return chunk.type == b"iTXt" and chunk.data.startswith(_PNG_KEYWORD_BYTES + b"\x00")


def bake_png(png: bytes, credential: str) -> bytes:
    """``png`` with ``credential`` in one ``openbadgecredential`` iTXt chunk right after IHDR.

    Any existing ``openbadgecredential`` iTXt chunk is replaced, so a re-bake never leaves two.
    Raises :class:`BakingError` for non-PNG or corrupt input (every chunk's CRC is checked).
    """
    _check_size(png, "PNG")
    _credential_kind(credential)
    try:
        text = credential.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BakingError("credential is not encodable as UTF-8") from exc
    chunks = list(_iter_chunks(png))
    if chunks[0].type != b"IHDR" or len(chunks[0].data) != 13:
        raise BakingError("corrupt PNG: the first chunk is not a 13-byte IHDR")
    for chunk in chunks:
        if not chunk.crc_ok():
            raise BakingError(f"corrupt PNG: bad CRC on chunk {chunk.type.decode('latin-1')!r}")
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated NUL
    itxt = _make_chunk(b"iTXt", _PNG_KEYWORD_BYTES + b"\x00\x00\x00\x00\x00" + text)
    out = [PNG_SIGNATURE, png[chunks[0].start : chunks[0].end], itxt]
    out += [png[c.start : c.end] for c in chunks[1:] if not _is_credential_itxt(c)]
    return b"".join(out)


def unbake_png(png: bytes) -> str | None:
    """The text of the first ``openbadgecredential`` iTXt chunk, or ``None`` if there is none.

    Chunks are read in order up to that one: a damaged chunk before it is an error, chunks after
    it are not examined (the credential carries its own integrity check: its proof)."""
    _check_size(png, "PNG")
    for chunk in _iter_chunks(png):
        if _is_credential_itxt(chunk):
            if not chunk.crc_ok():
                raise BakingError("corrupt PNG: bad CRC on the openbadgecredential chunk")
            return _nonempty(_itxt_text(chunk.data))
    return None


def _itxt_text(data: bytes) -> str:
    """The text of an iTXt chunk's data (PNG §11.3.4.5), inflating it if it is compressed."""
    rest = data[len(_PNG_KEYWORD_BYTES) + 1 :]
    if len(rest) < 2:
        raise BakingError("corrupt openbadgecredential iTXt chunk")
    flag, method, rest = rest[0], rest[1], rest[2:]
    parts = rest.split(b"\x00", 2)  # language tag, translated keyword, text
    if len(parts) != 3:
        raise BakingError("corrupt openbadgecredential iTXt chunk")
    text = parts[2]
    if flag == 1 and method == 0:
        text = _inflate_capped(text)
    elif flag != 0:
        raise BakingError(f"unknown iTXt compression flag {flag} / method {method}")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError("openbadgecredential text is not UTF-8") from exc


def _inflate_capped(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(compressed, MAX_INPUT_BYTES + 1)
    except zlib.error as exc:
        raise BakingError(f"compressed openbadgecredential text is corrupt: {exc}") from exc
    if len(out) > MAX_INPUT_BYTES:
        raise BakingError(f"compressed openbadgecredential text inflates past {MAX_INPUT_BYTES}")
    if not inflater.eof:
        raise BakingError("compressed openbadgecredential text is truncated")
    return out


# ----------------------------------------------------------------------------------------- SVG

_SVG_NS = "http://www.w3.org/2000/svg"
_NS_SEP = " "
_CREDENTIAL_NAME = f"{SVG_NAMESPACE}{_NS_SEP}credential"


@dataclass
class _Element:
    start: int  # byte offset of "<"
    end: int = -1  # byte offset just after the element
    verify: str | None = None
    text: list[str] = field(default_factory=list)


@dataclass
class _SvgScan:
    """What one expat pass over an SVG found, as byte offsets into the UTF-8 input."""

    root_start: int = -1
    root_prefixes: dict[str, str] = field(default_factory=dict)
    credentials: list[_Element] = field(default_factory=list)
    first_child_start: int = -1


def _refuse_internal_subset(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
    if internal:
        raise BakingError("SVG declares a DTD internal subset (entities are refused)")


def _refuse_declaration(*_args: object) -> NoReturn:
    raise BakingError("SVG contains a DTD declaration (entities are refused)")


class _SvgScanner:
    """expat handlers for one pass over an SVG; the findings accumulate in :attr:`scan`."""

    def __init__(self, data: bytes, encoding: str | None, safety: SvgSafety | None) -> None:
        self.data = data
        self.safety = safety
        # offsets into the input are only meaningful when expat reads it as UTF-8 (baking)
        self.locate = encoding == "utf-8"
        self.scan = _SvgScan()
        self.depth = 0
        self.root_prefixes: dict[str, str] = {}
        self.open: list[tuple[_Element, int]] = []  # the outermost open credential, its depth
        self.parser = expat.ParserCreate(encoding, namespace_separator=_NS_SEP)
        self._harden()
        self.parser.StartNamespaceDeclHandler = self.start_namespace
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        if safety is not None:
            self.parser.ProcessingInstructionHandler = safety.processing_instruction

    def _harden(self) -> None:
        """No internal DTD subset, no declarations, no external entities, ever."""
        parser = self.parser
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_internal_subset
        parser.EntityDeclHandler = _refuse_declaration
        parser.UnparsedEntityDeclHandler = _refuse_declaration
        parser.ElementDeclHandler = _refuse_declaration
        parser.AttlistDeclHandler = _refuse_declaration
        parser.ExternalEntityRefHandler = _refuse_declaration

    def run(self) -> _SvgScan:
        try:
            self.parser.Parse(self.data, True)
        except expat.ExpatError as exc:
            raise BakingError(f"SVG is not well-formed XML: {exc}") from exc
        if self.safety is not None and self.safety.problem is not None:
            raise BakingError(
                f"the SVG has {self.safety.problem}; SVGs with script, event handlers or "
                "external references are not baked"
            )
        if self.scan.root_start < 0:  # pragma: no cover - expat requires a root element
            raise BakingError("SVG has no root element")
        return self.scan

    def start_namespace(self, prefix: str | None, uri: str) -> None:
        if self.depth == 0:  # declared on the root start tag
            self.root_prefixes[prefix or ""] = uri

    def start(self, name: str, attrs: dict[str, str]) -> None:
        index = self.parser.CurrentByteIndex
        if self.safety is not None:
            self.safety.start(name, attrs)
        if self.depth == 0:
            if name not in (f"{_SVG_NS}{_NS_SEP}svg", "svg"):
                raise BakingError(f"the root element is not <svg> but {name.split()[-1]!r}")
            self.scan.root_start = index
            self.scan.root_prefixes = dict(self.root_prefixes)
        elif self.depth == 1 and self.scan.first_child_start < 0:
            self.scan.first_child_start = index
        if name == _CREDENTIAL_NAME and not self.open:
            element = _Element(start=index, verify=attrs.get("verify"))
            self.scan.credentials.append(element)
            self.open.append((element, self.depth))
        self.depth += 1

    def end(self, name: str) -> None:
        if self.safety is not None:
            self.safety.end(name)
        self.depth -= 1
        if self.open and self.open[-1][1] == self.depth:
            element, _ = self.open.pop()
            if self.locate:
                element.end = _element_end(self.data, element.start, self.parser.CurrentByteIndex)

    def text(self, chunk: str) -> None:
        if self.safety is not None:
            self.safety.text(chunk)
        if self.open:
            self.open[-1][0].text.append(chunk)


def _scan_svg(data: bytes, encoding: str | None = None, *, serving: bool = False) -> _SvgScan:
    """Parse ``data`` once with expat, safely, recording the root and credential elements.

    ``serving``: the SVG will be served back (baking), so script, event handlers and external
    references are refused too (:mod:`schemas.svg_safety`).

    Byte offsets are recorded for UTF-8 input read as UTF-8 (``encoding="utf-8"``, as baking
    passes it); when expat decodes bytes itself (unbaking), element ends are left at -1.
    """
    return _SvgScanner(data, encoding, SvgSafety(_NS_SEP) if serving else None).run()


def _start_tag_end(data: bytes, start: int) -> int:
    """Offset just after the ``>`` closing the start tag at ``start`` (quotes may hold ``>``)."""
    quote = 0
    for i in range(start + 1, len(data)):
        c = data[i]
        if quote:
            if c == quote:
                quote = 0
        elif c in b"\"'":
            quote = c
        elif c == 0x3E:  # ">"
            return i + 1
    raise BakingError("unterminated start tag")  # pragma: no cover - expat checked it


def _element_end(data: bytes, start: int, end_event: int) -> int:
    """Offset just after an element: after its end tag, or after its start tag if empty-element.

    expat reports an end tag's ``CurrentByteIndex`` at its ``</``; for ``<x/>`` it points
    elsewhere, so we recognise the empty-element form from the start tag itself.
    """
    tag_end = _start_tag_end(data, start)
    if data[tag_end - 2 : tag_end] == b"/>":
        return tag_end
    if data[end_event : end_event + 2] != b"</":  # pragma: no cover - expat invariant
        raise BakingError("cannot locate the credential element's end tag")
    return data.index(b">", end_event) + 1


def _payload(element: _Element) -> str:
    if element.verify is not None:
        return _nonempty(element.verify.strip())
    return _nonempty("".join(element.text).strip())


def _nonempty(text: str) -> str:
    if not text:
        raise BakingError("the baked credential is empty")
    return text


def _svg_bytes_for_baking(svg: str | bytes) -> str:
    """The SVG as text. Bytes must be UTF-8 (a UTF-8 BOM is kept as U+FEFF)."""
    if isinstance(svg, str):
        return svg
    if not isinstance(svg, bytes | bytearray):
        raise BakingError(f"SVG must be str or bytes, not {type(svg).__name__}")
    try:
        return bytes(svg).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError("an SVG given as bytes must be UTF-8 to be baked") from exc


def _credential_element(credential: str) -> bytes:
    if _credential_kind(credential) == "jws":
        return f'<openbadges:credential verify="{credential}"/>'.encode()
    cdata = credential.replace("]]>", "]]]]><![CDATA[>")
    try:
        return f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>".encode()
    except UnicodeEncodeError as exc:
        raise BakingError("credential is not encodable as UTF-8") from exc


def bake_svg(svg: str | bytes, credential: str) -> str:
    """``svg`` with ``credential`` in an ``<openbadges:credential>`` right after the root's start
    tag; any existing credential element is removed. All other bytes are kept as they were."""
    _check_size(svg, "SVG")
    element = _credential_element(credential)
    data = _svg_bytes_for_baking(svg).encode("utf-8", "surrogatepass")
    _check_size(data, "SVG")
    scan = _scan_svg(data, "utf-8", serving=True)
    tag_end = _start_tag_end(data, scan.root_start)
    self_closing = data[tag_end - 2 : tag_end] == b"/>"
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), non-overlapping
    bound = scan.root_prefixes.get("openbadges")
    if bound is None:
        at = tag_end - (2 if self_closing else 1)
        edits.append((at, at, f' xmlns:openbadges="{SVG_NAMESPACE}"'.encode()))
    elif bound != SVG_NAMESPACE:
        raise BakingError(f"the SVG binds the prefix 'openbadges' to {bound!r}")
    if self_closing:
        root_name = re.match(rb"<([^\s/>]+)", data[scan.root_start :])
        assert root_name is not None  # expat parsed this tag
        edits.append((tag_end - 2, tag_end, b">" + element + b"</" + root_name[1] + b">"))
    else:
        edits.append((tag_end, tag_end, element))
        edits += [(old.start, old.end, b"") for old in scan.credentials]
    baked = _apply_edits(data, edits)
    _check_baked(baked, credential)
    return baked.decode("utf-8", "surrogatepass")


def _apply_edits(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out[start:end] = replacement
    return bytes(out)


def _check_baked(baked: bytes, credential: str) -> None:
    """Re-read what we baked: exactly one credential, first child of the root, same text."""
    _check_size(baked, "baked SVG")
    scan = _scan_svg(baked, "utf-8")
    if len(scan.credentials) != 1 or scan.credentials[0].start != scan.first_child_start:
        raise BakingError("baking did not leave exactly one credential element")  # pragma: no cover
    if _payload(scan.credentials[0]) != _xml_newlines(credential).strip():
        raise BakingError("the credential does not survive as XML text (invalid XML characters?)")


def _xml_newlines(text: str) -> str:
    """``text`` as an XML parser returns it: CR LF and lone CR become LF (XML 1.0 §2.11)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unbake_svg(svg: str | bytes) -> str | None:
    """The first ``<openbadges:credential>``'s ``verify`` attribute (a JWS) or its text (JSON,
    surrounding whitespace stripped); ``None`` if there is none."""
    _check_size(svg, "SVG")
    if isinstance(svg, str):
        scan = _scan_svg(svg.encode("utf-8", "surrogatepass"), "utf-8")
    elif isinstance(svg, bytes | bytearray):
        scan = _scan_svg(bytes(svg))  # expat honours the BOM / encoding declaration
    else:
        raise BakingError(f"SVG must be str or bytes, not {type(svg).__name__}")
    return _payload(scan.credentials[0]) if scan.credentials else None


# ------------------------------------------------------------------------------------ sniffing

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_PROLOG_ITEM = re.compile(
    r"""\s+ | <\?.*?\?> | <!--.*?--> | <!DOCTYPE(?:[^\[>"']|"[^"]*"|'[^']*')*(?:\[.*?\]\s*)?>""",
    re.DOTALL | re.VERBOSE,
)
_SVG_ROOT = re.compile(r"<svg[\s/>]")


def _looks_like_svg(data: bytes) -> bool:
    """``<svg`` after an optional BOM and prolog (XML declaration, comments, PIs, DOCTYPE)."""
    if data.startswith(_UTF16_BOMS):
        text = data.decode("utf-16", "replace")
    else:
        # markup is ASCII; latin-1 never fails and keeps byte positions
        text = data.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    pos = 0
    while match := _PROLOG_ITEM.match(text, pos):
        pos = match.end()
    return _SVG_ROOT.match(text, pos) is not None


def unbake(data: bytes) -> tuple[str, str] | None:
    """``("png"|"svg", credential text)`` from a baked image.

    ``None`` when ``data`` is neither a PNG (by signature) nor an SVG (by sniffing), or carries
    no credential. :class:`BakingError` when it is one of them but corrupt or unsafe.
    """
    _check_size(data, "image")
    data = bytes(data)
    if data.startswith(PNG_SIGNATURE):
        found, kind = unbake_png(data), "png"
    elif _looks_like_svg(data):
        found, kind = unbake_svg(data), "svg"
    else:
        return None
    return None if found is None else (kind, found)
