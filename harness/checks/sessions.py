"""sess.*: MCP sessions (2025 revisions) must never stand in for the token, must stay with their
user, must be unguessable, and must survive a token refresh."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.probes.resource.mcp import result_text
from harness.probes.sessions.evidence import (
    RefreshedSession,
    SessionAlone,
    SessionSample,
    UserBinding,
)
from harness.results import Level, Severity

BP = "MCP 2025-11-25 Security Best Practices"
TRANSPORTS = "MCP 2025-11-25 Transports §Session Management"
MIN_BITS = 112  # a securely generated UUIDv4 has 122 random bits


@check(
    "sess.not-auth",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{BP} §Session Hijacking", "MCP 2025-11-25 Authorization §Token Requirements"),
)
def not_auth(ev: SessionAlone) -> str:
    """A session id alone never authenticates."""
    served = [a for a in ev.attempts if a.status is not None and 200 <= a.status < 300]
    if served:
        raise CheckFailed(
            expected="401: a session id is not a credential",
            actual="; ".join(a.describe() for a in served),
            evidence=tuple(e for a in served for e in a.exchanges),
        )
    if all(a.status is None for a in ev.attempts):
        raise TargetError(f"no answer: {ev.attempts[0].describe()}")
    return "refused: " + ", ".join(f"{a.label} ({a.status})" for a in ev.attempts)


@check(
    "sess.user-binding",
    level=Level.SHOULD,
    severity=Severity.CRITICAL,
    refs=(f"{BP} §Session Hijacking", TRANSPORTS),
)
def user_binding(ev: UserBinding) -> str:
    """User B's token cannot drive user A's session."""
    b_on_a = ev.b_on_a
    if b_on_a.unanswered:
        raise TargetError(
            f"no usable answer to user B on user A's session (rate limited, a server error or "
            f"no answer): {b_on_a.describe()}"
        )
    if not b_on_a.served:
        return f"user B refused on user A's session ({b_on_a.status}); {ev.how}"
    read = ev.read
    if read is None or read.b_on_a is None:
        raise NotApplicable(
            "user B's tools/list on user A's session was served, which proves nothing by itself "
            "(the server may give B its own context); "
            + (ev.no_read or "no user-specific read was made")
        )
    call = read.b_on_a
    if call.unanswered:
        raise TargetError(
            f"no usable answer to user B's {read.tool} on A's session: {call.describe()}"
        )
    if not call.executed:
        return f"user B's {read.tool} on user A's session was refused ({call.describe()}); {ev.how}"
    answer = result_text(call.result)
    if answer == result_text(read.a_own.result):
        raise CheckFailed(
            expected="user A's session refused to user B (404, 403 or a JSON-RPC error), or B "
            "given only its own context",
            actual=f"with user B's token on user A's session, {read.tool} answered with user A's "
            f"data (as A's own call did, unlike B's call on B's own session); {ev.how}",
            evidence=ev.exchanges,
        )
    if answer == result_text(read.b_own.result):
        return (
            f"user B's token on user A's session got B's own context ({read.tool} answered as "
            f"for B), none of A's; {ev.how}"
        )
    raise NotApplicable(
        f"user B's {read.tool} on user A's session answered like neither user's own call, so "
        "whose context it was given cannot be told"
    )


@check(
    "sess.entropy",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(TRANSPORTS, f"{BP} §Session Hijacking"),
)
def entropy(ev: SessionSample) -> str:
    """Session ids are visible ASCII, unique, and long and random enough not to be guessed."""
    stats = ev.estimate
    if stats.invisible:
        raise CheckFailed(
            expected="session ids of visible ASCII only (0x21-0x7E)",
            actual=f"{stats.invisible} of {stats.count} ids hold other characters",
            evidence=ev.exchanges,
        )
    if stats.unique < stats.count:
        raise CheckFailed(
            expected="a new, unique session id for every initialize",
            actual=stats.describe(),
            evidence=ev.exchanges,
            should=True,
        )
    if stats.bits < MIN_BITS:
        raise CheckFailed(
            expected=f"cryptographically random session ids (about {MIN_BITS} bits or more)",
            actual=stats.describe(),
            evidence=ev.exchanges,
            should=True,
        )
    return stats.describe()


@check(
    "sess.survives-refresh",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=(TRANSPORTS, "MCP 2025-11-25 Authorization §Token Handling"),
)
def survives_refresh(ev: RefreshedSession) -> str:
    """After a refresh (same user, new token) the session keeps working."""
    if not ev.after.served:
        raise CheckFailed(
            expected="the session to accept the same user's refreshed token",
            actual=ev.after.describe(),
            evidence=ev.exchanges,
        )
    return "the session kept working with the refreshed token"


CHECKS = (not_auth, user_binding, entropy, survives_refresh)
