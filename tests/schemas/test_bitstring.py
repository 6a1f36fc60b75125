"""The Bitstring Status List codec: encoding, MSB-first bit order, and hostile-input guards."""

from __future__ import annotations

import base64
import gzip
import json
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.bitstring import (
    MAX_DECODED_BYTES,
    MIN_LIST_ENTRIES,
    Bitstring,
    MalformedStatusIndex,
    MalformedStatusList,
    StatusIndexOutOfRange,
    StatusListError,
    StatusListTooShort,
    parse_status_index,
)
from schemas.errors import SchemasError

DCV_TESTLIST = (
    "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/"
    "bit-string-list/testlist"
)
MIN_BYTES = MIN_LIST_ENTRIES // 8


def encode_raw(raw: bytes, *, prefix: str = "u") -> str:
    """An encodedList for arbitrary bytes, built independently of the module under test."""
    return prefix + base64.urlsafe_b64encode(gzip.compress(raw)).rstrip(b"=").decode()


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -------------------------------------------------------------------------------- round trips


def test_new_list_is_empty_and_minimum_sized() -> None:
    bits = Bitstring()
    assert bits.entries == MIN_LIST_ENTRIES
    assert bits.status_size == 1
    assert bits.to_bytes() == bytes(MIN_BYTES)
    assert bits.set_indexes() == []


def test_round_trip() -> None:
    bits = Bitstring()
    for i in (0, 1, 7, 8, 23, 4242, MIN_LIST_ENTRIES - 1):
        bits.set(i, 1)
    encoded = bits.encode()
    back = Bitstring.decode(encoded)
    assert back == bits
    assert back.set_indexes() == [0, 1, 7, 8, 23, 4242, MIN_LIST_ENTRIES - 1]
    back.set(23, 0)
    assert back.get(23) == 0
    assert back.set_indexes() == [0, 1, 7, 8, 4242, MIN_LIST_ENTRIES - 1]


def test_encoding_is_multibase_base64url_gzip_and_deterministic() -> None:
    bits = Bitstring()
    bits.set(99, 1)
    encoded = bits.encode()
    assert encoded == bits.encode()
    assert encoded.startswith("uH4sI")  # "u" + base64url of the gzip magic 1f 8b 08
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert raw[4:8] == bytes(4)  # gzip MTIME is zero: no timestamp in the signed list
    assert gzip.decompress(raw) == bits.to_bytes()


def test_decodes_other_implementations_encoding() -> None:
    raw = bytearray(MIN_BYTES)
    raw[100] = 0x81
    bits = Bitstring.decode(encode_raw(bytes(raw)))
    assert bits.set_indexes() == [800, 807]


# ------------------------------------------------------------------------------- bit order


def test_msb_first_against_hand_computed_bytes() -> None:
    bits = Bitstring()
    bits.set(0, 1)  # byte 0, mask 0x80
    bits.set(7, 1)  # byte 0, mask 0x01
    bits.set(9, 1)  # byte 1, mask 0x40
    bits.set(23, 1)  # byte 2, mask 0x01
    raw = bits.to_bytes()
    assert raw[:4] == bytes([0x81, 0x40, 0x01, 0x00])
    assert raw[4:] == bytes(MIN_BYTES - 4)


def test_msb_first_when_reading_hand_built_bytes() -> None:
    raw = bytearray(MIN_BYTES)
    raw[2] = 0x10  # bit 16 + 3 = index 19
    raw[-1] = 0x01  # the very last index
    bits = Bitstring.decode(encode_raw(bytes(raw)))
    assert bits.get(19) == 1
    assert bits.get(18) == 0 and bits.get(20) == 0
    assert bits.set_indexes() == [19, MIN_LIST_ENTRIES - 1]


def test_dcv_testlist_has_exactly_index_23(vendor: Path) -> None:
    credential = json.loads((vendor / DCV_TESTLIST).read_text())
    encoded = credential["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")  # the fixture carries the multibase prefix: strict decode
    bits = Bitstring.decode(encoded)
    assert bits.entries == MIN_LIST_ENTRIES
    assert bits.set_indexes() == [23]
    assert bits.get(23) == 1
    assert bits.to_bytes()[2] == 0x01


# -------------------------------------------------------------------------------- status size


