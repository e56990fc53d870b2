"""Compatibility verdicts (CONTRACT §3): one per profile, from the impacts its scenarios found.

Pure: the worst impact decides the verdict (broken over degraded) and its phase; reasons come in
order of severity and phase, each once, with their attribution and sources; the remediation list
is the union of the reasons' fixes. No impact at all is `works`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from harness.probes.scenarios.journey import Impact, Journey
from harness.results import Compatibility, CompatVerdict


def compatibility(profile: str, journeys: Iterable[Journey]) -> Compatibility:
    impacts = sorted((i for j in journeys for i in j.impacts), key=lambda i: i.rank)
    unique: list[Impact] = []
    for found in impacts:
        if all(found.reason.text != kept.reason.text for kept in unique):
            unique.append(found)
    if not unique:
        return Compatibility(profile=profile, verdict=CompatVerdict.WORKS)
    worst = unique[0]
    remediation: list[str] = []
    for found in unique:
        remediation += [fix for fix in found.remediation if fix not in remediation]
    return Compatibility(
        profile=profile,
        verdict=worst.verdict,
        phase=worst.phase.value,
        reasons=tuple(
            replace(found.reason, phase=found.phase.value, impact=found.verdict) for found in unique
        ),
        remediation=tuple(remediation),
    )
