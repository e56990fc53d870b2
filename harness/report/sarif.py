"""The SARIF 2.1.0 rendering, for code-scanning dashboards.

One run whose driver lists a rule per check of the catalogue (plus any other id the report
carries: fuzz.*, load.*, client.*), and one result per finding: `fail` is level `error`, `warn`
is `warning` (both kind `fail`), `error` is kind `open` (the harness could not judge). Passes
and skips are counted in the run's properties, not listed. The target URL is the one artifact
every result is located at; the profile and evidence lines ride in result properties.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from harness.report.links import spec_link
from harness.report.view import exchanges, printable
from harness.results import Level, Report, Result, Severity, Verdict

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/modelcontextprotocol/modelcontextprotocol"
FINGERPRINT = "mcpAuthHarness/v1"
# GitHub code scanning reads `security-severity` (0.0-10.0) to rank security findings.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_LISTED = (Verdict.FAIL, Verdict.WARN, Verdict.ERROR)


def _rule(
    rule_id: str, title: str, level: Level, severity: Severity, refs: Iterable[str], doc: str
) -> dict[str, object]:
    refs = tuple(refs)
    links = [link for link in (spec_link(ref) for ref in refs) if link]
    rule: dict[str, object] = {
        "id": rule_id,
        "shortDescription": {"text": printable(title or rule_id)},
        "fullDescription": {"text": printable(doc or title or rule_id)},
        "help": {"text": printable("; ".join(refs) or "see the report for the evidence")},
        "defaultConfiguration": {"level": "error" if level is Level.MUST else "warning"},
        "properties": {
            "tags": ["security", "oauth", rule_id.split(".", 1)[0]],
            "level": level.value,
            "severity": severity.value,
            "security-severity": _SECURITY_SEVERITY[severity],
        },
    }
    if links:
        rule["helpUri"] = links[0]
    return rule


def _rules(results: Iterable[Result]) -> list[dict[str, object]]:
    from harness.checks import ALL_CHECKS, OBSERVED_CHECKS  # every rule, in contract order

    catalogue = (*ALL_CHECKS, *OBSERVED_CHECKS)
    rules = [
        _rule(c.id, c.title, c.level, c.severity, c.refs, (c.judge.__doc__ or "").strip())
        for c in catalogue
    ]
    known = {c.id for c in catalogue}
    for result in results:
        if result.check not in known:
            known.add(result.check)
            rules.append(
                _rule(
                    result.check,
                    result.title,
                    result.level,
                    result.severity,
                    result.spec_refs,
                    result.title,
                )
            )
    return rules


def _level(verdict: Verdict) -> tuple[str, str]:
    """(kind, level): SARIF requires level `none` for every kind but `fail`."""
    if verdict is Verdict.FAIL:
        return "fail", "error"
    if verdict is Verdict.WARN:
        return "fail", "warning"
    return "open", "none"


def _result(result: Result, index: dict[str, int]) -> dict[str, object]:
    kind, level = _level(result.verdict)
    identity = f"{result.check}\x00{result.profile or ''}"
    properties: dict[str, object] = {
        "verdict": result.verdict.value,
        "level": result.level.value,
        "severity": result.severity.value,
        "spec_refs": list(result.spec_refs),
        "evidence": [printable(x.line) for x in exchanges(result)],
    }
    if result.profile:
        properties["profile"] = result.profile
    if result.reproduce:
        properties["reproduce"] = printable(result.reproduce)
    return {
        "ruleId": result.check,
        "ruleIndex": index[result.check],
        "kind": kind,
        "level": level,
        "message": {"text": printable(result.message or result.title or result.check)},
        "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}}}],
        "partialFingerprints": {
            FINGERPRINT: hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()
        },
        "properties": properties,
    }


def sarif_log(report: Report) -> dict[str, object]:
    rules = _rules(report.results)
    index = {str(rule["id"]): i for i, rule in enumerate(rules)}
    fatal = report.extra.get("harness")
    failed = isinstance(fatal, dict) and bool(fatal.get("fatal"))
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "mcp-auth-harness",
                "version": report.tool_version or "unknown",
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [{"executionSuccessful": not failed, "startTimeUtc": report.started_at}],
        "artifacts": [
            {"location": {"uri": printable(report.target_url)}, "roles": ["analysisTarget"]}
        ],
        "results": [_result(r, index) for r in report.results if r.verdict in _LISTED],
        "properties": {
            "spec_revision": report.spec_revision or "unknown",
            "seed": report.seed,
            "duration_s": round(report.duration_s, 3),
            "summary": report.summary(),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report) -> str:
    """The report as a SARIF 2.1.0 log (JSON), ending in a newline."""
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
