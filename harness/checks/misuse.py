"""misuse.*: a prompt-injected agent misusing perfectly valid credentials must get nowhere."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.probes.misuse.corpus import Step
from harness.probes.misuse.evidence import AgentRun
from harness.probes.resource.evidence import exchanges_of
from harness.results import Level, Severity

BP = "MCP 2025-11-25 Security Best Practices"


@check(
    "misuse.scope-escalation",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("MCP 2025-11-25 Authorization §Scope Challenge Handling", "OAuth 2.1 §5.2"),
)
def scope_escalation(ev: AgentRun) -> str:
    """An agent with a narrow token steered into calling a privileged tool is refused."""
    if not ev.escalations:
        raise NotApplicable(ev.why_not(Step.CALL_PRIVILEGED_TOOLS))
    ran = [c for c in ev.escalations if c.call.executed]
    if ran:
        raise CheckFailed(
            expected="privileged tools refused to a token without their scope, with no effect",
            actual=f"steered by {ev.steered_by}, the agent's token "
            f"({' '.join(ev.agent_scopes) or 'no scope'}) ran "
            + "; ".join(
                f"{c.tool} (needs {' '.join(c.requires)}): {c.call.describe()}" for c in ran
            ),
            evidence=tuple(e for c in ran for e in c.call.exchanges),
        )
    unanswered = [c for c in ev.escalations if c.call.unanswered]
    if unanswered:
        raise TargetError(
            "a privileged call got no usable answer (rate limited, a server error or no "
            "answer), so it was not exercised: "
            + "; ".join(f"{c.tool}: {c.call.describe()}" for c in unanswered)
        )
    unclear = [c for c in ev.escalations if not c.call.refusal]
    if unclear:
        raise TargetError(
            "no refusal (401, 403, a JSON-RPC or tool error) shows the privileged call did not "
            "run: " + "; ".join(f"{c.tool}: {c.call.describe()}" for c in unclear)
        )
    refused = ", ".join(
        f"{c.tool} ({'a tool error' if c.call.tool_error else c.call.status})"
        for c in ev.escalations
    )
    return f"steered by {ev.steered_by}; refused: {refused}"


@check(
    "misuse.cross-resource",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{BP} §Token Passthrough", "MCP 2025-11-25 Authorization §Token Audience Binding"),
)
def cross_resource(ev: AgentRun) -> str:
    """An agent replaying its token at another MCP resource is refused."""
    replay = ev.replay
    if replay is None:
        raise NotApplicable(ev.why_not(Step.REPLAY_TOKEN))
    audience = {a.rstrip("/") for a in replay.audience or ()}
    if replay.other.rstrip("/") in audience:
        raise NotApplicable(
            f"the agent's token was issued for {replay.other} too (aud {sorted(audience)}), "
            "so presenting it there is no replay"
        )
    if not replay.at_target.accepted:
        raise TargetError(
            f"the agent's token no longer works at the target ({replay.at_target.describe()}), "
            "so its refusal elsewhere proves nothing"
        )
    at_other = replay.at_other
    if at_other.status is None or at_other.status == 429:
        raise TargetError(
            f"no usable answer from {replay.other} (rate limited or unreachable): "
            f"{at_other.describe()}"
        )
    if at_other.accepted:
        if not audience:
            raise NotApplicable(
                f"the agent's token has no readable audience (opaque, or a JWT without aud), so "
                f"nothing shows it was not issued for {replay.other} too; its acceptance there "
                f"({at_other.describe()}) proves no replay"
            )
        raise CheckFailed(
            expected=f"401 at {replay.other} for a token issued for the target "
            f"(aud {sorted(audience)})",
            actual=f"steered by {ev.steered_by}: {at_other.describe()}",
            evidence=exchanges_of((at_other, replay.at_target)),
        )
    if at_other.status >= 500:
        raise CheckFailed(
            expected=f"401 at {replay.other} for a token issued for the target",
            actual=f"steered by {ev.steered_by}: {at_other.describe()} (nothing was let in, but "
            "a server error is no refusal a client can act on)",
            evidence=exchanges_of((at_other, replay.at_target)),
            should=True,
        )
    return (
        f"steered by {ev.steered_by}; the token was refused at {replay.other} ({at_other.status})"
    )


@check(
    "misuse.token-passthrough",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(
        f"{BP} §Token Passthrough",
        "MCP 2025-11-25 Authorization §Access Token Privilege Restriction",
    ),
)
def token_passthrough(ev: AgentRun) -> str:
    """The server never forwards the client's token upstream."""
    passthrough = ev.passthrough
    if passthrough is None:
        raise NotApplicable(ev.why_not(Step.CALL_UPSTREAM))
    leaked = [h for h in passthrough.hits if h.carried_agent_token or h.carried_other_secret]
    if leaked:
        raise CheckFailed(
            expected="the upstream API called with the server's own credentials",
            actual=f"the canary at {passthrough.canary} received "
            + "; ".join(h.describe() for h in leaked),
            evidence=passthrough.tool_call.exchanges,
        )
    if not passthrough.hits:
        raise NotApplicable(
            f"the canary at {passthrough.canary} received no request while the tool ran "
            f"({passthrough.tool_call.describe()}); point the server's upstream URL at it"
        )
    if passthrough.unmatchable:
        raise NotApplicable(passthrough.unmatchable)
    return f"steered by {ev.steered_by}; the upstream received " + "; ".join(
        h.describe() for h in passthrough.hits
    )


CHECKS = (scope_escalation, cross_resource, token_passthrough)
