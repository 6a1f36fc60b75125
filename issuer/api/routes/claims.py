"""``/claim/{token}``: the page an educator's claim email links to.

The token is the only thing in the URL (:mod:`issuer.services.claims`): no name, address or
credential id. The page links the downloads by the credential's public URL
(``/credentials/{id}.json`` …), the same URLs the badge page — which the page also links —
already publishes; the claim link itself stays opaque and is never written to a log:
``microcred serve`` gives uvicorn a logging configuration that writes ``/claim/…`` for the
token (:mod:`issuer.log_redaction`), and no error answer echoes it.

Requests are rate-limited per client address (:data:`CLAIM_RATE`), in memory in each process:
a guesser gets 429s long before 192-bit tokens are at any risk, and several processes each
keep their own count (the limit is per process, which the docs say).

The wallet sections (Learner Credential Wallet, OID4VCI offer) are added by the ``wallets``
block of ``claim.html``, filled from :data:`WALLET_SECTIONS` hooks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.pages import html_page
from issuer.models import Award, AwardStatus
from issuer.services import sharing
from issuer.services.claims import ClaimLinkGone, resolve_claim_token
from issuer.services.errors import NotFound

__all__ = ["CLAIM_RATE", "WALLET_SECTIONS", "ClaimRateLimiter", "router"]

#: Requests per client address per window on ``/claim/*``.
CLAIM_RATE = (30, 60.0)

#: Hooks that add wallet sections to a claim page: each takes the request and the award and
#: returns template context (rendered by the ``wallets`` block of ``claim.html``).
WALLET_SECTIONS: list[Callable[[Request, Award], dict[str, Any]]] = []

router = APIRouter(tags=["claim"], include_in_schema=False)


class ClaimRateLimiter:
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
            if len(self._hits) > 10_000:  # forget idle addresses, bounded memory
                for key in [k for k, v in self._hits.items() if not v]:
                    del self._hits[key]
            return True


def _limiter(request: Request) -> ClaimRateLimiter:
    limiter = getattr(request.app.state, "claim_limiter", None)
    if limiter is None:
        limiter = request.app.state.claim_limiter = ClaimRateLimiter(*CLAIM_RATE)
    return limiter


@router.get("/claim/{token}", response_class=HTMLResponse)
def claim_page(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The award's claim page; 404 / 410 pages that say how to get a new link; 429 when the
    client asked too often."""
    client = request.client.host if request.client else "unknown"
    if not _limiter(request).allow(client):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests for claim links; wait a minute",
            headers={"Retry-After": str(int(CLAIM_RATE[1]))},
        )
    try:
        award = resolve_claim_token(session, token, now=runtime.clock())
    except ClaimLinkGone as gone:
        return html_page(
            request,
            "claim_gone.html",
            status.HTTP_410_GONE,
            expired=True,
            issuer_name=_issuer_name(gone.award),
        )
    except NotFound:
        return html_page(
            request, "claim_gone.html", status.HTTP_404_NOT_FOUND, expired=False, issuer_name=None
        )
    import json

    credential = json.loads(award.credential)
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    badge_link = runtime.urls.credential(award.id)
    withheld = award.status in sharing.WITHHELD
    context: dict[str, Any] = {
        "achievement": achievement,
        "issuer_name": _issuer_name(award),
        "recipient_name": award.recipient_name,
        "status": award.status,
        "revoked": award.status == AwardStatus.revoked,
        "withheld": withheld,
        "badge_link": badge_link,
        "image_url": f"/credentials/{award.id}/badge.svg",
        "downloads": None
        if withheld
        else {
            "json": f"/credentials/{award.id}.json",
            "jwt": f"/credentials/{award.id}.jwt",
            "png": f"/credentials/{award.id}/badge.png",
            "svg": f"/credentials/{award.id}/badge.svg",
        },
        "linkedin": None if withheld else sharing.linkedin_url(credential, badge_link),
        "wallets": [] if withheld else [hook(request, award) for hook in WALLET_SECTIONS],
    }
    response = html_page(request, "claim.html", **context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _issuer_name(award: Award) -> str:
    import json

    issuer = json.loads(award.credential).get("issuer", {})
    return str(issuer.get("name", "")) if isinstance(issuer, dict) else ""
