"""The scenario verdict rule: `fail` only for a server MUST named in the message and spec refs;
every other breakage is a `warn` that names its attribution."""

from __future__ import annotations

import pytest

from harness.checks import BY_ID
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.probes.scenarios.journey import Journey, Must, Phase, Step, Violation, impact
from harness.profiles import clauses
from harness.results import Attribution, CompatVerdict, Verdict

HAPPY = BY_ID["scenario.happy-path"]


def _journey(*steps: Step) -> Journey:
    # a pass needs a journey that reached the server: discovery sent one request
    request = RecordedRequest(method="GET", url="http://rs/.well-known/x", headers=())
    sent = Exchange(request=request, response=RecordedResponse(status=200, headers=()))
    discovery = Step(name="discovery", outcome="ok", exchanges=(sent,))
    return Journey(profile="p", steps=(discovery, *steps))


def _broken(attribution: Attribution, must: Must | None = None) -> Step:
    found = impact(
        CompatVerdict.BROKEN,
        Phase.AUTHORIZE,
        "it stopped",
        attribution=attribution,
        remediation="do better",
        must=must,
    )
    return Step(name="authorization", outcome="failed", detail="it stopped", impact=found)


def test_a_server_impact_naming_its_must_fails_with_the_clause() -> None:
    result = HAPPY.run(_journey(_broken(Attribution.SERVER, clauses.LOOPBACK_ANY_PORT)))
    assert result.verdict is Verdict.FAIL
    assert "RFC 8252 §7.3" in result.spec_refs
    assert "breaks RFC 8252 §7.3" in result.message
    assert "fix: do better" in result.message


@pytest.mark.parametrize(
    ("attribution", "must"),
    [
        (Attribution.SERVER, None),  # strict, but no MUST broken
        (Attribution.CLIENT, clauses.LOOPBACK_ANY_PORT),  # a clause is no blame on the server
        (Attribution.REVISION, None),
        (Attribution.INTEROP, None),
    ],
)
def test_any_other_breakage_warns_naming_its_attribution(
    attribution: Attribution, must: Must | None
) -> None:
    result = HAPPY.run(_journey(_broken(attribution, must)))
    assert result.verdict is Verdict.WARN
    assert f"attribution: {attribution.value}" in result.message
    assert "no MUST is broken" in result.message


def test_a_violation_fails_naming_the_clause() -> None:
    broken = Violation(text="served without a token", must=clauses.TOKEN_VALIDATED)
    step = Step(name="request without the bearer", outcome="failed", violation=broken)
    result = HAPPY.run(_journey(step))
    assert result.verdict is Verdict.FAIL
    assert clauses.TOKEN_VALIDATED.ref in result.spec_refs


def test_a_clean_journey_passes() -> None:
    assert HAPPY.run(_journey()).verdict is Verdict.PASS
