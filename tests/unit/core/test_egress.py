from __future__ import annotations

import asyncio
import ipaddress

import httpcore
import pytest

from harness.egress import EgressPolicy, GuardedBackend, is_loopback_host
from harness.errors import EgressRefused

LOOPBACK = EgressPolicy.for_target("http://127.0.0.1:8000/mcp")
PRIVATE = EgressPolicy.for_target("http://10.1.2.3/mcp")
PUBLIC = EgressPolicy.for_target("https://93.184.215.14/mcp")
ALLOWED = EgressPolicy.for_target("https://93.184.215.14/mcp", allow_private=True)

METADATA = [
    "169.254.169.254",  # AWS, GCP, Azure
    "169.254.170.2",  # ECS task metadata
    "fd00:ec2::254",  # AWS IPv6
    "100.100.100.200",  # Alibaba
    "168.63.129.16",  # Azure wire server
    "fe80::1",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
    "::",
    "224.0.0.1",
    "::ffff:169.254.169.254",  # mapped
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
]


def test_policy_follows_the_target() -> None:
    assert EgressPolicy(allow_loopback=True) == LOOPBACK
    assert EgressPolicy.for_target("http://localhost:8000/mcp") == LOOPBACK
    assert EgressPolicy.for_target("http://[::1]:8000/mcp") == LOOPBACK
    assert EgressPolicy(allow_private=True) == PRIVATE
    assert EgressPolicy.for_target("http://100.64.0.9/mcp") == PRIVATE  # CGNAT
    assert EgressPolicy() == PUBLIC
    assert EgressPolicy(allow_private=True, allow_loopback=True) == ALLOWED
    assert is_loopback_host("[::1]")
    assert is_loopback_host("localhost")
    assert not is_loopback_host("example.com")


@pytest.mark.parametrize("address", METADATA)
@pytest.mark.parametrize("policy", [LOOPBACK, PRIVATE, PUBLIC, ALLOWED])
def test_metadata_and_link_local_never(address: str, policy: EgressPolicy) -> None:
    reason = policy.refusal(ipaddress.ip_address(address))
    assert reason is not None
    assert "never" in reason


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_odd_urls_refused(url: str) -> None:
    with pytest.raises(EgressRefused):
        ALLOWED.check(url)


def test_loopback_target_reaches_loopback_only() -> None:
    assert LOOPBACK.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert LOOPBACK.refusal(ipaddress.ip_address("::1")) is None
    assert LOOPBACK.refusal(ipaddress.ip_address("93.184.215.14")) is None
    for address in ("10.0.0.1", "192.168.1.1", "172.16.0.1", "fd12::1", "100.64.0.1"):
        reason = LOOPBACK.refusal(ipaddress.ip_address(address))
        assert reason is not None
        assert "private" in reason
        assert "--allow-private" in reason


def test_private_target_reaches_private_not_loopback() -> None:
    assert PRIVATE.refusal(ipaddress.ip_address("192.168.1.1")) is None
    reason = PRIVATE.refusal(ipaddress.ip_address("127.0.0.1"))
    assert reason is not None  # no way into the harness's own host
    assert "loopback" in reason


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://10.0.0.1/", "http://[::ffff:10.0.0.1]/"])
def test_public_target_cannot_reach_private_ranges(url: str) -> None:
    with pytest.raises(EgressRefused, match=r"private|loopback"):
        PUBLIC.check(url)
    ALLOWED.check(url)


def test_names_pass_the_url_check_and_are_judged_by_address() -> None:
    PUBLIC.check("http://metadata.google.internal/")  # no DNS here: the backend decides
    with pytest.raises(EgressRefused, match="never"):
        PUBLIC.permitted("x:80", [ipaddress.ip_address("169.254.169.254")])
    mixed = [ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("93.184.215.14")]
    assert PUBLIC.permitted("x:80", mixed) == [mixed[1]]


def test_backend_refuses_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name resolving to a metadata address: no connect is attempted at all."""
    attempts: list[str] = []

    async def no_connect(self: object, host: str, *args: object, **kwargs: object) -> None:
        attempts.append(host)
        raise AssertionError("connect attempted")

    async def resolves_to_metadata(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", ("169.254.169.254", 80))]

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", no_connect)

    async def attempt() -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "getaddrinfo", resolves_to_metadata)
        await GuardedBackend(PUBLIC).connect_tcp("rebind.example", 80)

    with pytest.raises(EgressRefused, match=r"169\.254\.169\.254 is a link-local"):
        asyncio.run(attempt())
    assert attempts == []


def test_backend_connects_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner backend gets the checked IP literal, never the name (no second resolution)."""
    attempts: list[str] = []

    async def record(self: object, host: str, *args: object, **kwargs: object) -> str:
        attempts.append(host)
        return "stream"

    async def resolves(*args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(10, 1, 6, "", ("fe80::1", 80, 0, 2)), (2, 1, 6, "", ("93.184.215.14", 80))]

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", record)

    async def attempt() -> object:
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolves)
        return await GuardedBackend(PUBLIC).connect_tcp("mixed.example", 80)

    assert asyncio.run(attempt()) == "stream"
    assert attempts == ["93.184.215.14"]
