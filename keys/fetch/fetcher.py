"""The one guarded fetcher every remote document goes through.

Verifying a credential means dereferencing URLs that the *credential's author* chose: did:web
documents, ``https`` verification methods and controller documents, status list credentials,
badge links, issuer registries. Whoever hands us a credential therefore decides where the
verifier connects. Without a guard that is a server-side request forgery (SSRF) primitive: a
verifier running in a cloud VPC could be made to read ``http://169.254.169.254/`` (instance
credentials), probe ``10.0.0.0/8`` or talk to services on ``localhost``, and to hang or exhaust
memory on a hostile server. :class:`GuardedFetcher` is the single choke point that prevents it.

Threat model and what each defence is for:

* **Scheme.** Only ``https``. Plain ``http`` is allowed only for local development
  (``allow_http_localhost=True`` *and* the host is ``localhost`` or a loopback IP literal), so a
  credential can never make us read ``file:``, ``ftp:``, ``gopher:``, ``data:`` ... URLs. URLs
  with userinfo (``https://user@host``) are refused: they are used to disguise the real host.
* **Address.** The host name is resolved *before* anything connects, and the fetch is refused if
  **any** resolved address is not globally routable: private, loopback, link-local (cloud
  metadata), unspecified, multicast, reserved, shared/CGN (``100.64.0.0/10``), documentation
  ranges, site-local, and IPv6 forms that embed such an IPv4 address (IPv4-mapped, NAT64,
  6to4, Teredo). Legacy numeric host spellings that the C resolver accepts (``2130706433``,
  ``0x7f.1``, ``127.1``, octal) are decoded and judged as the address they denote. Exceptions are
  explicit: host names listed in ``allowed_private_hosts`` (an internal registry, say) and, with
  ``allow_http_localhost``, loopback addresses of ``localhost`` itself.
* **DNS rebinding.** A name can resolve to a public address when checked and to ``127.0.0.1``
  when the HTTP library resolves it again a millisecond later. So the library never resolves:
  the default transport is built on an ``httpcore`` network backend that connects only to the
  addresses this module has just checked (TLS SNI, certificate verification and the ``Host``
  header still use the name). Redirects are never followed by httpx; each hop is re-parsed,
  re-resolved, re-checked and pinned the same way, and a redirect to a forbidden target fails
  before any request is sent to it. Environment proxies are ignored (``trust_env=False``), since
  a proxy would resolve the name itself and defeat the pinning.
* **Resource exhaustion.** A total time budget (``timeout``, name resolution included), a body
  size limit enforced on the declared ``Content-Length``, on the bytes received *and* on the
  decoded bytes (gzip/deflate are inflated by this module with a bounded output, so a
  decompression bomb stops at ``max_bytes``), at most ``max_redirects`` hops, a bounded cache.
* **Cross-verification tracking.** Cookies are neither stored nor sent.

Residual risk, stated plainly:

* Pinning applies to the default transport only. An injected ``transport`` (tests use
  ``httpx.MockTransport``) gets the same URL and address checks before each request, but if it
  opens real connections it resolves names by itself.
* The total deadline is checked between reads; one socket read may overrun it by at most the
  time that was left when the hop started, so the worst case is about twice ``timeout``.
* Name resolution runs in a worker thread so that it counts against the deadline; a resolver
  call that hangs keeps its worker thread busy until the system resolver gives up.
* Every address of a name must be public, but a public address is trusted as such: we cannot
  tell whether a public IP is routed to something the operator considers internal.

Errors raised are all :class:`keys.errors.FetchError` subclasses and name the URL::

    FetchError            resolution failed, transport error, undecodable or non-JSON body
    ├── FetchBlocked      scheme, userinfo, forbidden address, bad redirect, too many redirects
    ├── FetchTimeout      the total time budget ran out
    ├── FetchTooLarge     the body (declared, received or decoded) exceeds max_bytes
    └── FetchStatusError  a non-2xx status (``.status`` holds it)

Successful bodies are cached in memory per fetcher, keyed by ``(url, accept)``, fresh until the
earliest of ``Cache-Control: max-age``/``Expires`` (default :data:`DEFAULT_CACHE_TTL`, capped at
:data:`MAX_CACHE_TTL`) and, for JSON bodies, the document's own ``credentialSubject.ttl``
(milliseconds, Bitstring Status List) and ``validUntil``/``expirationDate``: a status list is
never served from cache past the moment its issuer said it stops being valid.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import email.utils
import http.cookiejar
import importlib.metadata
import ipaddress
import json
import re
import socket
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore
import httpx

from keys.errors import FetchBlocked, FetchError, FetchStatusError, FetchTimeout, FetchTooLarge

__all__ = [
    "DEFAULT_CACHE_MAX_BYTES",
    "DEFAULT_CACHE_MAX_ENTRIES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT",
    "MAX_CACHE_TTL",
    "USER_AGENT",
    "FetchedDocument",
    "GuardedFetcher",
    "Resolver",
    "parse_preload_args",
]

#: Total seconds for one fetch: resolution, connects, redirects and reading the body.
DEFAULT_TIMEOUT = 10.0
#: Largest body accepted (after decoding). DID documents and status lists are far smaller.
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
#: Redirects followed per fetch; each hop is checked like the first request.
DEFAULT_MAX_REDIRECTS = 3
#: Freshness when neither the headers nor the document say anything (seconds).
DEFAULT_CACHE_TTL = 300.0
#: No cached document is fresh for longer than this, whatever the server says (seconds).
MAX_CACHE_TTL = 86_400.0
#: Cache bounds per fetcher; least recently used entries go first.
DEFAULT_CACHE_MAX_ENTRIES = 256
DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024

try:
    _VERSION = importlib.metadata.version("microcred")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    _VERSION = "0"
#: Sent with every request so that operators can recognise (and rate-limit) the verifier.
USER_AGENT = f"microcred/{_VERSION}"

#: ``resolver(host, port) -> ["192.0.2.1", "2001:db8::1", ...]``
Resolver = Callable[[str, int], list[str]]

_DEFAULT_PORTS = {"https": 443, "http": 80}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclasses.dataclass(frozen=True)
class FetchedDocument:
    """A response body that passed every check, with what the cache needs to know about it.

    ``url`` is the final URL after redirects (fragment removed). ``body`` is the decoded body
    (``Content-Encoding`` undone); ``headers`` are the response headers as sent, lower-cased.
    ``expires_at`` is the instant until which the document may be reused without asking the
    server again; ``None`` means there is no such instant (``no-store``, or a preload).
    """

    url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]
    fetched_at: float
    expires_at: float | None


@dataclasses.dataclass(frozen=True)
class _Target:
    """One checked hop: the host as httpcore will name it, the port, and the allowed addresses."""

    host: str
    port: int
    addresses: tuple[str, ...]


@dataclasses.dataclass
class _CacheEntry:
    document: FetchedDocument
    etag: str | None


@dataclasses.dataclass(frozen=True)
class _Exchange:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes | None


# --------------------------------------------------------------------------- address policy


def _forbidden_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` could reach something internal, or ``None`` if it is public.

    Written as a deny list in front of ``is_global`` so that the error message can say *which*
    rule matched, and so that IPv6 encodings of IPv4 addresses are judged by the IPv4 address
    they lead to (a NAT64 gateway turns ``64:ff9b::a00:1`` into ``10.0.0.1``).
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            inner = _forbidden_reason(address.ipv4_mapped)
            return f"IPv4-mapped {inner}" if inner else None
        if address in _NAT64_WELL_KNOWN:
            inner = _forbidden_reason(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
            return f"NAT64 of {inner}" if inner else None
        if address.sixtofour is not None:
            inner = _forbidden_reason(address.sixtofour)
            return f"6to4 of {inner}" if inner else None
        if address.teredo is not None:
            return "Teredo tunnel"
        if address in _NAT64_LOCAL_USE:
            return "local-use NAT64"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return "shared address space"
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return "site-local"
        if address in _IPV4_COMPATIBLE:
            return "IPv4-compatible"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


def _ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` denotes if it is an IP literal in any spelling, else ``None``.

    ``inet_aton`` (and so ``getaddrinfo``) reads ``2130706433``, ``0x7f.1``, ``127.1`` and
    ``0177.0.0.1`` as ``127.0.0.1``. Such hosts are decoded here and judged as addresses rather
    than passed to a resolver that might not agree with the one the OS uses. An all-numeric host
    that is not a valid address is refused: no real DNS name looks like that.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.split(".")
    if all(_NUMERIC_LABEL.fullmatch(label) for label in labels):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise FetchBlocked(f"numeric host {host!r} is not a valid address") from None
    return None


def _is_localhost_name(host: str) -> bool:
    """``localhost`` or a canonical loopback IP literal: what development mode may use."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _system_resolver(host: str, port: int) -> list[str]:
    """Every address the operating system returns for ``host`` (TCP), duplicates removed."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _strip_fragment(url: str) -> str:
    """Fragments are client-side only; they are neither sent nor part of the cache key."""
    return url.split("#", 1)[0]


# --------------------------------------------------------------------------- pinned transport


class _PinnedBackend(httpcore.NetworkBackend):
    """A network backend that connects only to addresses the fetcher has just checked.

    httpcore hands ``connect_tcp`` the host name from the URL and would resolve it again; that
    second resolution is exactly what DNS rebinding exploits. Here the name is only a key: the
    thread-local pin set by :meth:`pinned` lists the checked addresses, and a connect without a
    matching pin fails closed. Everything above the TCP socket (TLS with SNI and certificate
    checks against the *name*, the ``Host`` header, connection pooling keyed by the name) is
    unchanged httpcore behaviour.
    """

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._local = threading.local()

    @contextlib.contextmanager
    def pinned(self, target: _Target) -> Iterator[None]:
        previous = getattr(self._local, "target", None)
        self._local.target = target
        try:
            yield
        finally:
            self._local.target = previous

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        target: _Target | None = getattr(self._local, "target", None)
        if target is None or target.host != host or target.port != port:
            raise FetchBlocked(f"refusing to connect to {host}:{port}: address was not checked")
        started = time.monotonic()
        last_error: Exception | None = None
        for address in target.addresses:
            remaining = None if timeout is None else timeout - (time.monotonic() - started)
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out")
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # a _Target always has at least one address
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise FetchBlocked(f"refusing to connect to unix socket {path}")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` over :class:`_PinnedBackend`.

    ``HTTPTransport.__init__`` offers no way to pass a network backend, so this builds the
    connection pool itself; every other method (request/response mapping, the translation of
    httpcore exceptions into httpx ones) is inherited unchanged. httpx is pinned to 0.28.x in
    ``pyproject.toml``, and the end-to-end test against a local server exercises this path.
    """

    def __init__(self, backend: _PinnedBackend) -> None:
        # Deliberately not calling super().__init__(): it would build a pool we then discard,
        # loading the CA bundle twice. SSL_CERT_FILE/SSL_CERT_DIR are honoured (operator-set).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=True),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=backend,
        )


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Neither accept nor return cookies: a server must not link one verification to another."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


