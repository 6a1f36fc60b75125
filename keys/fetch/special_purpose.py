"""The IANA special-purpose address blocks, written out: a fetch may reach none of them.

:func:`keys.fetch.policy.forbidden_reason` first asks :mod:`ipaddress`, whose flags
(``is_private``, ``is_global`` …) follow whichever registry snapshot the running Python shipped
with: older versions call ``192.0.0.0/24`` (IETF protocol assignments) public, and future IANA
additions reach Python only with a new release. This table is the second, explicit opinion,
checked as well, so a gap in either one is covered by the other.

Sources: the IANA IPv4 Special-Purpose Address Registry and the IANA IPv6 Special-Purpose
Address Registry (RFC 6890), every entry, including those IANA marks "globally reachable"
(anycast relays, AS112 sinks, AMT): a credential's link has no business pointing at protocol
infrastructure. A few non-registry blocks no fetch should reach close the table (multicast,
the deprecated site-local and IPv4-compatible IPv6 ranges).

The IPv6 blocks that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are listed for
completeness, but ``forbidden_reason`` judges them by the IPv4 address they lead to before it
consults this table.
"""

from __future__ import annotations

import ipaddress

__all__ = ["SPECIAL_PURPOSE_BLOCKS", "special_purpose_block"]

_IPV4_BLOCKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "'this network'"),  # RFC 791 §3.2; 0.0.0.0/32 "this host", RFC 1122
    ("10.0.0.0/8", "private-use"),  # RFC 1918
    ("100.64.0.0/10", "shared address space"),  # RFC 6598
    ("127.0.0.0/8", "loopback"),  # RFC 1122 §3.2.1.3
    ("169.254.0.0/16", "link-local"),  # RFC 3927
    ("172.16.0.0/12", "private-use"),  # RFC 1918
    # RFC 6890 §2.1; inside it DS-Lite 192.0.0.0/29 (RFC 7335), dummy 192.0.0.8/32 (RFC 7600),
    # PCP anycast 192.0.0.9/32 (RFC 7723), TURN anycast 192.0.0.10/32 (RFC 8155), NAT64
    # discovery 192.0.0.170/32 and 192.0.0.171/32 (RFC 8880).
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),  # RFC 5737
    ("192.31.196.0/24", "AS112-v4"),  # RFC 7535
    ("192.52.193.0/24", "AMT"),  # RFC 7450
    ("192.88.99.0/24", "deprecated 6to4 relay anycast"),  # RFC 7526
    ("192.168.0.0/16", "private-use"),  # RFC 1918
    ("192.175.48.0/24", "AS112 direct delegation"),  # RFC 7534
    ("198.18.0.0/15", "benchmarking"),  # RFC 2544
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),  # RFC 5737
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),  # RFC 5737
    ("224.0.0.0/4", "multicast"),  # RFC 5771 (not in the special-purpose registry)
    ("240.0.0.0/4", "reserved"),  # RFC 1112 §4; holds 255.255.255.255/32 (RFC 8190, RFC 919)
)

_IPV6_BLOCKS: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),  # RFC 4291
    ("::1/128", "loopback"),  # RFC 4291
    ("::/96", "IPv4-compatible"),  # RFC 4291 §2.5.5.1, deprecated (not in the registry)
    ("::ffff:0:0/96", "IPv4-mapped"),  # RFC 4291
    ("64:ff9b::/96", "IPv4/IPv6 translation"),  # RFC 6052
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),  # RFC 8215
    ("100::/64", "discard-only"),  # RFC 6666
    ("100:0:0:1::/64", "dummy IPv6 prefix"),  # RFC 9780
    # RFC 2928; inside it Teredo 2001::/32 (RFC 4380), PCP/TURN/DNS-SD anycast 2001:1::1-3
    # (RFC 7723, 8155, 9665), benchmarking 2001:2::/48 (RFC 5180), AMT 2001:3::/32 (RFC 7450),
    # AS112-v6 2001:4:112::/48 (RFC 7535), ORCHID 2001:10::/28 (RFC 4843), ORCHIDv2
    # 2001:20::/28 (RFC 7343), drone remote ID 2001:30::/28 (RFC 9374).
    ("2001::/23", "IETF protocol assignments"),
    ("2001:db8::/32", "documentation"),  # RFC 3849
    ("2002::/16", "6to4"),  # RFC 3056
    ("2620:4f:8000::/48", "AS112 direct delegation"),  # RFC 7534
    ("3fff::/20", "documentation"),  # RFC 9637
    ("5f00::/16", "segment routing SIDs"),  # RFC 9602
    ("fc00::/7", "unique-local"),  # RFC 4193, RFC 8190
    ("fe80::/10", "link-local"),  # RFC 4291
    ("fec0::/10", "site-local"),  # RFC 3879, deprecated (not in the registry)
    ("ff00::/8", "multicast"),  # RFC 4291 (not in the special-purpose registry)
)

#: Every block with its name, IPv4 then IPv6, as :mod:`ipaddress` networks.
SPECIAL_PURPOSE_BLOCKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    tuple((ipaddress.ip_network(block), name) for block, name in _IPV4_BLOCKS + _IPV6_BLOCKS)
)


def special_purpose_block(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The name of the first special-purpose block holding ``address`` (with the block), or
    ``None`` for an address outside them all."""
    for network, name in SPECIAL_PURPOSE_BLOCKS:
        if network.version == address.version and address in network:
            return f"{name} ({network})"
    return None
