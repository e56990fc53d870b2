"""Verdicts, results, compatibility entries and the report.json document (schema `/1`).

Every path (checks, scenarios, proxy, fuzz, load) ends in these records; HTML, Markdown and JUnit
are renderings of the JSON produced here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

SCHEMA = "mcp-auth-harness.report/1"


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class CompatVerdict(StrEnum):
    WORKS = "works"
    DEGRADED = "degraded"
    BROKEN = "broken"


class Attribution(StrEnum):
    """Whose doing a compatibility reason is (only `server` with a named MUST is a `fail`)."""

    SERVER = "server"  # the server violates the spec or is needlessly strict
    CLIENT = "client"  # a documented client bug
    REVISION = "revision"  # client and server speak different protocol revisions
    INTEROP = "interop"  # a need the spec does not impose (CORS for browser clients)


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    check: str
    title: str
    level: Level
    severity: Severity
    verdict: Verdict
    message: str
    profile: str | None = None
    spec_refs: tuple[str, ...] = ()
    evidence: tuple[dict[str, object], ...] = ()
    reproduce: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "title": self.title,
            "level": self.level.value,
            "severity": self.severity.value,
            "verdict": self.verdict.value,
            "profile": self.profile,
            "message": self.message,
            "spec_refs": list(self.spec_refs),
            "evidence": list(self.evidence),
            "reproduce": self.reproduce,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Result:
        return cls(
            check=str(data["check"]),
            title=str(data.get("title", "")),
            level=Level(str(data["level"])),
            severity=Severity(str(data["severity"])),
            verdict=Verdict(str(data["verdict"])),
            message=str(data.get("message", "")),
            profile=cast("str | None", data.get("profile")),
            spec_refs=tuple(cast("list[str]", data.get("spec_refs", []))),
            evidence=tuple(cast("list[dict[str, object]]", data.get("evidence", []))),
            reproduce=cast("str | None", data.get("reproduce")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    text: str
    attribution: Attribution
    sources: tuple[str, ...] = ()
    # Where in the client's journey the reason bites, and how badly (the report's grid cells);
    # written only when known, so older reports and observed clients read the same.
    phase: str | None = None
    impact: CompatVerdict | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "text": self.text,
            "attribution": self.attribution.value,
            "sources": list(self.sources),
        }
        if self.phase is not None:
            data["phase"] = self.phase
        if self.impact is not None:
            data["impact"] = self.impact.value
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Compatibility:
    profile: str
    verdict: CompatVerdict
    phase: str | None = None
    reasons: tuple[Reason, ...] = ()
    remediation: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "verdict": self.verdict.value,
            "phase": self.phase,
            "reasons": [reason.to_json() for reason in self.reasons],
            "remediation": list(self.remediation),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Compatibility:
        reasons = cast("list[dict[str, object]]", data.get("reasons", []))
        return cls(
            profile=str(data["profile"]),
            verdict=CompatVerdict(str(data["verdict"])),
            phase=cast("str | None", data.get("phase")),
            reasons=tuple(
                Reason(
                    text=str(r["text"]),
                    attribution=Attribution(str(r["attribution"])),
                    sources=tuple(cast("list[str]", r.get("sources", []))),
                    phase=cast("str | None", r.get("phase")),
                    impact=CompatVerdict(str(r["impact"])) if r.get("impact") else None,
                )
                for r in reasons
            ),
            remediation=tuple(cast("list[str]", data.get("remediation", []))),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    tool_version: str
    target_url: str
    spec_revision: str | None
    started_at: str
    duration_s: float
    seed: int
    results: tuple[Result, ...] = ()
    compatibility: tuple[Compatibility, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        counts = {verdict.value: 0 for verdict in Verdict}
        for result in self.results:
            counts[result.verdict.value] += 1
        return counts

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "mcp-auth-harness", "version": self.tool_version},
            "target": {"url": self.target_url, "spec_revision": self.spec_revision},
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "seed": self.seed,
            "results": [result.to_json() for result in self.results],
            "compatibility": [entry.to_json() for entry in self.compatibility],
            "summary": self.summary(),
            **self.extra,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Report:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document (schema is {data.get('schema')!r})")
        tool = cast("dict[str, object]", data["tool"])
        target = cast("dict[str, object]", data["target"])
        known = {"schema", "tool", "target", "started_at", "duration_s", "seed", "results"}
        known |= {"compatibility", "summary"}
        return cls(
            tool_version=str(tool.get("version", "")),
            target_url=str(target.get("url", "")),
            spec_revision=cast("str | None", target.get("spec_revision")),
            started_at=str(data["started_at"]),
            duration_s=float(cast("float", data["duration_s"])),
            seed=int(cast("int", data["seed"])),
            results=tuple(
                Result.from_json(r) for r in cast("list[dict[str, object]]", data["results"])
            ),
            compatibility=tuple(
                Compatibility.from_json(c)
                for c in cast("list[dict[str, object]]", data.get("compatibility", []))
            ),
            extra={k: v for k, v in data.items() if k not in known},
        )
