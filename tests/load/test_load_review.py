"""Review findings on the load command: redaction before the excerpt's cut, transport faults
apart from the server's failures, errors with their exchanges, the vendor-mode material file,
and the embedded reference's bounded start and stop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import TargetError
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.load import invariants as inv
from harness.load.command import serve
from harness.load.excerpt import EXCERPT_CHARS, excerpt
from harness.load.names import MCP_TOOLS, REFRESH_HERD
from harness.load.stats import Tally
from harness.redact import SecretVault, fingerprint
from harness.report.view import exchanges
from harness.results import Verdict
from simulators.reference import ReferenceServer
from tests.load.test_load_cli import _load, _verdicts


def test_a_token_the_cut_splits_leaves_no_prefix() -> None:
    token = "tok_" + "s3cr3t" * 10
    vault = SecretVault([token])
    body = "x" * (EXCERPT_CHARS - 20) + token + " tail"
    shown = excerpt(vault, body)
    assert len(shown) <= EXCERPT_CHARS
    assert token[:12] not in shown
    assert fingerprint(token) in shown


def _herd_tally(ok: int, faults: int) -> Tally:
    tally = Tally()
    for _ in range(ok):
        tally.record(name=REFRESH_HERD, phase="herd", second=5, ms=3.0, outcome="ok")
    for _ in range(faults):
        tally.record(name=REFRESH_HERD, phase="herd", second=5, ms=1.0, outcome="transport")
        tally.note("transport_lost:" + REFRESH_HERD)
        tally.note("transport_error", {"name": REFRESH_HERD, "response": {"status": 0}})
    for _ in range(20):
        tally.record(name=MCP_TOOLS, phase="herd", second=5, ms=2.0, outcome="ok")
    return tally


def test_transport_faults_are_no_failure_of_the_herd() -> None:
    result = inv.judge_herd(_herd_tally(ok=9, faults=1), 5.0)
    assert result.verdict is Verdict.PASS, result.message
    assert "1 refreshes and 0 MCP calls got no answer" in result.message


def test_a_herd_mostly_lost_to_transport_is_an_error_with_its_samples() -> None:
    result = inv.judge_herd(_herd_tally(ok=2, faults=3), 5.0)
    assert result.verdict is Verdict.ERROR, result.message
    assert result.evidence
    assert all(e["name"] == REFRESH_HERD for e in result.evidence)


def test_no_5xx_with_only_transport_faults_is_not_a_pass() -> None:
    tally = _herd_tally(ok=0, faults=4)
    tally.endpoints.pop(MCP_TOOLS)
    result = inv.judge_no_5xx(tally)
    assert result.verdict is Verdict.ERROR, result.message
    assert result.evidence


def test_transport_faults_counted_apart_and_merged() -> None:
    tally = _herd_tally(ok=1, faults=2)
    merged = Tally.from_json(tally.to_json())
    counter = merged.endpoints[REFRESH_HERD]
    assert (counter.failures, counter.transport) == (0, 2)
    assert merged.endpoints_json(1.0)[REFRESH_HERD]["transport_errors"] == 2


def test_a_probe_error_carries_its_exchanges() -> None:
    exchange = Exchange(
        request=RecordedRequest(method="POST", url="http://127.0.0.1:1/token", headers=()),
        response=RecordedResponse(status=500, headers=()),
    )
    result = inv.probe_error(inv.RACE, TargetError("token endpoint broke", [exchange]))
    assert result.verdict is Verdict.ERROR
    assert result.evidence == (exchange.to_json(),)


def test_a_run_without_requests_is_an_error_that_says_why() -> None:
    run = {"exit_codes": [1], "stderr_tail": "ImportError: boom"}
    result = inv.judge_no_5xx(Tally(), run)
    assert result.verdict is Verdict.ERROR
    assert result.evidence
    assert result.evidence[0]["locust"] == run
    shown = exchanges(result)[0].line
    assert "exit codes [1]" in shown
    assert "ImportError: boom" in shown


def test_vendor_mode_deletes_the_material_file(tmp_path: Path) -> None:
    """Logged in from --mcp-target (vendor and remote-worker mode): the temporary file with the
    tokens and the client secret is gone once read, and when the login fails."""
    code = (
        "import sys\n"
        "from harness.load.runtime import _prepared_material\n"
        "material = _prepared_material(sys.argv[1], 2, '')\n"
        "assert material.tokens\n"
        "try:\n"
        "    _prepared_material('http://127.0.0.1:9/mcp', 1, '')\n"
        "except Exception:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('a login to a closed port succeeded')\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with ReferenceServer() as server:
        subprocess.run(  # noqa: S603 - locust's gevent stays out of the test process
            [sys.executable, "-c", code, server.mcp_url], check=True, env=env, timeout=120
        )
    assert not list(tmp_path.glob("mcp-load-*"))


def test_a_silent_server_is_a_bounded_start_failure() -> None:
    started = time.monotonic()
    silent = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(TargetError, match="did not start"), serve(silent, start_s=1.0):
        pass
    assert time.monotonic() - started < 10


def test_a_server_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('MCP endpoint: http://127.0.0.1:9/mcp', flush=True)\n"
        "print('second MCP endpoint: http://127.0.0.1:9/other', flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    with serve([sys.executable, "-c", code], stop_s=1.0) as (url, other):
        assert (url, other) == ("http://127.0.0.1:9/mcp", "http://127.0.0.1:9/other")
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_baseline_accepts_known_findings_and_fails_on_new_ones(tmp_path: Path) -> None:
    """--write-baseline against a defective reference, then --baseline: the same finding exits
    0, a new one (a second defect) exits 1; the report names known and new."""
    mix = ("--users", "8", "--mix", "mcp=2,invalid=3", "--race-size", "3")
    baseline = tmp_path / "baseline.json"
    first, second, third = (tmp_path / name for name in ("write", "known", "new"))
    for folder in (first, second, third):
        folder.mkdir()
    code, report = _load(
        first, ["garbage-token-500"], *mix, "--write-baseline", str(baseline), duration="6"
    )
    assert _verdicts(report)["load.no-5xx"] == "fail"
    assert code == 0
    written = json.loads(baseline.read_text())
    assert "load.no-5xx" in {f["check"] for f in written["findings"]}

    code, report = _load(second, ["garbage-token-500"], *mix, "--baseline", str(baseline))
    assert _verdicts(report)["load.no-5xx"] == "fail"
    assert "load.no-5xx" in {e["check"] for e in report["baseline"]["known"]}
    assert code == 0

    defects = ["garbage-token-500", "expired-accepted"]
    code, report = _load(third, defects, *mix, "--baseline", str(baseline))
    assert _verdicts(report)["load.no-invalid-accepted"] == "fail"
    assert [e["check"] for e in report["baseline"]["new"]] == ["load.no-invalid-accepted"]
    assert code == 1


def _own_address() -> str | None:
    """A non-loopback address of this machine (the route a UDP socket would take), if any."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("192.0.2.1", 9))  # no packet is sent: connect only picks the route
        address: str = sock.getsockname()[0]
        return None if address.startswith("127.") else address
    return None