def test_status_size_2() -> None:
    bits = Bitstring(status_size=2)
    assert bits.entries == MIN_LIST_ENTRIES
    assert len(bits.to_bytes()) == 2 * MIN_BYTES
    bits.set(5, 3)  # bits 10, 11 -> byte 1, masks 0x20 | 0x10
    bits.set(6, 2)  # bits 12, 13 = "10" -> byte 1, mask 0x08
    bits.set(0, 1)  # bits 0, 1 = "01" -> byte 0, mask 0x40
    assert bits.to_bytes()[:2] == bytes([0x40, 0x38])
    back = Bitstring.decode(bits.encode(), status_size=2)
    assert [back.get(i) for i in range(8)] == [1, 0, 0, 0, 0, 3, 2, 0]
    assert back.set_indexes() == [0, 5, 6]
    with pytest.raises(ValueError):
        back.set(1, 4)


def test_status_size_3_crosses_a_byte_boundary() -> None:
    bits = Bitstring(status_size=3)
    bits.set(2, 0b101)  # bits 6, 7, 8 = 1, 0, 1
    assert bits.to_bytes()[:2] == bytes([0x02, 0x80])
    assert bits.get(2) == 5
    assert bits.get(1) == 0 and bits.get(3) == 0


def test_status_size_changes_the_entry_count() -> None:
    raw = encode_raw(bytes(MIN_BYTES))
    with pytest.raises(StatusListTooShort):
        Bitstring.decode(raw, status_size=2)  # 131072 bits / 2 = 65536 entries
    assert Bitstring.decode(raw, status_size=2, min_entries=65_536).entries == 65_536


@pytest.mark.parametrize("size", [0, -1, True, 1.0])
def test_bad_status_size(size: object) -> None:
    with pytest.raises(ValueError):
        Bitstring(status_size=size)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ length, range


def test_too_short_list() -> None:
    with pytest.raises(StatusListTooShort):
        Bitstring.decode(encode_raw(bytes(MIN_BYTES - 1)))
    with pytest.raises(StatusListTooShort):
        Bitstring.decode(encode_raw(b""))


def test_too_short_can_be_relaxed_explicitly() -> None:
    bits = Bitstring.decode(encode_raw(b"\x80"), min_entries=8)
    assert bits.entries == 8 and bits.set_indexes() == [0]


def test_new_list_refuses_fewer_than_minimum_entries() -> None:
    with pytest.raises(StatusListTooShort):
        Bitstring(MIN_LIST_ENTRIES - 1)
    assert Bitstring(MIN_LIST_ENTRIES + 3).entries == MIN_LIST_ENTRIES + 3


def test_index_out_of_range() -> None:
    bits = Bitstring()
    for bad in (MIN_LIST_ENTRIES, MIN_LIST_ENTRIES + 1, -1, 10**30):
        with pytest.raises(StatusIndexOutOfRange):
            bits.get(bad)
        with pytest.raises(StatusIndexOutOfRange):
            bits.set(bad, 1)
    assert bits.get(MIN_LIST_ENTRIES - 1) == 0


def test_index_must_be_an_int() -> None:
    bits = Bitstring()
    for bad in ("5", 5.0, True):
        with pytest.raises(TypeError):
            bits.get(bad)  # type: ignore[arg-type]


def test_error_hierarchy() -> None:
    for cls in (MalformedStatusList, StatusListTooShort, StatusIndexOutOfRange):
        assert issubclass(cls, StatusListError)
    assert issubclass(StatusListError, SchemasError)
    assert issubclass(MalformedStatusIndex, MalformedStatusList)


# ---------------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "u",
        "uA",  # one base64 character cannot encode a byte
        "u" + b64u(gzip.compress(bytes(MIN_BYTES))) + "==",  # padding is not allowed
        "u" + b64u(gzip.compress(bytes(MIN_BYTES))).replace("-", "+").replace("_", "/") + "+/",
        "u H4sI",
        "uH4sI\n",
        "z" + b64u(gzip.compress(bytes(MIN_BYTES))),  # another multibase base
    ],
)
def test_malformed_encoding(encoded: str) -> None:
    with pytest.raises(MalformedStatusList):
        Bitstring.decode(encoded)


def test_missing_prefix_is_refused_unless_lenient() -> None:
    raw = bytearray(MIN_BYTES)
    raw[0] = 0x80
    bare = b64u(gzip.compress(bytes(raw)))
    with pytest.raises(MalformedStatusList, match="prefix"):
        Bitstring.decode(bare)
    assert Bitstring.decode(bare, lenient=True).set_indexes() == [0]
    padded = base64.urlsafe_b64encode(gzip.compress(bytes(raw))).decode()
    assert Bitstring.decode(padded, lenient=True).set_indexes() == [0]
    assert Bitstring.decode("u" + bare, lenient=True).set_indexes() == [0]


