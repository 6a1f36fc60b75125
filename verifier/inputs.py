"""Every form a credential travels in, decoded into the credentials to verify.

Accepted, detected from the bytes themselves (a declared media type is only a hint):

* a JSON credential (``application/vc+ld+json``, ``application/json``, a ``.json`` file);
* a compact JWS: a VC-JWT in any of the three profiles :mod:`keys.suites.vc_jwt` reads;
* a baked PNG (``iTXt`` chunk ``openbadgecredential``) or SVG (``<openbadges:credential>``
  with CDATA JSON or a ``verify`` attribute), through :func:`schemas.baking.unbake`;
* a VerifiablePresentation (JSON): each of its ``verifiableCredential`` entries, which may be
  embedded credentials, compact JWS strings, or VC 2.0 ``EnvelopedVerifiableCredential``
  objects whose ``id`` is a ``data:application/vc+jwt,<JWS>`` URL. The presentation itself is
  returned too, so the pipeline can check the holder's proof.

Anything else is :class:`UnusableInput` (CLI exit 64, HTTP 400): the only condition that stops
verification before the checks run. A JWS is decoded here *without* verifying it, only to learn
what it claims; the ``proof`` check verifies it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_to_bytes

from microcred.messages import Message, as_sentence
from schemas.baking import PNG_SIGNATURE, BakingError, unbake
from schemas.json_values import parse_json, type_names

__all__ = [
    "BADGE_LINK_ACCEPT",
    "MAX_INPUT_BYTES",
    "Parsed",
    "ParsedInput",
    "Presentation",
    "UnusableInput",
    "decode_jws",
    "is_compact_jws",
    "parse_input",
]

#: Largest input accepted in any form (a baked image included). Credentials are kilobytes.
MAX_INPUT_BYTES = 2 * 1024 * 1024
#: What a badge link is asked for: the credential itself, JSON first, a JWS as text accepted.
BADGE_LINK_ACCEPT = (
    "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.8, "
    "application/vc+jwt;q=0.7, application/jwt;q=0.7, text/plain;q=0.5, image/png;q=0.3, "
    "image/svg+xml;q=0.3"
)
#: Most credentials a presentation may carry; beyond this it is not an exchange but a flood.
MAX_PRESENTATION_CREDENTIALS = 64

_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.ASCII)
#: JWT claims that are not credential members (OB 3.0 / VC-JWT payloads put both side by side).
_JWT_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_ENVELOPED_TYPE = "EnvelopedVerifiableCredential"
_ENVELOPED_MEDIA_TYPES = ("application/vc+jwt", "application/jwt", "application/vc+ld+json+jwt")

Kind = Literal["ldp", "jwt"]


class UnusableInput(ValueError):
    """The input is not a credential in any form we read. ``source`` says which input."""

    def __init__(self, message: str, *, source: str = "input") -> None:
        message = as_sentence(message)
        super().__init__(message)
        self.message = message
        self.source = source


@dataclass(frozen=True)
class Parsed:
    """One credential to verify.

    ``document`` is the credential as JSON (for a JWT: what its payload claims, not yet
    verified). ``jwt_token`` is the compact JWS for ``kind == "jwt"``. ``container`` says what
    it came in (``json``, ``jws``, ``png``, ``svg``, ``presentation``) and ``path`` where inside
    it (``verifiableCredential[1]``), for the report.
    """

    kind: Kind
    document: dict[str, Any]
    jwt_token: str | None
    source: str
    container: str = "json"
    path: str | None = None

    @property
    def label(self) -> str:
        return f"{self.source} {self.path}" if self.path else self.source


@dataclass(frozen=True)
class Presentation:
    """A VerifiablePresentation whose holder proof the pipeline checks."""

    document: dict[str, Any]
    source: str


@dataclass(frozen=True)
class ParsedInput:
    """What one input holds: its credentials and, for a presentation, the presentation."""

    credentials: tuple[Parsed, ...]
    presentation: Presentation | None = None


# --------------------------------------------------------------------------------------------


def is_compact_jws(text: str) -> bool:
    """Whether ``text`` has the shape of a compact JWS (three base64url parts; not verified)."""
    return _JWS.fullmatch(text.strip()) is not None


#: What is wrong with a JWS part (``header``, ``payload``): not base64url JSON, not an object.
_JWS_PARTS: dict[str, tuple[Callable[[str], Message], Message]] = {
    "header": (
        lambda error: Message("the JWS header is not base64url JSON (%(error)s)", error=error),
        Message("the JWS header is not a JSON object"),
    ),
    "payload": (
        lambda error: Message("the JWS payload is not base64url JSON (%(error)s)", error=error),
        Message("the JWS payload is not a JSON object"),
    ),
}


def _b64url_json(part: str, what: str, source: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = parse_json(raw.decode("utf-8"))
    except (binascii.Error, ValueError) as exc:
        raise UnusableInput(_JWS_PARTS[what][0](str(exc)), source=source) from None
    if not isinstance(value, dict):
        raise UnusableInput(_JWS_PARTS[what][1], source=source)
    return value


def decode_jws(token: str, *, source: str = "input") -> tuple[dict[str, Any], dict[str, Any]]:
    """``(header, payload)`` of a compact JWS, *unverified*: only to see what it claims."""
    token = token.strip()
    if not _JWS.fullmatch(token):
        raise UnusableInput(Message("not a compact JWS (three base64url parts)"), source=source)
    header_part, payload_part, _ = token.split(".")
    return _b64url_json(header_part, "header", source), _b64url_json(
        payload_part, "payload", source
    )


def _jwt_credential(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The credential a VC-JWT payload claims: the ``vc`` claim (VC 1.1) or the payload minus
    the JWT claims (OB 3.0 and VC-JOSE-COSE). Verification replaces it with what
    :func:`keys.suites.vc_jwt.verify_jwt` established."""
    if isinstance(payload.get("vc"), dict):
        return dict(payload["vc"])
    return {k: v for k, v in payload.items() if k not in _JWT_CLAIMS}


