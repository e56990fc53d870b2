"""A circuit breaker per origin: a server that stalls or resets does not get to cost every check
a full timeout.

After `limit` consecutive timeouts or connection failures from one origin, every later request
there fails at once with the failures that opened the circuit as its evidence. A success in
between starts the count again. The circuit never closes within a run: a server that stalled
several times in a row cannot be judged fairly any more, and the run must end in bounded time.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from harness.errors import TargetError
from harness.exchange import Exchange

DEFAULT_LIMIT = 3


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class CircuitOpen(TargetError):
    """A request not sent: its origin failed too often in a row."""


class OriginBreaker:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._failures: dict[str, list[tuple[str, Exchange]]] = {}
        self._open: set[str] = set()

    def admit(self, method: str, url: str) -> None:
        """Raise `CircuitOpen` when `url`'s origin already failed `limit` times in a row."""
        origin = origin_of(url)
        if origin not in self._open:
            return
        failures = self._failures[origin]
        last = failures[-1][0]
        raise CircuitOpen(
            f"{method} {url} not sent: {origin} failed {len(failures)} times in a row "
            f"(last: {last}); the harness sends it nothing more",
            tuple(exchange for _, exchange in failures),
        )

    def failed(self, url: str, reason: str, exchange: Exchange) -> None:
        origin = origin_of(url)
        failures = self._failures.setdefault(origin, [])
        failures.append((reason, exchange))
        del failures[: -self.limit]  # the latest are the evidence
        if len(failures) >= self.limit:
            self._open.add(origin)

    def succeeded(self, url: str) -> None:
        origin = origin_of(url)
        if origin not in self._open:
            self._failures.pop(origin, None)

    def open_origins(self) -> tuple[str, ...]:
        return tuple(sorted(self._open))
