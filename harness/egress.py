"""Where the harness may send requests, enforced where the connection is made.

A target may point the harness anywhere (PRM `authorization_servers`, metadata endpoints,
redirects). The rules, by the address a connection would actually go to:
- link-local, cloud-metadata, unspecified, multicast and broadcast addresses: never;
- loopback: only when the target itself is loopback (the development setup) or `--allow-private`
  (a private target gets no way into the harness's own host);
- other non-public addresses (RFC 1918, ULA, CGNAT, …): only when the target itself is such an
  address or `--allow-private`;
so a public server cannot steer the harness into the network it runs in.

`GuardedBackend` is the httpcore network backend of the HTTP layer: it resolves the host, checks
every address and connects to a checked address itself, so a name that resolves differently the
second time (DNS rebinding) cannot slip past the check. TLS still uses the host name (SNI and
certificate checks happen above the backend), and the Host header is untouched.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from harness.errors import EgressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services and their relatives: never contacted, whatever the flags say.
_METADATA = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "168.63.129.16/32",  # Azure wire server
        "0.0.0.0/8",  # "this network": connects to the local host on many systems
        "255.255.255.255/32",
    )
)


def _embedded(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refusal(address: IPAddress, *, allow_loopback: bool, allow_private: bool) -> str | None:
    """Why a connection to `address` is refused, or None when it is permitted."""
    inner = _embedded(address)
    if (
        any(inner in network for network in _METADATA)
        or inner.is_unspecified
        or inner.is_multicast
    ):
        return f"{address} is a link-local or cloud-metadata address (never contacted)"
    if inner.is_loopback:
        if allow_loopback:
            return None
        return f"{address} is a loopback address and the target is not (see --allow-private)"
    if not inner.is_global and not allow_private:
        return f"{address} is a private address and the target is not (see --allow-private)"
    return None


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
    """`allow_private`: non-public addresses other than loopback; `allow_loopback`: loopback."""

    allow_private: bool = False
    allow_loopback: bool = False

    @classmethod
    def for_target(cls, target_url: str, *, allow_private: bool = False) -> EgressPolicy:
        """What the target itself is decides; `allow_private` is the user's `--allow-private`."""
        host = urlsplit(target_url).hostname or ""
        if allow_private:
            return cls(allow_private=True, allow_loopback=True)
        if is_loopback_host(host):
            return cls(allow_loopback=True)
        literal = _literal(host)
        addresses = [literal] if literal is not None else _resolve_blocking(host)
        inner = [_embedded(a) for a in addresses]
        if inner and all(a.is_loopback for a in inner):
            return cls(allow_loopback=True)
        return cls(allow_private=bool(inner) and all(not a.is_global for a in inner))

    def refusal(self, address: IPAddress) -> str | None:
        return refusal(
            address, allow_loopback=self.allow_loopback, allow_private=self.allow_private
        )

    def check(self, url: str) -> None:
        """Raise `EgressRefused` for a URL no connection may be made for: a scheme other than
        http(s), no host, or a literal address the rules forbid. Names are checked when the
        connection is made (`GuardedBackend`)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise EgressRefused(url, f"scheme {parts.scheme!r} is not http or https")
        host = parts.hostname
        if not host:
            raise EgressRefused(url, "the URL has no host")
        literal = _literal(host)
        reason = self.refusal(literal) if literal is not None else None
        if reason is not None:
            raise EgressRefused(url, reason)

    def permitted(self, host: str, addresses: Iterable[IPAddress]) -> list[IPAddress]:
        """The addresses a connection to `host` may use; `EgressRefused` when there are none."""
        allowed: list[IPAddress] = []
        reasons: list[str] = []
        for address in addresses:
            reason = self.refusal(address)
            if reason is None:
                allowed.append(address)
            else:
                reasons.append(reason)
        if not allowed and reasons:
            raise EgressRefused(host, "; ".join(dict.fromkeys(reasons)))
        return allowed


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check against the policy, then connect to the checked address (never the name)."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        literal = _literal(host)
        addresses = [literal] if literal is not None else await _resolve(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"{host}: the name does not resolve")
        last: Exception | None = None
        for address in self.policy.permitted(f"{host}:{port}", addresses):
            try:  # an address literal: the inner backend does no resolution of its own
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # `permitted` returned at least one address
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused(path, "unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in infos))


def _resolve_blocking(host: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0])) for info in infos]
