"""Against servers that stall, drip, stream forever, reset or tarpit, the whole default run (the
real CLI) ends within 60 s with `error` verdicts saying what happened, exit 3; so does a run whose
authorization server cannot be reached. Two runs at a time: each is contained on its own."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.hostile.servers import HANDLERS, closed_port, documents_handler, serving

CONTAINED_S = 60.0  # a containment property, not a speed target
LANES = 2  # runs at once: each mostly waits, but starting pytest costs CPU
REPO = Path(__file__).resolve().parents[2]

EXPECTED = {
    "stall": "timed out after 10.0s: no response (headers) arrived",
    "tarpit": "timed out after 10.0s: no response (headers) arrived",
    "drip": "the response body was still open after",
    "stream": "the event stream was still open after",
    "reset": "ConnectionResetError",
    "unreachable-as": "could not be reached",
}


def _run_cli(target: str, out: Path) -> tuple[int, float]:
    began = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-m", "harness", "run", "--target", target, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        timeout=CONTAINED_S * 3,
        check=False,
    )
    return done.returncode, time.monotonic() - began


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, float, Path]]]:
    """mode -> (exit code, wall seconds, report folder), all runs started together."""
    with contextlib.ExitStack() as stack:
        targets = {mode: stack.enter_context(serving(HANDLERS[mode])) for mode in HANDLERS}
        prm_path = "/.well-known/oauth-protected-resource/mcp"
        documents: dict[str, object] = {}  # read per request: filled once the port is known
        base = stack.enter_context(serving(documents_handler(documents, prm_path=prm_path)))
        targets["unreachable-as"] = base
        documents[prm_path] = {
            "resource": f"{base}/mcp",
            "authorization_servers": [f"http://127.0.0.1:{closed_port()}"],
        }
        lanes = ThreadPoolExecutor(max_workers=LANES)
        outs = {mode: tmp_path_factory.mktemp(mode) for mode in targets}
        futures = {
            mode: lanes.submit(_run_cli, f"{url}/mcp", outs[mode]) for mode, url in targets.items()
        }
        finished = {mode: (*future.result(), outs[mode]) for mode, future in futures.items()}
        lanes.shutdown()
        yield finished


@pytest.mark.parametrize("mode", list(EXPECTED))
def test_run_is_contained(runs: dict[str, tuple[int, float, Path]], mode: str) -> None:
    code, wall, out = runs[mode]
    assert wall < CONTAINED_S, f"{mode}: the run took {wall:.1f}s"
    assert code == 3, f"{mode}: exit {code}"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    errors = [r for r in report["results"] if r["verdict"] == "error"]
    assert errors
    assert any(EXPECTED[mode] in r["message"] for r in errors), errors[0]["message"]
    assert all(r["evidence"] for r in errors if "not run" in r["message"])


def test_stalled_target_has_no_verdict_but_error(runs: dict[str, tuple[int, float, Path]]) -> None:
    _code, _wall, out = runs["stall"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {r["verdict"] for r in report["results"]} == {"error"}
    assert "target unreachable" in report["harness"]["fatal"]


def test_unreachable_as_is_error_never_skip(runs: dict[str, tuple[int, float, Path]]) -> None:
    _code, _wall, out = runs["unreachable-as"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_id = {(r["check"], r["profile"]): r for r in report["results"]}
    served = by_id[("disc.as.metadata-served", None)]
    assert served["verdict"] == "error"
    assert "could not be reached" in served["message"]
    assert served["evidence"]
    assert not any("no authorization server was discovered" in r["message"] for r in by_id.values())