def test_remote_target_refused_then_accepted_with_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-loopback address of this machine: refused without --allow-remote-target (exit 2,
    the refusal named); with it the harness goes on and contacts the target (a closed port:
    exit 3, unreachable, and no refusal)."""
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind((address, 0))
        port = sock.getsockname()[1]
    target = f"http://{address}:{port}/mcp"
    assert main(["load", "--target", target, "--out", str(tmp_path)]) == 2
    refused = capsys.readouterr().err
    assert "loopback targets only" in refused
    assert "--allow-remote-target" in refused
    argv = ["load", "--target", target, "--allow-remote-target", "--out", str(tmp_path)]
    assert main(argv) == 3
    accepted = capsys.readouterr().err
    assert "loopback targets only" not in accepted
    assert f"cannot run against {target}" in accepted


def test_sigterm_mid_run_leaves_no_material_and_no_process(tmp_path: Path) -> None:
    """The harness process stopped with SIGTERM during the load: the folder with the tokens and
    the client secret is deleted, and the locust and reference processes it started are gone."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    argv = [sys.executable, "-m", "harness", "load", "--duration", "30", "--users", "4"]
    argv += ["--mix", "mcp=1", "--out", str(tmp_path / "out")]
    harness = subprocess.Popen(  # noqa: S603
        argv, env={**os.environ, "TMPDIR": str(temp)}, stderr=subprocess.PIPE, text=True
    )
    assert harness.stderr is not None
    try:
        for line in harness.stderr:  # the first progress line: locust is running
            if line.startswith("load t="):
                break
        assert list(temp.glob("mcp-load-*")), "the material folder exists while locust runs"
        children = _children(harness.pid)
        assert children
        harness.send_signal(signal.SIGTERM)
        code = harness.wait(timeout=30)
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
        harness.stderr.close()
    assert not list(temp.glob("mcp-load-*"))
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # not ours to reap; only check it is gone
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), pid
    assert code == 128 + signal.SIGTERM


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    return True
