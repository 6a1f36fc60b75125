"""The bounded decoder: undo ``Content-Encoding`` without ever inflating past the size limit.

Kept by hand (not httpx's decoders) for a documented reason: a decompression bomb. httpx inflates
a whole network chunk at once, so 64 KiB of gzip can become tens of megabytes before any size
check runs; here ``zlib``'s ``max_length`` bounds every step.
"""

from __future__ import annotations

import zlib

from keys.errors import FetchError

__all__ = ["BoundedDecoder"]


class BoundedDecoder:
    """Undo ``Content-Encoding`` without ever producing more than the caller's budget.

    httpx's own decoders inflate a whole network chunk at once, so 64 KiB of gzip can turn into
    tens of megabytes before a size check runs. ``zlib``'s ``max_length`` bounds each step.
    """

    def __init__(self, encoding: str, url: str) -> None:
        self._url = url
        self._raw_deflate_fallback = False
        name = encoding.strip().lower()
        self._zlib: zlib._Decompress | None
        if name in ("", "identity"):
            self._zlib = None
        elif name in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            # RFC 9110 deflate is zlib-wrapped, but some servers send raw deflate (httpx too
            # accepts both), so fall back to raw on the first chunk if the header is missing.
            self._zlib = zlib.decompressobj()
            self._raw_deflate_fallback = True
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r} from {url}", url=url)

    def decode(self, data: bytes, budget: int) -> bytes:
        """Decode ``data`` into at most ``budget + 1`` bytes (one more than budget: too big)."""
        if self._zlib is None:
            return data
        try:
            out = self._zlib.decompress(data, budget + 1)
        except zlib.error as exc:
            if not self._raw_deflate_fallback:
                raise FetchError(f"corrupt compressed body from {self._url}: {exc}") from exc
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._raw_deflate_fallback = False
            return self.decode(data, budget)
        self._raw_deflate_fallback = False
        while self._zlib.unconsumed_tail and len(out) <= budget:
            out += self._zlib.decompress(self._zlib.unconsumed_tail, budget + 1 - len(out))
        return out

    def flush(self) -> bytes:
        if self._zlib is None:
            return b""
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body from {self._url}: {exc}") from exc
