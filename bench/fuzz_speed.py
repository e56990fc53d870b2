"""Examples per second per stateless fuzz area against the embedded reference (real loopback HTTP,
deadline=None). Usage: python bench/fuzz_speed.py [EXAMPLES]  (target: >= 300/s per area)."""

from __future__ import annotations

import sys

from harness.fuzz.runner import FuzzSettings, run_fuzz
from simulators.reference import ReferenceServer


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with ReferenceServer() as server:
        options = FuzzSettings(
            areas=("authorize", "token", "register", "bearer"),
            max_examples=examples,
            seed=1,
            time_budget_s=120,
        )
        for outcome in run_fuzz(server.mcp_url, options):
            rate = outcome.examples / outcome.duration_s if outcome.duration_s else 0.0
            failures = len(outcome.failures)
            sys.stdout.write(
                f"{outcome.area:<10} {outcome.examples:>6} examples  {rate:7.1f}/s  "
                f"{failures} failures\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
