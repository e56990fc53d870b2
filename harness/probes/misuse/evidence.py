"""Evidence of the steered agent (misuse.*): what it read, what steered it, what it then did."""

from __future__ import annotations

from dataclasses import dataclass

from harness.http import Exchange
from harness.probes.misuse.canary import CanaryHit
from harness.probes.resource.evidence import Attempt, exchanges_of
from harness.probes.resource.mcp import CallOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivilegedCall:
    tool: str
    requires: tuple[str, ...]
    call: CallOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """The agent's token at another MCP resource, next to the same token at the target."""

    other: str
    audience: tuple[str, ...] | None  # the agent token's `aud`, when it is a JWT
    at_other: Attempt
    at_target: Attempt

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return exchanges_of((self.at_other, self.at_target))


@dataclass(frozen=True, slots=True, kw_only=True)
class Passthrough:
    """The upstream tool called with the agent's token while the canary listened."""

    canary: str
    tool_call: CallOutcome
    hits: tuple[CanaryHit, ...]
    unmatchable: str | None = None  # why the agent's token could not be looked for, if so


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRun:
    """One steered agent. Each step it did not take has its reason in `absent`."""

    agent_scopes: tuple[str, ...]
    steered_by: str
    read: tuple[CallOutcome, ...]
    escalations: tuple[PrivilegedCall, ...]
    replay: Replay | None
    passthrough: Passthrough | None
    absent: tuple[tuple[str, str], ...]  # (step, why it was not taken)

    def why_not(self, step: str) -> str:
        return next((why for s, why in self.absent if s == step), f"the agent did not {step}")

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        found = [e for call in self.read for e in call.exchanges]
        found += [e for c in self.escalations for e in c.call.exchanges]
        if self.replay is not None:
            found += self.replay.exchanges
        if self.passthrough is not None:
            found += self.passthrough.tool_call.exchanges
        return tuple(found)
