"""A fetcher that answers the service's own URLs in process and leaves every other to the guard.

Why: the badge page verifies the credential live (:mod:`issuer.api.sharing_pages`), and the
verification dereferences the issuer's own documents — the did:web DID document, the status
lists — which live on *this* service. Going out over the network for them fails where it matters:

* ``make run`` serves on ``http://127.0.0.1:8000``, which the guarded fetcher refuses (plain
  http, loopback address): that refusal is the SSRF guard working, and it must stay on for every
  URL a stranger's credential names;
* behind a reverse proxy or NAT the public name may not be reachable from the server itself
  (no hairpin), and a round trip through TLS for our own bytes is waste anyway.

So :class:`SelfFetcher` looks at each URL: if it is under the service's base URL, the request is
sent to the ASGI app itself through :class:`httpx.ASGITransport` — the very routes, negotiation
and bytes a remote verifier would get, with no socket and no cache (a revocation shows at once).
Anything else goes to the wrapped fetcher (the :class:`keys.fetch.GuardedFetcher` built from the
verifier's settings), whose checks are unchanged. The alternative, preloading our documents,
would freeze them and need to know every route other features add (status lists); answering
through the app needs neither.

Limits of the in-process path:

* Only ``GET`` of public documents: paths under :data:`NOT_IN_PROCESS` (the verifier itself —
  ``/verify?url=<our /verify?url=…>`` would recurse —, the admin API and its docs) and paths
  with dot segments are handed to the wrapped fetcher like any foreign URL.
* Each in-process request runs on a fresh event loop in the calling thread (or, if that thread
  already runs one, in a helper thread). That costs about a millisecond, and it keeps a page
  that verifies from waiting on the server's own thread pool, which many such pages could
  otherwise exhaust while each waits for a did.json handler that needs a thread from it.
* Redirects are followed only while they stay under the base URL (at most
  :data:`keys.fetch.DEFAULT_MAX_REDIRECTS` hops); a redirect elsewhere is fetched by the guard.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import anyio
import httpx
from starlette.types import ASGIApp

from keys.errors import FetchError, FetchStatusError, FetchTooLarge
from keys.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    USER_AGENT,
    FetchedDocument,
    Fetcher,
)
from verifier.service import Verifier
from verifier.settings import VerifierSettings
from verifier.trust import TrustList

__all__ = ["NOT_IN_PROCESS", "SelfFetcher", "self_verifier"]

#: Path prefixes never answered in process (they go to the wrapped fetcher like foreign URLs).
NOT_IN_PROCESS = ("/verify", "/api/", "/docs", "/redoc", "/openapi.json")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_and_path(url: str) -> tuple[str, int | None, str, str] | None:
    """``(scheme, port, host, path)`` of an absolute http(s) URL without userinfo, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, port, parts.hostname.lower(), parts.path or "/"


class SelfFetcher:
    """The verifier's fetcher for a service at ``base_url``: its own URLs answered by ``app``.

    ``fallback`` gets every other URL (and is closed by :meth:`close`). ``max_bytes`` bounds an
    in-process body as the guard bounds a remote one.
    """

    def __init__(
        self,
        app: ASGIApp,
        base_url: str,
        fallback: Fetcher,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        base = _origin_and_path(base_url)
        if base is None:
            raise ValueError(f"base URL must be an absolute http(s) URL, got {base_url!r}")
        self._app = app
        self._base = base
        self._base_path = base[3].rstrip("/")
        self._fallback = fallback
        self._max_bytes = max_bytes
        #: In-process requests made (tests read it to tell the two paths apart).
        self.local_requests = 0

    @property
    def fallback(self) -> Fetcher:
        return self._fallback

    def is_own(self, url: str) -> bool:
        """Whether ``url`` is answered in process (see the module docstring for the rules)."""
        target = _origin_and_path(url.split("#", 1)[0])
        if target is None or target[:3] != self._base[:3]:
            return False
        path = target[3]
        if not path.startswith(self._base_path + "/"):
            return False
        local = path[len(self._base_path) :]
        if local.startswith(NOT_IN_PROCESS) or local.rstrip("/") in ("/verify", "/api"):
            return False
        segments = unquote(local).split("/")
        return not any(segment in (".", "..") for segment in segments)

    # ------------------------------------------------------------------ the Fetcher surface

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        """The document at ``url``: from the app itself if it is ours, else from the guard."""
        if not self.is_own(url):
            return self._fallback.fetch(url, accept=accept)
        target = url.split("#", 1)[0]
        for _ in range(DEFAULT_MAX_REDIRECTS + 1):
            response = self._local_get(target, accept)
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            location = urljoin(target, response.headers.get("location", ""))
            if not self.is_own(location):
                return self._fallback.fetch(location, accept=accept)
            target = location
        else:
            raise FetchError(f"too many redirects from {url}", url=url)
        if not 200 <= response.status_code < 300:
            raise FetchStatusError(
                f"{target} answered {response.status_code}", url=target, status=response.status_code
            )
        body = response.content
        if len(body) > self._max_bytes:
            raise FetchTooLarge(f"{target} is larger than {self._max_bytes} bytes", url=target)
        headers = {name.lower(): value for name, value in response.headers.items()}
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return FetchedDocument(
            url=target,
            status=response.status_code,
            content_type=content_type,
            body=body,
            headers=headers,
            fetched_at=time.time(),
            expires_at=None,
        )

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        if not self.is_own(url):
            return self._fallback.fetch_json(url, accept=accept)
        document = self.fetch(url, accept=accept)
        try:
            return json.loads(document.body)
        except (ValueError, RecursionError) as error:
            raise FetchError(f"{document.url} did not return JSON: {error}", url=url) from error

    def close(self) -> None:
        close = getattr(self._fallback, "close", None)
        if callable(close):
            close()

    # ------------------------------------------------------------------ in process

    async def _get(self, url: str, accept: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=self._app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
            return await client.get(url, headers={"accept": accept, "user-agent": USER_AGENT})

    def _local_get(self, url: str, accept: str) -> httpx.Response:
        self.local_requests += 1
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: a worker thread, or a command
            return anyio.run(self._get, url, accept)
        # This thread runs an event loop already: make the request on a helper thread.
        with concurrent.futures.ThreadPoolExecutor(1, "microcred-self-fetch") as pool:
            return pool.submit(anyio.run, self._get, url, accept).result()


def self_verifier(
    app: ASGIApp,
    base_url: str,
    settings: VerifierSettings,
    *,
    trust_source: Callable[[], Sequence[TrustList]] | None = None,
) -> Verifier:
    """The verifier a service at ``base_url`` uses: configured by ``settings`` (trust lists,
    guard exceptions, preloads, limits), with a :class:`SelfFetcher` in front of its guard and
    ``trust_source``'s lists (the service's own issuers) after the configured ones."""
    return Verifier.from_settings(
        settings,
        wrap_fetcher=lambda guard: SelfFetcher(app, base_url, guard),
        trust_source=trust_source,
    )
