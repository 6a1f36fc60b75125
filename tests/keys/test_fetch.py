"""The guarded fetcher: SSRF refusals happen before any request, limits hold, the cache is honest.

Almost every test injects ``httpx.MockTransport`` (whose handler records each request it sees)
and a fake resolver (which records each name it is asked about), so "blocked before any
connection" is asserted as "zero handler calls". The tests at the end run the real default
transport against ``http.server`` on loopback to prove the pinned-address path works.
"""

from __future__ import annotations

import gzip
import http.server
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.errors import (
    FetchBlocked,
    FetchError,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
    KeysError,
)
from keys.fetch import (
    DEFAULT_CACHE_TTL,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT,
    MAX_CACHE_TTL,
    USER_AGENT,
    FetchedDocument,
    GuardedFetcher,
    parse_preload_args,
)
from keys.fetch.policy import forbidden_reason
from keys.fetch.special_purpose import SPECIAL_PURPOSE_BLOCKS
from tests.keys.tls_support import tls_files

PUBLIC_IP = "93.184.216.34"
NOW = 1_750_000_000.0
DOC = {"id": "did:web:issuer.example", "verificationMethod": []}

Handler = Callable[[httpx.Request], httpx.Response]


class FakeResolver:
    """A DNS that knows a few names and records every question."""

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names = {
            "issuer.example": [PUBLIC_IP],
            "other.example": ["203.0.114.7"],
            "third.example": ["2606:4700::1111"],
            "localhost": ["127.0.0.1", "::1"],
            "internal.example": ["10.1.2.3"],
            "mixed.example": [PUBLIC_IP, "10.0.0.1"],
            "rebind.example": ["127.0.0.1"],
            "metadata.example": ["169.254.169.254"],
            "registry.internal": ["10.0.0.9"],
            **(names or {}),
        }
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        name = host.rstrip(".").lower()  # "issuer.example." is the absolute form of the name
        if name not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.names[name]


class Recorder:
    """A MockTransport handler that records requests and answers from a route table."""

    def __init__(self, routes: dict[str, Handler] | None = None) -> None:
        self.routes = routes or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(str(request.url))
        if route is None:
            return httpx.Response(200, json=DOC)
        return route(request)

    @property
    def urls(self) -> list[str]:
        return [str(request.url) for request in self.requests]


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(recorder: Recorder, resolver: FakeResolver, clock: Clock) -> Iterator[Any]:
    """Build fetchers wired to the shared recorder, resolver and clock; close them afterwards."""
    made: list[GuardedFetcher] = []

    def factory(**kwargs: Any) -> GuardedFetcher:
        kwargs.setdefault("transport", httpx.MockTransport(recorder))
        kwargs.setdefault("resolver", resolver)
        kwargs.setdefault("clock", clock)
        fetcher = GuardedFetcher(**kwargs)
        made.append(fetcher)
        return fetcher

    yield factory
    for fetcher in made:
        fetcher.close()


