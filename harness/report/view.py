"""What every rendering shows, derived once from a `Report`: ordering, grouping and typed evidence.

The report keeps evidence as the JSON-shaped dicts of `Exchange.to_json()`; `ExchangeView` parses
them here, at the edge, tolerating absent or odd fields (a hand-edited report.json still renders).
Nothing is invented: every value shown comes from the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.results import Compatibility, Reason, Report, Result, Severity, Verdict

CHECK_PREFIXES = (
    "http",  # transport first: a desync explains findings elsewhere
    "disc",
    "reg",
    "authz",
    "pkce",
    "token",
    "refresh",
    "rs",
    "scope",
    "sess",
    "misuse",
    "scenario",
)
FINDING_VERDICTS = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR)
VERDICT_HEADINGS = {Verdict.FAIL: "Failures", Verdict.WARN: "Warnings", Verdict.ERROR: "Errors"}
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
# Controls (but tab and line breaks), DEL, C1 controls, lone surrogates and XML's non-characters.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """`text` with control characters shown as `\\xNN` (or `\\uNNNN`): terminal escapes a
    server echoes stay inert, and XML 1.0 can carry every rendering."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def check_prefix(check_id: str) -> str:
    """`rs.jwt.alg-none` -> `rs`."""
    return check_id.split(".", 1)[0]


def case_name(result: Result) -> str:
    """The check id, plus ` [profile]` when the result was observed with a client profile."""
    return f"{result.check} [{result.profile}]" if result.profile else result.check


def spec_revision_text(report: Report) -> str:
    return report.spec_revision or "unknown"


def duration_text(report: Report) -> str:
    return f"{round(report.duration_s, 3):g} s"


def summary_items(report: Report) -> list[tuple[str, int]]:
    """(verdict, count) in the fixed order pass, fail, warn, skip, error."""
    counts = report.summary()
    return [(verdict.value, counts.get(verdict.value, 0)) for verdict in Verdict]


def summary_text(report: Report) -> str:
    return " · ".join(f"{count} {verdict}" for verdict, count in summary_items(report))


def _prefix_rank(prefix: str) -> tuple[int, str]:
    known = CHECK_PREFIXES.index(prefix) if prefix in CHECK_PREFIXES else len(CHECK_PREFIXES)
    return (known, prefix)


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingGroup:
    """The findings of one verdict under one check-id prefix."""

    verdict: Verdict
    prefix: str
    results: tuple[Result, ...]


def finding_groups(results: Iterable[Result]) -> list[FindingGroup]:
    """Failures, then warnings, then errors; within each, by prefix in contract order, then by
    severity (most severe first), keeping the report's order among equals."""
    groups: list[FindingGroup] = []
    listed = list(results)
    for verdict in FINDING_VERDICTS:
        of_verdict = [r for r in listed if r.verdict is verdict]
        prefixes = sorted({check_prefix(r.check) for r in of_verdict}, key=_prefix_rank)
        for prefix in prefixes:
            members = [r for r in of_verdict if check_prefix(r.check) == prefix]
            members.sort(key=lambda r: _SEVERITY_RANK[r.severity])
            groups.append(FindingGroup(verdict=verdict, prefix=prefix, results=tuple(members)))
    return groups


ISSUE_VERDICTS = (Verdict.FAIL, Verdict.WARN)  # findings about the target (errors are not)


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaGroup:
    """The results of one check-id prefix, in contract order: failures before warnings."""

    prefix: str
    results: tuple[Result, ...]


def _by_area(results: Iterable[Result]) -> list[AreaGroup]:
    listed = list(results)
    prefixes = sorted({check_prefix(r.check) for r in listed}, key=_prefix_rank)
    verdict_rank = {verdict: rank for rank, verdict in enumerate(Verdict)}
    return [
        AreaGroup(
            prefix=prefix,
            results=tuple(
                sorted(
                    (r for r in listed if check_prefix(r.check) == prefix),
                    key=lambda r: verdict_rank[r.verdict],
                )
            ),
        )
        for prefix in prefixes
    ]


def severity_groups(results: Iterable[Result]) -> list[tuple[Severity, list[AreaGroup]]]:
    """Failures and warnings by severity (most severe first), then by area."""
    issues = [r for r in results if r.verdict in ISSUE_VERDICTS]
    return [
        (severity, _by_area(r for r in issues if r.severity is severity))
        for severity in Severity
        if any(r.severity is severity for r in issues)
    ]


def error_groups(results: Iterable[Result]) -> list[AreaGroup]:
    """The checks that could not be judged, by area."""
    return _by_area(r for r in results if r.verdict is Verdict.ERROR)


def severity_counts(report: Report) -> list[tuple[str, int, int, int]]:
    """(severity, fail, warn, error) for every severity, most severe first."""
    rows = []
    for severity in Severity:
        of = [r.verdict for r in report.results if r.severity is severity]
        counts = (of.count(Verdict.FAIL), of.count(Verdict.WARN), of.count(Verdict.ERROR))
        rows.append((severity.value, *counts))
    return rows


def main_reason(entry: Compatibility) -> Reason | None:
    return entry.reasons[0] if entry.reasons else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeView:
    """One evidence exchange, parsed from its JSON form."""

    method: str
    url: str
    status: int | None
    error: str | None
    request_headers: tuple[tuple[str, str], ...]
    request_body: str
    response_headers: tuple[tuple[str, str], ...]
    response_body: str

    @property
    def outcome(self) -> str:
        if self.status is not None:
            return str(self.status)
        return f"error: {self.error}" if self.error else "no response"

    @property
    def line(self) -> str:
        """`METHOD url → outcome`."""
        return f"{self.method} {self.url} → {self.outcome}"


def _mapping(value: object) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _headers(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        return tuple((str(k), _text(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        pairs = [p for p in value if isinstance(p, list | tuple) and len(p) == 2]
        return tuple((str(p[0]), _text(p[1])) for p in pairs)
    return ()


def exchange_view(data: Mapping[str, object]) -> ExchangeView:
    request = _mapping(data.get("request"))
    response = _mapping(data.get("response"))
    status = response.get("status")
    error = data.get("error")
    return ExchangeView(
        method=_text(request.get("method")) or "?",
        url=_text(request.get("url")),
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        error=None if error is None else str(error),
        request_headers=_headers(request.get("headers")),
        request_body=_text(request.get("body_excerpt")),
        response_headers=_headers(response.get("headers")),
        response_body=_text(response.get("body_excerpt")),
    )


def exchanges(result: Result) -> list[ExchangeView]:
    return [exchange_view(item) for item in result.evidence if isinstance(item, Mapping)]
