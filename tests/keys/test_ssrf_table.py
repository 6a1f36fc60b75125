"""SSRF, as one table: every address family and spelling, directly and through redirects, with
zero connections attempted.

``test_fetch.py`` proves the policy with ``httpx.MockTransport`` ("no request reached the
handler"). Here the fetcher runs on its real default transport (the pinned httpcore backend) and
the socket layer itself is the witness:

* ``socket.socket.connect`` is wrapped to record every address anything in the process tries
  to connect to; only this test's own origin server may be reached, anything else is refused
  without a packet sent;
* ``socket.getaddrinfo`` is wrapped to record every *name* looked up: names resolve only
  through the stub resolver handed to the fetcher (``resolver=``), never through DNS;
* the origin is a real TLS server on 127.0.0.1 that counts the connections it accepts. Loopback
  rows of the table use its port, so a spelling that slipped through would actually connect.

Each refusal must be :class:`keys.errors.FetchBlocked` naming the reason. The first tests show
the witnesses work: a connection the policy allows is seen by both.
"""

from __future__ import annotations

import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keys.errors import FetchBlocked, FetchError
from keys.fetch import DEFAULT_MAX_REDIRECTS, GuardedFetcher
from tests.keys.tls_support import tls_files

PUBLIC = "93.184.216.34"
ORIGIN = "origin.test"
#: The stub resolver: names that resolve, and where to. Real DNS is never asked.
NAMES: dict[str, list[str]] = {
    ORIGIN: ["127.0.0.1"],
    "public.test": [PUBLIC],
    "internal.test": ["10.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "xn--bcher-kva.test": ["127.0.0.1"],  # bücher.test, as IDNA writes it
    "rebind.test": ["127.0.0.1"],
    "mixed.test": [PUBLIC, "::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::a9fe:a9fe"],
    "zoned.test": ["fe80::1%eth0"],
    "cgn.test": ["100.64.0.1"],
    # RFC 6761 names are loopback whatever a resolver says: refused before it is asked
    "localhost": [PUBLIC],
    "app.localhost": [PUBLIC],
}


class Network:
    """The socket-level witness: every connect attempt and every name lookup, recorded."""

    def __init__(self) -> None:
        self.allowed: set[tuple[str, int]] = set()
        self.connects: list[tuple[str, int]] = []
        self.lookups: list[str] = []
        self.stub_lookups: list[str] = []

    def resolver(self, host: str, port: int) -> list[str]:
        self.stub_lookups.append(host)
        name = host.rstrip(".").lower()
        if name not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return NAMES[name]

    def others(self) -> list[tuple[str, int]]:
        """Connect attempts to anything but the origin server."""
        return [c for c in self.connects if c not in self.allowed]


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Network:
    network = Network()
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> None:
        target = (str(address[0]), int(address[1]))
        network.connects.append(target)
        if target not in network.allowed:
            raise ConnectionRefusedError(f"test network: {target} may not be reached")
        real_connect(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
        except OSError:
            network.lookups.append(text)  # a name: that would be DNS
            raise socket.gaierror(socket.EAI_NONAME, "no DNS in this test") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return network


class _Origin(http.server.ThreadingHTTPServer):
    """The origin: TLS is set up per connection in :meth:`get_request`, so a connection is
    counted when TCP accepts it, even if its TLS handshake then fails."""

    daemon_threads = True
    context: ssl.SSLContext
    connections = 0
    paths: list[str]
    #: path -> Location (a 302), or (status, Location)
    redirects: dict[str, str | tuple[int, str]]

    def get_request(self) -> tuple[socket.socket, Any]:
        raw, address = self.socket.accept()
        self.connections += 1
        return self.context.wrap_socket(raw, server_side=True), address


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Origin

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.paths.append(self.path)
        entry = self.server.redirects.get(self.path)
        if entry is None and self.path.startswith("/chain/"):
            entry = f"/chain/{int(self.path.rsplit('/', 1)[1]) + 1}"
        if entry is not None:
            status, location = entry if isinstance(entry, tuple) else (302, entry)
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Origin, Path]]:
    """A TLS server for ``origin.test`` on 127.0.0.1, and the throwaway CA that signed it."""
    ca_file, cert_file, key_file = tls_files(tmp_path_factory.mktemp("tls"), ORIGIN)
    server = _Origin(("127.0.0.1", 0), _Handler)
    server.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.context.load_cert_chain(cert_file, key_file)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server, ca_file
    server.shutdown()
    server.server_close()


@pytest.fixture
def origin(
    net: Network, origin_server: tuple[_Origin, Path], monkeypatch: pytest.MonkeyPatch
) -> _Origin:
    """The origin with a clean slate; its CA trusted, its address the one the network allows."""
    server, ca_file = origin_server
    server.paths, server.redirects, server.connections = [], {}, 0
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    net.allowed.add(("127.0.0.1", server.server_address[1]))
    return server


