"""Pure parts of the load command: histograms and their merge, the mix, the replay offsets,
the judgements over evidence, the gates, and the harness process never importing locust."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from harness.errors import ConfigError
from harness.load import invariants as inv
from harness.load.material import Plan
from harness.load.mix import parse_mix
from harness.load.names import MCP_TOOLS, REGISTER, invalid_name
from harness.load.probes import GraceEvidence, Replay, grace_offsets
from harness.load.run import _gates
from harness.load.stats import Histogram, Tally, bucket
from harness.results import Verdict


def test_buckets_round_like_locust() -> None:
    assert [bucket(x) for x in (3.4, 99.6, 123, 1234)] == [3, 100, 120, 1200]


def test_percentiles_and_merge() -> None:
    hist = Histogram()
    for ms in range(1, 101):
        hist.add(ms)
    assert hist.percentile(0.5) == 50
    assert hist.percentile(0.95) == 95
    other = Histogram()
    other.merge(hist.counts)
    assert other.total == 100
    assert Histogram().percentile(0.5) is None


def test_tally_merges_worker_deltas() -> None:
    worker = Tally()
    worker.record(name=MCP_TOOLS, phase="flood", second=1, ms=5, outcome="ok")
    worker.record(name=MCP_TOOLS, phase="flood", second=1, ms=7, outcome="failure")
    worker.note("server_error", {"status": 500})
    delta = worker.drain()
    assert worker.requests == 0
    master = Tally()
    master.merge(delta)
    master.merge(delta)
    assert master.endpoints[MCP_TOOLS].count == 4
    assert master.endpoints[MCP_TOOLS].failures == 2
    assert master.outcomes["server_error"] == 2
    assert master.series_json()[0]["rps"] == 4
    assert master.endpoints_json(2.0)[MCP_TOOLS]["rps"] == 2.0


def test_mix() -> None:
    assert parse_mix("mcp=2,invalid") == {"mcp": 2, "invalid": 1}
    assert "mcp" in parse_mix("")
    with pytest.raises(ConfigError, match="user kinds"):
        parse_mix("bogus=1")
    with pytest.raises(ConfigError, match="no user kind"):
        parse_mix("mcp=0")


def test_grace_offsets_stop_beyond_the_allowed_window() -> None:
    assert grace_offsets(7.0, 2.0) == (0.0, 1.5, 3.0)
    assert grace_offsets(7.0, 30.0) == (0.0, 1.5, 3.0, 6.0)
    assert grace_offsets(40.0, 30.0)[-1] == 31.0


def _replay(offset: float, accepted: bool) -> Replay:
    return Replay(
        offset_s=offset,
        accepted=accepted,
        status=200 if accepted else 400,
        family_kept=None,
        exchanges=(),
    )


def test_grace_judgements() -> None:
    window = GraceEvidence(
        replays=(_replay(0, True), _replay(1.5, False)), allowed_s=30, rotates=True
    )
    assert inv.judge_grace(window, 8).verdict is Verdict.PASS
    assert "between 0 s and 1.5 s" in inv.judge_grace(window, 8).message
    forever = GraceEvidence(replays=(_replay(0, True), _replay(3, True)), allowed_s=2, rotates=True)
    assert inv.judge_grace(forever, 8).verdict is Verdict.FAIL
    unknown = GraceEvidence(
        replays=(_replay(0, True), _replay(6, True)), allowed_s=30, rotates=True
    )
    assert inv.judge_grace(unknown, 8).verdict is Verdict.SKIP


def test_registration_and_cost_judgements() -> None:
    tally = Tally()
    for _ in range(inv.REGISTRATIONS_TO_JUDGE):
        tally.record(name=REGISTER, phase="flood", second=0, ms=3, outcome="ok")
    assert inv.judge_registration(tally, True).verdict is Verdict.WARN
    assert inv.judge_registration(tally, False).verdict is Verdict.SKIP
    tally.record(name=REGISTER, phase="flood", second=0, ms=3, outcome="rate_limited")
    assert inv.judge_registration(tally, True).verdict is Verdict.PASS
    for _ in range(inv.MIN_SAMPLES):
        tally.record(name=MCP_TOOLS, phase="flood", second=5, ms=3, outcome="ok")
        tally.record(name=invalid_name("random-kid"), phase="flood", second=5, ms=30, outcome="ok")
        tally.record(name=invalid_name("garbage"), phase="flood", second=5, ms=3, outcome="ok")
    plan = Plan(
        duration_s=10,
        baseline_s=3,
        herd_at_s=None,
        think_s=0.1,
        max_requests=10,
        max_registrations=0,
    )
    cost = inv.judge_cost(tally, plan, inv.HostLoad(load1=0.5, cores=2))
    assert cost.verdict is Verdict.WARN
    assert "rejecting random-kid tokens" in cost.message
    busy = inv.judge_cost(tally, plan, inv.HostLoad(load1=9.0, cores=2))
    assert busy.verdict is Verdict.SKIP
    assert "saturated" in busy.message


def test_gates() -> None:
    tally = Tally()
    tally.record(name=MCP_TOOLS, phase="flood", second=0, ms=50, outcome="failure")
    tally.record(name=MCP_TOOLS, phase="flood", second=0, ms=5, outcome="ok")
    args = argparse.Namespace(max_p95_ms=10.0, max_fail_ratio=0.1, duration=1.0)
    gates = {g["gate"]: g for g in _gates(tally, args)}
    assert gates["max-p95-ms"]["passed"] is False
    assert gates["max-p95-ms"]["endpoint"] == MCP_TOOLS
    assert gates["max-fail-ratio"]["actual"] == 0.5
    assert gates["max-fail-ratio"]["passed"] is False


def test_the_harness_process_never_imports_locust() -> None:
    code = (
        "import sys, harness.cli, harness.load.run, harness.load.command;"
        "sys.exit(int('locust' in sys.modules or 'gevent' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603
