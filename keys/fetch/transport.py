"""The pinned transport: httpx over an httpcore backend that connects only to checked addresses.

A name can resolve to a public address when :class:`~keys.fetch.policy.AddressPolicy` checks it
and to ``127.0.0.1`` when the HTTP library resolves it again a millisecond later (DNS rebinding).
So the library never resolves: :class:`PinnedBackend` connects to the addresses the policy has
just checked, and TLS SNI, certificate verification and the ``Host`` header still use the name.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from keys.errors import FetchBlocked
from keys.fetch.policy import CheckedTarget

__all__ = ["NoCookies", "PinnedBackend", "PinnedTransport"]


class PinnedBackend(httpcore.NetworkBackend):
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
    def pinned(self, target: CheckedTarget) -> Iterator[None]:
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
        target: CheckedTarget | None = getattr(self._local, "target", None)
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
        assert last_error is not None  # a CheckedTarget always has at least one address
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


class PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` over :class:`PinnedBackend`.

    ``HTTPTransport.__init__`` offers no way to pass a network backend, so this builds the
    connection pool itself; every other method (request/response mapping, the translation of
    httpcore exceptions into httpx ones) is inherited unchanged. httpx is pinned to 0.28.x in
    ``pyproject.toml``, and the end-to-end test against a local server exercises this path.
    """

    def __init__(self, backend: PinnedBackend) -> None:
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


class NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Neither accept nor return cookies: a server must not link one verification to another."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False