# --------------------------------------------------------------------------- body decoding


class _BoundedDecoder:
    """Undo ``Content-Encoding`` without ever producing more than the caller's budget.

    httpx's own decoders inflate a whole network chunk at once, so 64 KiB of gzip can turn into
    tens of megabytes before a size check runs. ``zlib``'s ``max_length`` bounds each step.
    """

    def __init__(self, encoding: str, url: str) -> None:
        self._url = url
        self._raw_deflate_fallback = False
        name = encoding.strip().lower()
        if name in ("", "identity"):
            self._zlib: Any = None
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


# --------------------------------------------------------------------------- cache freshness


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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _header_lifetime(headers: Mapping[str, str], now: float) -> float | None:
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


def _xsd_datetime(value: Any) -> float | None:
    """An XSD ``dateTime`` (``validUntil``) as a timestamp; naive times are UTC. ``None`` if bad."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _document_deadline(document: Any, fetched_at: float) -> float | None:
    """The latest instant the document itself allows it to be reused, or ``None`` if unbounded.

    Bitstring Status List puts ``ttl`` (milliseconds) on the credential subject; VC 2.0 and 1.1
    carry ``validUntil`` / ``expirationDate``. A date we cannot read is taken to have passed:
    caching on a misread expiry would be the unsafe direction.
    """
    if not isinstance(document, dict):
        return None
    deadlines: list[float] = []
    subjects = document.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if isinstance(subject, dict) and "ttl" in subject:
            ttl = subject["ttl"]
            if isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl == ttl:
                deadlines.append(fetched_at + max(0.0, float(ttl)) / 1000.0)
            else:
                deadlines.append(fetched_at)
    for field in ("validUntil", "expirationDate"):
        if field in document:
            moment = _xsd_datetime(document[field])
            deadlines.append(fetched_at if moment is None else moment)
    return min(deadlines) if deadlines else None


def _looks_like_json(content_type: str, body: bytes) -> bool:
    return "json" in content_type or body.lstrip()[:1] in (b"{", b"[")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(body: bytes) -> Any:
    """Strict JSON: Python's ``NaN``/``Infinity`` extensions are not valid in any document."""
    return json.loads(body, parse_constant=_reject_constant)