def _fetcher(net: Network, **kwargs: Any) -> GuardedFetcher:
    """The real default transport; only the origin's name may be private."""
    return GuardedFetcher(
        resolver=net.resolver, allowed_private_hosts={ORIGIN}, timeout=5.0, **kwargs
    )


# --------------------------------------------------------------------------- the witnesses work


def test_an_allowed_fetch_is_seen_by_both_witnesses(net: Network, origin: _Origin) -> None:
    port = origin.server_address[1]
    origin.redirects["/hop"] = "/doc"
    with _fetcher(net) as fetcher:
        assert fetcher.fetch_json(f"https://{ORIGIN}:{port}/hop") == {"ok": True}
    assert origin.paths == ["/hop", "/doc"]
    assert origin.connections >= 1
    assert set(net.connects) == {("127.0.0.1", port)}
    assert net.lookups == [] and net.stub_lookups == [ORIGIN, ORIGIN]


def test_a_connection_the_policy_lets_through_is_recorded(net: Network, origin: _Origin) -> None:
    """If the table's private address were allowed, the witnesses would say so."""
    port = origin.server_address[1]
    with (
        GuardedFetcher(resolver=net.resolver, allowed_private_hosts={"127.0.0.1"}) as fetcher,
        pytest.raises(FetchError, match="certificate"),  # the cert names origin.test only
    ):
        fetcher.fetch(f"https://127.0.0.1:{port}/doc")
    assert net.connects == [("127.0.0.1", port)]
    assert origin.connections == 1


# --------------------------------------------------------------------------- the table

