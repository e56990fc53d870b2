"""CI baselines: accepted findings that do not fail a run, so only new ones do.

A baseline file (`mcp-auth-harness.baseline/1`) lists findings (`fail` and `warn` results) by
check id and profile. Against a new report:
- known: a finding the baseline lists (it stays in the report with its verdict, but does not
  count for the exit code);
- new: a finding the baseline does not list (it counts as usual);
- fixed: a baseline entry whose check now passes;
- stale: a baseline entry this run did not judge again (the check was not run, skipped or could
  not run, or no longer exists): it warns, since it can hide a later regression of that check.
The outcome is recorded in the report as `extra["baseline"]`, which every rendering shows.

Commands use it as: `report, new, fixed, stale = apply_baseline(report, path)` before writing
the report, then decide the exit code from `new` (see `failing`); `write_baseline(report, path)`
creates one from a report's findings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.errors import ConfigError
from harness.results import Report, Result, Verdict

SCHEMA = "mcp-auth-harness.baseline/1"
FINDINGS = (Verdict.FAIL, Verdict.WARN)
FAIL_ON_VERDICTS = {"must": {Verdict.FAIL}, "should": {Verdict.FAIL, Verdict.WARN}, "none": set()}


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One accepted finding."""

    check: str
    profile: str | None
    verdict: str
    message: str = ""

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.check, self.profile)

    @property
    def name(self) -> str:
        return f"{self.check} [{self.profile}]" if self.profile else self.check

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "profile": self.profile,
            "verdict": self.verdict,
            "message": self.message,
        }

    @classmethod
    def of(cls, result: Result) -> Entry:
        return cls(
            check=result.check,
            profile=result.profile,
            verdict=result.verdict.value,
            message=result.message,
        )


def findings(report: Report) -> list[Result]:
    return [r for r in report.results if r.verdict in FINDINGS]


def failing(results: Iterable[Result], fail_on: str) -> list[Result]:
    """The results at or above `--fail-on` (must: fail; should: fail or warn; none: nothing)."""
    verdicts = FAIL_ON_VERDICTS[fail_on]
    return [r for r in results if r.verdict in verdicts]


def write_baseline(report: Report, path: str | Path) -> tuple[Entry, ...]:
    """Write every finding of `report` as an accepted one; returns the entries written."""
    entries = tuple(Entry.of(r) for r in findings(report))
    document = {
        "schema": SCHEMA,
        "target": report.target_url,
        "created_at": report.started_at,
        "findings": [entry.to_json() for entry in entries],
    }
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise ConfigError(f"--write-baseline {path}: cannot write ({exc.strerror}).") from exc
    return entries


def _entry(item: object, where: str) -> Entry:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be an object")
    check, profile = item.get("check"), item.get("profile")
    if not isinstance(check, str) or not check:
        raise ValueError(f"{where}.check must be a check id")
    if profile is not None and not isinstance(profile, str):
        raise ValueError(f"{where}.profile must be a string or null")
    verdict, message = item.get("verdict", "fail"), item.get("message", "")
    return Entry(check=check, profile=profile, verdict=str(verdict), message=str(message))


def load_baseline(path: str | Path) -> tuple[Entry, ...]:
    """The entries of a baseline file; every problem is a `ConfigError` naming --baseline."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"--baseline {path} does not exist; create one with --write-baseline."
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"--baseline {path} is not a readable JSON file ({exc}).") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ConfigError(
            f"--baseline {path} is not a {SCHEMA} document; create one with --write-baseline."
        )
    items = data.get("findings")
    if not isinstance(items, list):
        raise ConfigError(f"--baseline {path}: `findings` must be a list.")
    try:
        return tuple(_entry(item, f"findings[{i}]") for i, item in enumerate(items))
    except ValueError as exc:
        raise ConfigError(f"--baseline {path}: {exc}.") from exc


def compare(
    report: Report, entries: Sequence[Entry]
) -> tuple[list[Result], list[Result], list[Entry], list[Entry]]:
    """(known, new, fixed, stale) of `report` against `entries`."""
    accepted = {entry.key for entry in entries}
    verdicts = {(r.check, r.profile): r.verdict for r in report.results}
    current = findings(report)
    known = [r for r in current if (r.check, r.profile) in accepted]
    new = [r for r in current if (r.check, r.profile) not in accepted]
    fixed = [e for e in entries if verdicts.get(e.key) is Verdict.PASS]
    stale = [e for e in entries if verdicts.get(e.key) not in {*FINDINGS, Verdict.PASS}]
    return known, new, fixed, stale


def _stale_reason(report: Report, entry: Entry) -> str:
    verdict = next((r.verdict for r in report.results if (r.check, r.profile) == entry.key), None)
    if verdict is None:
        return "not judged in this run"
    return f"{verdict.value} in this run, so not judged again"


def apply_baseline(
    report: Report, path: str | Path
) -> tuple[Report, tuple[Result, ...], tuple[Entry, ...], tuple[Entry, ...]]:
    """`report` with its `baseline` section, the new findings (the only ones that may fail the
    run), the fixed entries and the stale entries."""
    entries = load_baseline(path)
    known, new, fixed, stale = compare(report, entries)
    section = {
        "file": Path(path).name,
        "entries": len(entries),
        "known": [Entry.of(r).to_json() for r in known],
        "new": [Entry.of(r).to_json() for r in new],
        "fixed": [e.to_json() for e in fixed],
        "stale": [{**e.to_json(), "reason": _stale_reason(report, e)} for e in stale],
    }
    updated = replace(report, extra={**report.extra, "baseline": section})
    return updated, tuple(new), tuple(fixed), tuple(stale)


def gate(
    report: Report, *, baseline: str | None, write: str | None, fail_on: str
) -> tuple[Report, list[Result]]:
    """For a command's `--baseline`/`--write-baseline` (see `harness.cli.add_baseline_options`):
    the report to write and the results that count for its exit code (those at `--fail-on`,
    less the accepted ones; none when the baseline was just written from this report)."""
    if write is not None:
        write_baseline(report, write)
        return report, []
    if baseline is not None:
        report, new, _fixed, _stale = apply_baseline(report, baseline)
        return report, failing(new, fail_on)
    return report, failing(report.results, fail_on)
