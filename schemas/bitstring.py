"""The Bitstring Status List codec (W3C Bitstring Status List v1.0), shared by issuer and verifier.

Why a module of its own: the issuer writes ``encodedList`` and the verifier reads lists that
strangers publish, and both must agree bit for bit. So this is the one place that knows

* the encoding: ``"u"`` (the multibase base64url prefix) + base64url *without padding* of the
  GZIP-compressed bitstring. :meth:`Bitstring.encode` is deterministic (gzip ``mtime=0``), so
  re-publishing an unchanged list yields the same bytes and the same signature input;
* the bit order: most significant bit first. Entry ``i`` occupies bits ``i*size .. i*size+size-1``
  and bit ``b`` lives in byte ``b // 8`` under mask ``0x80 >> (b % 8)``; a multi-bit entry is
  read as a big-endian number over its bits (checked against the 1EdTech validator's fixture);
* the spec's validation errors, one exception each (the verifier maps them to result codes):
  :class:`StatusListTooShort` = ``STATUS_LIST_LENGTH_ERROR``, :class:`StatusIndexOutOfRange` =
  ``RANGE_ERROR``, :class:`MalformedStatusList` = ``MALFORMED_VALUE_ERROR``.

Decoding treats its input as hostile: the compressed size and the decompressed size are both
capped *while* decompressing (a few kilobytes of gzip can inflate to gigabytes), and gzip
framing errors or trailing bytes are refused rather than guessed around.

No I/O and no keys live here: fetching and verifying the list credential is the verifier's job.
"""

from __future__ import annotations

import gzip
import re
import zlib

from schemas import base64url
from schemas.errors import SchemasError

__all__ = [
    "MAX_DECODED_BYTES",
    "MIN_LIST_ENTRIES",
    "Bitstring",
    "MalformedStatusIndex",
    "MalformedStatusList",
    "StatusIndexOutOfRange",
    "StatusListError",
    "StatusListTooShort",
    "parse_status_index",
]

#: 16 KiB of bits: the spec's minimum list length, so one set bit hides among many (herd privacy).
MIN_LIST_ENTRIES = 131_072
#: Decompression-bomb guard: a decoded bitstring larger than this is refused.
MAX_DECODED_BYTES = 16 * 1024 * 1024

#: gzip cannot shrink random data, so a valid encodedList is never much longer than this.
_MAX_ENCODED_CHARS = (MAX_DECODED_BYTES + 1024) * 4 // 3 + 4
#: ``wbits`` for zlib that accepts the gzip wrapper only (not raw deflate, not zlib).
_GZIP_WBITS = 16 + zlib.MAX_WBITS
#: Decimal digits in ASCII only: ``str.isdigit`` and ``int()`` also accept "٣", "²", " 5", "1_0".
_DECIMAL = re.compile(r"[0-9]+", re.ASCII)
#: More digits than this is beyond any list :data:`MAX_DECODED_BYTES` allows (and keeps ``int()``
#: from converting a megabyte of digits).
_MAX_INDEX_DIGITS = 20


class StatusListError(SchemasError):
    """Base class of every Bitstring Status List error."""


class MalformedStatusList(StatusListError):
    """``encodedList`` is not ``"u"`` + base64url, not a complete gzip stream, or decodes to more
    than :data:`MAX_DECODED_BYTES` (``MALFORMED_VALUE_ERROR``)."""


class MalformedStatusIndex(MalformedStatusList):
    """A ``statusListIndex`` that is not a base-10 string of ASCII digits.

    A subclass of :class:`MalformedStatusList` because the spec has a single
    ``MALFORMED_VALUE_ERROR`` for both."""


class StatusListTooShort(StatusListError):
    """Fewer than the minimum number of entries (``STATUS_LIST_LENGTH_ERROR``); ``entries``
    and ``minimum`` say by how much, so a report can give the spec's error with its figures."""

    def __init__(self, message: str, *, entries: int, minimum: int = MIN_LIST_ENTRIES) -> None:
        super().__init__(message)
        self.entries = entries
        self.minimum = minimum


class StatusIndexOutOfRange(StatusListError):
    """An index outside the list (``RANGE_ERROR``)."""


