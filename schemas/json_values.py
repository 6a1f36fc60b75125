"""Reading JSON-LD members that may hold one value or an array of them.

JSON-LD lets ``type``, ``proof``, ``credentialSubject``, ``assertionMethod`` … be written either
way, so every reader needs the same small normalisation; it lives here once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["as_list"]


def as_list(value: Any) -> list[Any]:
    """``[]`` for an absent member (``None``), a copy of an array, or ``[value]``."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
