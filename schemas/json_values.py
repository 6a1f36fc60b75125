"""Reading JSON-LD members that may hold one value or an array of them.

JSON-LD lets ``type``, ``proof``, ``credentialSubject``, ``assertionMethod`` … be written either
way, so every reader needs the same small normalisation; it lives here once. The readers are
lenient on purpose: they look at documents nobody has validated yet (a verifier's input, a
fetched status list), so an odd shape yields fewer values, never an exception.

:func:`parse_json` is the one strict JSON reading (fetched documents, a verifier's input).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "DuplicateMember",
    "JsonTooDeep",
    "as_list",
    "objects",
    "parse_json",
    "strings",
    "type_names",
    "unique_members",
]

#: Deepest nesting of arrays/objects :func:`parse_json` reads. RFC 8259 §9 lets a parser limit
#: it; credentials nest about ten levels, and Python's decoder (and every recursive walk after
#: it) would hit the interpreter's recursion limit near a thousand, as a 500.
MAX_JSON_DEPTH = 64

#: A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
_DEPTH_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class JsonTooDeep(json.JSONDecodeError):
    """The document nests deeper than the limit: malformed input for every caller that already
    handles :class:`json.JSONDecodeError` (so an HTTP body is a 400, never a RecursionError)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_depth(text: str, max_depth: int) -> None:
    """Raise :class:`JsonTooDeep` at the first bracket beyond ``max_depth``: a flat scan, so
    it runs before anything recursive. Malformed text is left to the decoder to report."""
    depth = 0
    for token in _DEPTH_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(f"nested more than {max_depth} levels deep", text, token.start())
        elif bracket in "]}":
            depth -= 1


def parse_json(
    text: str | bytes | bytearray,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """Strict JSON: Python's ``NaN``/``Infinity`` extensions are not valid in any document, so
    they raise :class:`ValueError` (``"NaN is not JSON"``) like any other malformed input, and
    a document nested deeper than ``max_depth`` raises :class:`JsonTooDeep` (a
    :class:`json.JSONDecodeError`). Bytes are decoded as :func:`json.loads` decodes them
    (UTF-8/16/32 by detection), so :class:`UnicodeDecodeError` is possible too.
    ``object_pairs_hook`` is :func:`json.loads`'s (a reader that refuses duplicate members)."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
    _check_depth(text, max_depth)
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=object_pairs_hook)


class DuplicateMember(ValueError):
    """A JSON object names one member twice: readers disagree on which value counts (Python
    keeps the last), so a signed header or payload that does this is refused."""


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`parse_json` that raises :class:`DuplicateMember`."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise DuplicateMember(f"duplicate JSON member {name!r}")
        result[name] = value
    return result


def as_list(value: Any) -> list[Any]:
    """``[]`` for an absent member (``None``), a copy of an array, or ``[value]``."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects of a one-or-many member (``credentialSubject``, ``evidence`` …), in
    order; members of another kind are skipped."""
    return [item for item in as_list(value) if isinstance(item, Mapping)]


def strings(value: Any) -> list[str]:
    """The strings of a one-or-many member, in order; other values (numbers, objects, ``null``
    inside the array) are skipped, so ``"A"`` → ``["A"]`` and ``["A", 1, "B"]`` → ``["A", "B"]``."""
    return [item for item in as_list(value) if isinstance(item, str)]


def type_names(node: Any) -> list[str]:
    """The names in a JSON object's ``type`` member (a string or an array of them); ``[]`` when
    ``node`` is not an object or has no usable ``type``."""
    if not isinstance(node, Mapping):
        return []
    return strings(node.get("type"))
