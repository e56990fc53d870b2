"""A loopback listener: the attacker URI that must never be reached, and a tiny document host.

"Must never redirect to X" is proved two ways: the `Location` the authorization server answers
with, and a listener at X that records anything that reaches it (an AS that fetches redirect
URIs, or a flow that follows one). The same listener serves client metadata documents (CIMD) to an
authorization server on this machine.

Small and bounded: loopback only, one request per connection, a capped request head read under a
timeout, a capped record of hits, and closed when the probe that opened it is done.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from harness.probes.listener import answer_json, start_listener, stop_listener

MAX_HEAD_BYTES = 16 * 1024
MAX_HITS = 64
READ_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One request that reached the listener. The query is dropped: it may carry a code."""

    method: str
    path: str

    def describe(self) -> str:
        return f"{self.method} {self.path}"


class LoopbackListener:
    """`async with LoopbackListener() as listener:` — a fresh port on 127.0.0.1."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        max_hits: int = MAX_HITS,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        self._host = host
        self._max_hits = max_hits
        self._read_timeout_s = read_timeout_s
        self._documents: dict[str, bytes] = {}
        self._hits: list[Hit] = []
        self._server: asyncio.Server | None = None
        self._port = 0

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("the listener is not started; use it with `async with`")
        return f"http://{self._host}:{self._port}"

    def url(self, path: str) -> str:
        return self.origin + path

    @property
    def hits(self) -> tuple[Hit, ...]:
        return tuple(self._hits)

    def serve(self, path: str, document: Mapping[str, object]) -> str:
        """Answer GET `path` with `document` as JSON; returns the document's URL."""
        self._documents[path] = json.dumps(dict(document)).encode()
        return self.url(path)

    def serve_body(self, path: str, body: bytes) -> str:
        """Answer GET `path` with `body` as it is (e.g. a PEM certificate); returns its URL."""
        self._documents[path] = body
        return self.url(path)

    async def __aenter__(self) -> LoopbackListener:
        self._server, self._port = await start_listener(
            self._handle, host=self._host, limit=MAX_HEAD_BYTES
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        await stop_listener(server, timeout_s=self._read_timeout_s + 1.0)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self._read_timeout_s):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            head = exc.partial if isinstance(exc, asyncio.IncompleteReadError) else b""
        except ConnectionError:
            head = b""
        method, path = _request_line(head)
        if len(self._hits) < self._max_hits:
            self._hits.append(Hit(method=method, path=path))
        body = self._documents.get(path) if method == "GET" else None
        status = "200 OK" if body is not None else "404 Not Found"
        content = body if body is not None else b'{"error":"not_found"}'
        await answer_json(writer, status, content, timeout_s=self._read_timeout_s)


def _request_line(head: bytes) -> tuple[str, str]:
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) < 2:
        return "?", "?"
    return parts[0][:16], urlsplit(parts[1]).path[:512] or "/"
