"""`mcp-auth-harness load` end to end: real locust subprocesses against the real reference.

Each invariant fails (or, for a SHOULD, warns) against its matching reference defect and passes
on the correct server; several defects share one run to keep the suite short (each defect
breaks one invariant only, so the verdicts stay attributable).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from harness.cli import main
from harness.load.driver import LOCUSTFILE
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects

SHORT_TTL_S = 3  # tokens expire mid-run: the expired class and a natural herd


def _load(
    tmp_path: Path,
    defects: list[str],
    *extra: str,
    register_rate_limit: int | None = None,
    duration: str = "8",
) -> tuple[int, dict[str, object]]:
    config = ReferenceConfig(
        defects=parse_defects(defects),
        access_token_ttl=SHORT_TTL_S,
        register_rate_limit=register_rate_limit,
    )
    with ReferenceServer(config) as server:
        target = tmp_path / "target.toml"  # --config: a second resource for wrong-audience tokens
        target.write_text(f'[target]\nother_resource = "{server.other_mcp_url}"\n')
        argv = ["load", "--target", server.mcp_url, "--duration", duration, "--out", str(tmp_path)]
        code = main([*argv, "--config", str(target), *extra])
    return code, json.loads((tmp_path / "report.json").read_text())


def _verdicts(report: dict[str, object]) -> dict[str, str]:
    results = report["results"]
    assert isinstance(results, list)
    return {r["check"]: r["verdict"] for r in results}


LATENCY = ("load.rejection-cost", "load.flood-isolation")


def _latency(report: dict[str, object], verdicts: dict[str, str], expected: str) -> None:
    """The latency invariants get `expected`, or, on a saturated machine, an honest skip."""
    results = report["results"]
    assert isinstance(results, list)
    for result in results:
        if result["check"] in LATENCY:
            busy = result["verdict"] == "skip" and "saturated" in result["message"]
            assert busy or result["verdict"] == expected, result["message"]
            verdicts.pop(result["check"])


def test_correct_server_with_two_workers(tmp_path: Path) -> None:
    """The CI run: 8 s, two local worker processes, bounded users and requests."""
    code, report = _load(
        tmp_path,
        [],
        "--workers",
        "2",
        "--users",
        "16",
        "--mix",
        "mcp=6,invalid=4,refresh=1,login=1,register=2,discovery=1",
        "--max-requests",
        "20000",
        "--max-fail-ratio",
        "0.01",
        register_rate_limit=6,
        duration="10",
    )
    verdicts = _verdicts(report)
    invalid = next(r for r in report["results"] if r["check"] == "load.no-invalid-accepted")
    assert "wrong-audience" in invalid["message"].split("(not exercised")[0]
    _latency(report, verdicts, "pass")
    assert verdicts == {
        "load.refresh-race": "pass",
        "load.refresh-grace": "pass",
        "load.expiry-herd": "pass",
        "load.no-invalid-accepted": "pass",
        "load.no-5xx": "pass",
        "load.registration-limited": "pass",
    }, json.dumps(report["results"], indent=1)
    assert code == 0
    load = report["load"]
    assert isinstance(load, dict)
    assert load["settings"]["workers"] == 2
    assert load["gates"] == [
        {"gate": "max-fail-ratio", "limit": 0.01, "actual": 0.0, "passed": True}
    ]
    tools = load["endpoints"]["mcp: tools/list"]
    assert tools["requests"] > 50
    assert tools["p50_ms"] <= tools["p95_ms"] <= tools["p99_ms"]
    assert load["endpoints"]["register"]["rate_limited"] > 0  # 429s counted apart
    assert load["endpoints"]["register"]["failures"] == 0
    series = load["series"]
    assert len(series) >= 6
    assert {"t", "rps", "p50_ms", "p95_ms", "p99_ms", "failures"} <= set(series[0])
    text = (tmp_path / "report.json").read_text()
    assert "eyJ" not in text  # no JWT (access token) in any output


def test_race_expired_and_garbage_defects(tmp_path: Path) -> None:
    code, report = _load(
        tmp_path,
        ["refresh-race", "expired-accepted", "garbage-token-500"],
        "--users",
        "12",
        "--mix",
        "mcp=4,invalid=6",
        duration="6",
    )
    verdicts = _verdicts(report)
    assert verdicts["load.refresh-race"] == "fail"
    assert verdicts["load.no-invalid-accepted"] == "fail"
    assert verdicts["load.no-5xx"] == "fail"
    assert verdicts["load.refresh-grace"] == "pass"  # sequential replays are still refused
    assert code == 1
    race = next(r for r in report["results"] if r["check"] == "load.refresh-race")
    assert "token families from one refresh token" in race["message"]
    assert race["evidence"]
    accepted = next(r for r in report["results"] if r["check"] == "load.no-invalid-accepted")
    assert accepted["evidence"][0]["name"] == "mcp: invalid token (expired)"
    assert accepted["evidence"][0]["request"]["token"].startswith("sha256:")


def test_reuse_and_invalid_token_cost_defects(tmp_path: Path) -> None:
    code, report = _load(
        tmp_path,
        ["refresh-reuse-accepted", "invalid-token-cost"],
        "--users",
        "18",
        "--mix",
        "mcp=3,invalid=6,register=1",
        "--refresh-grace-max",
        "2",
        "--fail-on",
        "should",
        duration="10",
    )
    verdicts = _verdicts(report)
    assert verdicts["load.refresh-grace"] == "fail"
    assert verdicts["load.no-invalid-accepted"] == "pass"
    assert code == 1
    cost = next(r for r in report["results"] if r["check"] == "load.rejection-cost")
    assert "saturated" in cost["message"] or "rejecting random-kid" in cost["message"]
    _latency(report, verdicts, "warn")


def test_refresh_storm_defect(tmp_path: Path) -> None:
    code, report = _load(
        tmp_path,
        ["refresh-storm-503"],
        *("--users", "12", "--mix", "mcp=1", "--think-ms", "50"),
        duration="6",
    )
    verdicts = _verdicts(report)
    assert verdicts["load.expiry-herd"] == "fail"
    assert verdicts["load.no-5xx"] == "fail"
    assert verdicts["load.no-invalid-accepted"] == "skip"  # no invalid traffic in this mix
    assert code == 1
    herd = next(r for r in report["results"] if r["check"] == "load.expiry-herd")
    assert herd["evidence"][0]["response"]["status"] == 503


def test_embedded_reference_with_bounds_and_a_failing_gate(tmp_path: Path) -> None:
    """No --target: the embedded reference. The request, registration and race bounds hold, and
    a p95 gate no server meets exits 1 with the gate named."""
    argv = ["load", "--duration", "5", "--users", "6", "--spawn-rate", "6", "--out", str(tmp_path)]
    argv += ["--mix", "mcp=2,register=2,invalid=1", "--max-requests", "150"]
    argv += ["--max-registrations", "4", "--race-size", "3", "--max-p95-ms", "0.01"]
    assert main(argv) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    load = report["load"]
    assert load["totals"]["requests"] <= 150 + 6  # at most one request in flight per user
    assert load["endpoints"]["register"]["requests"] <= 4
    assert load["gates"][0]["gate"] == "max-p95-ms"
    assert load["gates"][0]["passed"] is False
    race = next(r for r in report["results"] if r["check"] == "load.refresh-race")
    assert race["message"].startswith("3 concurrent refreshes")
    assert report["target"]["url"].startswith("http://127.0.0.1:")


def test_unreachable_target_exits_3(tmp_path: Path) -> None:
    assert main(["load", "--target", "http://127.0.0.1:9/mcp", "--out", str(tmp_path)]) == 3


def test_remote_target_refused_without_flag() -> None:
    assert main(["load", "--target", "https://mcp.example.com/mcp"]) == 2


def test_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[target]\nnope = 1\n")
    assert main(["load", "--target", "http://127.0.0.1:9/mcp", "--config", str(bad)]) == 2


def test_a_remote_worker_joins_and_its_tally_reaches_the_report(tmp_path: Path) -> None:
    """--remote-workers: a worker "on another machine" (a process given only the master's
    address) logs in itself with what the master sends; its requests land in report.json."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker"]
    command += ["--master-host", "127.0.0.1", "--master-port", port]
    with ReferenceServer() as server:
        log = (tmp_path / "remote.log").open("w")
        remote = subprocess.Popen(  # noqa: S603 - zmq connects once the master listens
            command, stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            argv = ["load", "--target", server.mcp_url, "--duration", "10", "--users", "8"]
            argv += ["--workers", "1", "--remote-workers", "1", "--master-port", port]
            argv += ["--mix", "mcp=3,invalid=1", "--out", str(tmp_path)]
            code = main(argv)
            remote.wait(timeout=30)
        finally:
            if remote.poll() is None:
                remote.kill()
                remote.wait()
            log.close()
    report = json.loads((tmp_path / "report.json").read_text())
    remote_log = (tmp_path / "remote.log").read_text()
    assert report["load"]["outcomes"]["processes"] == 2, remote_log[-3000:]  # local + remote
    assert report["load"]["settings"]["remote_workers"] == 1
    assert _verdicts(report)["load.no-invalid-accepted"] == "pass"
    assert code in {0, 1}
