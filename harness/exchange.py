"""The evidence record of one HTTP exchange: what was sent and what came back, redacted.

A plain record with no HTTP library behind it, so errors, checks and reports can hold exchanges
without importing the HTTP layer.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    method: str
    url: str
    headers: Headers
    body_excerpt: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedResponse:
    status: int
    headers: Headers
    body_excerpt: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One request and what came back (or the transport error), with every secret fingerprinted."""

    request: RecordedRequest
    response: RecordedResponse | None
    error: str | None = None
    elapsed_s: float = 0.0
    at: float | None = None  # wall-clock time the request was sent (observed traffic's timing)

    def summary(self) -> str:
        outcome = self.error if self.response is None else str(self.response.status)
        return f"{self.request.method} {self.request.url} -> {outcome}"

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "request": {
                "method": self.request.method,
                "url": self.request.url,
                "headers": dict(self.request.headers),
                **(
                    {"body_excerpt": self.request.body_excerpt} if self.request.body_excerpt else {}
                ),
            }
        }
        if self.response is not None:
            out["response"] = {
                "status": self.response.status,
                "headers": dict(self.response.headers),
                "body_excerpt": self.response.body_excerpt,
            }
        if self.error is not None:
            out["error"] = self.error
        return out

    def curl(self) -> str:
        """A reproduction; fingerprinted credentials become `$TOKEN`-style placeholders."""
        parts = ["curl", "-i", "-X", self.request.method, shlex.quote(self.request.url)]
        for name, value in self.request.headers:
            if name.lower() in {"content-length", "host", "accept-encoding", "connection"}:
                continue
            if name.lower() == "authorization" and " sha256:" in value:
                value = value.split(" ", 1)[0] + " $TOKEN"
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.request.body_excerpt:
            parts += ["--data", shlex.quote(self.request.body_excerpt)]
        return " ".join(parts)
