"""An `error` shows the exchanges that caused it: for "the unmutated flow failed too", the
unmutated flow's own exchanges ending with the failing one, not the mutated requests first."""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.base import MAX_EVIDENCE, check
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.probes.authserver.evidence import require_sanity
from harness.probes.authserver.records import AuthzRequest, FlowRun, Navigation
from harness.results import Level, Severity, Verdict


def _exchange(url: str, status: int) -> Exchange:
    request = RecordedRequest(method="GET", url=url, headers=())
    return Exchange(request=request, response=RecordedResponse(status=status, headers=()))


@dataclass(frozen=True)
class Mutants:
    mutated: tuple[Exchange, ...]
    sanity: FlowRun

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (*self.mutated, *self.sanity.exchanges)


@check("test.mutants", level=Level.MUST, severity=Severity.HIGH, refs=())
def judge_mutants(ev: Mutants) -> str:
    """A refusal of every mutant, then the unmutated flow."""
    require_sanity(ev.sanity, after="the mutated requests")
    return "refused"


def _sanity(steps: int) -> FlowRun:
    hops = tuple(_exchange(f"http://as/authorize/hop{i}", 302) for i in range(steps - 1))
    failing = _exchange("http://as/login", 500)
    navigation = Navigation(problem="the login page answered 500", exchanges=(*hops, failing))
    request = AuthzRequest(
        client_id="c", redirect_uri=None, pkce=None, state=None, scope=None, resource=None
    )
    return FlowRun(request=request, navigation=navigation, token=None)


def _urls(evidence: tuple[dict[str, object], ...]) -> list[object]:
    return [e["request"]["url"] for e in evidence]  # type: ignore[index]


def test_the_failing_unmutated_flow_is_shown_not_the_mutants() -> None:
    mutated = tuple(_exchange(f"http://as/authorize?mutant={i}", 400) for i in range(8))
    result = judge_mutants.run(Mutants(mutated=mutated, sanity=_sanity(3)))
    assert result.verdict is Verdict.ERROR
    assert "the unmutated flow failed too" in result.message
    assert _urls(result.evidence) == [
        "http://as/authorize/hop0",
        "http://as/authorize/hop1",
        "http://as/login",
    ]


def test_a_long_failing_flow_is_shown_by_its_end() -> None:
    result = judge_mutants.run(Mutants(mutated=(), sanity=_sanity(MAX_EVIDENCE + 3)))
    shown = _urls(result.evidence)
    assert len(shown) == MAX_EVIDENCE
    assert shown[-1] == "http://as/login"
