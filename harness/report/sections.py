"""Views of the report's `extra` sections written by other commands: fuzz, load and baseline.

Those sections are JSON the renderers do not own; each view reads whatever keys are present,
of whatever shape, and drops what it cannot show rather than failing the whole report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from harness.report.svg import Series, line_chart
from harness.report.view import ExchangeView, exchange_view
from harness.results import Report

_ENDPOINT_KEYS = ("requests", "rps", "failures", "rate_limited", "p50_ms", "p95_ms", "p99_ms")


def _mapping(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _maps(value: object) -> list[dict[str, object]]:
    return [_mapping(v) for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def scalar_text(value: object) -> str:
    """A value as one line of text (JSON for anything structured)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _scalars(data: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (key, scalar_text(value))
        for key, value in data.items()
        if not isinstance(value, Mapping | list)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FuzzFailure:
    check: str
    area: str
    prop: str
    kind: str
    message: str
    seed: str
    status: str
    input: str
    curl: tuple[str, ...]
    exchanges: tuple[ExchangeView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FuzzView:
    settings: tuple[tuple[str, str], ...]
    areas: tuple[tuple[tuple[str, str], ...], ...]
    failures: tuple[FuzzFailure, ...]


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    return "" if value is None else scalar_text(value)


def _input_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _lines(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def fuzz_view(report: Report) -> FuzzView | None:
    data = _mapping(report.extra.get("fuzz"))
    if not data:
        return None
    failures = tuple(
        FuzzFailure(
            check=_text(f, "check"),
            area=_text(f, "area"),
            prop=_text(f, "property"),
            kind=_text(f, "mutation_class") or _text(f, "kind"),
            message=_text(f, "message"),
            seed=_text(f, "seed"),
            status=_text(f, "status"),
            input=_input_text(f.get("input")),
            curl=_lines(f.get("curl")),
            exchanges=tuple(exchange_view(x) for x in _maps(f.get("evidence"))),
        )
        for f in _maps(data.get("failures"))
    )
    return FuzzView(
        settings=_scalars(_mapping(data.get("settings"))),
        areas=tuple(_scalars(a) for a in _maps(data.get("areas"))),
        failures=failures,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadView:
    settings: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    endpoints: tuple[tuple[str, tuple[str, ...]], ...]
    charts: tuple[Markup, ...]


def _endpoint_rows(value: object) -> list[tuple[str, dict[str, object]]]:
    if isinstance(value, Mapping):
        return [(str(k), _mapping(v)) for k, v in value.items()]
    return [(_text(e, "name") or f"#{i}", e) for i, e in enumerate(_maps(value))]


def _charts(series: list[dict[str, object]]) -> tuple[Markup, ...]:
    points = [(t, p) for p in series if (t := _number(p.get("t"))) is not None]
    keys = sorted(
        {k for _, p in points for k, v in p.items() if k != "t" and _number(v) is not None}
    )

    def line(key: str) -> Series:
        return [(t, y) for t, p in points if (y := _number(p.get(key))) is not None]

    latency = [k for k in keys if k.endswith("_ms")]
    rates = [k for k in ("rps", "failures", "rate_limited", "transport_errors") if k in keys]
    charts = []
    if rates:
        charts.append(line_chart("Requests per second", {k: line(k) for k in rates}, "per s"))
    if latency:
        charts.append(line_chart("Latency percentiles", {k: line(k) for k in latency}, "ms"))
    return tuple(c for c in charts if c)


def load_view(report: Report) -> LoadView | None:
    data = _mapping(report.extra.get("load"))
    if not data:
        return None
    rows = _endpoint_rows(data.get("endpoints"))
    seen = {k for _, r in rows for k, v in r.items() if not isinstance(v, Mapping | list)}
    seen.discard("name")
    columns = tuple([k for k in _ENDPOINT_KEYS if k in seen] + sorted(seen - {*_ENDPOINT_KEYS}))
    return LoadView(
        settings=_scalars(data),
        columns=columns,
        endpoints=tuple((name, tuple(scalar_text(r.get(c)) for c in columns)) for name, r in rows),
        charts=_charts(_maps(data.get("series"))),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineEntry:
    name: str
    verdict: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineView:
    file: str
    entries: str
    known: tuple[BaselineEntry, ...]
    new: tuple[BaselineEntry, ...]
    fixed: tuple[BaselineEntry, ...]
    stale: tuple[BaselineEntry, ...]

    def status(self, check: str, profile: str | None) -> str | None:
        """`new` or `known` for a finding, None when the baseline says nothing of it."""
        name = f"{check} [{profile}]" if profile else check
        if any(e.name == name for e in self.new):
            return "new"
        if any(e.name == name for e in self.known):
            return "known"
        return None


def _entries(value: object) -> tuple[BaselineEntry, ...]:
    out = []
    for e in _maps(value):
        check, profile = _text(e, "check"), e.get("profile")
        name = f"{check} [{profile}]" if isinstance(profile, str) and profile else check
        reason = _text(e, "reason")
        message = f"{_text(e, 'message')}" + (f" ({reason})" if reason else "")
        out.append(BaselineEntry(name=name, verdict=_text(e, "verdict"), message=message))
    return tuple(out)


def baseline_view(report: Report) -> BaselineView | None:
    data = _mapping(report.extra.get("baseline"))
    if not data:
        return None
    return BaselineView(
        file=_text(data, "file"),
        entries=_text(data, "entries"),
        known=_entries(data.get("known")),
        new=_entries(data.get("new")),
        fixed=_entries(data.get("fixed")),
        stale=_entries(data.get("stale")),
    )