#: (URL, what the refusal says). ``{port}`` is the live origin's: a loopback spelling that got
#: through would reach it.
DIRECT: list[Any] = [
    # IPv4 loopback in every spelling inet_aton reads
    pytest.param("https://127.0.0.1:{port}/", "loopback", id="v4-dotted"),
    pytest.param("https://127.1:{port}/", "loopback", id="v4-short-127.1"),
    pytest.param("https://127.0.1:{port}/", "loopback", id="v4-short-127.0.1"),
    pytest.param("https://0x7f.1:{port}/", "loopback", id="v4-hex-short"),
    pytest.param("https://0x7F.0.0.1:{port}/", "loopback", id="v4-hex-dotted"),
    pytest.param("https://0x7f000001:{port}/", "loopback", id="v4-hex-integer"),
    pytest.param("https://2130706433:{port}/", "loopback", id="v4-dotless-decimal"),
    pytest.param("https://017700000001:{port}/", "loopback", id="v4-dotless-octal"),
    pytest.param("https://0177.1:{port}/", "loopback", id="v4-octal-short"),
    pytest.param("https://0177.0.0.1:{port}/", "malformed", id="v4-octal-dotted"),
    pytest.param("https://127.000.000.001:{port}/", "malformed", id="v4-zero-padded"),
    pytest.param("https://127.0.0.1.:{port}/", "loopback", id="v4-trailing-dot"),
    pytest.param("https://127\u30020\u30020\u30021:{port}/", "loopback", id="v4-ideographic-dots"),
    pytest.param("https://\uff11\uff12\uff17.0.0.1/", "malformed", id="v4-fullwidth-digits"),
    pytest.param("https://4294967296/", "not a valid address", id="v4-integer-overflow"),
    pytest.param("https://0x100000000/", "not a valid address", id="v4-hex-overflow"),
    # the other IPv4 blocks
    pytest.param("https://0.0.0.0:{port}/", "unspecified", id="v4-any"),
    pytest.param("https://0:{port}/", "unspecified", id="v4-zero"),
    pytest.param("https://169.254.169.254/latest/meta-data/", "link-local", id="metadata"),
    pytest.param("https://2852039166/", "link-local", id="metadata-decimal"),
    pytest.param("https://0xa9fea9fe/", "link-local", id="metadata-hex"),
    pytest.param("https://10.0.0.1/", "private", id="rfc1918-10"),
    pytest.param("https://172.31.255.254/", "private", id="rfc1918-172"),
    pytest.param("https://192.168.0.1/", "private", id="rfc1918-192"),
    pytest.param("https://100.64.0.1/", "shared address space", id="cgn-first"),
    pytest.param("https://100.127.255.254/", "shared address space", id="cgn-last"),
    pytest.param("https://192.0.0.1/", "private", id="ietf-protocol"),
    pytest.param("https://192.0.0.170/", "private", id="nat64-discovery"),
    pytest.param("https://198.18.0.1/", "private", id="benchmarking"),
    pytest.param("https://198.19.255.254/", "private", id="benchmarking-last"),
    pytest.param("https://192.0.2.1/", "private", id="test-net-1"),
    pytest.param("https://255.255.255.255/", "private", id="broadcast"),
    pytest.param("https://4294967295/", "private", id="broadcast-integer"),
    pytest.param("https://224.0.0.1/", "multicast", id="multicast-v4"),
    pytest.param("https://239.255.255.250/", "multicast", id="multicast-ssdp"),
    pytest.param("https://240.0.0.1/", "private", id="class-e"),
    # IPv6, bracketed
    pytest.param("https://[::1]:{port}/", "loopback", id="v6-loopback"),
    pytest.param("https://[0:0:0:0:0:0:0:1]:{port}/", "loopback", id="v6-loopback-long"),
    pytest.param("https://[::]:{port}/", "unspecified", id="v6-any"),
    pytest.param("https://[fe80::1]/", "link-local", id="v6-link-local"),
    pytest.param("https://[fe80::1%25eth0]/", "link-local", id="v6-zone-id"),
    pytest.param("https://[fc00::1]/", "private", id="v6-ula-fc"),
    pytest.param("https://[fd12:3456::1]/", "private", id="v6-ula-fd"),
    pytest.param("https://[fec0::1]/", "site-local", id="v6-site-local"),
    pytest.param("https://[ff02::1]/", "multicast", id="v6-multicast"),
    pytest.param("https://[100::1]/", "private", id="v6-discard"),
    pytest.param("https://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped loopback", id="v4-mapped"),
    pytest.param("https://[::ffff:7f00:1]:{port}/", "IPv4-mapped loopback", id="v4-mapped-hex"),
    pytest.param("https://[::ffff:a9fe:a9fe]/", "IPv4-mapped link-local", id="v4-mapped-meta"),
    pytest.param("https://[::ffff:0.0.0.0]/", "IPv4-mapped unspecified", id="v4-mapped-any"),
    pytest.param("https://[::127.0.0.1]:{port}/", "IPv4-compatible", id="v4-compatible"),
    pytest.param("https://[::7f00:1]:{port}/", "IPv4-compatible", id="v4-compatible-hex"),
    pytest.param("https://[64:ff9b::7f00:1]/", "NAT64 of loopback", id="nat64-loopback"),
    pytest.param("https://[64:ff9b::169.254.169.254]/", "NAT64 of link-local", id="nat64-meta"),
    pytest.param("https://[64:ff9b:1::a00:1]/", "local-use NAT64", id="nat64-local-use"),
    pytest.param("https://[2002:7f00:1::]/", "6to4 of loopback", id="6to4-loopback"),
    pytest.param("https://[2002:a00:1::]/", "6to4 of private", id="6to4-private"),
    pytest.param("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo", id="teredo"),
    pytest.param("https://[127.0.0.1]:{port}/", "malformed", id="v4-in-brackets"),
    # userinfo and other disguises: the host is what the URL parser says, or it is refused
    pytest.param("https://public.test@127.0.0.1:{port}/", "credentials", id="userinfo"),
    pytest.param("https://public.test:x@127.0.0.1:{port}/", "credentials", id="userinfo-pw"),
    pytest.param("https://127.0.0.1:{port}#@public.test/", "loopback", id="fragment-at"),
    pytest.param("https://127.0.0.1:{port}?@public.test/", "loopback", id="query-at"),
    pytest.param("https://public.test\\@127.0.0.1:{port}/", "credentials", id="backslash-at"),
    pytest.param("https://public.test%40127.0.0.1/", "invalid host name", id="encoded-at"),
    pytest.param("https://%31%32%37.0.0.1/", "invalid host name", id="percent-encoded-host"),
    pytest.param("https://127.0.0.1%00.public.test/", "invalid host name", id="nul-in-host"),
    pytest.param("https:127.0.0.1:{port}/", "no host", id="no-slashes"),
    pytest.param("http://127.0.0.1:{port}/", "plain http", id="plain-http"),
    # names: the stub resolver's answer is judged (every address, IDN as IDNA writes it)
    pytest.param("https://internal.test/", "resolves to private", id="name-private"),
    pytest.param("https://metadata.test/", "resolves to link-local", id="name-metadata"),
    pytest.param("https://b\u00fccher.test:{port}/", "resolves to loopback", id="idn-unicode"),
    pytest.param("https://xn--bcher-kva.test:{port}/", "resolves to loopback", id="idn-punycode"),
    pytest.param("https://rebind.test.:{port}/", "resolves to loopback", id="name-trailing-dot"),
    pytest.param("https://mixed.test:{port}/", "resolves to loopback", id="name-one-bad-of-two"),
    pytest.param(
        "https://mapped.test:{port}/", "resolves to IPv4-mapped loopback", id="name-v4-mapped"
    ),
    pytest.param("https://nat64.test/", "resolves to NAT64 of link-local", id="name-nat64"),
    pytest.param("https://zoned.test/", "resolves to link-local", id="name-zone-id"),
    pytest.param("https://cgn.test/", "resolves to shared address space", id="name-cgn"),
    pytest.param("https://localhost:{port}/", "localhost", id="localhost"),
    pytest.param("https://LOCALHOST.:{port}/", "localhost", id="localhost-upper-dot"),
    pytest.param("https://app.localhost:{port}/", "localhost", id="localhost-subdomain"),
]


