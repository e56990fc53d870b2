"""Failure records and the `fuzz` section of report.json: seed, settings, mutation class, the
shrunk input (secrets fingerprinted, secret edits described) and a redacted curl chain."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from harness.fuzz.properties import PROPERTIES
from harness.http import Exchange
from harness.redact import SecretVault
from harness.results import Level, Result, Verdict


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureRecord:
    area: str
    prop: str
    kind: str  # the mutation class
    message: str
    input: object  # the shrunk input, redacted (a mutation, or the state machine's steps)
    curl: tuple[str, ...]
    exchanges: tuple[dict[str, object], ...]
    seed: int
    status: str = "open"  # after --replay: fixed, failing, inconclusive
    context: dict[str, str] = field(default_factory=dict)  # the run's values `input` is relative to
    found_after_s: float | None = None  # from the start of the area, shrinking included

    @property
    def check(self) -> str:
        return f"fuzz.{self.area}.{self.prop}"

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "area": self.area,
            "property": self.prop,
            "mutation_class": self.kind,
            "message": self.message,
            "input": self.input,
            "curl": list(self.curl),
            "evidence": list(self.exchanges),
            "seed": self.seed,
            "status": self.status,
            "context": dict(self.context),
            "found_after_s": self.found_after_s,
        }


@dataclass(slots=True, kw_only=True)
class AreaOutcome:
    area: str
    properties: tuple[str, ...]
    examples: int = 0
    judged: Counter[str] = field(default_factory=Counter)
    failures: list[FailureRecord] = field(default_factory=list)
    duration_s: float = 0.0
    skipped: str | None = None  # why the area could not run
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "area": self.area,
            "examples": self.examples,
            "examples_per_second": round(self.examples / self.duration_s, 1)
            if self.duration_s
            else None,
            "duration_s": round(self.duration_s, 3),
            "judged": dict(self.judged),
            "failures": len(self.failures),
            "skipped": self.skipped,
            "error": self.error,
        }

    def results(self) -> list[Result]:
        """One `fuzz.<area>.<property>` result per property: fail (or warn for a SHOULD) with
        the first failure's evidence, pass only when exercised, else skip or error."""
        out = []
        for pid in self.properties:
            prop = PROPERTIES[pid]
            found = [f for f in self.failures if f.prop == pid]
            if found:
                first = found[0]
                verdict = Verdict.FAIL if prop.level is Level.MUST else Verdict.WARN
                kinds = ", ".join(sorted({f.kind for f in found}))
                message = f"{first.message} (mutation classes: {kinds})"
                evidence, reproduce = first.exchanges, "\n".join(first.curl)
            elif self.error:
                verdict, message, evidence, reproduce = Verdict.ERROR, self.error, (), None
            elif self.skipped or not self.judged[pid]:
                verdict, evidence, reproduce = Verdict.SKIP, (), None
                message = self.skipped or f"no {self.area} example exercised this property"
            else:
                verdict, evidence, reproduce = Verdict.PASS, (), None
                message = f"held for {self.judged[pid]} {self.area} examples"
            out.append(
                property_result(
                    f"fuzz.{self.area}.{pid}", pid, verdict, message, evidence, reproduce
                )
            )
        return out


def property_result(
    check: str,
    pid: str,
    verdict: Verdict,
    message: str,
    evidence: tuple[dict[str, object], ...] = (),
    reproduce: str | None = None,
) -> Result:
    """The `fuzz.<area>.<property>` result, titled and referenced from the property."""
    prop = PROPERTIES[pid]
    return Result(
        check=check,
        title=prop.title,
        level=prop.level,
        severity=prop.severity,
        verdict=verdict,
        message=message,
        spec_refs=prop.refs,
        evidence=evidence,
        reproduce=reproduce,
    )


def redacted(vault: SecretVault, value: object) -> object:
    """`value` (JSON-compatible) with every known secret fingerprinted."""
    if isinstance(value, str):
        return vault.redact(value)
    if isinstance(value, list | tuple):
        return [redacted(vault, v) for v in value]
    if isinstance(value, dict):
        return {str(k): redacted(vault, v) for k, v in value.items()}
    return value


def curl_chain(exchanges: tuple[Exchange, ...]) -> tuple[str, ...]:
    return tuple(exchange.curl() for exchange in exchanges)
