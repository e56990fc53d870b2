"""scope.*: per-tool authorization. A token lacking a tool's scope is refused with a 403 that
names the scope; the tool does not run; a token with exactly the named scopes then works."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.probes.scope.evidence import INSUFFICIENT, ScopeTrials, StepUpTrials, ToolTrial
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"


def _trials(ev: ScopeTrials) -> tuple[ToolTrial, ...]:
    if not ev.trials:
        raise NotApplicable(ev.why_none())
    return ev.trials


def _unanswered(trials: tuple[ToolTrial, ...] | list[ToolTrial], *, what: str) -> None:
    """A 429, a 5xx or a transport failure is no refusal: the call was not exercised."""
    unanswered = [t for t in trials if t.call.unanswered]
    if unanswered:
        raise TargetError(
            f"{what} got no usable answer (rate limited, a server error or no answer), so it "
            "was not exercised: " + "; ".join(t.describe() for t in unanswered)
        )


def _challenge_problem(trial: ToolTrial) -> str | None:
    call = trial.call
    if call.served:
        return "the call was served"
    if call.status != 403:
        return f"status {call.status}"
    challenge = call.challenge
    if challenge is None:
        return "no Bearer challenge"
    missing = [
        f'error="{INSUFFICIENT}"' if challenge.param("error") != INSUFFICIENT else "",
        "scope" if challenge.param("scope") is None else "",
        "resource_metadata" if challenge.param("resource_metadata") is None else "",
    ]
    missing = [m for m in missing if m]
    return f"the challenge lacks {', '.join(missing)}" if missing else None


@check(
    "scope.insufficient-403",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=(f"{MCP} §Runtime Insufficient Scope Errors", "OAuth 2.1 §5.3.2", "RFC 6750 §3.1"),
)
def insufficient_403(ev: ScopeTrials) -> str:
    """A token lacking a tool's scope gets 403 insufficient_scope, scope and resource_metadata."""
    trials = _trials(ev)
    _unanswered([t for t in trials if t.call.status is None or t.call.status == 429], what="a call")
    wrong = [(t, p) for t in trials if (p := _challenge_problem(t)) is not None]
    if wrong:
        raise CheckFailed(
            expected=f'403 with WWW-Authenticate: Bearer error="{INSUFFICIENT}", scope="…", '
            'resource_metadata="…"',
            actual="; ".join(f"{t.describe()} ({problem})" for t, problem in wrong),
            evidence=tuple(e for t, _ in wrong for e in t.call.exchanges),
        )
    return "403 insufficient_scope with scope and resource_metadata for " + ", ".join(
        t.tool for t in ev.trials
    )


@check(
    "scope.not-executed",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{MCP} §Runtime Insufficient Scope Errors", "OAuth 2.1 §5.2"),
)
def not_executed(ev: ScopeTrials) -> str:
    """A tool call with a token lacking the tool's scope has no effect (no result comes back)."""
    ran = [t for t in _trials(ev) if t.call.executed]
    if ran:
        raise CheckFailed(
            expected="no tool result for a token without the tool's scope",
            actual="; ".join(t.describe() for t in ran),
            evidence=tuple(e for t in ran for e in t.call.exchanges),
        )
    _unanswered(ev.trials, what="a call with a token lacking the tool's scope")
    unclear = [t for t in ev.trials if not t.call.refusal]
    if unclear:
        raise TargetError(
            "no refusal (401, 403, a JSON-RPC or tool error) shows the call did not run: "
            + "; ".join(t.describe() for t in unclear)
        )
    notes = [t.tool for t in ev.trials if t.call.tool_error]
    flagged = f" ({', '.join(notes)} answered with a tool error instead)" if notes else ""
    return f"no result for {', '.join(t.tool for t in ev.trials)}{flagged}"


@check(
    "scope.challenge-complete",
    level=Level.SHOULD,
    severity=Severity.LOW,
    refs=(f"{MCP} §Scope Challenge Handling", f"{MCP} §Runtime Insufficient Scope Errors"),
)
def challenge_complete(ev: StepUpTrials) -> str:
    """A token with the challenged scopes (and those already granted) then succeeds."""
    if ev.unnamed:
        raise CheckFailed(
            expected="a refusal that names every scope the call needs",
            actual="; ".join(t.describe() for t in ev.unnamed),
            evidence=tuple(e for t in ev.unnamed for e in t.call.exchanges),
        )
    tried = [s for s in ev.steps if s.call is not None]
    if not tried and ev.unanswered:
        _unanswered(ev.unanswered, what="a call with a token lacking the tool's scope")
    if not tried:
        problems = "; ".join(f"{s.trial.tool}: {s.problem}" for s in ev.steps)
        raise NotApplicable(
            f"no refused call to retry ({problems})"
            if problems
            else "no tool call was refused with a scope challenge (see scope.insufficient-403)"
        )
    unanswered = [s for s in tried if s.call is not None and s.call.unanswered]
    if unanswered:
        raise TargetError(
            "a retry with the stepped-up token got no usable answer (rate limited, a server "
            "error or no answer): "
            + "; ".join(f"{s.trial.tool}: {s.call.describe()}" for s in unanswered if s.call)
        )
    failed = [s for s in tried if s.call is not None and not s.call.served]
    if failed:
        raise CheckFailed(
            expected="the call to succeed with a token for the challenged scopes together with "
            "those already granted",
            actual="; ".join(
                f"{s.trial.tool} with scope {s.scope!r}: {s.call.describe()}"
                for s in failed
                if s.call is not None
            ),
            evidence=tuple(e for s in failed for e in s.exchanges),
        )
    return "succeeded with the challenged scopes (plus those already granted): " + ", ".join(
        f"{s.trial.tool} ({s.scope})" for s in tried
    )


CHECKS = (insufficient_403, not_executed, challenge_complete)
