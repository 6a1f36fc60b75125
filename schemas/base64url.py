"""Unpadded base64url (RFC 4648 §5, as JOSE and multibase ``u`` write it), strictly read.

The codec itself is jwcrypto's; this module adds what a lenient decoder lacks. By default
:func:`decode` accepts exactly one spelling per byte string: no padding, no characters outside
the alphabet, no non-zero unused bits in the last character. A lenient decoder maps several
strings to the same bytes, so a token could be altered without changing what is verified, and two
different strings could claim to be the same credential.
"""

from __future__ import annotations

import binascii
import re

from jwcrypto.common import base64url_decode, base64url_encode

__all__ = ["decode", "encode"]

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def encode(data: bytes) -> str:
    """``data`` as unpadded base64url text."""
    text: str = base64url_encode(bytes(data))
    return text


def decode(value: str, *, canonical: bool = True) -> bytes:
    """The bytes behind unpadded base64url ``value``; ``ValueError`` if it is not that.

    ``canonical=False`` still refuses padding and foreign characters but accepts non-zero unused
    low bits in the last character (what older status lists were written with).
    """
    if not isinstance(value, str) or not _ALPHABET.fullmatch(value) or len(value) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data: bytes = base64url_decode(value)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the checks above rule out
        raise ValueError(f"not unpadded base64url: {exc}") from exc
    if canonical and encode(data) != value:
        raise ValueError("not canonical unpadded base64url")
    return data
