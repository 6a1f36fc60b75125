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
and bytes a remote verifier would get, with no socket.
Anything else goes to the wrapped fetcher (the :class:`keys.fetch.GuardedFetcher` built from the
verifier's settings), whose checks are unchanged. The alternative, preloading our documents,
would freeze them and need to know every route other features add (status lists); answering
through the app needs neither.

Limits of the in-process path:

* Only ``GET`` of the documents a verifier needs — status lists, DID documents and JWKS,
  issuer profiles and revocation lists, credentials (JSON and baked images), achievements and
  their rules, VC-API credentials: :data:`DOCUMENT_ROUTES`. The decision is made on the
  *normalised* path (percent-decoded once, dot segments resolved, repeated slashes collapsed),
  the path the app would route, and the request is sent with that path. Any other URL of ours
  — ``/verify`` itself however spelt (``/%76erify``, ``//verify``, ``/status/../verify``), the
  admin API, its docs — is refused with :class:`keys.errors.FetchBlocked`, never fetched: a
  verification must never wait on a verification (nested ``/verify?url=`` calls would hold
  every verification slot and hang the verifier).
* The in-process answer has the network fetch's limits: :data:`keys.fetch.DEFAULT_TIMEOUT`
  (:class:`keys.errors.FetchTimeout` after it) and :data:`keys.fetch.DEFAULT_MAX_BYTES`.
* Each in-process request runs on a fresh event loop in a helper thread, which the caller
  leaves when the timeout passes. That costs about a millisecond, and it keeps a page
  that verifies from waiting on the server's own thread pool, which many such pages could
  otherwise exhaust while each waits for a did.json handler that needs a thread from it.
* Redirects are followed only while they stay under the base URL (at most
  :data:`keys.fetch.DEFAULT_MAX_REDIRECTS` hops); a redirect elsewhere is fetched by the guard.

**Cache, checked at every use.** Asking the app costs a thread hand-off, an event loop, the
route and a database connection; two status lists per verification made ``/verify`` on the
issuing service 2.5 times slower than the standalone verifier, whose HTTP cache keeps them.
Given ``current_etag`` (the app's "which ``ETag`` would you answer this path with now", read
without making the answer: :mod:`issuer.own_lists` for status lists), a document answered
with an ``ETag`` is kept, and served again only while ``current_etag`` still names that tag
and the document is fresh by its own rules (``Cache-Control``, a status list's ``ttl`` and
``validUntil``: :func:`keys.fetch.http_cache.expiry`). A revocation changes what the app
would answer, by this process or any other, so it shows at once — unlike a time-based cache.
"""

from __future__ import annotations

import concurrent.futures
import json
import posixpath
import re
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import anyio
import httpx
from starlette.types import ASGIApp

from keys.errors import FetchBlocked, FetchError, FetchStatusError, FetchTimeout, FetchTooLarge
from keys.fetch import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_CACHE_MAX_ENTRIES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    FetchedDocument,
    Fetcher,
)
from keys.fetch.http_cache import DocumentCache, expiry
from verifier.service import Verifier
from verifier.settings import VerifierSettings
from verifier.trust import TrustList

__all__ = ["DOCUMENT_ROUTES", "CurrentEtag", "SelfFetcher", "normalised_path", "self_verifier"]

_SEGMENT = r"[^/]+"
#: Characters left as they are when the normalised path is sent (RFC 3986 pchar, less "%").
_PATH_SAFE = "/:@!$&'()*+,;=~"
#: The service's own paths (under its base URL, normalised) answered in process: the documents
#: a verifier dereferences. Every other own path is refused (see the module docstring).
DOCUMENT_ROUTES = tuple(
    re.compile(pattern)
    for pattern in (
        rf"/status/{_SEGMENT}",
        rf"/issuers/{_SEGMENT}",
        rf"/issuers/{_SEGMENT}/(did|jwks|revocations)\.json",
        rf"/credentials/{_SEGMENT}",
        rf"/credentials/{_SEGMENT}/badge\.(png|svg)",
        rf"/achievements/{_SEGMENT}(/{_SEGMENT}(/rule\.json|/image\.svg)?)?",
        rf"/vc-api/credentials/{_SEGMENT}",
    )
)
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


def normalised_path(path: str) -> str | None:
    """``path`` as the app routes it: percent-decoded once, repeated slashes collapsed, dot
    segments resolved (a trailing slash kept). None if it still holds a ``%`` after decoding
    (a double encoding no document of ours needs), bytes that are not UTF-8 or a control
    character."""
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "%" in decoded or any(ord(c) < 0x20 or c == "\x7f" for c in decoded):
        return None
    collapsed = re.sub("/{2,}", "/", decoded)
    resolved = posixpath.normpath(collapsed) if collapsed != "/" else "/"
    if resolved.startswith("//"):  # posixpath keeps a leading "//"
        resolved = "/" + resolved.lstrip("/")
    if collapsed.endswith("/") and resolved != "/":
        resolved += "/"
    return resolved


#: Helper threads for in-process requests, per fetcher (verifications run a few at a time).
_LOCAL_WORKERS = 8
#: ``current_etag(path)``: the ``ETag`` the app would answer the own ``path`` (under the base
#: path, normalised, e.g. ``/status/abc``) with now, or None when it cannot say cheaply.
CurrentEtag = Callable[[str], str | None]


class SelfFetcher:
    """The verifier's fetcher for a service at ``base_url``: its own URLs answered by ``app``.

    ``fallback`` gets every foreign URL (and is closed by :meth:`close`). ``max_bytes`` and
    ``timeout`` bound an in-process answer as the guard bounds a remote one. ``current_etag``
    turns on the cache (see the module docstring).
    """

    def __init__(
        self,
        app: ASGIApp,
        base_url: str,
        fallback: Fetcher,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        current_etag: CurrentEtag | None = None,
    ) -> None:
        base = _origin_and_path(base_url)
        if base is None:
            raise ValueError(f"base URL must be an absolute http(s) URL, got {base_url!r}")
        self._app = app
        self._base = base
        self._base_path = base[3].rstrip("/")
        self._fallback = fallback
        self._max_bytes = max_bytes
        self._timeout = timeout
        #: In-process requests made (tests read it to tell the two paths apart).
        self.local_requests = 0
        #: The helper threads in-process requests run on: a fixed few, shared, so requests
        #: that time out cannot pile up threads (a thread per request did).
        self._pool = concurrent.futures.ThreadPoolExecutor(
            _LOCAL_WORKERS, thread_name_prefix="microcred-self-fetch"
        )
        self._current_etag = current_etag
        self._cache = DocumentCache(
            max_entries=DEFAULT_CACHE_MAX_ENTRIES, max_bytes=DEFAULT_CACHE_MAX_BYTES
        )

    @property
    def fallback(self) -> Fetcher:
        return self._fallback

    def _local_url(self, url: str) -> str | None:
        """For a URL of this service, the URL to ask the app for (its normalised path); None
        for a foreign URL. Raises :class:`FetchBlocked` for an own URL that is not a document
        (see :data:`DOCUMENT_ROUTES`)."""
        local = self._local_target(url)
        return local[0] if local is not None else None

    def _local_target(self, url: str) -> tuple[str, str] | None:
        """:meth:`_local_url` and the path under the base path it asks for (``/status/x``)."""
        target = _origin_and_path(url.split("#", 1)[0])
        if target is None or target[:3] != self._base[:3]:
            return None
        path = normalised_path(target[3])
        if path is not None and path.startswith(self._base_path + "/"):
            local = path[len(self._base_path) :]
            if any(route.fullmatch(local) for route in DOCUMENT_ROUTES):
                parts = urlsplit(url.split("#", 1)[0])
                query = f"?{parts.query}" if parts.query else ""
                sent = f"{parts.scheme}://{parts.netloc}{quote(path, safe=_PATH_SAFE)}{query}"
                return sent, local
        if path is None or path.startswith(self._base_path + "/") or path == self._base_path:
            raise FetchBlocked(
                f"{url} is this service's own URL and not one of its documents", url=url
            )
        return None  # on our host but outside the service's base path: not ours

    def _cached(self, target: str, local: str, accept: str) -> FetchedDocument | None:
        """The kept answer for ``target`` if it is fresh and still the app's (its ETag is the
        one ``current_etag`` names now), else None."""
        if self._current_etag is None:
            return None
        entry = self._cache.get((target, accept))
        if entry is None or entry.etag is None:
            return None
        expires_at = entry.document.expires_at
        if expires_at is None or expires_at <= time.time():
            return None
        try:
            current = self._current_etag(local)
        except Exception:  # noqa: BLE001 - cannot confirm it: ask the app, which says why
            return None
        return entry.document.copy() if current == entry.etag else None


    # ------------------------------------------------------------------ the Fetcher surface

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        """The document at ``url``: from the app itself if it is ours, else from the guard."""
        local = self._local_target(url)
        if local is None:
            return self._fallback.fetch(url, accept=accept)
        target, path = local
        cached = self._cached(target, path, accept)
        if cached is not None:
            return cached
        asked = target
        for _ in range(DEFAULT_MAX_REDIRECTS + 1):
            response = self._local_get(target, accept)
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            location = urljoin(target, response.headers.get("location", ""))
            hop = self._local_url(location)
            if hop is None:
                return self._fallback.fetch(location, accept=accept)
            target = hop
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
        fetched_at = time.time()
        document = FetchedDocument(
            url=target,
            status=response.status_code,
            content_type=content_type,
            body=body,
            headers=headers,
            fetched_at=fetched_at,
            expires_at=expiry(headers, content_type, body, fetched_at),
        )
        etag = headers.get("etag")
        if self._current_etag is not None and etag is not None and target == asked:
            self._cache.store((target, accept), document, etag, now=fetched_at)
        return document.copy()

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        if self._local_url(url) is None:
            return self._fallback.fetch_json(url, accept=accept)
        document = self.fetch(url, accept=accept)
        try:
            return json.loads(document.body)
        except (ValueError, RecursionError) as error:
            raise FetchError(f"{document.url} did not return JSON: {error}", url=url) from error

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        close = getattr(self._fallback, "close", None)
        if callable(close):
            close()

    # ------------------------------------------------------------------ in process

    async def _get(self, url: str, accept: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=self._app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
            return await client.get(url, headers={"accept": accept, "user-agent": USER_AGENT})

    def _local_get(self, url: str, accept: str) -> httpx.Response:
        """The app's answer to ``GET url``, on a fresh event loop in a helper thread (so a
        caller that runs a loop itself is served too); given up after the timeout."""
        self.local_requests += 1
        future = self._pool.submit(anyio.run, self._get, url, accept)
        try:
            return future.result(timeout=self._timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise FetchTimeout(
                f"fetching {url} in process took longer than {self._timeout}s", url=url
            ) from None


def self_verifier(
    app: ASGIApp,
    base_url: str,
    settings: VerifierSettings,
    *,
    trust_source: Callable[[], Sequence[TrustList]] | None = None,
    current_etag: CurrentEtag | None = None,
) -> Verifier:
    """The verifier a service at ``base_url`` uses: configured by ``settings`` (trust lists,
    guard exceptions, preloads, limits), with a :class:`SelfFetcher` in front of its guard
    (caching what ``current_etag`` can vouch for) and ``trust_source``'s lists (the service's
    own issuers) after the configured ones."""
    return Verifier.from_settings(
        settings,
        wrap_fetcher=lambda guard: SelfFetcher(app, base_url, guard, current_etag=current_etag),
        trust_source=trust_source,
    )
