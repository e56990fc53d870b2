"""A client journey: named steps, each ok, failed or skipped, with the exchanges behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from harness.http import Exchange

StepOutcome = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    name: str
    outcome: StepOutcome
    detail: str = ""
    exchanges: tuple[Exchange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Journey:
    profile: str
    steps: tuple[Step, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(e for step in self.steps for e in step.exchanges)
