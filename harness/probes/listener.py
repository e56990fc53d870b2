"""What the harness's loopback listeners share: the socket, the JSON answer, the bounded close.

The socket is created with an explicit IPPROTO_TCP so asyncio switches Nagle off (with protocol
0 it does not, and every small response then waits ~40 ms for a delayed ACK).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def start_listener(
    handler: Handler, *, host: str, port: int = 0, limit: int = 64 * 1024
) -> tuple[asyncio.Server, int]:
    """Listen on `host:port` (0: a free port); returns the server and the port it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(16)
        sock.setblocking(False)
        server = await asyncio.start_server(handler, sock=sock, limit=limit)
    except BaseException:
        sock.close()
        raise
    return server, int(sock.getsockname()[1])


async def answer_json(
    writer: asyncio.StreamWriter, status: str, body: bytes, *, timeout_s: float
) -> None:
    """Write one JSON response, then close the connection; never raises on a gone peer."""
    writer.write(
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\ncache-control: no-store\r\n"
        "connection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError, TimeoutError):
        async with asyncio.timeout(timeout_s):
            await writer.drain()
    writer.close()
    with contextlib.suppress(ConnectionError, TimeoutError):
        async with asyncio.timeout(timeout_s):
            await writer.wait_closed()


async def stop_listener(server: asyncio.Server | None, *, timeout_s: float) -> None:
    if server is None:
        return
    server.close()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await server.wait_closed()