def _from_jws(token: str, *, source: str, container: str, path: str | None) -> Parsed:
    _header, payload = decode_jws(token, source=source)
    if "vp" in payload:
        raise UnusableInput(
            Message(
                "a presentation secured as a JWT (VP-JWT) is not supported; send the "
                "presentation as JSON with an embedded proof"
            ),
            source=source,
        )
    credential = _jwt_credential(payload)
    if "VerifiableCredential" not in type_names(credential):
        raise UnusableInput(
            Message("the JWS payload is not a VerifiableCredential (its type lacks it)"),
            source=source,
        )
    return Parsed("jwt", credential, token.strip(), source, container, path)


def _from_enveloped(entry: Mapping[str, Any], *, source: str, path: str) -> Parsed:
    """A VC 2.0 ``EnvelopedVerifiableCredential``: ``data:application/vc+jwt,<JWS>``."""
    data_url = entry.get("id")
    if not isinstance(data_url, str) or not data_url.startswith("data:"):
        raise UnusableInput(
            Message("%(path)s: an enveloped credential needs a data: URL id", path=path),
            source=source,
        )
    header, sep, body = data_url[len("data:") :].partition(",")
    media_type = header.split(";", 1)[0].strip().lower()
    if not sep or media_type not in _ENVELOPED_MEDIA_TYPES:
        raise UnusableInput(
            Message(
                "%(path)s: enveloped credential of media type %(type)s is not supported",
                path=path,
                type=repr(media_type),
            ),
            source=source,
        )
    if ";base64" in header:
        try:
            token = base64.b64decode(body, validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            raise UnusableInput(
                Message("%(path)s: the data: URL is not base64", path=path), source=source
            ) from None
    else:
        token = unquote_to_bytes(body).decode("ascii", "replace")
    return _from_jws(token, source=source, container="presentation", path=path)


def _from_presentation(document: dict[str, Any], *, source: str) -> ParsedInput:
    entries = document.get("verifiableCredential")
    entries = entries if isinstance(entries, list) else ([entries] if entries else [])
    if not entries:
        raise UnusableInput(Message("the presentation holds no credential"), source=source)
    if len(entries) > MAX_PRESENTATION_CREDENTIALS:
        raise UnusableInput(
            Message(
                "the presentation holds %(count)s credentials; at most %(limit)s are verified "
                "at once",
                count=len(entries),
                limit=MAX_PRESENTATION_CREDENTIALS,
            ),
            source=source,
        )
    credentials: list[Parsed] = []
    for index, entry in enumerate(entries):
        path = f"verifiableCredential[{index}]"
        if isinstance(entry, str):
            credentials.append(_from_jws(entry, source=source, container="presentation", path=path))
        elif isinstance(entry, dict) and _ENVELOPED_TYPE in type_names(entry):
            credentials.append(_from_enveloped(entry, source=source, path=path))
        elif isinstance(entry, dict) and "VerifiableCredential" in type_names(entry):
            credentials.append(Parsed("ldp", entry, None, source, "presentation", path))
        else:
            raise UnusableInput(Message("%(path)s is not a credential", path=path), source=source)
    return ParsedInput(tuple(credentials), Presentation(document, source))


def _from_json_document(document: Any, *, source: str, container: str) -> ParsedInput:
    if not isinstance(document, dict):
        raise UnusableInput(Message("the JSON is not an object"), source=source)
    types = type_names(document)
    if "VerifiablePresentation" in types:
        return _from_presentation(document, source=source)
    if "VerifiableCredential" not in types:
        shown = ", ".join(types) or "none"
        raise UnusableInput(
            Message(
                "the JSON is not a VerifiableCredential or VerifiablePresentation (type: %(type)s)",
                type=shown,
            ),
            source=source,
        )
    return ParsedInput((Parsed("ldp", document, None, source, container),))


def _from_text(text: str, *, source: str, container: str) -> ParsedInput:
    stripped = text.strip().lstrip("\ufeff").strip()
    if stripped.startswith("{"):
        try:
            document = parse_json(stripped)
        except (ValueError, RecursionError) as exc:
            raise UnusableInput(
                Message("not valid JSON: %(error)s", error=str(exc)), source=source
            ) from None
        return _from_json_document(document, source=source, container=container)
    if _JWS.fullmatch(stripped):
        jws_container = "jws" if container == "json" else container
        return ParsedInput(
            (_from_jws(stripped, source=source, container=jws_container, path=None),)
        )
    raise UnusableInput(
        Message("not a credential: expected JSON, a compact JWS, or a baked PNG/SVG badge"),
        source=source,
    )


def parse_input(data: bytes | str | Mapping[str, Any], *, source: str = "input") -> ParsedInput:
    """Decode one input into the credentials it holds; raise :class:`UnusableInput` if none.

    ``data`` is raw bytes (a file, a request body, a fetched badge link), text, or an already
    parsed JSON object.
    """
    if isinstance(data, Mapping):
        return _from_json_document(dict(data), source=source, container="json")
    if len(data) > MAX_INPUT_BYTES:
        raise UnusableInput(
            Message("the input is larger than %(limit)s bytes", limit=MAX_INPUT_BYTES),
            source=source,
        )
    if isinstance(data, str):
        return _from_text(data, source=source, container="json")
    raw = bytes(data)
    head = raw.lstrip()[:1]
    if raw.startswith(PNG_SIGNATURE) or head == b"<" or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            baked = unbake(raw)
        except BakingError as exc:
            raise UnusableInput(
                Message("unreadable baked image: %(error)s", error=str(exc)), source=source
            ) from None
        if baked is None:
            raise UnusableInput(
                Message("the PNG carries no Open Badges credential (no openbadgecredential chunk)")
                if raw.startswith(PNG_SIGNATURE)
                else Message(
                    "not a credential: markup that is not an SVG badge with a baked credential"
                ),
                source=source,
            )
        kind, text = baked
        return _from_text(text, source=source, container=kind)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnusableInput(
            Message("not a credential: binary data that is neither UTF-8 text nor a PNG"),
            source=source,
        ) from None
    return _from_text(text, source=source, container="json")
