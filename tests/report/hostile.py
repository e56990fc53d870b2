"""A report whose every target-controlled string tries to break out of its rendering."""

from __future__ import annotations

import dataclasses

from harness.results import (
    Attribution,
    Compatibility,
    CompatVerdict,
    Reason,
    Report,
    Result,
    Severity,
    Verdict,
)
from tests.unit.report.conftest import make_report

MARK = "PWNED"
PAYLOADS = (
    f"<script>alert('{MARK}')</script>",
    f'"><img src=x onerror=alert("{MARK}")>',
    f"</pre></details></article><svg onload=alert('{MARK}')>",
    f"javascript:alert('{MARK}')",
    f"</textarea><iframe src=//evil.example/{MARK}>",
    f"]]><!-- {MARK} --><![CDATA[",
    f"| {MARK} | <b>bold</b> ``` `{MARK}`",
)
EVIL = " ".join(PAYLOADS)


def hostile_report() -> Report:
    base = make_report()
    evidence = (
        {
            "request": {
                "method": "POST",
                "url": f"https://mcp.example.com/mcp?x={PAYLOADS[1]}",
                "headers": {"x-evil": EVIL},
                "body_excerpt": EVIL,
            },
            "response": {
                "status": 400,
                "headers": {"www-authenticate": f'Bearer error="{PAYLOADS[0]}"', EVIL: EVIL},
                "body_excerpt": f'{{"error": "invalid_request", "error_description": "{EVIL}"}}',
            },
        },
    )
    result = Result(
        check="token.error-format",
        title=EVIL,
        level=base.results[1].level,
        severity=Severity.HIGH,
        verdict=Verdict.FAIL,
        message=f"the server said {EVIL}",
        profile=None,
        spec_refs=(EVIL, "RFC 6749 §5.2"),
        evidence=evidence,
        reproduce=f"curl -X POST '{PAYLOADS[2]}'",
    )
    error = dataclasses.replace(result, check="authz.iss", verdict=Verdict.ERROR)
    compat = Compatibility(
        profile=f"observed:{PAYLOADS[1]}",
        verdict=CompatVerdict.BROKEN,
        phase="token",
        reasons=(
            Reason(
                text=EVIL,
                attribution=Attribution.SERVER,
                sources=(PAYLOADS[3], f"https://evil.example/{PAYLOADS[1]}"),
                phase="token",
                impact=CompatVerdict.BROKEN,
            ),
        ),
        remediation=(EVIL,),
    )
    extra: dict[str, object] = {
        "fuzz": {
            "settings": {"seed": 1, EVIL: EVIL},
            "areas": [{"area": EVIL, "examples": 3}],
            "failures": [
                {
                    "check": "fuzz.token.error-format",
                    "mutation_class": EVIL,
                    "message": EVIL,
                    "input": {"code": EVIL},
                    "curl": [f"curl '{PAYLOADS[0]}'"],
                    "evidence": list(evidence),
                    "seed": EVIL,
                }
            ],
        },
        "load": {
            "endpoints": {EVIL: {"requests": 3, EVIL: EVIL}},
            "series": [{"t": 0, "rps": 1, EVIL: 2, f"{PAYLOADS[1]}_ms": 5}, {"t": 1, "rps": 2}],
        },
        "baseline": {
            "file": EVIL,
            "entries": 1,
            "new": [{"check": EVIL, "profile": EVIL, "verdict": "fail", "message": EVIL}],
            "stale": [{"check": "x", "verdict": "fail", "message": EVIL, "reason": EVIL}],
        },
    }
    return dataclasses.replace(
        base,
        target_url=f"https://mcp.example.com/{PAYLOADS[0]}",
        results=(*base.results, result, error),
        compatibility=(*base.compatibility, compat),
        extra=extra,
    )
