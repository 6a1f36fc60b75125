"""Unpadded base64url: jwcrypto's codec, read with one spelling per byte string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import base64url


@given(st.binary(max_size=64))
def test_round_trip_is_unpadded(data: bytes) -> None:
    text = base64url.encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert base64url.decode(text) == data


@pytest.mark.parametrize("bad", ["AQ==", "A", "AQ+/", "A Q", "AQ\n", 5])
def test_padding_foreign_characters_and_impossible_lengths_are_refused(bad: object) -> None:
    for canonical in (True, False):
        with pytest.raises(ValueError):
            base64url.decode(bad, canonical=canonical)  # type: ignore[arg-type]


def test_unused_low_bits_are_refused_unless_asked_not_to() -> None:
    assert base64url.encode(b"\x01") == "AQ"
    with pytest.raises(ValueError, match="canonical"):
        base64url.decode("AR")  # same byte, a non-zero unused bit
    assert base64url.decode("AR", canonical=False) == b"\x01"
