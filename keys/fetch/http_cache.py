"""The fetcher's HTTP cache: how long a response stays fresh (RFC 9111) and where it is kept.

Successful bodies are cached in memory per fetcher, keyed by ``(url, accept)``, fresh until the
earliest of ``Cache-Control: max-age``/``Expires`` (default :data:`DEFAULT_CACHE_TTL`, capped at
:data:`MAX_CACHE_TTL`) and what the document itself says (:mod:`keys.fetch.status_ttl`). A stale
entry with an ``ETag`` is kept for revalidation (``If-None-Match``).

The store is bounded twice, by entries and by body bytes, least recently used first; a
``cachetools`` cache bounds one measure only, so the two-bound LRU stays here.
"""

from __future__ import annotations

import dataclasses
import email.utils
import threading
from collections import OrderedDict
from collections.abc import Mapping

from keys.fetch.document import FetchedDocument, looks_like_json
from keys.fetch.status_ttl import document_deadline
from schemas.dates import as_utc
from schemas.json_values import parse_json

__all__ = [
    "DEFAULT_CACHE_MAX_BYTES",
    "DEFAULT_CACHE_MAX_ENTRIES",
    "DEFAULT_CACHE_TTL",
    "MAX_CACHE_TTL",
    "CacheEntry",
    "DocumentCache",
    "expiry",
    "header_lifetime",
]

#: Freshness when neither the headers nor the document say anything (seconds).
DEFAULT_CACHE_TTL = 300.0
#: No cached document is fresh for longer than this, whatever the server says (seconds).
MAX_CACHE_TTL = 86_400.0
#: Cache bounds per fetcher; least recently used entries go first.
DEFAULT_CACHE_MAX_ENTRIES = 256
DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024


def _cache_directives(headers: Mapping[str, str]) -> dict[str, str | None]:
    """``Cache-Control`` as ``{directive: value}``; names lower-cased, quotes removed."""
    directives: dict[str, str | None] = {}
    for part in headers.get("cache-control", "").split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        parsed = value.strip().strip('"') if sep else None
        if name == "max-age" and name in directives:
            # Conflicting max-age values: the smaller one is the safe reading.
            previous = directives[name]
            if previous is not None and previous.isdigit() and parsed and parsed.isdigit():
                parsed = str(min(int(previous), int(parsed)))
        directives[name] = parsed
    return directives


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return as_utc(moment).timestamp()


def header_lifetime(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the response may be reused according to HTTP (RFC 9111), ``None`` = ``no-store``.

    ``s-maxage`` is for shared caches and ignored. ``no-cache`` (and HTTP/1.0 ``Pragma``) means
    the body may be kept but must be revalidated before each use: a lifetime of zero. An invalid
    ``max-age`` or ``Expires`` counts as already stale, as the RFC requires.
    """
    directives = _cache_directives(headers)
    if "no-store" in directives:
        return None
    if "no-cache" in directives or (
        "cache-control" not in headers and "no-cache" in headers.get("pragma", "").lower()
    ):
        return 0.0
    age_header = headers.get("age", "").strip()
    age = float(age_header) if age_header.isdigit() else 0.0
    if "max-age" in directives:
        value = directives["max-age"] or ""
        lifetime = float(value) - age if value.isdigit() else 0.0
    elif "expires" in headers:
        expires = _http_date(headers.get("expires"))
        date = _http_date(headers.get("date"))
        if expires is None:
            lifetime = 0.0
        elif date is None:
            lifetime = expires - now - age
        else:
            lifetime = expires - date - age
    else:
        lifetime = DEFAULT_CACHE_TTL
    return max(0.0, min(lifetime, MAX_CACHE_TTL))


def expiry(
    headers: Mapping[str, str], content_type: str, body: bytes, fetched_at: float
) -> float | None:
    """When a response stops being fresh: the earliest of what HTTP and the document say."""
    lifetime = header_lifetime(headers, fetched_at)
    if lifetime is None:
        return None
    expires_at = fetched_at + lifetime
    if looks_like_json(content_type, body):
        try:
            parsed = parse_json(body)
        except (ValueError, RecursionError):
            parsed = None
        deadline = document_deadline(parsed, fetched_at)
        if deadline is not None:
            expires_at = min(expires_at, deadline)
    return expires_at


@dataclasses.dataclass
class CacheEntry:
    """A cached document and the ``ETag`` to revalidate it with once it is stale."""

    document: FetchedDocument
    etag: str | None


class DocumentCache:
    """A thread-safe LRU of fetched documents, bounded by entry count and by body bytes."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], CacheEntry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> CacheEntry | None:
        """The entry for ``key``, fresh or stale (marking it most recently used)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def store(
        self, key: tuple[str, str], document: FetchedDocument, etag: str | None, *, now: float
    ) -> None:
        """Keep ``document`` if it is fresh, or stale but revalidatable with its ETag."""
        fresh = document.expires_at is not None and document.expires_at > now
        keep = document.expires_at is not None and (fresh or etag is not None)
        size = len(document.body)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.document.body)
            if not keep or size > self._max_bytes or self._max_entries == 0:
                return
            self._entries[key] = CacheEntry(document, etag)
            self._bytes += size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.document.body)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
