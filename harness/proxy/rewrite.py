"""Reverse mode's origin rewriting: the client sees the proxy, the server sees itself.

A reverse proxy that forwards OAuth traffic verbatim breaks it: the protected resource metadata
names the upstream's `resource` and authorization server, so the client either refuses the
mismatch or talks to the upstream directly and leaves the proxy's view. Like a reverse proxy's
`ProxyPassReverse`, responses get the upstream origin replaced by the proxy's, and requests
(`resource=`, `aud`, `redirect_uri` back to a proxied path) get the proxy's replaced by the
upstream's: plain, percent-encoded and JSON-escaped. Forward (regular) mode rewrites nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(scheme: str, host: str, port: int) -> str:
    """`scheme://host[:port]`, the port left out when it is the scheme's default."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if DEFAULT_PORTS.get(scheme) == port else f":{port}")


def _forms(text: str) -> tuple[bytes, ...]:
    return (text.encode(), quote(text, safe="").encode(), text.replace("/", "\\/").encode())


@dataclass(frozen=True, slots=True)
class Rewriter:
    client_origin: str  # the proxy, as the client reaches it
    upstream_origin: str
    _client: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    _upstream: tuple[bytes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # the encoded forms once, not per header
        object.__setattr__(self, "_client", _forms(self.client_origin))
        object.__setattr__(self, "_upstream", _forms(self.upstream_origin))

    def to_upstream(self, data: bytes) -> bytes:
        return _replace(data, self._client, self._upstream)

    def to_client(self, data: bytes) -> bytes:
        return _replace(data, self._upstream, self._client)

    def to_upstream_text(self, text: str) -> str:
        return self.to_upstream(text.encode()).decode()

    def to_client_text(self, text: str) -> str:
        return self.to_client(text.encode()).decode()


def _replace(data: bytes, old: Iterable[bytes], new: Iterable[bytes]) -> bytes:
    for before, after in zip(old, new, strict=True):
        if before in data:
            data = data.replace(before, after)
    return data


@lru_cache(maxsize=64)
def rewriter_for(client_origin: str, upstream_origin: str) -> Rewriter:
    """One Rewriter per pair of origins (a run has one or a few)."""
    return Rewriter(client_origin, upstream_origin)


_TEXTUAL = re.compile(rb"json|text/|x-www-form-urlencoded|javascript|xml|event-stream", re.I)


def is_textual(content_type: bytes | None) -> bool:
    return content_type is not None and _TEXTUAL.search(content_type) is not None


def header(fields: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header `name` (lower case), from mitmproxy's raw fields: a scan of a
    few pairs costs less than its case-insensitive multidict lookup."""
    for key, value in fields:
        if key.lower() == name:
            return value
    return None