@pytest.mark.parametrize("encoded", [None, 5, b"uH4sI"])
def test_not_a_string(encoded: object) -> None:
    with pytest.raises(MalformedStatusList):
        Bitstring.decode(encoded)  # type: ignore[arg-type]


def test_bad_gzip() -> None:
    payload = bytes(MIN_BYTES)
    good = gzip.compress(payload)
    cases = {
        "not compressed": payload,
        "zlib, not gzip": zlib.compress(payload),
        "truncated": good[:-5],
        "bad checksum": good[:-8] + bytes(4) + good[-4:],
        "trailing bytes": good + b"junk",
    }
    for name, compressed in cases.items():
        with pytest.raises(MalformedStatusList):
            Bitstring.decode("u" + b64u(compressed))
            pytest.fail(name)


def test_too_long_encoded_value_is_refused_before_decoding() -> None:
    with pytest.raises(MalformedStatusList, match="longer"):
        Bitstring.decode("u" + "A" * (MAX_DECODED_BYTES * 2))


def test_gzip_bomb_is_refused_quickly_without_inflating_it() -> None:
    # 100 MB of zeros, compressed in 1 MB steps so the test itself never holds 100 MB
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(deflater.compress(zeros) for _ in range(100)) + deflater.flush()
    assert len(bomb) < 200_000
    encoded = "u" + b64u(bomb)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(MalformedStatusList, match="inflates"):
            Bitstring.decode(encoded)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 5
    assert peak < 40 * 1024 * 1024  # the 16 MiB cap (plus slack), never 100 MB


def test_largest_allowed_list_decodes() -> None:
    raw = bytearray(MAX_DECODED_BYTES)
    raw[-1] = 1
    assert Bitstring.decode(encode_raw(bytes(raw))).get(MAX_DECODED_BYTES * 8 - 1) == 1


# ------------------------------------------------------------------------ parse_status_index


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("23", 23), ("131071", 131071), ("007", 7)]
)
def test_parse_status_index(value: str, expected: int) -> None:
    assert parse_status_index(value) == expected
    assert parse_status_index(value, strict=True) == expected


@pytest.mark.parametrize(
    "value",
    ["", "-1", "+1", "01x", " 5", "5 ", "5\n", "1_000", "1e3", "0x10", "٣", "²", "5.0"],
)
def test_parse_status_index_refuses_non_decimal_strings(value: str) -> None:
    with pytest.raises(MalformedStatusIndex):
        parse_status_index(value)


def test_parse_status_index_ints_only_when_not_strict() -> None:
    assert parse_status_index(23) == 23
    with pytest.raises(MalformedStatusIndex):
        parse_status_index(23, strict=True)
    with pytest.raises(MalformedStatusIndex):
        parse_status_index(-1)


@pytest.mark.parametrize("value", [True, False, 5.0, None, [5], b"5"])
def test_parse_status_index_refuses_other_types(value: object) -> None:
    with pytest.raises(MalformedStatusIndex):
        parse_status_index(value)


def test_parse_status_index_huge_number_is_out_of_range_not_slow() -> None:
    with pytest.raises(StatusIndexOutOfRange):
        parse_status_index("9" * 100_000)
    assert parse_status_index("0" * 50 + "5") == 5


# ---------------------------------------------------------------------------------- property


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=4),
    data=st.data(),
)
def test_round_trip_over_random_entries(size: int, data: st.DataObject) -> None:
    statuses = data.draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=MIN_LIST_ENTRIES - 1),
            st.integers(min_value=1, max_value=(1 << size) - 1),
            max_size=64,
        )
    )
    bits = Bitstring(status_size=size)
    for index, value in statuses.items():
        bits.set(index, value)
    back = Bitstring.decode(bits.encode(), status_size=size)
    assert back.set_indexes() == sorted(statuses)
    for index, value in statuses.items():
        assert back.get(index) == value
        bit = index * size  # the entry's first bit, read MSB-first by hand
        first = (back.to_bytes()[bit // 8] >> (7 - bit % 8)) & 1
        assert first == value >> (size - 1)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_LIST_ENTRIES - 1), max_size=200))
def test_round_trip_over_random_index_sets(indexes: set[int]) -> None:
    bits = Bitstring()
    for index in indexes:
        bits.set(index, 1)
    assert Bitstring.decode(bits.encode()).set_indexes() == sorted(indexes)
