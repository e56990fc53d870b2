"""The upstream canary: a listener standing in for the target's upstream API.

The MCP server under test is configured to call its upstream at the canary's address
(`[upstream_canary]`). The canary answers every request with a small JSON document and records
only whether the request carried a credential the harness holds (the agent's token above all):
never the request itself, so no secret is stored or shown.

Bounded: one request per connection, a capped read under a timeout, a capped record, and closed
when the probe ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from harness.errors import TargetError
from harness.probes.listener import answer_json, start_listener, stop_listener

MAX_READ_BYTES = 32 * 1024
MAX_HITS = 32
READ_TIMEOUT_S = 2.0
# A credential shorter than this could turn up in a request by chance (a session id, a cookie, a
# word of the body), so it is never matched: a substring hit must mean the credential itself.
MIN_SECRET_CHARS = 16
_REPLY = b'{"status":"ok"}'


@dataclass(frozen=True, slots=True, kw_only=True)
class CanaryHit:
    """One request that reached the canary. `scheme` is the Authorization scheme, if any."""

    method: str
    path: str
    scheme: str | None
    carried_agent_token: bool
    carried_other_secret: bool

    def describe(self) -> str:
        auth = f"Authorization: {self.scheme} …" if self.scheme else "no Authorization header"
        if self.carried_agent_token:
            what = "carrying the client's access token"
        elif self.carried_other_secret:
            what = "carrying a credential the client holds"
        else:
            what = "with none of the client's credentials"
        return f"{self.method} {self.path} ({auth}), {what}"


class UpstreamCanary:
    """`async with UpstreamCanary(host, port, agent_token=..., secrets=...) as canary:`

    `secrets` are the other credentials the agent itself holds (its refresh token, its client
    secret): never the harness's whole vault, whose session ids and cookies a server may forward
    upstream legitimately. Credentials shorter than `MIN_SECRET_CHARS` are not matched;
    `matchable` says whether the agent's token is long enough to be looked for at all.
    """

    def __init__(
        self, host: str, port: int, *, agent_token: str, secrets: Iterable[str] = ()
    ) -> None:
        self._host, self._port = host, port
        self.matchable = len(agent_token) >= MIN_SECRET_CHARS
        self._agent_token = agent_token.encode() if self.matchable else None
        self._secrets = tuple(
            s.encode() for s in secrets if len(s) >= MIN_SECRET_CHARS and s != agent_token
        )
        self._hits: list[CanaryHit] = []
        self._arrived = asyncio.Event()
        self._server: asyncio.Server | None = None

    @property
    def hits(self) -> tuple[CanaryHit, ...]:
        return tuple(self._hits)

    async def first_hit(self, timeout_s: float) -> bool:
        """Wait (bounded) until a request arrives; whether one did."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._arrived.wait()
        return self._arrived.is_set()

    async def __aenter__(self) -> UpstreamCanary:
        try:
            self._server, _ = await start_listener(self._handle, host=self._host, port=self._port)
        except OSError as exc:
            raise TargetError(
                f"the upstream canary cannot listen on {self._host}:{self._port} ({exc.strerror}); "
                "choose a free [upstream_canary].port"
            ) from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server, self._server = self._server, None
        await stop_listener(server, timeout_s=READ_TIMEOUT_S + 1.0)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received = await _read_request(reader)
        if len(self._hits) < MAX_HITS:
            self._hits.append(self._hit(received))
        self._arrived.set()
        await answer_json(writer, "200 OK", _REPLY, timeout_s=READ_TIMEOUT_S)

    def _hit(self, received: bytes) -> CanaryHit:
        head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        scheme = next(
            (
                line.partition(":")[2].strip().partition(" ")[0][:32] or None
                for line in lines[1:]
                if line.lower().startswith("authorization:")
            ),
            None,
        )
        return CanaryHit(
            method=parts[0][:16] if parts else "?",
            path=(urlsplit(parts[1]).path[:256] or "/") if len(parts) > 1 else "?",
            scheme=scheme,
            carried_agent_token=self._agent_token is not None and self._agent_token in received,
            carried_other_secret=any(s in received for s in self._secrets),
        )


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head and as much body as arrives within the bounds."""
    data = b""
    with contextlib.suppress(TimeoutError, ConnectionError, asyncio.IncompleteReadError):
        async with asyncio.timeout(READ_TIMEOUT_S):
            while b"\r\n\r\n" not in data and len(data) < MAX_READ_BYTES:
                chunk = await reader.read(MAX_READ_BYTES - len(data))
                if not chunk:
                    return data
                data += chunk
            if b"\r\n\r\n" not in data:
                return data
            length = _content_length(data)
            while len(data) < min(MAX_READ_BYTES, data.index(b"\r\n\r\n") + 4 + length):
                chunk = await reader.read(MAX_READ_BYTES - len(data))
                if not chunk:
                    break
                data += chunk
    return data


def _content_length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return 0
