"""Time the full default run: `mcp-auth-harness run` against the embedded reference server.

Every built-in profile with every scenario, plus every check, exactly as a user starts it. Prints
the wall time (and the report's own duration and verdict summary); exits 1 over the budget.

    python bench/run_default.py [--budget SECONDS] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 30.0


def one_run() -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="mcp-auth-bench-") as out:
        started = time.monotonic()
        subprocess.run(  # noqa: S603 - our own program, fixed arguments
            [sys.executable, "-m", "harness", "run", "--out", out, "--fail-on", "none"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.monotonic() - started
        report = json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))
    return elapsed, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds (default 30)")
    parser.add_argument("--repeat", type=int, default=1, help="runs to time (default 1)")
    args = parser.parse_args()
    times = []
    for _ in range(max(1, args.repeat)):
        elapsed, report = one_run()
        times.append(elapsed)
        profiles = len(report.get("compatibility", []))
        print(  # noqa: T201 - a command-line tool
            f"default run: {elapsed:.1f} s wall (report duration {report['duration_s']} s), "
            f"{len(report['results'])} results, {profiles} profiles, {report['summary']}"
        )
    worst = max(times)
    verdict = "within" if worst <= args.budget else "OVER"
    print(f"worst {worst:.1f} s: {verdict} the {args.budget:g} s budget")  # noqa: T201
    return 0 if worst <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
