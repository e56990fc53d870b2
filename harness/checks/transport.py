"""http.*: transport hygiene. A kept-alive connection must stay in sync: a server that answers
a request without reading its body, or frames its response wrongly, leaves bytes that become
the next request (or response) on that connection (RFC 9112 §6.3, §9.3; a front proxy that
shares connections turns this into request smuggling, §11.2).

The session's preflight gathers this evidence first; when it shows a desync, every other check
runs on fresh connections, so no transport fault becomes evidence for an OAuth verdict.
"""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed
from harness.probes.transport.evidence import ConnectionReuse
from harness.results import Level, Severity


@check(
    "http.connection-reuse",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 9112 §6.3", "RFC 9112 §9.3", "RFC 9112 §11.2"),
)
def connection_reuse(ev: ConnectionReuse) -> str:
    """A persistent connection stays in sync: no unread body or wrong framing corrupts the next."""
    desync = ev.desync
    if desync is not None:
        raise CheckFailed(
            expected="the same answer to the same request on a kept-alive connection",
            actual=f"{desync}, on {len(ev.rounds)} connections; every other check ran on "
            "fresh connections",
            evidence=ev.exchanges,
        )
    last = ev.rounds[-1]
    first = ev.rounds[0].desync()
    if first is not None:  # not seen again on a second connection: a race, not a finding
        return f"once {first}, but not on a second connection; every other check ran on fresh ones"
    if last.dropped:
        return (
            f"the server closed the kept-alive connection without Connection: close "
            f"({last.follow_up.summary()}): allowed, nothing was corrupted; every other check "
            "ran on fresh connections"
        )
    if not last.reused:
        return (
            f"the server closed the connection after {last.first.summary()}: nothing was left "
            "on it; every other check ran on fresh connections"
        )
    return (
        f"the follow-up on the kept-alive connection got {last.follow_up.summary()}, as the first"
    )


CHECKS = (connection_reuse,)
