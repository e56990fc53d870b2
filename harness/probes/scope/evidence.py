"""Evidence about per-tool authorization: tool calls with a token that lacks the tool's scope,
and the retries with exactly the scopes the refusal challenged for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.http import Exchange
from harness.probes.resource.mcp import CallOutcome

INSUFFICIENT = "insufficient_scope"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolTrial:
    """One tool called with a narrow token.

    `requires` is the tool's scope when the configuration or the tool's own declaration names
    it; None when only the server's refusal revealed that the tool needs more. `call` is the
    `tools/call` (or the `initialize`, when the server refused the narrow token there).
    """

    tool: str
    arguments: Mapping[str, object] = field(repr=False)
    requires: tuple[str, ...] | None
    source: str
    narrow: tuple[str, ...]  # the scopes the narrow token carries
    call: CallOutcome

    @property
    def refused(self) -> bool:
        """Really refused (401/403, a JSON-RPC or tool error): not merely unanswered."""
        return self.call.refusal

    @property
    def challenged(self) -> tuple[str, ...] | None:
        """The scopes an insufficient_scope challenge names (None: no such challenge)."""
        challenge = self.call.challenge
        if challenge is None or challenge.param("error") != INSUFFICIENT:
            return None
        return challenge.scopes or ()

    def describe(self) -> str:
        needs = " ".join(self.requires) if self.requires else "more"
        return (
            f"{self.tool} (needs {needs}, {self.source}) with a token for "
            f"{' '.join(self.narrow) or 'no scope'}: {self.call.describe()}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeTrials:
    """Every tool the harness could call with a token lacking its scope, and why others were
    not called (`passed_over`)."""

    trials: tuple[ToolTrial, ...]
    passed_over: tuple[str, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(e for t in self.trials for e in t.call.exchanges)

    def why_none(self) -> str:
        reasons = "; ".join(self.passed_over) or "the server lists no such tool"
        return (
            "no tool could be called with a token lacking its scope "
            f"({reasons}); name tools with their scopes in [[tools]] (name, requires, "
            "arguments) and a token's scopes in [scopes].narrow"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StepUp:
    """A refused call retried with a token for exactly the challenged scopes."""

    trial: ToolTrial
    scope: str
    call: CallOutcome | None
    problem: str | None = None  # why there was no retry (the token could not be obtained)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        retried = self.call.exchanges if self.call is not None else ()
        return (*self.trial.call.exchanges, *retried)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepUpTrials:
    """Step-ups for the refused trials; `unnamed` are refusals that named no scope."""

    steps: tuple[StepUp, ...]
    unnamed: tuple[ToolTrial, ...]
    unanswered: tuple[ToolTrial, ...] = ()  # trials with no usable answer (429, 5xx, none)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (
            *(e for s in self.steps for e in s.exchanges),
            *(e for t in self.unnamed for e in t.call.exchanges),
            *(e for t in self.unanswered for e in t.call.exchanges),
        )