class Bitstring:
    """A mutable list of ``entries`` statuses, ``status_size`` bits each, MSB first.

    A new list is all zeros and refuses fewer than :data:`MIN_LIST_ENTRIES` entries, so an
    issuer cannot publish a list that verifiers would reject as too short.
    """

    __slots__ = ("_bits", "_entries", "_size")

    def __init__(self, entries: int = MIN_LIST_ENTRIES, *, status_size: int = 1) -> None:
        _check_status_size(status_size)
        if not _is_int(entries):
            raise TypeError(f"entries must be an int, not {type(entries).__name__}")
        if entries < MIN_LIST_ENTRIES:
            raise StatusListTooShort(
                f"a status list needs at least {MIN_LIST_ENTRIES} entries, got {entries}",
                entries=entries,
            )
        n_bytes = -(-entries * status_size // 8)
        if n_bytes > MAX_DECODED_BYTES:
            raise ValueError(f"{entries} entries of {status_size} bits exceed MAX_DECODED_BYTES")
        self._bits = bytearray(n_bytes)
        self._entries = entries
        self._size = status_size

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        status_size: int = 1,
        min_entries: int = MIN_LIST_ENTRIES,
        lenient: bool = False,
    ) -> Bitstring:
        """Expand an ``encodedList`` value.

        ``lenient=True`` also accepts base64url *without* the ``"u"`` multibase prefix, with or
        without ``=`` padding: that is how the older StatusList2021 encoded the same gzip
        bitstring. Bitstring Status List v1.0 requires the prefix, so the default refuses it.
        (The 1EdTech validator's fixture ``bit-string-list/testlist`` does carry the prefix and
        decodes strictly.)

        Raises :class:`MalformedStatusList`, or :class:`StatusListTooShort` when the list has
        fewer than ``min_entries`` entries of ``status_size`` bits.
        """
        _check_status_size(status_size)
        return cls.from_bytes(
            cls.inflate(encoded, lenient=lenient), status_size=status_size, min_entries=min_entries
        )

    @staticmethod
    def inflate(encoded: str, *, lenient: bool = False) -> bytes:
        """The uncompressed bits of an ``encodedList``, before any entry size is applied.

        A verifier that keeps a verified list decodes it once with this and reads each entry
        through :meth:`from_bytes` at that entry's ``statusSize``. Raises
        :class:`MalformedStatusList` as :meth:`decode` does.
        """
        return _gunzip_capped(_base64url_body(encoded, lenient=lenient))

    @classmethod
    def from_bytes(
        cls, raw: bytes, *, status_size: int = 1, min_entries: int = MIN_LIST_ENTRIES
    ) -> Bitstring:
        """A list over the uncompressed bits ``raw`` (copied), ``status_size`` bits an entry.

        Raises :class:`StatusListTooShort` when that makes fewer than ``min_entries`` entries.
        """
        _check_status_size(status_size)
        entries = len(raw) * 8 // status_size
        if entries < min_entries:
            raise StatusListTooShort(
                f"status list has {entries} entries of {status_size} bit(s); "
                f"at least {min_entries} are required",
                entries=entries,
                minimum=min_entries,
            )
        self = cls.__new__(cls)
        self._bits = bytearray(raw)
        self._entries = entries
        self._size = status_size
        return self

    def encode(self) -> str:
        """``"u"`` + base64url-no-padding(gzip(bits)), byte-for-byte reproducible."""
        compressed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return "u" + base64url.encode(compressed)

    @property
    def entries(self) -> int:
        """The number of status entries (``bits // status_size``)."""
        return self._entries

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._size

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bits)

    def get(self, index: int) -> int:
        """The status of entry ``index`` (``0 .. 2**status_size - 1``)."""
        first = self._first_bit(index)
        if self._size == 1:
            return (self._bits[first >> 3] >> (7 - (first & 7))) & 1
        start, end, shift = self._span(first)
        return (int.from_bytes(self._bits[start:end], "big") >> shift) & ((1 << self._size) - 1)

    def set(self, index: int, value: int) -> None:
        """Set entry ``index`` to ``value`` (``0 .. 2**status_size - 1``)."""
        first = self._first_bit(index)
        if not _is_int(value) or not 0 <= value < (1 << self._size):
            raise ValueError(f"a {self._size}-bit status must be in 0..{(1 << self._size) - 1}")
        start, end, shift = self._span(first)
        mask = ((1 << self._size) - 1) << shift
        word = int.from_bytes(self._bits[start:end], "big")
        word = (word & ~mask) | (value << shift)
        self._bits[start:end] = word.to_bytes(end - start, "big")

    def set_indexes(self) -> list[int]:
        """The indexes whose status is non-zero, ascending (for audits and tests)."""
        candidates: set[int] = set()
        for byte_no, byte in enumerate(self._bits):
            if not byte:
                continue
            for bit in range(8):
                if byte & (0x80 >> bit):
                    candidates.add((byte_no * 8 + bit) // self._size)
        return sorted(i for i in candidates if i < self._entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bitstring):
            return NotImplemented
        return (self._size, self._entries, self._bits) == (other._size, other._entries, other._bits)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"Bitstring(entries={self._entries}, status_size={self._size}, "
            f"set={len(self.set_indexes())})"
        )

    def _first_bit(self, index: int) -> int:
        if not _is_int(index):
            raise TypeError(f"index must be an int, not {type(index).__name__}")
        if not 0 <= index < self._entries:
            raise StatusIndexOutOfRange(
                f"status index {index} is outside the list (0..{self._entries - 1})"
            )
        return index * self._size

    def _span(self, first: int) -> tuple[int, int, int]:
        """Bytes ``[start, end)`` covering bits ``first .. first+size-1``, and the right shift
        that brings the entry to the low bits of their big-endian value."""
        last = first + self._size - 1
        start, end = first >> 3, (last >> 3) + 1
        return start, end, (end * 8 - 1) - last


