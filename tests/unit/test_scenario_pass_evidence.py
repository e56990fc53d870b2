"""A scenario.* pass needs a journey that reached the server and went through every step."""

from __future__ import annotations

from harness.checks.scenarios import happy_path, refresh_never
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.probes.scenarios.journey import Journey, RefreshNeverJourney, Step
from harness.results import Verdict


def _exchange(url: str, status: int | None) -> Exchange:
    request = RecordedRequest(method="POST", url=url, headers=())
    if status is None:
        return Exchange(request=request, response=None, error="timed out: no response")
    return Exchange(request=request, response=RecordedResponse(status=status, headers=()))


def test_a_journey_with_no_exchange_is_skipped_not_passed() -> None:
    step = Step(name="refresh", outcome="ok", detail="nothing sent")
    result = refresh_never.run(RefreshNeverJourney(profile="p", steps=(step,)), profile="p")
    assert result.verdict is Verdict.SKIP
    assert "no request" in result.message


def test_a_step_failed_without_judgement_is_an_error_with_its_exchanges() -> None:
    ok = Step(name="discover", outcome="ok", exchanges=(_exchange("http://a/prm", 200),))
    stalled = _exchange("http://a/token", None)
    failed = Step(name="token", outcome="failed", detail="timed out", exchanges=(stalled,))
    result = happy_path.run(Journey(profile="p", steps=(ok, failed)), profile="p")
    assert result.verdict is Verdict.ERROR
    assert "token failed (timed out)" in result.message
    assert [e["request"]["url"] for e in result.evidence] == ["http://a/token"]  # type: ignore[index]


def test_a_journey_that_went_through_passes_with_its_exchanges() -> None:
    steps = (
        Step(name="connect", outcome="ok", exchanges=(_exchange("http://a/token", 200),)),
        Step(name="refresh", outcome="skipped", detail="this client never refreshes"),
    )
    result = happy_path.run(Journey(profile="p", steps=steps), profile="p")
    assert result.verdict is Verdict.PASS
    assert len(result.evidence) == 1
