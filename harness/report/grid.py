"""The compatibility grid: profiles (and observed clients) x the phases of a client's journey.

Each cell holds the reasons that bite in that phase. Its state is the worst of their impacts;
a phase without reasons `works`, unless an earlier phase already broke the client, in which
case it was `not reached`. A reason without a recorded phase (older reports, observed clients)
belongs to its entry's phase; an entry with no phase at all keeps such reasons on its row.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.results import Compatibility, CompatVerdict, Reason, Report

PHASES = ("discover", "register", "authorize", "token", "call", "refresh", "long-run")
OPTIONAL_PHASES = ("step-up",)  # a column only when some reason falls in it
PHASE_LABELS = {"long-run": "long run", "step-up": "step-up"}
NOT_REACHED = "not-reached"
SYMBOLS = {"works": "✓", "degraded": "▲", "broken": "✗", NOT_REACHED: "\u2013"}  # an en dash
STATE_LABELS = {"works": "works", "degraded": "degraded", "broken": "broken"}
STATE_LABELS[NOT_REACHED] = "not reached"
_RANK = {"broken": 0, "degraded": 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    phase: str
    state: str  # works, degraded, broken, not-reached
    reasons: tuple[Reason, ...]
    remediation: tuple[str, ...]

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.state]

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS.get(self.phase, self.phase)


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    entry: Compatibility
    cells: tuple[Cell, ...]
    unplaced: tuple[Reason, ...]  # reasons with no phase anywhere

    @property
    def observed(self) -> bool:
        return self.entry.profile.startswith("observed:")


def phases(report: Report) -> tuple[str, ...]:
    used = {_phase_of(r, e) for e in report.compatibility for r in e.reasons}
    used |= {e.phase for e in report.compatibility}
    extra = [p for p in OPTIONAL_PHASES if p in used]
    extra += sorted(p for p in used if p and p not in PHASES and p not in OPTIONAL_PHASES)
    return (*PHASES, *extra)


def _phase_of(reason: Reason, entry: Compatibility) -> str | None:
    return reason.phase or entry.phase


def _impact(reason: Reason, entry: Compatibility) -> str:
    if reason.impact is not None:
        return reason.impact.value
    # an older report: only the entry's own phase is known to carry its verdict
    if _phase_of(reason, entry) == entry.phase and entry.verdict is not CompatVerdict.WORKS:
        return entry.verdict.value
    return CompatVerdict.DEGRADED.value


def row(entry: Compatibility, columns: tuple[str, ...]) -> Row:
    cells: list[Cell] = []
    broken_before = False
    for phase in columns:
        here = tuple(r for r in entry.reasons if _phase_of(r, entry) == phase)
        if here:
            state = min((_impact(r, entry) for r in here), key=lambda v: _RANK.get(v, 2))
        else:
            state = NOT_REACHED if broken_before else CompatVerdict.WORKS.value
        fixes = entry.remediation if here else ()
        cells.append(Cell(phase=phase, state=state, reasons=here, remediation=fixes))
        broken_before = broken_before or state == CompatVerdict.BROKEN.value
    unplaced = tuple(r for r in entry.reasons if _phase_of(r, entry) is None)
    return Row(entry=entry, cells=tuple(cells), unplaced=unplaced)


def grid(report: Report) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """(phase columns, one row per compatibility entry in report order)."""
    columns = phases(report)
    return columns, tuple(row(entry, columns) for entry in report.compatibility)


def client_counts(report: Report) -> dict[str, int]:
    """How many clients work, are degraded, are broken."""
    counts = {verdict.value: 0 for verdict in CompatVerdict}
    for entry in report.compatibility:
        counts[entry.verdict.value] += 1
    return counts
