"""The guarded POST: the GET path's address policy, pinning and limits, no redirects, no cache.

Most tests inject ``httpx.MockTransport`` and a fake resolver (as ``test_fetch.py`` does), so
"refused before any request" is "zero handler calls". The last ones POST through the real
pinned transport to a server on loopback.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from keys.errors import FetchBlocked, FetchError, FetchTimeout, FetchTooLarge
from keys.fetch import USER_AGENT, FetchResponse, GuardedFetcher
from tests.keys.test_fetch import FakeResolver, Recorder

URL = "https://issuer.example/oauth/token"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver()


@pytest.fixture
def make(recorder: Recorder, resolver: FakeResolver) -> Iterator[Any]:
    made: list[GuardedFetcher] = []

    def factory(**kwargs: Any) -> GuardedFetcher:
        kwargs.setdefault("transport", httpx.MockTransport(recorder))
        kwargs.setdefault("resolver", resolver)
        fetcher = GuardedFetcher(**kwargs)
        made.append(fetcher)
        return fetcher

    yield factory
    for fetcher in made:
        fetcher.close()


def test_form_body_headers_and_response(make: Any, recorder: Recorder) -> None:
    recorder.routes[URL] = lambda request: httpx.Response(
        200, json={"access_token": "t"}, headers={"X-Seen": "1"}
    )
    answer = make().post(
        URL,
        form={"grant_type": "authorization_code", "code": "a b&c"},
        headers={"Authorization": "Basic Zm9vOmJhcg=="},
    )
    assert isinstance(answer, FetchResponse)
    assert answer.ok and answer.status == 200
    assert answer.json() == {"access_token": "t"}
    assert answer.headers["x-seen"] == "1"
    assert answer.content_type == "application/json"
    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == b"grant_type=authorization_code&code=a+b%26c"
    assert request.headers["authorization"] == "Basic Zm9vOmJhcg=="
    assert request.headers["user-agent"] == USER_AGENT
    assert "cookie" not in request.headers


def test_json_text_and_raw_bodies(make: Any, recorder: Recorder) -> None:
    fetcher = make()
    fetcher.post(URL, json={"name": "Oficina é"})
    fetcher.post(URL, text="a.b.c")
    raw = b'{"b":1,  "a":2}'
    fetcher.post(URL, content=raw, content_type="application/vc+ld+json")
    json_request, text_request, raw_request = recorder.requests
    assert json_request.headers["content-type"] == "application/json"
    assert json.loads(json_request.content) == {"name": "Oficina é"}
    assert text_request.headers["content-type"] == "text/plain; charset=utf-8"
    assert text_request.content == b"a.b.c"
    assert raw_request.headers["content-type"] == "application/vc+ld+json"
    assert raw_request.content == raw  # byte for byte, not re-serialised


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"form": {"a": "b"}, "text": "x"},
        {"content": b"x"},
        {"text": "x", "content_type": "text/plain"},
        {"text": "x", "headers": {"Host": "elsewhere.example"}},
        {"text": "x", "headers": {"content-length": "1"}},
        {"text": "x", "headers": {"Cookie": "a=b"}},
    ],
)
def test_misuse_is_a_programming_error(make: Any, recorder: Recorder, kwargs: Any) -> None:
    with pytest.raises(ValueError):
        make().post(URL, **kwargs)
    assert recorder.requests == []


def test_error_statuses_are_returned_not_raised(make: Any, recorder: Recorder) -> None:
    recorder.routes[URL] = lambda request: httpx.Response(
        400, json={"imsx_codeMajor": "failure", "imsx_description": "bad"}
    )
    answer = make().post(URL, text="x")
    assert not answer.ok and answer.status == 400
    assert answer.json()["imsx_description"] == "bad"


def test_redirects_are_not_followed(make: Any, recorder: Recorder) -> None:
    recorder.routes[URL] = lambda request: httpx.Response(
        307, headers={"Location": "https://other.example/steal"}
    )
    answer = make().post(URL, form={"client_secret": "s"})
    assert answer.status == 307
    assert recorder.urls == [URL]  # the body went nowhere else


def test_nothing_is_cached(make: Any, recorder: Recorder) -> None:
    fetcher = make()
    fetcher.post(URL, text="one")
    fetcher.post(URL, text="one")
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://issuer.example/token", "plain http"),
        ("ftp://issuer.example/token", "scheme"),
        ("https://user:pw@issuer.example/token", "credentials"),
        ("https://internal.example/token", "private"),
        ("https://metadata.example/latest", "link-local"),
        ("https://mixed.example/token", "private"),
        ("https://127.0.0.1/token", "loopback"),
        ("https://2130706433/token", "loopback"),
        ("https://localhost/token", "localhost"),
        ("https://[::ffff:10.0.0.1]/token", "IPv4-mapped"),
    ],
)
def test_refused_before_any_request(make: Any, recorder: Recorder, url: str, reason: str) -> None:
    with pytest.raises(FetchBlocked, match=reason):
        make().post(url, form={"code": "c"})
    assert recorder.requests == []


def test_the_same_exceptions_as_the_get_path(make: Any, recorder: Recorder) -> None:
    with pytest.raises(FetchBlocked):
        make(allow_http_localhost=True).post("http://internal.example/x", text="x")
    local = make(allow_http_localhost=True)
    assert local.post("http://localhost:8080/register", text="x").ok
    private = make(allowed_private_hosts=["registry.internal"])
    assert private.post("https://registry.internal/register", text="x").ok
    with pytest.raises(FetchBlocked):
        private.post("http://registry.internal/register", text="x")  # still https only
    assert recorder.urls == [
        "http://localhost:8080/register",
        "https://registry.internal/register",
    ]


def test_unresolvable_host_is_a_fetch_error(make: Any, recorder: Recorder) -> None:
    with pytest.raises(FetchError, match="cannot resolve"):
        make().post("https://nowhere.example/x", text="x")
    assert recorder.requests == []


def test_body_limit_declared_received_and_decoded(make: Any, recorder: Recorder) -> None:
    recorder.routes["https://issuer.example/declared"] = lambda request: httpx.Response(
        200, content=iter([b"{}"]), headers={"Content-Length": "5000"}
    )
    recorder.routes["https://issuer.example/streamed"] = lambda request: httpx.Response(
        200, content=iter([b"x" * 600] * 3)
    )
    bomb = gzip.compress(b"0" * 100_000)
    recorder.routes["https://issuer.example/bomb"] = lambda request: httpx.Response(
        200, content=iter([bomb]), headers={"Content-Encoding": "gzip"}
    )
    fetcher = make(max_bytes=1000)
    for path in ("declared", "streamed", "bomb"):
        with pytest.raises(FetchTooLarge):
            fetcher.post(f"https://issuer.example/{path}", text="x")


def test_error_bodies_are_bounded_too(make: Any, recorder: Recorder) -> None:
    recorder.routes[URL] = lambda request: httpx.Response(500, content=iter([b"e" * 5000]))
    with pytest.raises(FetchTooLarge):
        make(max_bytes=1000).post(URL, text="x")


def test_transport_timeout_is_a_fetch_timeout(make: Any, recorder: Recorder) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    recorder.routes[URL] = slow
    with pytest.raises(FetchTimeout):
        make().post(URL, text="x")


def test_slow_resolver_counts_against_the_budget(make: Any, recorder: Recorder) -> None:
    def sleepy(host: str, port: int) -> list[str]:
        time.sleep(1.0)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        make(resolver=sleepy, timeout=0.2).post(URL, text="x")
    assert time.monotonic() - started < 0.9
    assert recorder.requests == []


# --------------------------------------------------------------------------- real transport


class _Server(http.server.ThreadingHTTPServer):
    seen: list[dict[str, Any]]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.seen.append(
            {"path": self.path, "body": body, **{k.lower(): v for k, v in self.headers.items()}}
        )
        if self.path == "/slow":
            time.sleep(1.5)
        reply = json.dumps({"got": body.decode()}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    """A server on 127.0.0.2: only the pinned address reaches it (``localhost`` is 127.0.0.1)."""
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


def test_real_transport_posts_to_the_checked_address(server: _Server) -> None:
    port = server.server_address[1]
    resolver = FakeResolver({"localhost": ["127.0.0.2"]})
    with GuardedFetcher(allow_http_localhost=True, resolver=resolver) as fetcher:
        answer = fetcher.post(f"http://localhost:{port}/credentials", text="a.b.c")
    assert answer.status == 201 and answer.json() == {"got": "a.b.c"}
    (seen,) = server.seen
    assert seen["body"] == b"a.b.c" and seen["host"] == f"localhost:{port}"
    assert resolver.calls == [("localhost", port)]


def test_real_transport_refuses_a_rebound_name(server: _Server) -> None:
    port = server.server_address[1]
    rebinding = FakeResolver({"localhost": ["10.0.0.1"]})
    with (
        GuardedFetcher(allow_http_localhost=True, resolver=rebinding) as fetcher,
        pytest.raises(FetchBlocked),
    ):
        fetcher.post(f"http://localhost:{port}/credentials", text="x")
    with (
        GuardedFetcher(resolver=FakeResolver({"localhost": ["127.0.0.2"]})) as fetcher,
        pytest.raises(FetchBlocked),
    ):
        fetcher.post(f"http://localhost:{port}/credentials", text="x")  # no dev mode
    assert server.seen == []


def test_real_transport_times_out(server: _Server) -> None:
    port = server.server_address[1]
    resolver = FakeResolver({"localhost": ["127.0.0.2"]})
    started = time.monotonic()
    with (
        GuardedFetcher(allow_http_localhost=True, resolver=resolver, timeout=0.3) as fetcher,
        pytest.raises(FetchTimeout),
    ):
        fetcher.post(f"http://localhost:{port}/slow", text="x")
    assert time.monotonic() - started < 1.4
