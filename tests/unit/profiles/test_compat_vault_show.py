"""Compatibility aggregation, the grouped secret vault, and profiles as text."""

from __future__ import annotations

from harness.compat import compatibility
from harness.probes.scenarios.journey import Journey, Phase, Step, impact
from harness.profiles.catalogue import load_profiles
from harness.profiles.show import listing, show
from harness.results import Attribution, CompatVerdict


def journey(*impacts: object) -> Journey:
    steps = tuple(
        Step(name=f"s{i}", outcome="failed", impact=found)  # type: ignore[arg-type]
        for i, found in enumerate(impacts)
    )
    return Journey(profile="p", steps=(Step(name="ok", outcome="ok"), *steps))


def test_no_impact_means_works() -> None:
    entry = compatibility("p", [journey()])
    assert entry.verdict is CompatVerdict.WORKS
    assert entry.phase is None
    assert entry.reasons == ()


def test_broken_wins_over_degraded_and_reasons_come_once_with_every_fix() -> None:
    slow = impact(
        CompatVerdict.DEGRADED,
        Phase.LONG_RUN,
        "reconnect hourly",
        attribution=Attribution.CLIENT,
        sources=("https://x.y/1",),
        remediation="longer tokens",
    )
    dead = impact(
        CompatVerdict.BROKEN,
        Phase.AUTHORIZE,
        "307",
        attribution=Attribution.SERVER,
        remediation=("use 302", "or 303"),
    )
    entry = compatibility("p", [journey(slow), journey(dead, slow)])
    assert entry.verdict is CompatVerdict.BROKEN
    assert entry.phase == "authorize"
    assert [r.text for r in entry.reasons] == ["307", "reconnect hourly"]
    assert entry.reasons[1].sources == ("https://x.y/1",)
    assert entry.remediation == ("use 302", "or 303", "longer tokens")


def test_profiles_as_text_show_quirks_with_sources() -> None:
    profiles = load_profiles()
    lines = listing(profiles.values())
    assert any(line.startswith("claude-ai") and "documented quirks" in line for line in lines)
    shown = "\n".join(show(profiles["claude-ai"]))
    assert "* callback.methods = get-only" in shown
    assert "https://github.com/anthropics/claude-ai-mcp/issues/250" in shown
    assert "known issues" in shown
    assert "auth/metadata-var3" in shown