def parse_status_index(value: object, *, strict: bool = False) -> int:
    """A ``statusListIndex`` as an int.

    The spec makes it a base-10 *string*; only ASCII digits are accepted (no sign, space,
    underscore, fraction or non-ASCII digit). ``strict=False`` also accepts a non-negative
    ``int``, as some issuers (including the 1EdTech validator's own fixture) write one;
    ``strict=True`` refuses it, so a caller can tell the two apart. ``bool`` and ``float`` are
    always refused.

    Raises :class:`MalformedStatusIndex`, or :class:`StatusIndexOutOfRange` for a well-formed
    number too large for any list.
    """
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise MalformedStatusIndex(f"statusListIndex is not a base-10 string: {value[:40]!r}")
        if len(value.lstrip("0")) > _MAX_INDEX_DIGITS:
            raise StatusIndexOutOfRange(f"statusListIndex is too large: {value[:40]}...")
        return int(value)
    if _is_int(value) and not strict:
        if value < 0:  # type: ignore[operator]
            raise MalformedStatusIndex(f"statusListIndex is negative: {value}")
        return value  # type: ignore[return-value]
    kind = "a string" if strict else "a string or a non-negative int"
    raise MalformedStatusIndex(
        f"statusListIndex must be {kind}, not {type(value).__name__}: {value!r:.40}"
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_status_size(status_size: int) -> None:
    if not _is_int(status_size) or status_size < 1:
        raise ValueError(f"status_size must be a positive int, got {status_size!r}")


def _base64url_body(encoded: object, *, lenient: bool) -> bytes:
    """The bytes behind ``"u"`` + base64url (no padding), strictly."""
    if not isinstance(encoded, str):
        raise MalformedStatusList(f"encodedList must be a string, not {type(encoded).__name__}")
    if len(encoded) > _MAX_ENCODED_CHARS:
        raise MalformedStatusList(f"encodedList is longer than {_MAX_ENCODED_CHARS} characters")
    if encoded.startswith("u"):
        # unambiguous: base64 of a gzip stream always starts "H4sI" (1f 8b 08)
        body = encoded[1:]
    elif lenient:
        body = encoded.rstrip("=") if len(encoded) % 4 == 0 else encoded
    else:
        raise MalformedStatusList(
            "encodedList lacks the 'u' multibase prefix (base64url without padding)"
        )
    try:
        return base64url.decode(body, canonical=False)
    except ValueError:
        raise MalformedStatusList("encodedList is not base64url without padding") from None


def _gunzip_capped(compressed: bytes) -> bytes:
    """Exactly one complete gzip member, inflated to at most :data:`MAX_DECODED_BYTES`.

    ``max_length`` makes zlib stop producing output at the cap, so a bomb costs at most the cap
    in memory and the time to inflate it, never its full expanded size.
    """
    inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
    try:
        raw = inflater.decompress(compressed, MAX_DECODED_BYTES + 1)
    except zlib.error as exc:
        raise MalformedStatusList(f"encodedList is not valid gzip: {exc}") from exc
    if len(raw) > MAX_DECODED_BYTES:
        raise MalformedStatusList(f"encodedList inflates to more than {MAX_DECODED_BYTES} bytes")
    if not inflater.eof:
        raise MalformedStatusList("encodedList is a truncated gzip stream")
    if inflater.unused_data:
        raise MalformedStatusList("encodedList has bytes after its gzip stream")
    return raw
