"""Verified documents kept between verifications: checked once per freshness period, not per use.

Why: every credential from one issuer points at the same one or two status lists, and checking a
list costs as much as checking the credential itself (its proof is RDFC canonicalization and a
signature, then the key's resolution and the bitstring's inflation). The guarded fetcher already
keeps the list's *bytes* while they are fresh (:mod:`keys.fetch.http_cache`); this keeps what
checking those bytes *established*, so a burst of verifications checks each list once.

What an entry is and when it is used:

* it is keyed by the document's URL **and the SHA-256 of the body** fetched for it: the fetcher
  is still asked at every use, and a body that changed (a revocation published, a list
  re-signed) has a new digest and is verified anew. One entry per URL: a new body replaces the
  old one;
* it is kept only until ``fresh_until``, which the caller computes as the earliest of what the
  fetcher says of the body (``Cache-Control``/``Expires``, the list's ``ttl``, its
  ``validUntil``) and of the documents its key came from; a caller passes ``None`` for something
  it must not keep (``no-store``, a preload with no instant, a key pinned by a trust list);
* only **successes** are stored: ``verify`` raising stores nothing, so a list that failed (bad
  proof, unreachable key, expired) is checked again at its next use and fails again, or
  succeeds once it is fixed. Fail-closed rules are the caller's and do not change;
* the store is bounded by entry count and by the bytes its entries say they hold (a decoded
  bitstring may be megabytes), least recently used first.

Thread-safe: the HTTP verifier runs verifications in worker threads. Concurrent misses for the
same (URL, digest) wait for the first one's check instead of all repeating it ("single
flight"); if that check fails, each waiter checks for itself, so a failure is never shared.

The issuing service's own lists need nothing of their own here: :mod:`issuer.self_fetch` keeps
their bytes while :mod:`issuer.own_lists` says the row behind them is current, which is a
question about *bytes* (is this still what ``/status/{id}`` answers?) that only the issuer can
ask. This cache sits above whatever fetcher the verifier has, so it keeps those lists verified
too, and a revocation, a new body with a new digest, is checked anew on the next verification.

What this does not keep: DID documents and controller documents. Each verification resolves its
issuer's key once (the per-run :class:`keys.did.KeyResolver` keeps the document for the run,
the fetcher keeps the bytes): with the fetcher's cache warm that costs about 0.08 ms, under 2%
of a verification of ``bench/verify_http.py``'s credential once its lists are kept, not worth a
second copy of key-binding state whose staleness would matter more.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from keys.fetch import FetchedDocument, Fetcher
from keys.fetch.document import json_of

__all__ = [
    "DEFAULT_VERIFIED_MAX_BYTES",
    "DEFAULT_VERIFIED_MAX_ENTRIES",
    "ExpiryRecorder",
    "Verified",
    "VerifiedCache",
    "earliest",
]

#: Entries kept per verifier (one per status list URL); least recently used go first.
DEFAULT_VERIFIED_MAX_ENTRIES = 256
#: Bytes the kept results may hold together (decoded bitstrings: 16 KiB for a minimal list).
DEFAULT_VERIFIED_MAX_BYTES = 64 * 1024 * 1024

_T = TypeVar("_T")


@dataclass(frozen=True)
class Verified(Generic[_T]):
    """What checking a document established, how long it may be reused, and its size.

    ``fresh_until`` is an instant on the cache's clock (seconds since the epoch); ``None``
    means "use it for this verification only, never keep it".
    """

    value: _T
    fresh_until: float | None
    size: int = 0


@dataclass(frozen=True)
class _Entry(Generic[_T]):
    digest: str
    verified: Verified[_T]


class VerifiedCache(Generic[_T]):
    """A thread-safe, bounded map from (URL, body digest) to a verified result.

    ``clock`` is the wall clock ``fresh_until`` is compared with (the fetcher's, so that the
    two agree on when a body stops being fresh). ``hits`` and ``checks`` count reuses and
    calls of ``verify`` (reported by benches; tests count with spies).
    """

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_VERIFIED_MAX_ENTRIES,
        max_bytes: int = DEFAULT_VERIFIED_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 0 or max_bytes < 0:
            raise ValueError("limits must not be negative")
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, _Entry[_T]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._flights: dict[tuple[str, str], threading.Lock] = {}
        self.hits = 0
        self.checks = 0

    def spawn(self) -> VerifiedCache[_T]:
        """An empty cache with this one's bounds and clock (for results that must not mix:
        a verifier reading contexts through another loader)."""
        return VerifiedCache(
            max_entries=self._max_entries, max_bytes=self._max_bytes, clock=self._clock
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get_or_verify(self, url: str, digest: str, verify: Callable[[], Verified[_T]]) -> _T:
        """The kept result for ``url`` whose body has ``digest`` if still fresh, else what
        ``verify()`` returns (kept if it says it may be). Whatever ``verify`` raises propagates
        and nothing is kept."""
        key = (url, digest)
        with self._lock:
            found = self._fresh(url, digest)
            if found is not None:
                return found
            flight = self._flights.setdefault(key, threading.Lock())
        try:
            with flight:
                with self._lock:
                    found = self._fresh(url, digest)
                    if found is not None:
                        return found
                    self.checks += 1
                verified = verify()
                self._store(url, digest, verified)
                return verified.value
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]

    # -- under the lock ------------------------------------------------------------------------

    def _fresh(self, url: str, digest: str) -> _T | None:
        entry = self._entries.get(url)
        if entry is None or entry.digest != digest:
            return None
        fresh_until = entry.verified.fresh_until
        if fresh_until is None or self._clock() >= fresh_until:
            self._drop(url)
            return None
        self._entries.move_to_end(url)
        self.hits += 1
        return entry.verified.value

    def _drop(self, url: str) -> None:
        old = self._entries.pop(url, None)
        if old is not None:
            self._bytes -= old.verified.size

    def _store(self, url: str, digest: str, verified: Verified[_T]) -> None:
        with self._lock:
            self._drop(url)
            keep = verified.fresh_until is not None and verified.fresh_until > self._clock()
            if not keep or verified.size > self._max_bytes or self._max_entries == 0:
                return
            self._entries[url] = _Entry(digest, verified)
            self._bytes += verified.size
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.verified.size


def earliest(*instants: float | None) -> float | None:
    """The earliest of ``instants``; None if any is None (something that must not be kept)."""
    if any(instant is None for instant in instants):
        return None
    return min((instant for instant in instants if instant is not None), default=math.inf)


class ExpiryRecorder:
    """A :class:`~keys.fetch.Fetcher` in front of another that remembers how long what it
    fetched stays fresh: a result verified with those documents is kept no longer.

    :attr:`until` is the earliest ``expires_at`` seen, ``None`` once a document had none
    (``no-store``, a preload), ``math.inf`` while nothing was fetched (a ``did:key`` resolves
    without a fetch). One per verification run, under its key resolver (so a list's keys
    cost no second fetch); a run is one thread's.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self.until: float | None = math.inf

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        document = self._fetcher.fetch(url, accept=accept)
        self.until = earliest(self.until, document.expires_at)
        return document

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        return json_of(self.fetch(url, accept=accept))
