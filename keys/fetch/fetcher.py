"""The guarded fetcher: one choke point for every remote document (see :mod:`keys.fetch`).

:class:`GuardedFetcher` strings the pieces together: preloads first, then the cache, then the
network, every hop checked by the address policy and connected through the pinned transport,
every body read through the bounded decoder under one time budget.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.cookiejar
import importlib.metadata
import json as jsonlib
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import httpx

from keys.errors import FetchBlocked, FetchError, FetchStatusError, FetchTimeout, FetchTooLarge
from keys.fetch.decoding import BoundedDecoder
from keys.fetch.document import FetchedDocument, FetchResponse, json_of, media_type
from keys.fetch.http_cache import (
    DEFAULT_CACHE_MAX_BYTES,
    DEFAULT_CACHE_MAX_ENTRIES,
    DocumentCache,
    expiry,
)
from keys.fetch.policy import AddressPolicy, Resolver, strip_fragment
from keys.fetch.preloads import preloaded_document
from keys.fetch.transport import NoCookies, PinnedBackend, PinnedTransport

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "GuardedFetcher",
]

#: Total seconds for one fetch: resolution, connects, redirects and reading the body.
DEFAULT_TIMEOUT = 10.0
#: Largest body accepted (after decoding). DID documents and status lists are far smaller.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
#: Redirects followed per fetch; each hop is checked like the first request.
DEFAULT_MAX_REDIRECTS = 3

try:
    _VERSION = importlib.metadata.version("microcred")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    _VERSION = "0"
#: Sent with every request so that operators can recognise (and rate-limit) the verifier.
USER_AGENT = f"microcred/{_VERSION}"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Request headers a caller of :meth:`GuardedFetcher.post` may not set: the fetcher frames the
#: request itself, and cookies are never sent.
_FRAMING_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "cookie",
        "content-type",
        "accept",
        "accept-encoding",
        "user-agent",
    }
)


@dataclasses.dataclass(frozen=True)
class _Exchange:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes | None


class GuardedFetcher:
    """Fetch remote documents for the verifier without letting a credential aim the request.

    See the :mod:`keys.fetch` package docstring for the threat model. One instance is meant to
    be shared (by a FastAPI app, a CLI run): it keeps an HTTP connection pool, a resolver thread
    pool and a bounded cache, all safe to use from several threads. Call :meth:`close` (or use
    it as a context manager) when done.

    ``transport`` replaces the network (tests pass ``httpx.MockTransport``); the URL and address
    checks still run before every request, but IP pinning is only done by the default
    transport. ``resolver(host, port)`` returns address strings (default ``getaddrinfo``).
    ``allowed_private_hosts`` lists host names that may resolve to non-public addresses (still
    ``https`` only). ``preloads`` maps URLs (fragment ignored) to bodies served without any
    network access; they are operator configuration and bypass every check. ``clock`` supplies
    the wall-clock time used for ``fetched_at`` and cache freshness.
    """

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        allow_http_localhost: bool = False,
        allowed_private_hosts: Collection[str] = (),
        preloads: Mapping[str, bytes] | None = None,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.time,
        cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES,
        cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_bytes < 0 or max_redirects < 0 or cache_max_entries < 0 or cache_max_bytes < 0:
            raise ValueError("limits must not be negative")
        self._timeout = float(timeout)
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._policy = AddressPolicy(
            allow_http_localhost=allow_http_localhost,
            allowed_private_hosts=allowed_private_hosts,
            resolver=resolver,
        )
        self._preloads = {
            strip_fragment(url): bytes(body) for url, body in (preloads or {}).items()
        }
        self._clock = clock
        self._cache = DocumentCache(max_entries=cache_max_entries, max_bytes=cache_max_bytes)
        self._backend: PinnedBackend | None = None
        if transport is None:
            self._backend = PinnedBackend()
            transport = PinnedTransport(self._backend)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,  # every hop is checked by _exchange
            trust_env=False,  # no environment proxies, no .netrc credentials
            cookies=http.cookiejar.CookieJar(policy=NoCookies()),
            timeout=self._timeout,
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close pooled connections and stop the resolver threads."""
        self._client.close()
        self._policy.close()

    def __enter__(self) -> GuardedFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def clear_cache(self) -> None:
        """Forget every cached document (preloads are configuration and stay)."""
        self._cache.clear()

    # ------------------------------------------------------------------ public fetching

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        """Return the document at ``url``, from a preload, the cache or the network.

        Raises a :class:`~keys.errors.FetchError` subclass for anything that is refused or
        fails; nothing else escapes (bar programming errors).
        """
        target = strip_fragment(url)
        preloaded = self._preloads.get(target)
        if preloaded is not None:
            return preloaded_document(target, preloaded, now=self._clock())

        parsed = self._policy.parse_url(target)
        key = (target, accept)
        entry = self._cache.get(key)
        if entry is not None:
            expires_at = entry.document.expires_at
            if expires_at is not None and self._clock() < expires_at:
                return entry.document.copy()
        etag = entry.etag if entry is not None else None

        exchange = self._exchange(parsed, accept=accept, etag=etag)
        fetched_at = self._clock()
        if exchange.status == 304:
            assert entry is not None  # _exchange only accepts a 304 when it sent If-None-Match
            headers = dict(entry.document.headers)
            for name, value in exchange.headers.items():
                if name not in ("content-length", "content-encoding", "transfer-encoding"):
                    headers[name] = value
            document = dataclasses.replace(
                entry.document,
                url=exchange.url,
                headers=headers,
                fetched_at=fetched_at,
                expires_at=expiry(
                    headers, entry.document.content_type, entry.document.body, fetched_at
                ),
            )
            new_etag = headers.get("etag") or etag
        else:
            assert exchange.body is not None
            content_type = media_type(exchange.headers.get("content-type", ""))
            document = FetchedDocument(
                url=exchange.url,
                status=exchange.status,
                content_type=content_type,
                body=exchange.body,
                headers=exchange.headers,
                fetched_at=fetched_at,
                expires_at=expiry(exchange.headers, content_type, exchange.body, fetched_at),
            )
            new_etag = exchange.headers.get("etag")
        self._cache.store(key, document, new_etag, now=fetched_at)
        return document.copy()

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        """Fetch ``url`` and parse the body as JSON (whatever the declared content type).

        A body that is not JSON raises :class:`~keys.errors.FetchError` naming the URL.
        """
        return json_of(self.fetch(url, accept=accept))

    def fetch_text(self, url: str, *, accept: str = "*/*") -> str:
        """Fetch ``url`` and decode it with the declared charset (UTF-8 if none)."""
        document = self.fetch(url, accept=accept)
        charset = "utf-8"
        for parameter in document.headers.get("content-type", "").split(";")[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return document.body.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise FetchError(
                f"{document.url} is not valid {charset} text: {exc}", url=document.url
            ) from exc

    # ------------------------------------------------------------------ posting

    def post(
        self,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        json: Any = None,
        text: str | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> FetchResponse:
        """POST one body to ``url`` under the same address policy and limits as :meth:`fetch`.

        Why a POST at all: an OAuth client (registration, token exchange) and an OB 3.0 API
        consumer (``upsertCredential``) send data to a server a person named, which is the
        same SSRF exposure as fetching a URL a credential names. So the URL is checked, the
        host resolved, every address judged and the connection pinned exactly as for a GET;
        the total time budget and the body limit (declared, received, decoded) hold too.

        Differences from :meth:`fetch`, each deliberate: a redirect is **not** followed (a
        307/308 would resend the body, credentials included, to wherever the server says; it
        is returned like any other status); nothing is cached and preloads do not apply; a
        non-2xx status is returned, not raised (the error body is what the caller needs).

        Exactly one body: ``form`` (``application/x-www-form-urlencoded``), ``json`` (compact
        UTF-8), ``text`` (``text/plain; charset=utf-8``) or ``content`` bytes sent as they are
        with ``content_type``. ``headers`` adds request headers (``Authorization``, say);
        framing headers and cookies are the fetcher's. Raises a
        :class:`~keys.errors.FetchError` subclass for what is refused or fails.
        """
        body, body_type = _post_body(form, json, text, content, content_type)
        extra = dict(headers or {})
        for name in extra:
            if name.strip().lower() in _FRAMING_HEADERS:
                raise ValueError(f"header {name!r} is set by the fetcher")
        request_headers = {
            **extra,
            "Accept": accept,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
            "Content-Type": body_type,
        }
        target = strip_fragment(url)
        parsed = self._policy.parse_url(target)
        deadline = time.monotonic() + self._timeout
        with self._hop("POST", parsed, request_headers, body, deadline, None) as response:
            answered = self._read_body(response, target, deadline)
            return FetchResponse(
                url=target,
                status=response.status_code,
                headers=dict(response.headers),
                body=answered,
            )

    # ------------------------------------------------------------------ network

    def _exchange(self, url: httpx.URL, *, accept: str, etag: str | None) -> _Exchange:
        """GET ``url``, following at most ``max_redirects`` redirects, each hop checked first."""
        deadline = time.monotonic() + self._timeout
        headers = {
            "Accept": accept,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
        }
        if etag is not None:
            headers["If-None-Match"] = etag
        redirects = 0
        previous: str | None = None
        while True:
            text = str(url)
            with self._hop("GET", url, headers, None, deadline, previous) as response:
                status = response.status_code
                if status in _REDIRECT_STATUSES:
                    url = self._redirect_target(response, text, redirects)
                    redirects += 1
                    previous = text
                    continue
                if status == 304 and etag is not None:
                    return _Exchange(text, status, dict(response.headers), None)
                if not 200 <= status < 300:
                    raise FetchStatusError(
                        f"{text} answered HTTP {status}", url=text, status=status
                    )
                body = self._read_body(response, text, deadline)
                return _Exchange(text, status, dict(response.headers), body)

    @contextlib.contextmanager
    def _hop(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str],
        content: bytes | None,
        deadline: float,
        previous: str | None,
    ) -> Iterator[httpx.Response]:
        """One request to ``url``: its target checked and pinned, errors translated, the
        response streamed (the caller reads it within the block; it is closed after)."""
        text = str(url)
        try:
            target = self._policy.check_target(url, deadline)
        except FetchBlocked as exc:
            if previous is None:
                raise
            raise FetchBlocked(f"refusing redirect from {previous}: {exc}", url=exc.url) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout(f"fetching {text} timed out", url=text)
        pin = self._backend.pinned(target) if self._backend else contextlib.nullcontext()
        with self._translate_errors(text), pin:
            request = self._client.build_request(
                method, url, headers=headers, content=content, timeout=httpx.Timeout(remaining)
            )
            response = self._client.send(request, stream=True)
            try:
                yield response
            finally:
                response.close()

    def _redirect_target(self, response: httpx.Response, url: str, redirects: int) -> httpx.URL:
        location = response.headers.get("location")
        if not location:
            raise FetchStatusError(
                f"{url} answered HTTP {response.status_code} without a Location",
                url=url,
                status=response.status_code,
            )
        if redirects >= self._max_redirects:
            raise FetchBlocked(
                f"refusing {url}: more than {self._max_redirects} redirects", url=url
            )
        try:
            joined = response.url.join(location)
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchBlocked(
                f"refusing redirect from {url} to {location!r}: {exc}", url=url
            ) from exc
        try:
            return self._policy.parse_url(strip_fragment(str(joined)))
        except FetchBlocked as exc:
            raise FetchBlocked(f"refusing redirect from {url}: {exc}", url=str(joined)) from None

    def _read_body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        """Stream the body, enforcing the size limit on wire and decoded bytes and the deadline."""
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise FetchTooLarge(
                f"{url} declares {declared} bytes, more than the {self._max_bytes} allowed",
                url=url,
            )
        too_large = FetchTooLarge(f"{url} is larger than {self._max_bytes} bytes", url=url)
        if response.is_stream_consumed:
            # An injected transport returned a response it had already read into memory
            # (httpx.MockTransport does for bytes content). There is nothing left to stream;
            # only the size limit still applies.
            if len(response.content) > self._max_bytes:
                raise too_large
            return response.content
        decoder = BoundedDecoder(response.headers.get("content-encoding", ""), url)
        received = 0
        body = bytearray()
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > self._max_bytes:
                raise too_large
            body += decoder.decode(chunk, self._max_bytes - len(body))
            if len(body) > self._max_bytes:
                raise too_large
            if time.monotonic() > deadline:
                raise FetchTimeout(f"fetching {url} took longer than {self._timeout}s", url=url)
        body += decoder.flush()
        if len(body) > self._max_bytes:
            raise too_large
        return bytes(body)

    @staticmethod
    @contextlib.contextmanager
    def _translate_errors(url: str) -> Iterator[None]:
        """Turn httpx's exception tree into ours at the boundary (httpx ``map_*_exceptions``)."""
        try:
            yield
        except FetchBlocked as exc:
            if exc.url is not None:
                raise
            # raised by PinnedBackend deep inside httpcore, which does not know the URL
            raise FetchBlocked(f"{exc} (fetching {url})", url=url) from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"fetching {url} timed out: {exc}", url=url) from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise FetchError(f"fetching {url} failed: {exc!r}", url=url) from exc


def _post_body(
    form: Mapping[str, str] | None,
    json: Any,
    text: str | None,
    content: bytes | None,
    content_type: str | None,
) -> tuple[bytes, str]:
    """The bytes and ``Content-Type`` of a POST's one body (a ``ValueError`` unless one)."""
    given = [part is not None for part in (form, json, text, content)]
    if sum(given) != 1:
        raise ValueError("a POST takes exactly one of form, json, text or content")
    if (content is None) != (content_type is None):
        raise ValueError("content and content_type go together")
    if form is not None:
        return (
            urllib.parse.urlencode(list(form.items())).encode("ascii"),
            "application/x-www-form-urlencoded",
        )
    if json is not None:
        encoded = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"))
        return encoded.encode("utf-8"), "application/json"
    if text is not None:
        return text.encode("utf-8"), "text/plain; charset=utf-8"
    assert content is not None and content_type is not None
    return bytes(content), content_type