def _expiry(
    headers: Mapping[str, str], content_type: str, body: bytes, fetched_at: float
) -> float | None:
    """When a response stops being fresh: the earliest of what HTTP and the document say."""
    lifetime = _header_lifetime(headers, fetched_at)
    if lifetime is None:
        return None
    expires_at = fetched_at + lifetime
    if _looks_like_json(content_type, body):
        try:
            parsed = _parse_json(body)
        except (ValueError, RecursionError):
            parsed = None
        deadline = _document_deadline(parsed, fetched_at)
        if deadline is not None:
            expires_at = min(expires_at, deadline)
    return expires_at


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


# --------------------------------------------------------------------------- the fetcher


class GuardedFetcher:
    """Fetch remote documents for the verifier without letting a credential aim the request.

    See the module docstring for the threat model. One instance is meant to be shared (by a
    FastAPI app, a CLI run): it keeps an HTTP connection pool, a resolver thread pool and a
    bounded cache, all safe to use from several threads. Call :meth:`close` (or use it as a
    context manager) when done.

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
        self._allow_http_localhost = allow_http_localhost
        self._allowed_private_hosts = frozenset(
            host.strip().rstrip(".").lower().strip("[]") for host in allowed_private_hosts
        )
        self._preloads = {
            _strip_fragment(url): bytes(body) for url, body in (preloads or {}).items()
        }
        self._resolver: Resolver = resolver or _system_resolver
        self._clock = clock
        self._cache_max_entries = cache_max_entries
        self._cache_max_bytes = cache_max_bytes
        self._cache: OrderedDict[tuple[str, str], _CacheEntry] = OrderedDict()
        self._cache_bytes = 0
        self._lock = threading.Lock()
        self._backend: _PinnedBackend | None = None
        if transport is None:
            self._backend = _PinnedBackend()
            transport = _PinnedTransport(self._backend)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,  # every hop is checked by _exchange
            trust_env=False,  # no environment proxies, no .netrc credentials
            cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
            timeout=self._timeout,
        )
        self._dns = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="microcred-dns"
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close pooled connections and stop the resolver threads."""
        self._client.close()
        self._dns.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> GuardedFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def clear_cache(self) -> None:
        """Forget every cached document (preloads are configuration and stay)."""
        with self._lock:
            self._cache.clear()
            self._cache_bytes = 0

    # ------------------------------------------------------------------ public fetching

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        """Return the document at ``url``, from a preload, the cache or the network.

        Raises a :class:`~keys.errors.FetchError` subclass for anything that is refused or
        fails; nothing else escapes (bar programming errors).
        """
        target = _strip_fragment(url)
        preloaded = self._preloads.get(target)
        if preloaded is not None:
            return self._preloaded_document(target, preloaded)

        parsed = self._parse_url(target)
        key = (target, accept)
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                self._cache.move_to_end(key)
                expires_at = entry.document.expires_at
                if expires_at is not None and self._clock() < expires_at:
                    return _copy(entry.document)
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
                expires_at=_expiry(
                    headers, entry.document.content_type, entry.document.body, fetched_at
                ),
            )
            new_etag = headers.get("etag") or etag
        else:
            assert exchange.body is not None
            content_type = _media_type(exchange.headers.get("content-type", ""))
            document = FetchedDocument(
                url=exchange.url,
                status=exchange.status,
                content_type=content_type,
                body=exchange.body,
                headers=exchange.headers,
                fetched_at=fetched_at,
                expires_at=_expiry(exchange.headers, content_type, exchange.body, fetched_at),
            )
            new_etag = exchange.headers.get("etag")
        self._store(key, document, new_etag, now=fetched_at)
        return _copy(document)

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        """Fetch ``url`` and parse the body as JSON (whatever the declared content type).

        A body that is not JSON raises :class:`~keys.errors.FetchError` naming the URL.
        """
        document = self.fetch(url, accept=accept)
        try:
            return _parse_json(document.body)
        except (ValueError, RecursionError) as exc:
            raise FetchError(
                f"{document.url} did not return JSON: {exc}", url=document.url
            ) from exc

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

    # ------------------------------------------------------------------ checks

    def _parse_url(self, url: str) -> httpx.URL:
        """Parse ``url`` and apply the checks that need no network (scheme, userinfo, host)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FetchBlocked(f"refusing malformed URL {url!r}: {exc}", url=url) from exc
        scheme = parsed.scheme
        host = parsed.raw_host.decode("ascii").rstrip(".").lower()
        if scheme not in _DEFAULT_PORTS:
            raise FetchBlocked(f"refusing {url}: scheme {scheme!r} is not allowed", url=url)
        if scheme == "http" and not (self._allow_http_localhost and _is_localhost_name(host)):
            raise FetchBlocked(
                f"refusing {url}: plain http is only allowed for localhost in development",
                url=url,
            )
        if parsed.userinfo:
            raise FetchBlocked(f"refusing {url}: URLs with credentials are not allowed", url=url)
        if not host:
            raise FetchBlocked(f"refusing {url}: no host", url=url)
        return parsed

    def _check_target(self, url: httpx.URL, deadline: float) -> _Target:
        """Resolve the URL's host and refuse unless every address is allowed for this host."""
        text = str(url)
        raw_host = url.raw_host.decode("ascii")
        host = raw_host.rstrip(".").lower()
        port = url.port or _DEFAULT_PORTS[url.scheme]
        try:
            literal = _ip_literal(host)
        except FetchBlocked as exc:
            raise FetchBlocked(f"refusing {text}: {exc}", url=text) from None
        if literal is not None:
            addresses = [literal]
        else:
            labels = host.split(".")
            if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
                raise FetchBlocked(f"refusing {text}: invalid host name {host!r}", url=text)
            addresses = self._resolve(raw_host, port, text, deadline)

        dev_local = self._allow_http_localhost and _is_localhost_name(host)
        privileged = host in self._allowed_private_hosts
        for address in addresses:
            reason = _forbidden_reason(address)
            if reason is None or privileged or (dev_local and address.is_loopback):
                continue
            raise FetchBlocked(
                f"refusing {text}: {host} is {reason} address {address}"
                if literal is not None
                else f"refusing {text}: {host} resolves to {reason} address {address}",
                url=text,
            )
        if url.scheme == "http" and not all(address.is_loopback for address in addresses):
            raise FetchBlocked(f"refusing {text}: plain http to a non-loopback address", url=text)
        return _Target(raw_host, port, tuple(str(address) for address in addresses))

    def _resolve(self, host: str, port: int, url: str, deadline: float) -> list[IPAddress]:
        """Run the resolver in a worker so that a slow DNS server counts against the budget."""
        future = self._dns.submit(self._resolver, host, port)
        try:
            results = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            raise FetchTimeout(f"resolving {host} for {url} timed out", url=url) from None
        except (OSError, UnicodeError, ValueError) as exc:
            raise FetchError(f"cannot resolve {host} for {url}: {exc}", url=url) from exc
        if not results:
            raise FetchError(f"cannot resolve {host} for {url}: no addresses", url=url)
        addresses: list[IPAddress] = []
        for result in results:
            try:
                addresses.append(ipaddress.ip_address(result))
            except ValueError:
                raise FetchBlocked(
                    f"refusing {url}: resolver returned {result!r}, not an IP address", url=url
                ) from None
        return addresses

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
            try:
                target = self._check_target(url, deadline)
            except FetchBlocked as exc:
                if previous is None:
                    raise
                raise FetchBlocked(
                    f"refusing redirect from {previous}: {exc}", url=exc.url
                ) from None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchTimeout(f"fetching {text} timed out", url=text)
            pin = self._backend.pinned(target) if self._backend else contextlib.nullcontext()
            with self._translate_errors(text), pin:
                request = self._client.build_request(
                    "GET", url, headers=headers, timeout=httpx.Timeout(remaining)
                )
                response = self._client.send(request, stream=True)
                try:
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
            return self._parse_url(_strip_fragment(str(joined)))
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
        decoder = _BoundedDecoder(response.headers.get("content-encoding", ""), url)
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
            # raised by _PinnedBackend deep inside httpcore, which does not know the URL
            raise FetchBlocked(f"{exc} (fetching {url})", url=url) from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"fetching {url} timed out: {exc}", url=url) from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise FetchError(f"fetching {url} failed: {exc!r}", url=url) from exc

    # ------------------------------------------------------------------ cache

    def _preloaded_document(self, url: str, body: bytes) -> FetchedDocument:
        try:
            _parse_json(body)
            content_type = "application/json"
        except (ValueError, RecursionError):
            content_type = "application/octet-stream"
        return FetchedDocument(
            url=url,
            status=200,
            content_type=content_type,
            body=body,
            headers={},
            fetched_at=self._clock(),
            expires_at=None,
        )

    def _store(
        self, key: tuple[str, str], document: FetchedDocument, etag: str | None, *, now: float
    ) -> None:
        """Keep ``document`` if it is fresh, or stale but revalidatable with its ETag."""
        fresh = document.expires_at is not None and document.expires_at > now
        keep = document.expires_at is not None and (fresh or etag is not None)
        size = len(document.body)
        with self._lock:
            old = self._cache.pop(key, None)
            if old is not None:
                self._cache_bytes -= len(old.document.body)
            if not keep or size > self._cache_max_bytes or self._cache_max_entries == 0:
                return
            self._cache[key] = _CacheEntry(document, etag)
            self._cache_bytes += size
            while (
                len(self._cache) > self._cache_max_entries
                or self._cache_bytes > self._cache_max_bytes
            ):
                _, evicted = self._cache.popitem(last=False)
                self._cache_bytes -= len(evicted.document.body)


