"""Outbound URL policy against SSRF: schemes, https in production, blocked addresses.

Every outbound call to a tenant-configured URL (EHR, LLM, remote ASR) passes through it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from clinscribe.errors import ClinscribeError

# A refused URL reaches a client only when it is checked as a tenant setting (EHR endpoint,
# LLM URL): the value is well-formed but not acceptable, hence 422 (what clients always saw).
# Delivery turns these into a permanent or retryable outcome instead of a status.


class OutboundUrlError(ClinscribeError):
    """Base of the outbound URL policy's refusals."""

    status_code = 422
    code = "unsafe_url"


class UnsafeUrlError(OutboundUrlError):
    """An outbound URL is refused by the SSRF policy."""

    status_code = 422
    code = "unsafe_url"


class UrlResolutionError(OutboundUrlError):
    """An outbound host name does not resolve (may be transient)."""

    status_code = 422
    code = "url_resolution_error"


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

# Cloud instance-metadata endpoints: never a legitimate EHR, always a credential leak.
BLOCKED_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # IPv4 link-local, incl. 169.254.169.254 metadata
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS IMDS over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "0.0.0.0/8",
        "::/128",
        "224.0.0.0/4",
        "ff00::/8",
        "240.0.0.0/4",
    )
)
LOOPBACK_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128"))


class UrlPolicy(BaseModel):
    """What an outbound URL may be. Production requires https; loopback only for tests/dev."""

    model_config = ConfigDict(frozen=True)

    require_https: bool = True
    allow_loopback: bool = False
    allow_private: bool = True  # self-hosted EHRs often live on a private network


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlResolutionError("the host name does not resolve") from exc
    return [str(info[4][0]) for info in infos]


def _literal_ip(host: str) -> IpAddress | None:
    host = host.split("%", 1)[0]  # an IPv6 zone id does not change where the address points
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # inet_aton also accepts the shorthand forms resolvers accept (2852039166, 0xA9FEA9FE).
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def check_address(address: IpAddress, policy: UrlPolicy) -> None:
    """Refuse an address the policy does not allow."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in BLOCKED_NETWORKS):
        raise UnsafeUrlError("the URL points at a link-local, metadata or reserved address")
    if any(address in net for net in LOOPBACK_NETWORKS):
        if not policy.allow_loopback:
            raise UnsafeUrlError("loopback addresses are not allowed")
        return
    if address.is_private and not policy.allow_private:
        raise UnsafeUrlError("private network addresses are not allowed")


def validate_outbound_url(
    url: str, policy: UrlPolicy, *, resolver: Resolver | None = system_resolver
) -> str:
    """Return `url` when the policy allows it, else raise UnsafeUrlError.

    With a resolver (the default), every address the host resolves to is checked too, so a
    DNS name pointing at a metadata address is refused. Pass `resolver=None` to check syntax only.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError("the URL is malformed") from exc
    if parts.scheme not in {"http", "https"}:
        raise UnsafeUrlError("only http and https URLs are allowed")
    if policy.require_https and parts.scheme != "https":
        raise UnsafeUrlError("https is required")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("credentials in the URL are not allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeUrlError("the URL has no host")
    if host in BLOCKED_HOSTS:
        raise UnsafeUrlError("the URL points at a cloud metadata service")
    if host == "localhost" or host.endswith(".localhost"):
        if not policy.allow_loopback:
            raise UnsafeUrlError("loopback addresses are not allowed")
        return url
    literal = _literal_ip(host)
    if literal is not None:
        check_address(literal, policy)
        return url
    if resolver is not None:
        default_port = 443 if parts.scheme == "https" else 80
        for address in resolver(host, port or default_port):
            check_address(ipaddress.ip_address(address.split("%", 1)[0]), policy)
    return url
