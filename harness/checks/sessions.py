"""sess.*: MCP sessions (2025 revisions) must never stand in for the token, must stay with their
user, must be unguessable, and must survive a token refresh."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, TargetError
from harness.probes.session_evidence import (
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
    if ev.b_on_a.served:
        raise CheckFailed(
            expected="user A's session refused to user B (404, 403 or a JSON-RPC error)",
            actual=ev.b_on_a.describe(),
            evidence=ev.exchanges,
        )
    if ev.b_on_a.status is None:
        raise TargetError(f"no answer: {ev.b_on_a.describe()}")
    return f"user B refused on user A's session ({ev.b_on_a.status}); {ev.how}"


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
