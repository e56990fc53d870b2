"""The upstream canary: it tells whether a client credential arrived, and keeps nothing else."""

from __future__ import annotations

import asyncio
import socket

import pytest

from harness.errors import TargetError
from harness.probes.misuse.canary import UpstreamCanary

AGENT = "agent-token-0123456789"
OTHER = "refresh-token-abcdefghij"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _send(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    reply = await reader.read()
    writer.close()
    await writer.wait_closed()
    return reply


async def _scenario(requests: list[bytes]) -> tuple[list[bytes], list[str], list[bool], bool]:
    port = _port()
    async with UpstreamCanary("127.0.0.1", port, agent_token=AGENT, secrets=[AGENT, OTHER]) as c:
        replies = [await _send(port, r) for r in requests]
        arrived = await c.first_hit(0.01)
        hits = c.hits
    return (
        replies,
        [h.describe() for h in hits],
        [h.carried_agent_token or h.carried_other_secret for h in hits],
        arrived,
    )


def test_records_which_credentials_arrived_without_keeping_them() -> None:
    requests = [
        b"GET /v1/sync?x=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer server-own\r\n\r\n",
        f"GET /v1/sync HTTP/1.1\r\nAuthorization: Bearer {AGENT}\r\n\r\n".encode(),
        f"POST /v1/t HTTP/1.1\r\ncontent-length: 30\r\n\r\nrefresh={OTHER}".encode(),
    ]
    replies, described, carried, arrived = asyncio.run(_scenario(requests))
    assert arrived
    assert all(r.startswith(b"HTTP/1.1 200 OK") for r in replies)
    assert carried == [False, True, True]
    assert described[0] == (
        "GET /v1/sync (Authorization: Bearer …), with none of the client's credentials"
    )
    assert "carrying the client's access token" in described[1]
    assert "carrying a credential the client holds" in described[2]
    assert all(AGENT not in d and OTHER not in d for d in described)


def test_short_values_are_never_matched() -> None:
    """A short value (a session id, a cookie) may turn up by chance: only credentials of 16 or
    more characters count, so a forwarded session id is no passthrough."""
    session_id = "sess-42"

    async def scenario() -> tuple[bool, list[bool]]:
        port = _port()
        async with UpstreamCanary(
            "127.0.0.1", port, agent_token=AGENT, secrets=[session_id, OTHER]
        ) as canary:
            await _send(port, f"GET / HTTP/1.1\r\nMcp-Session-Id: {session_id}\r\n\r\n".encode())
            await canary.first_hit(0.01)
            return canary.matchable, [
                h.carried_agent_token or h.carried_other_secret for h in canary.hits
            ]

    assert asyncio.run(scenario()) == (True, [False])

    async def short_token() -> bool:
        async with UpstreamCanary("127.0.0.1", _port(), agent_token="short") as canary:
            return canary.matchable

    assert asyncio.run(short_token()) is False


def test_no_request_is_no_hit() -> None:
    async def quiet() -> tuple[bool, int]:
        async with UpstreamCanary("127.0.0.1", _port(), agent_token=AGENT) as canary:
            return await canary.first_hit(0.01), len(canary.hits)

    assert asyncio.run(quiet()) == (False, 0)


def test_a_taken_port_is_a_target_error() -> None:
    async def clash() -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = int(taken.getsockname()[1])
            async with UpstreamCanary("127.0.0.1", port, agent_token=AGENT):
                pass

    with pytest.raises(TargetError, match=r"\[upstream_canary\]\.port"):
        asyncio.run(clash())
