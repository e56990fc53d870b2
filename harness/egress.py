"""Where the harness may send requests.

A target may point the harness anywhere (PRM `authorization_servers`, metadata endpoints,
redirects). Link-local and cloud-metadata addresses are never contacted; private and loopback
ranges only when the target itself is private or loopback (the development setup), so a public
server cannot steer the harness into the network it runs in.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.errors import EgressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALWAYS_REFUSED = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
    ipaddress.ip_network("0.0.0.0/8"),
)


def _is_private(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_private(address.ipv4_mapped)
    return address.is_private or address.is_loopback or address.is_reserved


def _always_refused(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _always_refused(address.ipv4_mapped)
    return any(address in network for network in _ALWAYS_REFUSED)


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback literals: plain http there is the development setup."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """`allow_private` comes from the target: True when the target is itself private."""

    allow_private: bool

    @classmethod
    def for_target(cls, target_url: str, *, allow_private: bool = False) -> EgressPolicy:
        """`allow_private`: the user's `--allow-private`, whatever the target is."""
        host = urlsplit(target_url).hostname or ""
        if allow_private or is_loopback_host(host):
            return cls(allow_private=True)
        try:
            return cls(allow_private=_is_private(ipaddress.ip_address(host)))
        except ValueError:
            addresses = _resolve_blocking(host)
            return cls(allow_private=bool(addresses) and all(_is_private(a) for a in addresses))

    async def check(self, url: str) -> None:
        """Raise `EgressRefused` unless every address the URL's host resolves to is permitted."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise EgressRefused(url, f"scheme {parts.scheme!r} is not http or https")
        host = parts.hostname
        if not host:
            raise EgressRefused(url, "the URL has no host")
        for address in await _resolve(host):
            if _always_refused(address):
                raise EgressRefused(url, f"{address} is a link-local or cloud-metadata address")
            if not self.allow_private and _is_private(address):
                raise EgressRefused(url, f"{address} is private; the target is public")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _resolve(host: str) -> list[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []  # the request itself will fail with a clear connection error
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _resolve_blocking(host: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]