def respond(
    status: int = 200,
    *,
    body: Any = DOC,
    headers: dict[str, str] | None = None,
) -> Handler:
    """A handler answering with a *streamed* body, as a real transport would."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    default_type = {} if isinstance(body, bytes) else {"Content-Type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status, content=iter([content]), headers={**default_type, **(headers or {})}
        )

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    return lambda request: httpx.Response(status, headers={"Location": location})


# --------------------------------------------------------------------------- defaults & basics


def test_named_safe_defaults() -> None:
    assert DEFAULT_TIMEOUT == 10.0
    assert DEFAULT_MAX_BYTES == 2 * 1024 * 1024
    assert DEFAULT_MAX_REDIRECTS == 3
    assert DEFAULT_CACHE_TTL == 300.0
    assert MAX_CACHE_TTL == 86_400.0
    assert USER_AGENT.startswith("microcred/")


def test_fetch_returns_document_with_headers_sent(make: Any, recorder: Recorder) -> None:
    fetcher = make()
    document = fetcher.fetch("https://issuer.example/.well-known/did.json#key-1")

    assert isinstance(document, FetchedDocument)
    assert document.url == "https://issuer.example/.well-known/did.json"
    assert document.status == 200
    assert document.content_type == "application/json"
    assert json.loads(document.body) == DOC
    assert document.fetched_at == NOW
    assert document.expires_at == NOW + DEFAULT_CACHE_TTL
    with pytest.raises(FrozenInstanceError):
        document.body = b""  # type: ignore[misc]

    (request,) = recorder.requests
    assert str(request.url) == "https://issuer.example/.well-known/did.json"  # no fragment
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT
    assert "cookie" not in request.headers


def test_accept_header_is_passed_through(make: Any, recorder: Recorder) -> None:
    make().fetch("https://issuer.example/vc", accept="application/vc+ld+json")
    assert recorder.requests[0].headers["accept"] == "application/vc+ld+json"


def test_fetch_json_and_text(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/page"] = respond(
        body="café".encode("latin-1"), headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    fetcher = make()
    assert fetcher.fetch_json("https://issuer.example/did.json") == DOC
    assert fetcher.fetch_text("https://issuer.example/page") == "café"


def test_fetch_json_rejects_non_json_naming_the_url(make: Any, recorder: Recorder) -> None:
    url = "https://issuer.example/not-json"
    recorder.routes[url] = respond(body=b"<html>hi</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(FetchError, match="issuer.example/not-json") as info:
        make().fetch_json(url)
    assert info.value.url == url
    recorder.routes[url] = respond(body=b'{"ttl": NaN}')
    with pytest.raises(FetchError, match="not JSON"):
        make().fetch_json(url)


def test_cookies_are_neither_kept_nor_sent(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/a"] = respond(
        headers={"Set-Cookie": "track=1; Path=/", "Cache-Control": "no-store"}
    )
    fetcher = make()
    fetcher.fetch("https://issuer.example/a")
    fetcher.fetch("https://issuer.example/a")
    assert all("cookie" not in request.headers for request in recorder.requests)


# --------------------------------------------------------------------------- blocking

BLOCKED_BY_ADDRESS = [
    "https://127.0.0.1/",
    "https://127.0.0.1:8443/x",
    "https://localhost/",
    "https://10.0.0.5/",
    "https://169.254.169.254/latest/meta-data/",
    "https://metadata.example/latest/meta-data/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[fec0::1]/",
    "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "https://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    "https://[::]/",
    "https://internal.example/",
    "https://mixed.example/",  # one public and one private address: still refused
    "https://0.0.0.0/",
    "https://100.64.0.1/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://2130706433/",  # decimal 127.0.0.1
    "https://017700000001/",  # octal 127.0.0.1
    "https://0x7f000001/",  # hex 127.0.0.1
    "https://0x7f.1/",
    "https://127.1/",
    "https://0177.0.0.1/",  # rejected by the URL parser itself
    "https://167772165/",  # decimal 10.0.0.5
    "https://999999999999/",  # numeric but no address at all
]

BLOCKED_BEFORE_DNS = [
    "http://example.com/",
    "http://127.0.0.1:8000/",
    "http://localhost/",
    "file:///etc/passwd",
    "ftp://issuer.example/did.json",
    "data:application/json,{}",
    "gopher://issuer.example/",
    "javascript:alert(1)",
    "ws://issuer.example/",
    "https://user:pw@issuer.example/",
    "https://user@issuer.example/",
    "https:///no-host",
    "not a url",
    "",
    "https://bad host.example/",
    "https://under-.example/",
]


@pytest.mark.parametrize("url", BLOCKED_BY_ADDRESS)
def test_private_targets_are_refused_before_any_request(
    make: Any, recorder: Recorder, url: str
) -> None:
    with pytest.raises(FetchBlocked) as info:
        make().fetch(url)
    assert recorder.requests == []
    assert isinstance(info.value, FetchError) and isinstance(info.value, KeysError)
    assert "refus" in str(info.value)


@pytest.mark.parametrize("url", BLOCKED_BEFORE_DNS)
def test_schemes_userinfo_and_junk_are_refused_without_dns(
    make: Any, recorder: Recorder, resolver: FakeResolver, url: str
) -> None:
    with pytest.raises(FetchBlocked):
        make().fetch(url)
    assert recorder.requests == []
    assert resolver.calls == []


def test_block_message_names_url_and_reason(make: Any) -> None:
    with pytest.raises(FetchBlocked) as info:
        make().fetch("https://internal.example/status/1")
    message = str(info.value)
    assert "https://internal.example/status/1" in message
    assert "10.1.2.3" in message and "private" in message
    assert info.value.url == "https://internal.example/status/1"


def test_unresolvable_host_is_a_fetch_error_not_a_block(make: Any, recorder: Recorder) -> None:
    with pytest.raises(FetchError, match="nowhere.example") as info:
        make().fetch("https://nowhere.example/")
    assert not isinstance(info.value, FetchBlocked)
    assert recorder.requests == []


def test_resolver_returning_garbage_is_refused(make: Any, recorder: Recorder) -> None:
    fetcher = make(resolver=FakeResolver({"weird.example": ["not-an-ip"]}))
    with pytest.raises(FetchBlocked):
        fetcher.fetch("https://weird.example/")
    assert recorder.requests == []


def test_public_names_and_literals_pass(make: Any, recorder: Recorder) -> None:
    fetcher = make()
    fetcher.fetch("https://issuer.example/a")
    fetcher.fetch("https://third.example/b")  # IPv6 global
    fetcher.fetch(f"https://{PUBLIC_IP}/c")
    fetcher.fetch("https://ISSUER.example./d")  # case and trailing dot
    assert len(recorder.requests) == 4


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.ip_addresses(network="10.0.0.0/8"),
        st.ip_addresses(network="172.16.0.0/12"),
        st.ip_addresses(network="192.168.0.0/16"),
        st.ip_addresses(network="127.0.0.0/8"),
        st.ip_addresses(network="169.254.0.0/16"),
        st.ip_addresses(network="100.64.0.0/10"),
        st.ip_addresses(network="0.0.0.0/8"),
        st.ip_addresses(network="224.0.0.0/4"),
        st.ip_addresses(network="240.0.0.0/4"),
        st.ip_addresses(network="fc00::/7"),
        st.ip_addresses(network="fe80::/10"),
        st.ip_addresses(network="ff00::/8"),
        st.ip_addresses(network="::ffff:10.0.0.0/104"),
        st.ip_addresses(network="::ffff:127.0.0.0/104"),
    )
)
def test_any_non_public_address_is_refused(address: Any) -> None:
    calls: list[httpx.Request] = []
    host = f"[{address}]" if address.version == 6 else str(address)
    names = {"name.example": [str(address)]}
    with GuardedFetcher(
        transport=httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(200)),
        resolver=FakeResolver(names),
    ) as fetcher:
        for url in (f"https://{host}/", "https://name.example/"):
            with pytest.raises(FetchBlocked):
                fetcher.fetch(url)
    assert calls == []


# --------------------------------------------------------------------------- exceptions to the rule


def test_allow_http_localhost_allows_loopback_only(make: Any, recorder: Recorder) -> None:
    fetcher = make(allow_http_localhost=True)
    fetcher.fetch("http://127.0.0.1:8000/did.json")
    fetcher.fetch("http://localhost:8000/did.json")
    fetcher.fetch("http://[::1]:8000/did.json")
    fetcher.fetch("https://localhost/did.json")
    assert len(recorder.requests) == 4

    for url in (
        "http://example.com/",  # plain http elsewhere: still refused
        "http://issuer.example/",
        "http://10.0.0.5/",
        "https://10.0.0.5/",
        "https://rebind.example/",  # a public name pointing at loopback is not "localhost"
        "http://2130706433/",  # only canonical literals count as localhost
        "https://169.254.169.254/",
    ):
        with pytest.raises(FetchBlocked):
            fetcher.fetch(url)
    assert len(recorder.requests) == 4


def test_http_localhost_must_resolve_to_loopback(make: Any, recorder: Recorder) -> None:
    fetcher = make(allow_http_localhost=True, resolver=FakeResolver({"localhost": [PUBLIC_IP]}))
    with pytest.raises(FetchBlocked):
        fetcher.fetch("http://localhost:8000/")
    assert recorder.requests == []


def test_allowed_private_hosts(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://registry.internal/to-other"] = redirect("https://internal.example/")
    fetcher = make(allowed_private_hosts=["Registry.Internal"])
    assert fetcher.fetch_json("https://registry.internal/registry.json") == DOC

    with pytest.raises(FetchBlocked):
        fetcher.fetch("http://registry.internal/registry.json")  # still https only
    with pytest.raises(FetchBlocked):
        fetcher.fetch("https://internal.example/")  # other private hosts stay blocked
    with pytest.raises(FetchBlocked):
        fetcher.fetch("https://registry.internal/to-other")  # and so do redirects to them
    assert recorder.urls == [
        "https://registry.internal/registry.json",
        "https://registry.internal/to-other",
    ]


# --------------------------------------------------------------------------- redirects


def test_redirect_chain_rechecks_every_hop(
    make: Any, recorder: Recorder, resolver: FakeResolver
) -> None:
    recorder.routes.update(
        {
            "https://issuer.example/a": redirect("https://other.example/b", 301),
            "https://other.example/b": redirect("/c#frag", 307),
            "https://other.example/c": redirect("https://third.example/d", 308),
        }
    )
    document = make().fetch("https://issuer.example/a")
    assert document.url == "https://third.example/d"
    assert recorder.urls == [
        "https://issuer.example/a",
        "https://other.example/b",
        "https://other.example/c",
        "https://third.example/d",
    ]
    assert [host for host, _ in resolver.calls] == [
        "issuer.example",
        "other.example",
        "other.example",
        "third.example",
    ]
    assert all(r.headers["accept"] == "application/json" for r in recorder.requests)


@pytest.mark.parametrize(
    "location",
    [
        "https://internal.example/secret",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/",
        "https://rebind.example/",
        "http://other.example/downgrade",
        "file:///etc/passwd",
        "https://user@other.example/",
    ],
)
def test_redirect_to_forbidden_target_is_refused_without_requesting_it(
    make: Any, recorder: Recorder, location: str
) -> None:
    recorder.routes["https://issuer.example/start"] = redirect(location)
    with pytest.raises(FetchBlocked, match="issuer.example/start"):
        make().fetch("https://issuer.example/start")
    assert recorder.urls == ["https://issuer.example/start"]


def test_redirect_loop_stops_at_max_redirects(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/loop"] = redirect("https://issuer.example/loop")
    with pytest.raises(FetchBlocked, match="redirects"):
        make().fetch("https://issuer.example/loop")
    assert len(recorder.requests) == DEFAULT_MAX_REDIRECTS + 1

    recorder.requests.clear()
    with pytest.raises(FetchBlocked):
        make(max_redirects=0).fetch("https://issuer.example/loop")
    assert len(recorder.requests) == 1


def test_redirect_without_location_is_a_status_error(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/r"] = lambda request: httpx.Response(302)
    with pytest.raises(FetchStatusError) as info:
        make().fetch("https://issuer.example/r")
    assert info.value.status == 302


# --------------------------------------------------------------------------- limits and errors


def test_declared_content_length_over_limit_is_refused_unread(
    make: Any, recorder: Recorder
) -> None:
    consumed: list[bool] = []

    def body() -> Iterator[bytes]:
        consumed.append(True)
        yield b"x" * 10

    recorder.routes["https://issuer.example/big"] = lambda request: httpx.Response(
        200, content=body(), headers={"Content-Length": str(DEFAULT_MAX_BYTES + 1)}
    )
    with pytest.raises(FetchTooLarge, match="issuer.example/big"):
        make().fetch("https://issuer.example/big")
    assert consumed == []


def test_streamed_body_over_limit_is_aborted(make: Any, recorder: Recorder) -> None:
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b"x" * 1000

    recorder.routes["https://issuer.example/stream"] = lambda request: httpx.Response(
        200, content=body()
    )
    with pytest.raises(FetchTooLarge):
        make(max_bytes=5000).fetch("https://issuer.example/stream")
    assert len(sent) <= 6  # stopped as soon as the limit was passed


def test_body_exactly_at_limit_is_fine(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/edge"] = respond(body=b"y" * 5000)
    assert len(make(max_bytes=5000).fetch("https://issuer.example/edge").body) == 5000
    with pytest.raises(FetchTooLarge):
        make(max_bytes=4999).fetch("https://issuer.example/edge")


def test_gzip_body_is_decoded_and_bombs_are_bounded(make: Any, recorder: Recorder) -> None:
    small = gzip.compress(json.dumps(DOC).encode())
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < DEFAULT_MAX_BYTES
    recorder.routes["https://issuer.example/small"] = respond(
        body=small, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    recorder.routes["https://issuer.example/bomb"] = respond(
        body=bomb, headers={"Content-Encoding": "gzip"}
    )
    fetcher = make()
    assert fetcher.fetch_json("https://issuer.example/small") == DOC
    with pytest.raises(FetchTooLarge):
        fetcher.fetch("https://issuer.example/bomb")


def test_unknown_content_encoding_is_an_error(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/br"] = respond(
        body=b"\x00\x01", headers={"Content-Encoding": "br"}
    )
    with pytest.raises(FetchError, match="Content-Encoding"):
        make().fetch("https://issuer.example/br")


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_transport_timeouts_become_fetch_timeout(
    make: Any, recorder: Recorder, error: type[httpx.TimeoutException]
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise error("too slow", request=request)

    recorder.routes["https://issuer.example/slow"] = slow
    with pytest.raises(FetchTimeout, match="issuer.example/slow"):
        make().fetch("https://issuer.example/slow")


def test_total_deadline_covers_slow_drip_bodies(make: Any, recorder: Recorder) -> None:
    def drip() -> Iterator[bytes]:
        for _ in range(20):
            time.sleep(0.05)
            yield b" "

    recorder.routes["https://issuer.example/drip"] = lambda request: httpx.Response(
        200, content=drip()
    )
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        make(timeout=0.2).fetch("https://issuer.example/drip")
    assert time.monotonic() - started < 0.6


def test_slow_resolver_counts_against_the_deadline(make: Any, recorder: Recorder) -> None:
    def slow_resolver(host: str, port: int) -> list[str]:
        time.sleep(0.5)
        return [PUBLIC_IP]

    with pytest.raises(FetchTimeout):
        make(timeout=0.1, resolver=slow_resolver).fetch("https://issuer.example/")
    assert recorder.requests == []


def test_other_transport_errors_become_fetch_error(make: Any, recorder: Recorder) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    recorder.routes["https://issuer.example/down"] = broken
    with pytest.raises(FetchError, match="issuer.example/down") as info:
        make().fetch("https://issuer.example/down")
    assert type(info.value) is FetchError


@pytest.mark.parametrize("status", [404, 410, 500, 503, 304])
def test_non_2xx_is_a_status_error(make: Any, recorder: Recorder, status: int) -> None:
    recorder.routes["https://issuer.example/gone"] = respond(status, body=b"nope")
    with pytest.raises(FetchStatusError, match=f"issuer.example/gone.*{status}") as info:
        make().fetch("https://issuer.example/gone")
    assert info.value.status == status
    assert info.value.url == "https://issuer.example/gone"


# --------------------------------------------------------------------------- preloads


def test_preload_is_served_without_network(
    make: Any, recorder: Recorder, resolver: FakeResolver
) -> None:
    body = json.dumps({"preloaded": True}).encode()
    fetcher = make(preloads={"https://offline.example/did.json#ignored": body})
    document = fetcher.fetch("https://offline.example/did.json#key-1")
    assert document.body == body
    assert document.url == "https://offline.example/did.json"
    assert document.expires_at is None
    assert fetcher.fetch_json("https://offline.example/did.json") == {"preloaded": True}
    assert recorder.requests == [] and resolver.calls == []
    with pytest.raises(FetchError):  # exact match only: a different URL goes to DNS
        fetcher.fetch("https://offline.example/did.json?x=1")


def test_parse_preload_args(tmp_path: Path) -> None:
    doc = tmp_path / "did.json"
    doc.write_bytes(b'{"a": 1}')
    status = tmp_path / "status.json"
    status.write_bytes(b"{}")
    preloads = parse_preload_args(
        [f"https://a.example/did.json#x={doc}", f"https://b.example/s?list=3={status}"]
    )
    assert preloads == {
        "https://a.example/did.json": b'{"a": 1}',
        "https://b.example/s?list=3": b"{}",
    }
    for bad in (
        "no-equals-sign",
        f"={doc}",
        "https://a.example/x=",
        f"file:///etc/passwd={doc}",
        f"https://a.example/missing={tmp_path / 'missing.json'}",
    ):
        with pytest.raises(ValueError):
            parse_preload_args([bad])
    with pytest.raises(ValueError, match="twice"):
        parse_preload_args([f"https://a.example/d={doc}", f"https://a.example/d={doc}"])


# --------------------------------------------------------------------------- cache


def test_max_age_is_honoured(make: Any, recorder: Recorder, clock: Clock) -> None:
    url = "https://issuer.example/did.json"
    recorder.routes[url] = respond(headers={"Cache-Control": "public, max-age=60, s-maxage=9999"})
    fetcher = make()
    first = fetcher.fetch(url)
    assert first.expires_at == NOW + 60
    clock.now += 59
    assert fetcher.fetch(url).fetched_at == NOW  # served from cache
    assert len(recorder.requests) == 1
    clock.now += 2
    assert fetcher.fetch(url).fetched_at == NOW + 61
    assert len(recorder.requests) == 2


def test_default_ttl_and_cap(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/forever"] = respond(
        headers={"Cache-Control": "max-age=999999999"}
    )
    fetcher = make()
    assert fetcher.fetch("https://issuer.example/plain").expires_at == NOW + DEFAULT_CACHE_TTL
    assert fetcher.fetch("https://issuer.example/forever").expires_at == NOW + MAX_CACHE_TTL


def test_expires_header_relative_to_date(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/e"] = respond(
        headers={
            "Date": "Mon, 02 Jun 2025 10:00:00 GMT",
            "Expires": "Mon, 02 Jun 2025 10:02:00 GMT",
        }
    )
    recorder.routes["https://issuer.example/bad"] = respond(headers={"Expires": "0"})
    fetcher = make()
    assert fetcher.fetch("https://issuer.example/e").expires_at == NOW + 120
    assert fetcher.fetch("https://issuer.example/bad").expires_at == NOW  # invalid = stale


def status_list(**extra: Any) -> dict[str, Any]:
    return {
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
            **extra.pop("subject", {}),
        },
        **extra,
    }


def test_ttl_in_body_shortens_lifetime(make: Any, recorder: Recorder, clock: Clock) -> None:
    url = "https://issuer.example/status/1"
    recorder.routes[url] = respond(
        body=status_list(subject={"ttl": 10_000}), headers={"Cache-Control": "max-age=3600"}
    )
    fetcher = make()
    assert fetcher.fetch(url).expires_at == NOW + 10  # ttl is milliseconds
    clock.now += 9
    fetcher.fetch(url)
    assert len(recorder.requests) == 1
    clock.now += 2
    fetcher.fetch(url)
    assert len(recorder.requests) == 2


def test_valid_until_bounds_the_cache(make: Any, recorder: Recorder, clock: Clock) -> None:
    soon = "2025-06-15T15:07:00Z"  # NOW is 2025-06-15T15:06:40Z
    recorder.routes["https://issuer.example/soon"] = respond(
        body=status_list(validUntil=soon), headers={"Cache-Control": "max-age=3600"}
    )
    assert make().fetch("https://issuer.example/soon").expires_at == NOW + 20


@pytest.mark.parametrize(
    "extra",
    [
        {"validUntil": "2020-01-01T00:00:00Z"},
        {"expirationDate": "2020-01-01T00:00:00Z"},
        {"validUntil": "not a date"},
        {"subject": {"ttl": "soon"}},
        {"subject": {"ttl": 0}},
    ],
)
def test_expired_or_unreadable_validity_is_not_cached(
    make: Any, recorder: Recorder, extra: dict[str, Any]
) -> None:
    url = "https://issuer.example/status/old"
    recorder.routes[url] = respond(body=status_list(**extra))
    fetcher = make()
    document = fetcher.fetch(url)
    assert document.expires_at is not None and document.expires_at <= NOW
    fetcher.fetch(url)
    assert len(recorder.requests) == 2


def test_no_store_is_not_cached(make: Any, recorder: Recorder) -> None:
    url = "https://issuer.example/private"
    recorder.routes[url] = respond(headers={"Cache-Control": "no-store, max-age=600"})
    fetcher = make()
    assert fetcher.fetch(url).expires_at is None
    fetcher.fetch(url)
    assert len(recorder.requests) == 2


def test_no_cache_revalidates_every_time(make: Any, recorder: Recorder) -> None:
    url = "https://issuer.example/nc"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"', "Cache-Control": "no-cache"})
        return httpx.Response(200, json=DOC, headers={"ETag": '"v1"', "Cache-Control": "no-cache"})

    recorder.routes[url] = handler
    fetcher = make()
    fetcher.fetch(url)
    assert fetcher.fetch_json(url) == DOC
    assert len(recorder.requests) == 2
    assert recorder.requests[1].headers["if-none-match"] == '"v1"'


def test_etag_revalidation_with_304(make: Any, recorder: Recorder, clock: Clock) -> None:
    url = "https://issuer.example/status/2"
    body = status_list()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == 'W/"abc"':
            return httpx.Response(304, headers={"Cache-Control": "max-age=100"})
        return httpx.Response(
            200, json=body, headers={"ETag": 'W/"abc"', "Cache-Control": "max-age=10"}
        )

    recorder.routes[url] = handler
    fetcher = make()
    first = fetcher.fetch(url)
    clock.now += 11
    second = fetcher.fetch(url)
    assert recorder.requests[1].headers["if-none-match"] == 'W/"abc"'
    assert second.body == first.body and second.status == 200
    assert second.fetched_at == NOW + 11
    assert second.expires_at == NOW + 11 + 100
    clock.now += 50
    fetcher.fetch(url)
    assert len(recorder.requests) == 2


def test_cache_key_includes_accept_and_clear_cache(make: Any, recorder: Recorder) -> None:
    fetcher = make()
    url = "https://issuer.example/vc"
    fetcher.fetch(url)
    fetcher.fetch(url + "#frag")
    fetcher.fetch(url, accept="application/vc+jwt")
    assert len(recorder.requests) == 2
    fetcher.clear_cache()
    fetcher.fetch(url)
    assert len(recorder.requests) == 3


def test_cache_is_bounded_lru(make: Any, recorder: Recorder) -> None:
    fetcher = make(cache_max_entries=2)
    for path in ("a", "b", "a", "c", "a", "b"):
        fetcher.fetch(f"https://issuer.example/{path}")
    # a, b (miss) - a (hit) - c (miss, evicts b) - a (hit) - b (miss)
    assert [url.rsplit("/", 1)[1] for url in recorder.urls] == ["a", "b", "c", "b"]


def test_cached_headers_cannot_be_edited_by_callers(make: Any) -> None:
    fetcher = make()
    fetcher.fetch("https://issuer.example/h").headers["content-type"] = "evil"
    assert fetcher.fetch("https://issuer.example/h").headers["content-type"] == "application/json"


def test_concurrent_use_from_threads(make: Any, recorder: Recorder) -> None:
    fetcher = make()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                assert fetcher.fetch_json(f"https://issuer.example/{(n + i) % 5}") == DOC
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert 5 <= len(recorder.requests) <= 40


# --------------------------------------------------------------------------- the real transport


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    seen: list[dict[str, str]]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.seen.append(
            {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
        )
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/did.json")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/huge":
            self.send_response(200)
            self.end_headers()  # no Content-Length: the body runs until the socket closes
            self.close_connection = True
            try:
                for _ in range(100):
                    self.wfile.write(b"z" * 65536)
            except OSError:
                pass
            return
        body = json.dumps(DOC).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "track=1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    """An HTTP server on 127.0.0.2: the system resolves ``localhost`` elsewhere (127.0.0.1)."""
    try:
        srv = _Server(("127.0.0.2", 0), _Handler)
    except OSError:  # pragma: no cover - platforms without the whole 127/8 on loopback
        pytest.skip("cannot bind 127.0.0.2")
    srv.seen = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_real_transport_connects_to_the_checked_address(server: _Server) -> None:
    port = server.server_address[1]
    resolver = FakeResolver({"localhost": ["127.0.0.2"]})
    with GuardedFetcher(allow_http_localhost=True, resolver=resolver) as fetcher:
        # Only the pinned address can reach the server: nothing listens on the 127.0.0.1 or
        # ::1 that the operating system would have picked for "localhost".
        assert fetcher.fetch_json(f"http://localhost:{port}/did.json") == DOC
        fetcher.clear_cache()
        document = fetcher.fetch(f"http://localhost:{port}/redirect")
        assert document.url == f"http://localhost:{port}/did.json"
        with pytest.raises(FetchTooLarge):
            fetcher.fetch(f"http://localhost:{port}/huge")
    assert [seen["path"] for seen in server.seen] == [
        "/did.json",
        "/redirect",
        "/did.json",
        "/huge",
    ]
    assert all(seen["host"] == f"localhost:{port}" for seen in server.seen)
    assert all(seen["user-agent"] == USER_AGENT for seen in server.seen)
    assert all("cookie" not in seen for seen in server.seen)
    # one resolution per hop, none by the HTTP library
    assert resolver.calls == [("localhost", port)] * 4


def test_real_transport_blocks_before_connecting(server: _Server) -> None:
    port = server.server_address[1]
    rebinding = FakeResolver({"localhost": ["10.0.0.1"]})
    with (
        GuardedFetcher(allow_http_localhost=True, resolver=rebinding) as fetcher,
        pytest.raises(FetchBlocked),
    ):
        fetcher.fetch(f"http://localhost:{port}/did.json")
    with GuardedFetcher(resolver=FakeResolver({"localhost": ["127.0.0.2"]})) as fetcher:
        with pytest.raises(FetchBlocked):
            fetcher.fetch(f"http://localhost:{port}/did.json")
        with pytest.raises(FetchBlocked):
            fetcher.fetch(f"https://127.0.0.2:{port}/did.json")
    assert server.seen == []


def test_pinned_backend_refuses_unchecked_connections() -> None:
    from keys.fetch.transport import PinnedBackend

    with pytest.raises(FetchBlocked, match="not checked"):
        PinnedBackend().connect_tcp("localhost", 80)


def test_real_https_pins_address_but_verifies_the_name(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS goes to the pinned 127.0.0.2, with SNI and certificate checks for the *name*.

    ``issuer.test`` does not exist in any real DNS, and the certificate has no IP address in
    it, so the fetch only succeeds if the connection uses the checked address while TLS keeps
    using the host name. A name the certificate does not cover fails verification.
    """
    import ssl

    ca_file, cert_file, key_file = tls_files(tmp_path, "issuer.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment,misc]
    server.socket = context.wrap_socket(server.socket, server_side=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # trust the throwaway CA, nothing else

    port = server.server_address[1]
    resolver = FakeResolver({"issuer.test": ["127.0.0.2"], "other.test": ["127.0.0.2"]})
    with GuardedFetcher(
        resolver=resolver, allowed_private_hosts={"issuer.test", "other.test"}
    ) as fetcher:
        assert fetcher.fetch_json(f"https://issuer.test:{port}/did.json") == DOC
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            fetcher.fetch(f"https://other.test:{port}/did.json")
    assert sni[:2] == ["issuer.test", "other.test"]
    assert [seen["host"] for seen in server.seen] == [f"issuer.test:{port}"]


#: Each IANA special-purpose block (keys.fetch.special_purpose), by its first and last address.
SPECIAL_EDGES = [
    pytest.param(str(edge), id=f"{network}-{which}")
    for network, _ in SPECIAL_PURPOSE_BLOCKS
    for which, edge in (("first", network[0]), ("last", network[-1]))
]


@pytest.mark.parametrize("address", SPECIAL_EDGES)
def test_every_special_purpose_block_is_refused_edge_to_edge(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is not None, address


@pytest.mark.parametrize(
    "address", ["192.0.0.9", "192.0.0.10", "192.31.196.1", "192.52.193.1", "2620:4f:8000::1"]
)
def test_blocks_pythons_tables_call_global_are_refused_by_the_iana_table(address: str) -> None:
    """Python 3.11 calls these globally reachable (IANA does too: anycast relays, AS112): a
    credential's link has no business there, and only the explicit table says so."""
    reason = forbidden_reason(ipaddress.ip_address(address))
    assert reason is not None and reason.startswith("special-purpose: "), reason


def test_public_neighbours_of_special_blocks_pass() -> None:
    for address in ("192.0.1.1", "192.0.3.1", "198.20.0.1", "2606:4700::1111", "2001:200::1"):
        assert forbidden_reason(ipaddress.ip_address(address)) is None, address
