"""`proxy --write-baseline` / `--baseline` through the real CLI in front of a real defective
reference server: the accepted finding no longer fails the run, a new one does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from tests.proxy.test_end_to_end import CLI, finish, start

INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "baseline-test", "version": "1"},
        },
    }
).encode()


def _post(url: str, token: str | None) -> int:
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, INITIALIZE, headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def proxied(server: ReferenceServer, out: Path, *args: str, prm: bool = False) -> tuple[int, dict]:
    """One proxy run: a request without a token (and a GET of the PRM), then idle."""
    command = [*CLI, "proxy", "--upstream", server.mcp_url, "--listen", "127.0.0.1:0"]
    process, found = start(
        [*command, "--until-idle", "1", "--control-port", "-1", "--out", str(out), *args],
        r"proxy listening: (\S+) ->",
    )
    assert _post(found.group(1), None) == 401
    if prm:
        proxy_origin = found.group(1).removesuffix(urlsplit(server.mcp_url).path)
        prm_url = proxy_origin + urlsplit(server.prm_url).path
        with urllib.request.urlopen(prm_url, timeout=10) as answer:  # noqa: S310 - loopback
            assert answer.status == 200
    finish(process)
    return process.returncode, json.loads((out / "report.json").read_text(encoding="utf-8"))


def verdicts(report: dict) -> dict[str, str]:
    return {r["check"]: r["verdict"] for r in report["results"]}


def test_proxy_baseline_round_trip(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    config = ReferenceConfig(defects=frozenset({Defect("no-challenge")}))
    with ReferenceServer(config) as server:
        code, report = proxied(server, tmp_path / "write", "--write-baseline", str(baseline))
        assert verdicts(report)["disc.rs.challenge"] == "fail"
        assert code == 0, "the run that writes the baseline accepts its findings"
        written = json.loads(baseline.read_text(encoding="utf-8"))
        assert {e["check"] for e in written["findings"]} == {"disc.rs.challenge"}

        code, _ = proxied(server, tmp_path / "plain")
        assert code == 1, "without the baseline the same finding fails the run"

        code, report = proxied(server, tmp_path / "known", "--baseline", str(baseline))
        assert code == 0
        assert [e["check"] for e in report["baseline"]["known"]] == ["disc.rs.challenge"]
        assert report["baseline"]["new"] == []

    # Another defect: an empty authorization_servers list in the PRM the client fetched.
    defects = frozenset({Defect("no-challenge"), Defect("prm-no-authorization-servers")})
    with ReferenceServer(ReferenceConfig(defects=defects)) as server:
        code, report = proxied(server, tmp_path / "new", "--baseline", str(baseline), prm=True)
    assert verdicts(report)["disc.prm.authorization-servers"] == "fail"
    assert code == 1
    new_findings = [e["check"] for e in report["baseline"]["new"]]
    assert new_findings == ["disc.prm.authorization-servers"]
    assert [e["check"] for e in report["baseline"]["known"]] == ["disc.rs.challenge"]
    assert (tmp_path / "new" / "report.html").exists()
