"""Compatibility aggregation, the grouped secret vault, and profiles as text."""

from __future__ import annotations

import random
import string

from harness.compat import compatibility
from harness.probes.journey import Journey, Phase, Step, impact
from harness.profiles.catalogue import load_profiles
from harness.profiles.show import listing, show
from harness.redact import SecretVault
from harness.results import Attribution, CompatVerdict
from harness.session import GroupedVault


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


def test_the_grouped_vault_redacts_exactly_like_the_plain_one() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_."
    secrets = ["".join(rng.choices(alphabet, k=rng.randrange(8, 40))) for _ in range(300)]
    secrets += [secrets[0] + "tail", secrets[1][:-3]]  # one secret inside another
    grouped, plain = GroupedVault(), SecretVault()
    for index, secret in enumerate(secrets):
        grouped.add(secret)
        plain.add(secret)
        if index % 17 == 0:
            text = " ".join(
                rng.choice(secrets[: index + 1]) + rng.choice(["&", "x", '"']) for _ in range(5)
            )
            assert grouped.redact(text) == plain.redact(text)
    text = f"Bearer {secrets[0]}tail and {secrets[1]} and eyJhbGciOiJSUzI1NiJ9.e30.sig"
    assert grouped.redact(text) == plain.redact(text)
    assert secrets[0] not in grouped.redact(text)


def test_profiles_as_text_show_quirks_with_sources() -> None:
    profiles = load_profiles()
    lines = listing(profiles.values())
    assert any(line.startswith("claude-ai") and "documented quirks" in line for line in lines)
    shown = "\n".join(show(profiles["claude-ai"]))
    assert "* callback.methods = get-only" in shown
    assert "https://github.com/anthropics/claude-ai-mcp/issues/250" in shown
    assert "known issues" in shown
    assert "auth/metadata-var3" in shown
