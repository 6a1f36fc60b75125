"""Per-client request limits for the unauthenticated paths that hold or mint secrets.

The claim pages (``/claim/*``) and the OID4VCI nonce endpoint answer anyone: a claim page mints
a wallet exchange and an offer per visit, and each nonce is a row. A sliding-window count per
client address, kept in this process's memory, turns a guesser or a flood into 429s with
``Retry-After`` long before a 192-bit token is at risk or a table fills.

What it does not do, said where it is configured (``issuer/DELIVERY.md``): several service
processes each keep their own count, and behind a proxy the client address is what uvicorn
reports (``--forwarded-allow-ips``); a shared limit belongs in the proxy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from verifier.http import Responses, error_response

__all__ = ["TOO_MANY_REQUESTS", "Rate", "RateLimiter", "limit_per_client"]

#: The documented answer of a limited operation (``responses=``).
TOO_MANY_REQUESTS: Responses = {
    429: error_response(
        "Too many requests from this client: retry after `Retry-After` seconds", retry_after=True
    )
}

#: Guards making an app's limiters (two first requests at once get one limiter).
_MADE = threading.Lock()
#: Idle addresses are forgotten once this many are tracked (bounded memory).
_MAX_CLIENTS = 10_000


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``window`` seconds per client address, for the paths ``name``
    names (each name is counted on its own)."""

    name: str
    limit: int
    window: float
    #: The 429's detail.
    refusal: str


class RateLimiter:
    """A sliding-window count per client address, in this process's memory."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > _MAX_CLIENTS:
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return True


def limit_per_client(request: Request, rate: Rate) -> None:
    """Count this request against ``rate`` for its client address; 429 with ``Retry-After``
    when over. The limiter lives on the app (one per app and rate name)."""
    with _MADE:
        limiters: dict[str, RateLimiter] | None = getattr(request.app.state, "rate_limiters", None)
        if limiters is None:
            limiters = request.app.state.rate_limiters = {}
        limiter = limiters.get(rate.name)
        if limiter is None:
            limiter = limiters[rate.name] = RateLimiter(rate.limit, rate.window)
    client = request.client.host if request.client else "unknown"
    if not limiter.allow(client):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            rate.refusal,
            headers={"Retry-After": str(int(rate.window))},
        )