def _copy(document: FetchedDocument) -> FetchedDocument:
    """Hand out a private ``headers`` dict so no caller can edit what the cache holds."""
    return dataclasses.replace(document, headers=dict(document.headers))


def parse_preload_args(args: Iterable[str]) -> dict[str, bytes]:
    """Turn ``--preload URL=FILE`` values into the ``preloads`` mapping.

    The split is at the *last* ``=`` because URLs carry query strings and file names rarely
    contain ``=``. Only ``http``/``https`` URLs make sense; the fragment is dropped. Raises
    ``ValueError`` (naming the argument) for a malformed pair, an unreadable file or a URL
    given twice.
    """
    preloads: dict[str, bytes] = {}
    for arg in args:
        url, sep, file = arg.rpartition("=")
        if not sep or not url or not file:
            raise ValueError(f"--preload expects URL=FILE, got {arg!r}")
        url = _strip_fragment(url.strip())
        if not url.lower().startswith(("https://", "http://")):
            raise ValueError(f"--preload URL must be http(s), got {url!r}")
        if url in preloads:
            raise ValueError(f"--preload given twice for {url}")
        try:
            preloads[url] = Path(file).expanduser().read_bytes()
        except OSError as exc:
            raise ValueError(f"--preload {url}: cannot read {file}: {exc}") from exc
    return preloads
