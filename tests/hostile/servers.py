"""Small hostile servers on loopback, each on its own port, run in a thread of the test process.

Raw asyncio sockets, so each misbehaves exactly as named:
- `stall`: accepts, never reads, never answers;
- `tarpit`: accepts, reads everything (one byte at a time), never answers;
- `drip`: answers headers at once, then the body one byte a second;
- `stream`: answers POST /mcp with an event stream that never ends (a comment every 0.2 s);
- `reset`: accepts, then resets the connection (RST) without a byte;
- `documents`: a plain HTTP/1.1 server of fixed JSON documents and a 401 at /mcp, for targets
  whose metadata points elsewhere (private addresses, cloud metadata, a closed port).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
FOREVER_S = 3600.0  # longer than any test; the server thread ends with the test


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    with contextlib.suppress(asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return await reader.readuntil(b"\r\n\r\n")
    return b""


async def _stall(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(FOREVER_S)


async def _tarpit(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    while await reader.read(1):  # noqa: ASYNC110 (a slow reader is the point)
        await asyncio.sleep(0.05)
    await asyncio.sleep(FOREVER_S)


async def _drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    )
    while True:
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(1.0)


async def _stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await _read_head(reader)
    if not head.startswith(b"POST"):
        writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        return
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    while True:
        event = b": still here\n\n"
        writer.write(b"%x\r\n%s\r\n" % (len(event), event))
        await writer.drain()
        await asyncio.sleep(0.2)


async def _reset(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


HANDLERS: dict[str, Handler] = {
    "stall": _stall,
    "tarpit": _tarpit,
    "drip": _drip,
    "stream": _stream,
    "reset": _reset,
}


def documents_handler(documents: Mapping[str, object], *, prm_path: str) -> Handler:
    """401 with a Bearer challenge at /mcp; the JSON `documents` by path; 404 elsewhere."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await _read_head(reader):
            method, path = head.split(b" ", 2)[:2]
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if length:
                await reader.readexactly(length)
            host = writer.get_extra_info("sockname")
            route = path.decode().split("?", 1)[0]
            del method
            status, extra, body = "404 Not Found", "", b""
            if route == "/mcp":
                prm = f"http://{host[0]}:{host[1]}{prm_path}"
                status = "401 Unauthorized"
                extra = f'www-authenticate: Bearer resource_metadata="{prm}"\r\n'
            elif route in documents:
                status, extra = "200 OK", "content-type: application/json\r\n"
                body = json.dumps(documents[route]).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\n{extra}content-length: {len(body)}\r\n\r\n".encode() + body
            )
            await writer.drain()

    return handle


@contextlib.contextmanager
def serving(handler: Handler, host: str = "127.0.0.1") -> Iterator[str]:
    """`with serving(HANDLERS["stall"]) as base:` — base is `http://127.0.0.1:PORT` (`host`
    binds another local address)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []
    stop = asyncio.Event()

    tasks: set[asyncio.Task[None]] = set()

    async def main() -> None:
        server = await asyncio.start_server(_guarded(handler, tasks), host, 0)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        await stop.wait()
        server.close()
        for task in tasks:  # handlers that would wait forever
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield f"http://{host}:{port[0]}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()


def _guarded(handler: Handler, tasks: set[asyncio.Task[None]]) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            tasks.add(task)  # type: ignore[arg-type]
        with contextlib.suppress(
            ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.CancelledError
        ):
            await handler(reader, writer)
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()

    return handle


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
