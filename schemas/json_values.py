"""Reading JSON-LD members that may hold one value or an array of them.

JSON-LD lets ``type``, ``proof``, ``credentialSubject``, ``assertionMethod`` … be written either
way, so every reader needs the same small normalisation; it lives here once. The readers are
lenient on purpose: they look at documents nobody has validated yet (a verifier's input, a
fetched status list), so an odd shape yields fewer values, never an exception.

:func:`parse_json` is the one strict JSON reading (fetched documents, a verifier's input).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["as_list", "objects", "parse_json", "strings", "type_names"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str | bytes) -> Any:
    """Strict JSON: Python's ``NaN``/``Infinity`` extensions are not valid in any document, so
    they raise :class:`ValueError` (``"NaN is not JSON"``) like any other malformed input."""
    return json.loads(text, parse_constant=_reject_constant)


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
