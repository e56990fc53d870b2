"""The `connection-desync` defect: an HTTP front that answers without reading the request body.

uvicorn (h11) drains every unread request body before it parses the next request, so this bug
cannot be produced inside the ASGI app. A server whose auth layer short-circuits (answers 401
before the framework reads the body) and keeps the connection alive leaves the body on the wire:
the next request on that connection is parsed from those bytes, and the server's HTTP layer
answers it `400 text/html` and closes. `DesyncFront` is that server: a raw TCP front that parses
request heads itself, relays everything to uvicorn on an internal socket, and for a `POST` to the
MCP path without `Authorization` forwards only the head (the real 401 challenge comes back) and
leaves the body where it is.

The `length-in-chars` variant (defect `content-length-chars`) reads the body but answers that
request with a description containing a non-ASCII character and a `Content-Length` counting
characters, not bytes: the response's last bytes stay on the connection and corrupt the next
response the client reads there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
from typing import Final, Literal

logger = logging.getLogger(__name__)

MAX_HEAD: Final = 256 * 1024  # the same head limit uvicorn is given
READ_CHUNK: Final = 64 * 1024
_REQUEST_LINE: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP/1\.[01]")
_BAD_REQUEST: Final = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"Content-Type: text/html\r\n"
    b"Content-Length: 50\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"<html><body><h1>400 Bad Request</h1></body></html>"
)
Framing = Literal["unread-body", "length-in-chars"]


class DesyncFront:
    """Serves `listen`, relaying to the uvicorn server at `backend`; see the module docstring."""

    def __init__(
        self, *, listen: socket.socket, backend: socket.socket, mcp_path: str, framing: Framing
    ) -> None:
        self._framing = framing
        self._listen = listen
        self._backend = backend.getsockname()[:2]
        self._mcp_path = mcp_path.encode()
        self._connections: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Serve until cancelled; open connections are closed on the way out."""
        server = await asyncio.start_server(self._accept, sock=self._listen)
        try:
            await server.serve_forever()
        finally:
            server.close()
            for task in self._connections:
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._connection(reader, writer)
        except (ConnectionError, ValueError):
            pass  # the client or uvicorn went away, or sent a bad Content-Length: just close
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        backend_reader, backend_writer = await asyncio.open_connection(*self._backend)
        # uvicorn's responses go back byte for byte; a client sends its next request only after
        # it has read the previous response, so the front's own 400 never interleaves with them
        relay = asyncio.create_task(_relay(backend_reader, writer))
        try:
            await self._requests(reader, writer, backend_writer)
        finally:
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)
            backend_writer.close()

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        backend: asyncio.StreamWriter,
    ) -> None:
        buffer = bytearray()
        while True:
            end = await _fill_until(reader, buffer, b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[: end + 4])
            del buffer[: end + 4]
            request_line, *header_lines = head[:-4].split(b"\r\n")
            if not _REQUEST_LINE.fullmatch(request_line):
                # e.g. the unread body of the previous request glued to this request's line
                writer.write(_BAD_REQUEST)
                await writer.drain()
                return
            method, target, _ = request_line.split(b" ")
            headers = _headers(header_lines)
            if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
                backend.write(head + bytes(buffer))  # not parsed further: relay the rest as is
                await backend.drain()
                await _pipe(reader, backend)
                return
            length = int(headers.get(b"content-length", b"0") or b"0")
            path = target.split(b"?", 1)[0]
            unauthenticated = b"authorization" not in headers
            if method == b"POST" and path == self._mcp_path and unauthenticated:
                if self._framing == "unread-body":
                    # the auth layer answers from the head alone; the body stays unread
                    logger.debug("desync: leaving a %d byte request body unread", length)
                    backend.write(_with_length(request_line, header_lines, 0))
                    await backend.drain()
                    continue
                body = await _take(reader, buffer, length)
                if body is None:
                    return
                writer.write(await self._miscounted(head + body))
                await writer.drain()
                continue
            body = await _take(reader, buffer, length)
            if body is None:
                return
            backend.write(head + body)
            await backend.drain()

    async def _miscounted(self, request: bytes) -> bytes:
        """uvicorn's answer to `request` (on a connection of its own), its description made
        non-ASCII and its `Content-Length` counted in characters."""
        reader, writer = await asyncio.open_connection(*self._backend)
        try:
            writer.write(request)
            await writer.drain()
            buffer = bytearray()
            end = await _fill_until(reader, buffer, b"\r\n\r\n")
            if end < 0:
                raise ConnectionError("uvicorn closed the connection without an answer")
            status_line, *header_lines = bytes(buffer[:end]).split(b"\r\n")
            del buffer[: end + 4]
            length = int(_headers(header_lines).get(b"content-length", b"0"))
            body = await _take(reader, buffer, length) or b"{}"
        finally:
            writer.close()
        document = json.loads(body)
        if isinstance(document, dict):  # the 401's JSON error object
            described = document.get("error_description", "")
            document["error_description"] = f"{described} \u2013 Bearer"
        text = json.dumps(document, ensure_ascii=False)
        return _with_length(status_line, header_lines, len(text)) + text.encode()


async def _fill_until(reader: asyncio.StreamReader, buffer: bytearray, marker: bytes) -> int:
    """Read into `buffer` until it holds `marker`; its index, or -1 at EOF or past `MAX_HEAD`."""
    while (index := buffer.find(marker)) < 0:
        if len(buffer) > MAX_HEAD:
            return -1
        chunk = await reader.read(READ_CHUNK)
        if not chunk:
            return -1
        buffer.extend(chunk)
    return index


async def _take(reader: asyncio.StreamReader, buffer: bytearray, length: int) -> bytes | None:
    """The next `length` bytes (from `buffer`, then `reader`); None at EOF."""
    while len(buffer) < length:
        chunk = await reader.read(READ_CHUNK)
        if not chunk:
            return None
        buffer.extend(chunk)
    taken = bytes(buffer[:length])
    del buffer[:length]
    return taken


def _headers(lines: list[bytes]) -> dict[bytes, bytes]:
    pairs = (line.partition(b":") for line in lines)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def _with_length(start_line: bytes, header_lines: list[bytes], length: int) -> bytes:
    """A message head with its `Content-Length` replaced by `length`."""
    kept = [line for line in header_lines if not line.lower().startswith(b"content-length:")]
    return b"\r\n".join([start_line, *kept, b"content-length: %d" % length]) + b"\r\n\r\n"


async def _relay(backend: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
    """uvicorn's responses to the client; when uvicorn closes (keep-alive timeout), so do we."""
    await _pipe(backend, client)
    client.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await source.read(READ_CHUNK):
            sink.write(chunk)
            await sink.drain()
