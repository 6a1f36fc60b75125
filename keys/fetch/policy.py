"""Address policy: which URLs may be fetched and which addresses a host may be reached at.

Two questions are answered before anything connects. :meth:`AddressPolicy.parse_url` checks what
needs no network (scheme, userinfo, host present); :meth:`AddressPolicy.check_target` resolves the
host and refuses unless **every** address is globally routable, returning the checked addresses
so that the transport connects to those and nothing else (see :mod:`keys.fetch.transport`).
The threat model is in the :mod:`keys.fetch` package docstring.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import ipaddress
import re
import socket
import time
from collections.abc import Callable, Collection

import httpx

from keys.errors import FetchBlocked, FetchError, FetchTimeout
from keys.fetch.special_purpose import special_purpose_block

__all__ = [
    "DEFAULT_PORTS",
    "AddressPolicy",
    "CheckedTarget",
    "IPAddress",
    "Resolver",
    "forbidden_reason",
    "ip_literal",
    "is_localhost_name",
    "strip_fragment",
    "system_resolver",
]

#: ``resolver(host, port) -> ["192.0.2.1", "2001:db8::1", ...]``
Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The schemes a fetch may use, with their default ports.
DEFAULT_PORTS = {"https": 443, "http": 80}
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclasses.dataclass(frozen=True)
class CheckedTarget:
    """One checked hop: the host as httpcore will name it, the port, and the allowed addresses."""

    host: str
    port: int
    addresses: tuple[str, ...]


def forbidden_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` could reach something internal, or ``None`` if it is public.

    Written as a deny list in front of ``is_global`` so that the error message can say *which*
    rule matched, with the explicit IANA table of :mod:`keys.fetch.special_purpose` checked
    too (Python's flags follow whatever registry snapshot it shipped with), and so that IPv6
    encodings of IPv4 addresses are judged by the IPv4 address they lead to (a NAT64 gateway
    turns ``64:ff9b::a00:1`` into ``10.0.0.1``).
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            inner = forbidden_reason(address.ipv4_mapped)
            return f"IPv4-mapped {inner}" if inner else None
        if address in _NAT64_WELL_KNOWN:
            inner = forbidden_reason(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
            return f"NAT64 of {inner}" if inner else None
        if address.sixtofour is not None:
            inner = forbidden_reason(address.sixtofour)
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
    block = special_purpose_block(address)  # Python's tables lag IANA's (192.0.0.0/24 …)
    if block is not None:
        return f"special-purpose: {block}"
    if not address.is_global:
        return "not globally routable"
    return None


def ip_literal(host: str) -> IPAddress | None:
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


def is_localhost_name(host: str) -> bool:
    """``localhost`` or a canonical loopback IP literal: what development mode may use."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the operating system returns for ``host`` (TCP), duplicates removed."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def strip_fragment(url: str) -> str:
    """Fragments are client-side only; they are neither sent nor part of the cache key."""
    return url.split("#", 1)[0]


class AddressPolicy:
    """The URL and address checks of one fetcher, with its exceptions and its resolver.

    ``allow_http_localhost`` admits plain ``http`` to ``localhost``/loopback (development only);
    ``allowed_private_hosts`` names hosts that may resolve to non-public addresses. The resolver
    runs in a small thread pool so that a slow DNS server counts against the fetch's deadline;
    :meth:`close` stops it.
    """

    def __init__(
        self,
        *,
        allow_http_localhost: bool = False,
        allowed_private_hosts: Collection[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self._allow_http_localhost = allow_http_localhost
        self._allowed_private_hosts = frozenset(
            host.strip().rstrip(".").lower().strip("[]") for host in allowed_private_hosts
        )
        self._resolver: Resolver = resolver or system_resolver
        self._dns = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="microcred-dns"
        )

    def close(self) -> None:
        """Stop the resolver threads (a resolution still running is abandoned)."""
        self._dns.shutdown(wait=False, cancel_futures=True)

    def parse_url(self, url: str) -> httpx.URL:
        """Parse ``url`` and apply the checks that need no network (scheme, userinfo, host)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise FetchBlocked(f"refusing malformed URL {url!r}: {exc}", url=url) from exc
        scheme = parsed.scheme
        host = parsed.raw_host.decode("ascii").rstrip(".").lower()
        if scheme not in DEFAULT_PORTS:
            raise FetchBlocked(f"refusing {url}: scheme {scheme!r} is not allowed", url=url)
        if scheme == "http" and not (self._allow_http_localhost and is_localhost_name(host)):
            raise FetchBlocked(
                f"refusing {url}: plain http is only allowed for localhost in development",
                url=url,
            )
        if parsed.userinfo:
            raise FetchBlocked(f"refusing {url}: URLs with credentials are not allowed", url=url)
        if not host:
            raise FetchBlocked(f"refusing {url}: no host", url=url)
        return parsed

    def check_target(self, url: httpx.URL, deadline: float) -> CheckedTarget:
        """Resolve the URL's host and refuse unless every address is allowed for this host."""
        text = str(url)
        raw_host = url.raw_host.decode("ascii")
        host = raw_host.rstrip(".").lower()
        port = url.port or DEFAULT_PORTS[url.scheme]
        try:
            literal = ip_literal(host)
        except FetchBlocked as exc:
            raise FetchBlocked(f"refusing {text}: {exc}", url=text) from None
        dev_local = self._allow_http_localhost and is_localhost_name(host)
        privileged = host in self._allowed_private_hosts
        if literal is not None:
            addresses = [literal]
        else:
            labels = host.split(".")
            if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
                raise FetchBlocked(f"refusing {text}: invalid host name {host!r}", url=text)
            if labels[-1] == "localhost" and not (dev_local or privileged):
                # RFC 6761 §6.3: loopback by definition, whatever a resolver answers for it
                raise FetchBlocked(f"refusing {text}: {host} is a localhost name", url=text)
            addresses = self._resolve(raw_host, port, text, deadline)

        for address in addresses:
            reason = forbidden_reason(address)
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
        return CheckedTarget(raw_host, port, tuple(str(address) for address in addresses))

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
