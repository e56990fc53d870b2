"""Evidence about connection reuse: the same unauthenticated MCP POST sent twice on one
kept-alive connection. The first answer is the fresh-connection baseline; a follow-up answered
differently by the server's HTTP layer (400, a framing error) shows leftovers of the first
request or response on the connection (RFC 9112 §6.3, §9.3)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.http import Exchange, Response

# What HTTP layers answer to a request line they cannot parse (Node, uvicorn, nginx: 400;
# others reject the garbage "method" or "version": 405, 501, 505).
PARSE_ERRORS = frozenset({400, 405, 501, 505})
# How the HTTP layer words a connection the server closed (httpcore, OS errors): a server MAY
# close a connection at any time (RFC 9112 §9.5), so that is no desync, yet no reason to reuse.
_DROPPED = ("Server disconnected", "ReadError", "WriteError", "Connection reset", "Broken pipe")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """One request's outcome: the response's status and connection, or the transport error."""

    status: int | None = None
    content_type: str = ""
    connection: str | None = None  # our local address: equal on a reused connection
    error: str | None = None

    @classmethod
    def of(cls, response: Response) -> Outcome:
        return cls(
            status=response.status,
            content_type=response.content_type or "no content-type",
            connection=response.connection,
        )

    def summary(self) -> str:
        return self.error or f"{self.status} {self.content_type}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReuseRound:
    """The request on a fresh connection, then the same request on that connection again."""

    first: Outcome
    follow_up: Outcome

    @property
    def reused(self) -> bool:
        """Both went over one connection (the server did not close it after the first)."""
        return (
            self.first.connection is not None and self.first.connection == self.follow_up.connection
        )

    @property
    def dropped(self) -> bool:
        """The server closed the connection under the follow-up, without announcing it."""
        error = self.follow_up.error
        return error is not None and any(marker in error for marker in _DROPPED)

    def desync(self) -> str | None:
        """How the follow-up shows a connection out of sync, or None."""
        follow = self.follow_up
        if self.dropped:
            return None
        if follow.error is not None:
            return f"the repeated request on the kept-alive connection failed: {follow.error}"
        if self.reused and follow.status != self.first.status and follow.status in PARSE_ERRORS:
            return (
                f"the repeated request on the kept-alive connection got {follow.summary()} "
                f"({self.first.summary()} on a fresh connection)"
            )
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionReuse:
    """Rounds of the reuse probe: a second round only confirms a first that showed a desync."""

    url: str
    rounds: tuple[ReuseRound, ...]
    exchanges: tuple[Exchange, ...]

    @property
    def desync(self) -> str | None:
        """The desync every round showed (a single odd answer could be a race), or None."""
        found = [r.desync() for r in self.rounds]
        return found[0] if found and all(found) else None

    @property
    def reusable(self) -> bool:
        """Requests may share kept-alive connections: every round's connection was kept open
        and answered the repeat as the first (anything else: fresh connections cost nothing)."""
        return all(r.reused and r.desync() is None for r in self.rounds)
