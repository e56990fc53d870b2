"""Each relevant reference defect found by the fuzzer at its default budget (500 examples, 60 s
per area) without being told which, and the correct reference clean at 1,000 examples per area.
Usage: python bench/fuzz_found.py [SEED] [--clean-only | --defects-only]
Prints one line per defect: the area, whether the expected property failed, seconds to find it."""

from __future__ import annotations

import sys
import time

from harness.fuzz.runner import FuzzSettings, run_fuzz
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects

# (area, defect, the property that must fail)
FOUND = [
    ("authorize", "redirect-prefix-match", "redirect-registered-only"),
    ("authorize", "error-redirect-unregistered", "redirect-registered-only"),
    ("authorize", "error-redirect-before-uri-check", "redirect-registered-only"),
    ("authorize", "state-dropped", "state-echo"),
    ("authorize", "pkce-optional", "pkce-enforced"),
    ("authorize", "pkce-plain-accepted", "pkce-enforced"),
    ("authorize", "pkce-downgrade", "pkce-enforced"),
    ("authorize", "implicit-grant-accepted", "no-implicit"),
    ("token", "pkce-verifier-not-checked", "no-token-for-invalid"),
    ("token", "redirect-uri-not-checked-at-token", "no-token-for-invalid"),
    ("token", "token-error-not-json", "error-shape"),
    ("register", "dcr-javascript-redirect-accepted", "dcr-refuses-dangerous"),
    ("bearer", "signature-not-checked", "bearer-refused"),
    ("bearer", "alg-none-accepted", "bearer-refused"),
    ("bearer", "garbage-token-500", "no-5xx"),
    ("bearer", "invalid-token-bare-401", "bearer-error-shape"),
    ("bearer", "jwt-kid-path", "bearer-refused"),
    ("bearer", "jwt-header-jwk-trusted", "bearer-refused"),
    ("state", "code-reusable", "code-once"),
    ("state", "code-not-bound-to-client", "client-binding"),
    ("state", "refresh-not-bound-to-client", "client-binding"),
    ("state", "refresh-reuse-accepted", "refresh-rotation"),
    ("state", "revoked-accepted", "revoked-dead"),
]


def _run(defects: list[str], areas: tuple[str, ...], examples: int, seed: int) -> list:  # type: ignore[type-arg]
    config = ReferenceConfig(defects=parse_defects(defects))
    with ReferenceServer(config) as server:
        options = FuzzSettings(areas=areas, max_examples=examples, seed=seed, time_budget_s=60)
        return run_fuzz(server.mcp_url, options)


def main() -> int:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1
    missed = 0
    if "--clean-only" not in sys.argv:
        for area, defect, prop in FOUND:
            started = time.monotonic()
            (outcome,) = _run([defect], (area,), 500, seed)
            hit = next((f for f in outcome.failures if f.prop == prop), None)
            missed += hit is None
            when = f"{hit.found_after_s:6.1f} s" if hit else "   --  "
            sys.stdout.write(
                f"{area:<10} {defect:<34} {prop:<26} {'found' if hit else 'MISSED'} {when}"
                f"  ({outcome.examples} examples, {time.monotonic() - started:.1f} s)\n"
            )
    if "--defects-only" not in sys.argv:
        areas = ("authorize", "token", "register", "bearer", "state")
        for outcome in _run([], areas, 1000, seed):
            missed += bool(outcome.failures)
            sys.stdout.write(
                f"correct    {outcome.area:<10} {outcome.examples} examples, "
                f"{len(outcome.failures)} failures {[f.prop for f in outcome.failures]}\n"
            )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
