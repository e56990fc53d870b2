"""CPU and wall per judged check: mcp-auth-harness against mcp-authlab, same target, one run.

Starts ONE reference server (`serve-reference`) on a free loopback port, runs our `run` (with a
configuration naming its second resource, second user and privileged tool) and mcp-authlab's
`login --no-browser` then `scan --format json`, each as child processes measured by
`getrusage(RUSAGE_CHILDREN)` deltas (user + sys of the tool's process tree). Judged checks:
ours are results with verdict pass/fail/warn; theirs are `results` with status pass/fail/warn.
mcp-authlab is installed into a cached venv under bench/.cache/ on first use.

    python bench/vs_authlab.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

AUTHLAB = "mcp-authlab==0.2.2"
CACHE = Path(__file__).resolve().parent / ".cache" / "authlab-venv"
HARNESS = [sys.executable, "-m", "harness"]
JUDGED = frozenset({"pass", "fail", "warn"})
TTL_S = 12  # short enough for rs.expired within its default wait
CONFIG = """\
[target]
other_resource = "{other}"

[login.second_user]
username = "bob"
password = "bob-password"

[[tools]]
name = "delete_note"
requires = ["notes:write"]
arguments = {{ id = "1" }}
"""


def authlab() -> Path:
    """The mcp-authlab console script in a cached throwaway venv."""
    script = CACHE / "bin" / "mcp-authlab"
    if not script.exists():
        venv.create(CACHE, with_pip=True)
        subprocess.run(  # noqa: S603 - pip installing one pinned package
            [str(CACHE / "bin" / "python"), "-m", "pip", "install", "-q", AUTHLAB], check=True
        )
    return script


@contextmanager
def reference() -> Iterator[tuple[str, str]]:
    """`serve-reference` in a subprocess; its MCP URL and second resource once it says so."""
    process = subprocess.Popen(  # noqa: S603 - our own program, fixed arguments
        [*HARNESS, "serve-reference", "--access-token-ttl", str(TTL_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        urls: dict[str, str] = {}
        for line in process.stdout:  # the server prints its URLs once it listens
            key, _, value = line.partition(":")
            urls[key.strip()] = value.strip()
            if "second MCP resource" in urls:
                break
        yield urls["MCP endpoint"], urls["second MCP resource"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def measured(action: Callable[[], int]) -> tuple[float, float, int]:
    """CPU seconds (user + sys of finished children), wall seconds, judged checks."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    judged = action()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, judged


def ours(url: str, other: str, work: Path) -> int:
    config = work / "harness.toml"
    config.write_text(CONFIG.format(other=other), encoding="utf-8")
    out = work / "ours"
    args = ["run", "--target", url, "--config", str(config), "--out", str(out), "--fail-on", "none"]
    subprocess.run([*HARNESS, *args], check=True, capture_output=True)  # noqa: S603
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return sum(1 for r in report["results"] if r["verdict"] in JUDGED)


def theirs(script: Path, url: str, work: Path) -> int:
    env = {**os.environ, "XDG_CONFIG_HOME": str(work / "authlab-config")}
    run = [str(script)]
    subprocess.run([*run, "login", url, "--no-browser"], check=True, env=env, capture_output=True)  # noqa: S603
    out = work / "authlab.json"
    subprocess.run(  # noqa: S603 - their CLI as documented; exit 2 is a low grade, not a failure
        [*run, "scan", url, "--format", "json", "-o", str(out)],
        check=False,
        env=env,
        capture_output=True,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    return sum(1 for r in report["results"] if r["status"] in JUDGED)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool (default 1)")
    args = parser.parse_args()
    script = authlab()
    with reference() as (url, other), tempfile.TemporaryDirectory(prefix="vs-authlab-") as tmp:
        figures: dict[str, list[tuple[float, float, int]]] = {
            "mcp-auth-harness": [],
            "mcp-authlab": [],
        }
        for n in range(max(1, args.repeat)):
            work = Path(tmp) / str(n)
            work.mkdir()
            figures["mcp-auth-harness"].append(measured(lambda w=work: ours(url, other, w)))
            figures["mcp-authlab"].append(measured(lambda w=work: theirs(script, url, w)))
    per_check = {}
    for tool, runs in figures.items():
        cpu, wall, judged = min(runs)  # the least disturbed run
        per_check[tool] = (cpu / judged, wall / judged)
        print(  # noqa: T201 - a command-line tool
            f"{tool:17} {judged:4d} judged  "
            f"CPU {cpu:6.2f} s ({1000 * cpu / judged:6.1f} ms/check)  "
            f"wall {wall:6.2f} s ({1000 * wall / judged:6.1f} ms/check)"
        )
    harness, theirs_ = per_check["mcp-auth-harness"], per_check["mcp-authlab"]
    cpu_ratio, wall_ratio = harness[0] / theirs_[0], harness[1] / theirs_[1]
    goal = "within" if cpu_ratio <= 1.0 else "OVER"
    print(  # noqa: T201
        f"ratio per judged check: CPU {cpu_ratio:.2f}x ({goal} the 1.0x goal), "
        f"wall {wall_ratio:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
