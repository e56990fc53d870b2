"""Load statistics that merge across locust workers: latency histograms with locust's own
rounding, per-endpoint counters, a per-second series and the invariants' outcome counters.

Plain data (dicts of ints) on purpose: a worker sends its delta to the master through locust's
`report_to_master` event, the master merges, and report.json is built from the merged tally.
No locust import here, so the harness process and the unit tests use it too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

MAX_SAMPLES = 5  # evidence kept per outcome kind
MIN_PER_SECOND = 5  # calls a second needs before its percentile is compared


def bucket(ms: float) -> int:
    """Locust's rounding: exact below 100 ms, to 10 ms below 1 s, then to 100 ms."""
    value = round(ms)
    if value < 100:
        return value
    if value < 1000:
        return round(value, -1)
    return round(value, -2)


@dataclass(slots=True)
class Histogram:
    counts: dict[int, int] = field(default_factory=dict)

    def add(self, ms: float) -> None:
        key = bucket(ms)
        self.counts[key] = self.counts.get(key, 0) + 1

    def merge(self, other: Mapping[int, int]) -> None:
        for key, n in other.items():
            self.counts[int(key)] = self.counts.get(int(key), 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percentile(self, q: float) -> float | None:
        """The smallest bucket at or above the q-quantile (as locust reports), None if empty."""
        total = self.total
        if not total:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if seen >= rank:
                return float(key)
        return float(max(self.counts))

    def summary(self) -> dict[str, float | None]:
        return {
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
        }


@dataclass(slots=True)
class Counter:
    count: int = 0
    failures: int = 0
    rate_limited: int = 0
    #: no HTTP answer (connection refused or reset, timeout on the load machine): a finding of
    #: its own, never a failure of the target's
    transport: int = 0
    latency: Histogram = field(default_factory=Histogram)

    def add(self, ms: float, outcome: str) -> None:
        self.count += 1
        if outcome == "failure":
            self.failures += 1
        elif outcome == "rate_limited":
            self.rate_limited += 1
        elif outcome == "transport":
            self.transport += 1
        self.latency.add(ms)

    def to_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            "failures": self.failures,
            "rate_limited": self.rate_limited,
            "transport": self.transport,
            "latency": {str(k): v for k, v in self.latency.counts.items()},
        }

    def merge(self, data: Mapping[str, object]) -> None:
        self.count += cast("int", data["count"])
        self.failures += cast("int", data["failures"])
        self.rate_limited += cast("int", data["rate_limited"])
        self.transport += cast("int", data.get("transport", 0))
        self.latency.merge({int(k): v for k, v in cast("dict[str, int]", data["latency"]).items()})


