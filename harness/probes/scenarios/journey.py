"""A client journey: named steps, each ok, failed or skipped, with the exchanges behind it.

A step may carry what it means for the client (`impact`: degraded or broken, at which phase, whose
fault, what fixes it, and the MUST the server breaks if it breaks one) and a server `violation` (a
MUST broken whatever the client). The scenario checks judge both; the compatibility verdicts
aggregate the impacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from harness.http import Exchange
from harness.results import Attribution, CompatVerdict, Reason

StepOutcome = Literal["ok", "failed", "skipped"]


class Phase(StrEnum):
    DISCOVER = "discover"
    REGISTER = "register"
    AUTHORIZE = "authorize"
    TOKEN = "token"  # noqa: S105 - a phase name
    CALL = "call"
    REFRESH = "refresh"
    STEP_UP = "step-up"
    LONG_RUN = "long-run"


PHASE_ORDER = tuple(Phase)


@dataclass(frozen=True, slots=True, kw_only=True)
class Must:
    """A MUST (or MUST NOT) the server breaks: where it is written and what it demands."""

    ref: str  # e.g. "RFC 8252 §7.3"
    text: str  # e.g. "the AS MUST allow any port in loopback redirect URIs"

    def __str__(self) -> str:
        return f"{self.ref}: {self.text}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """A server MUST broken whatever the client (the request was served, the token accepted)."""

    text: str
    must: Must


@dataclass(frozen=True, slots=True, kw_only=True)
class Impact:
    """What a step means for the profile's users."""

    verdict: CompatVerdict  # degraded or broken
    phase: Phase
    reason: Reason
    remediation: tuple[str, ...] = ()
    topic: str = ""  # e.g. "resource", "callback": which scenario the cause belongs to
    must: Must | None = None  # the clause the server breaks (only with attribution `server`)

    @property
    def server_must(self) -> Must | None:
        """The broken MUST when this impact is the server's doing (a `fail`), else None."""
        return self.must if self.reason.attribution is Attribution.SERVER else None

    @property
    def rank(self) -> tuple[int, int]:
        severity = 0 if self.verdict is CompatVerdict.BROKEN else 1
        return (severity, PHASE_ORDER.index(self.phase))


def impact(
    verdict: CompatVerdict,
    phase: Phase,
    text: str,
    *,
    attribution: Attribution,
    sources: tuple[str, ...] = (),
    remediation: tuple[str, ...] | str = (),
    topic: str = "",
    must: Must | None = None,
) -> Impact:
    fixes = (remediation,) if isinstance(remediation, str) else remediation
    unique = tuple(dict.fromkeys(sources))
    return Impact(
        verdict=verdict,
        phase=phase,
        reason=Reason(text=text, attribution=attribution, sources=unique),
        remediation=fixes,
        topic=topic,
        must=must,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    name: str
    outcome: StepOutcome
    detail: str = ""
    exchanges: tuple[Exchange, ...] = ()
    impact: Impact | None = None
    violation: Violation | None = None  # a server MUST broken, whatever it means for the client


@dataclass(frozen=True, slots=True, kw_only=True)
class Journey:
    """The happy path: connect, call, refresh, call again (`scenario.happy-path`)."""

    profile: str
    steps: tuple[Step, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(e for step in self.steps for e in step.exchanges)

    @property
    def impacts(self) -> tuple[Impact, ...]:
        return tuple(s.impact for s in self.steps if s.impact is not None)

    @property
    def worst(self) -> Impact | None:
        ranked = sorted(self.impacts, key=lambda i: i.rank)
        return ranked[0] if ranked else None

    def summary(self) -> str:
        return " → ".join(
            s.name if s.outcome == "ok" else f"({s.name}: {s.detail or s.outcome})"
            for s in self.steps
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingBearerJourney(Journey):
    """`scenario.missing-bearer`: after OAuth, a request without the bearer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiryJourney(Journey):
    """`scenario.expiry-mid-run`: the access token expires during a run."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryJourney(Journey):
    """`scenario.discovery-404`: the profile's probe order against what the server serves."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshNeverJourney(Journey):
    """`scenario.refresh-never`: how often users of a never-refreshing client reconnect."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnattendedJourney(Journey):
    """`scenario.unattended-run`: a scheduled run with a refresh token and no user."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepUpJourney(Journey):
    """`scenario.step-up`: 403 insufficient_scope and the profile's reaction."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceJourney(Journey):
    """`scenario.resource-variants`: the `resource` value this profile sends."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackJourney(Journey):
    """`scenario.callback-status`: how the authorization response reaches the callback."""


SCENARIO_EVIDENCE: tuple[type[Journey], ...] = (
    Journey,
    DiscoveryJourney,
    CallbackJourney,
    ResourceJourney,
    MissingBearerJourney,
    ExpiryJourney,
    RefreshNeverJourney,
    UnattendedJourney,
    StepUpJourney,
)
