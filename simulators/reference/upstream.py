"""The upstream API behind the `fetch_upstream` tool (`ReferenceConfig.upstream_url`).

A correct MCP server calls its upstream with its own credential (MCP Security Best Practices,
"Token Passthrough"); with `token-passthrough` it forwards the client's bearer token instead.
One bounded HTTP/1.1 GET over a plain asyncio stream: loopback-only by construction of the
reference target (it serves plain HTTP), a short timeout, a capped response, no redirects.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Final
from urllib.parse import urlsplit

from simulators.reference.state import UpstreamCall

TIMEOUT_S: Final = 3.0
MAX_RESPONSE_BYTES: Final = 16 * 1024


class UpstreamApi:
    """Calls the configured upstream URL for one reference server."""

    def __init__(self, url: str, *, forward_client_token: bool) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream_url must be an http:// URL with a host, not {url!r}")
        self._url = url
        self._host = parts.hostname
        self._port = parts.port or 80
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._forward_client_token = forward_client_token
        # the server's own credential for its upstream: never the client's token
        self._credential = secrets.token_urlsafe(24)

    async def get(self, client_token: str) -> UpstreamCall:
        token = client_token if self._forward_client_token else self._credential
        host = f"[{self._host}]" if ":" in self._host else self._host
        request = (
            f"GET {self._path} HTTP/1.1\r\nHost: {host}:{self._port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: application/json\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        try:
            async with asyncio.timeout(TIMEOUT_S):
                reader, writer = await asyncio.open_connection(self._host, self._port)
                try:
                    writer.write(request)
                    await writer.drain()
                    head = await reader.read(MAX_RESPONSE_BYTES)
                finally:
                    writer.close()
                    with contextlib.suppress(ConnectionError):
                        await writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            return UpstreamCall(
                url=self._url,
                status=None,
                forwarded_client_token=self._forward_client_token,
                error=type(exc).__name__,
            )
        return UpstreamCall(
            url=self._url,
            status=_status(head),
            forwarded_client_token=self._forward_client_token,
        )


def _status(head: bytes) -> int | None:
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