@dataclass(slots=True)
class Tally:
    """What one process (or, merged, the whole run) observed."""

    endpoints: dict[str, Counter] = field(default_factory=dict)
    #: "<phase>|<name>" -> latency, for the baseline/flood comparisons
    phases: dict[str, Counter] = field(default_factory=dict)
    #: whole seconds since the test started -> all requests of that second
    series: dict[int, Counter] = field(default_factory=dict)
    #: "<second>|<name>" -> that endpoint's requests in that second (robust phase comparisons)
    per_second: dict[str, Counter] = field(default_factory=dict)
    #: invariant outcome kinds ("invalid_accepted", "server_error", "herd_failed", ...)
    outcomes: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def record(self, *, name: str, phase: str, second: int, ms: float, outcome: str) -> None:
        self.endpoints.setdefault(name, Counter()).add(ms, outcome)
        self.phases.setdefault(f"{phase}|{name}", Counter()).add(ms, outcome)
        self.series.setdefault(second, Counter()).add(ms, outcome)
        self.per_second.setdefault(f"{second}|{name}", Counter()).add(ms, outcome)

    def note(self, kind: str, sample: dict[str, object] | None = None, n: int = 1) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + n
        if sample is not None:
            kept = self.samples.setdefault(kind, [])
            if len(kept) < MAX_SAMPLES:
                kept.append(sample)

    def to_json(self) -> dict[str, object]:
        return {
            "endpoints": {k: v.to_json() for k, v in self.endpoints.items()},
            "phases": {k: v.to_json() for k, v in self.phases.items()},
            "per_second": {k: v.to_json() for k, v in self.per_second.items()},
            "series": {str(k): v.to_json() for k, v in self.series.items()},
            "outcomes": dict(self.outcomes),
            "samples": {k: list(v) for k, v in self.samples.items()},
        }

    def merge(self, data: Mapping[str, object]) -> None:
        for attr in ("endpoints", "phases", "per_second"):
            target: dict[str, Counter] = getattr(self, attr)
            for key, value in cast("dict[str, dict[str, object]]", data[attr]).items():
                target.setdefault(key, Counter()).merge(value)
        for key, value in cast("dict[str, dict[str, object]]", data["series"]).items():
            self.series.setdefault(int(key), Counter()).merge(value)
        for kind, n in cast("dict[str, int]", data["outcomes"]).items():
            self.outcomes[kind] = self.outcomes.get(kind, 0) + n
        for kind, found in cast("dict[str, list[dict[str, object]]]", data["samples"]).items():
            kept = self.samples.setdefault(kind, [])
            kept.extend(found[: max(0, MAX_SAMPLES - len(kept))])

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Tally:
        tally = cls()
        tally.merge(data)
        return tally

    def drain(self) -> dict[str, object]:
        """This tally as JSON, then empty (a worker's delta since its last report)."""
        data = self.to_json()
        self.endpoints, self.phases, self.series, self.per_second = {}, {}, {}, {}
        self.outcomes, self.samples = {}, {}
        return data

    @property
    def requests(self) -> int:
        return sum(c.count for c in self.endpoints.values())

    def phase_latency(self, phase: str, names: Iterable[str]) -> Histogram:
        merged = Histogram()
        for name in names:
            counter = self.phases.get(f"{phase}|{name}")
            if counter is not None:
                merged.merge(counter.latency.counts)
        return merged

    def _seconds(self, name: str, seconds: Iterable[int]) -> list[Counter]:
        found = (self.per_second.get(f"{second}|{name}") for second in seconds)
        return [counter for counter in found if counter is not None]

    def merged(self, name: str, seconds: Iterable[int]) -> Histogram:
        """`name`'s latency over `seconds`."""
        merged = Histogram()
        for counter in self._seconds(name, seconds):
            merged.merge(counter.latency.counts)
        return merged

    def second_percentiles(self, name: str, seconds: Iterable[int], q: float) -> list[float]:
        """`name`'s q-quantile in each of `seconds` that saw at least MIN_PER_SECOND calls."""
        busy = [c for c in self._seconds(name, seconds) if c.count >= MIN_PER_SECOND]
        return [value for c in busy if (value := c.latency.percentile(q)) is not None]

    def series_json(self) -> list[dict[str, object]]:
        """`load.series`: one point a second, `t` in seconds since the test started."""
        return [
            {
                "t": second,
                "rps": counter.count,
                "failures": counter.failures,
                "rate_limited": counter.rate_limited,
                "transport_errors": counter.transport,
                **counter.latency.summary(),
            }
            for second, counter in sorted(self.series.items())
        ]

    def endpoints_json(self, duration_s: float) -> dict[str, dict[str, object]]:
        """Per endpoint: requests, RPS over the run, failures, 429s and p50/p95/p99."""
        span = max(duration_s, 1e-9)
        return {
            name: {
                "requests": c.count,
                "rps": round(c.count / span, 1),
                "failures": c.failures,
                "rate_limited": c.rate_limited,
                "transport_errors": c.transport,
                **c.latency.summary(),
            }
            for name, c in sorted(self.endpoints.items())
        }