@pytest.mark.parametrize(("url", "reason"), DIRECT)
def test_every_spelling_is_refused_without_a_connection(
    net: Network, origin: _Origin, url: str, reason: str
) -> None:
    url = url.format(port=origin.server_address[1])
    with _fetcher(net) as fetcher, pytest.raises(FetchBlocked) as info:
        fetcher.fetch(url)
    assert reason in str(info.value), str(info.value)
    assert str(info.value).startswith("refusing")
    assert net.connects == [] and origin.connections == 0 and origin.paths == []
    assert net.lookups == []  # no DNS, ever
    if "resolves to" not in reason:
        assert net.stub_lookups == []  # refused before even the stub resolver is asked


#: Where the origin redirects to: every family again, one hop in.
REDIRECT_TARGETS = [
    "https://127.0.0.1:{port}/doc",
    "https://127.1:{port}/doc",
    "https://0x7f.1:{port}/doc",
    "https://2130706433:{port}/doc",
    "https://017700000001:{port}/doc",
    "https://127.0.0.1.:{port}/doc",
    "https://0.0.0.0:{port}/doc",
    "https://[::1]:{port}/doc",
    "https://[::ffff:127.0.0.1]:{port}/doc",
    "https://[::ffff:7f00:1]:{port}/doc",
    "https://[::127.0.0.1]:{port}/doc",
    "https://[64:ff9b::7f00:1]:{port}/doc",
    "https://[2002:7f00:1::]:{port}/doc",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://[fe80::1%25eth0]/",
    "https://[fd00::1]/",
    "https://169.254.169.254/latest/meta-data/",
    "https://0xa9fea9fe/latest/meta-data/",
    "https://10.0.0.1/",
    "https://100.64.0.1/",
    "https://192.0.0.1/",
    "https://198.18.0.1/",
    "https://255.255.255.255/",
    "https://224.0.0.1/",
    "https://internal.test/",
    "https://b\u00fccher.test:{port}/doc",
    "https://rebind.test.:{port}/doc",
    "https://localhost:{port}/doc",
    "//127.0.0.1:{port}/doc",  # scheme-relative
    "https://origin.test:{port}@127.0.0.1:{port}/doc",  # userinfo
    "https://127.0.0.1:{port}#@origin.test/doc",
    "http://origin.test:{port}/doc",  # https → http downgrade, even to the origin itself
    "http://127.0.0.1:{port}/doc",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/",
]


@pytest.mark.parametrize("location", REDIRECT_TARGETS)
def test_a_redirect_to_any_of_them_is_refused_without_connecting(
    net: Network, origin: _Origin, location: str
) -> None:
    port = origin.server_address[1]
    origin.redirects["/start"] = location.format(port=port)
    with _fetcher(net) as fetcher, pytest.raises(FetchBlocked, match="refusing redirect"):
        fetcher.fetch(f"https://{ORIGIN}:{port}/start")
    assert origin.paths == ["/start"]  # the hop itself was never requested
    assert origin.connections == 1
    assert net.others() == [] and net.lookups == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_status_is_checked(net: Network, origin: _Origin, status: int) -> None:
    port = origin.server_address[1]
    origin.redirects["/start"] = (status, f"https://127.0.0.1:{port}/doc")
    with _fetcher(net) as fetcher, pytest.raises(FetchBlocked, match="loopback"):
        fetcher.fetch(f"https://{ORIGIN}:{port}/start")
    assert origin.paths == ["/start"] and net.others() == []


def test_redirect_loop_and_too_many_redirects_stop(net: Network, origin: _Origin) -> None:
    port = origin.server_address[1]
    origin.redirects["/loop"] = "/loop"
    with _fetcher(net) as fetcher:
        with pytest.raises(FetchBlocked, match="more than 3 redirects"):
            fetcher.fetch(f"https://{ORIGIN}:{port}/loop")
        assert origin.paths == ["/loop"] * (DEFAULT_MAX_REDIRECTS + 1)
        origin.paths.clear()
        with pytest.raises(FetchBlocked, match="redirects"):
            fetcher.fetch(f"https://{ORIGIN}:{port}/chain/0")
        assert origin.paths == [f"/chain/{n}" for n in range(DEFAULT_MAX_REDIRECTS + 1)]
    with _fetcher(net, max_redirects=0) as fetcher, pytest.raises(FetchBlocked):
        fetcher.fetch(f"https://{ORIGIN}:{port}/loop")
    assert net.others() == [] and net.lookups == []
