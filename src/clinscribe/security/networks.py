"""Tenant IP allowlists: CIDR parsing and matching (IPv4 and IPv6), no database."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_NETWORKS = 200


def parse_network(value: str) -> Network:
    """One CIDR (`10.0.0.0/8`, `2001:db8::/32`) or bare address (a /32 or /128).

    Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`), as routers and proxies read them.
    Raises ValueError naming what is wrong, never echoing the value.
    """
    text = value.strip()
    if not text or len(text) > 64:
        raise ValueError("not an IPv4 or IPv6 network in CIDR notation")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("not an IPv4 or IPv6 network in CIDR notation") from None


def normalise(values: Iterable[str]) -> list[str]:
    """Canonical spellings, duplicates dropped, order kept (raises ValueError)."""
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(str(parse_network(value)), None)
    return list(seen)


def address_of(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The client address, IPv4-mapped IPv6 (`::ffff:10.0.0.1`) read as the IPv4 it carries;
    None when it is not an address (an unknown peer)."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def allows(networks: Sequence[str], client: str | None) -> bool:
    """Whether `client` may use a credential of a tenant with this allowlist.

    An empty list restricts nothing; with a list, a client whose address is unknown is refused.
    """
    if not networks:
        return True
    address = address_of(client)
    if address is None:
        return False
    number = int(address)
    return any(
        version == address.version and first <= number <= last
        for version, first, last in _ranges(tuple(networks))
    )


@functools.lru_cache(maxsize=256)
def _ranges(values: tuple[str, ...]) -> tuple[tuple[int, int, int], ...]:
    # Every authenticated request checks its tenant's list: each stored list is parsed once,
    # into integer ranges (a 200-network list is then checked in microseconds).
    parsed = (parse_network(v) for v in values)
    return tuple((n.version, int(n.network_address), int(n.broadcast_address)) for n in parsed)
