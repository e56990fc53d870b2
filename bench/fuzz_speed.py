"""Examples per second per stateless fuzz area against the embedded reference (real loopback HTTP,
deadline=None). The reference runs in its own process (its own core, as `mcp-auth-harness fuzz`
starts it); `--in-process` serves it from a thread of this process instead, for comparison.
Usage: python bench/fuzz_speed.py [EXAMPLES] [--in-process]   (issue 10 asks >= 300/s per area).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

from harness.fuzz.runner import FuzzSettings, run_fuzz

AREAS = ("authorize", "token", "register", "bearer")


@contextlib.contextmanager
def _reference(in_process: bool) -> Iterator[str]:
    if in_process:
        from simulators.reference import ReferenceServer

        with ReferenceServer() as server:
            yield server.mcp_url
        return
    argv = [sys.executable, "-m", "simulators.reference"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        assert process.stdout is not None
        first = process.stdout.readline()  # printed once it listens
        try:
            yield first.split(":", 1)[1].strip()
        finally:
            process.terminate()


def main() -> int:
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    examples = int(numbers[0]) if numbers else 1000
    with _reference("--in-process" in sys.argv) as url:
        options = FuzzSettings(areas=AREAS, max_examples=examples, seed=1, time_budget_s=120)
        for outcome in run_fuzz(url, options):
            rate = outcome.examples / outcome.duration_s if outcome.duration_s else 0.0
            sys.stdout.write(
                f"{outcome.area:<10} {outcome.examples:>6} examples  {rate:7.1f}/s  "
                f"{len(outcome.failures)} failures\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
