"""The lifecycle state machine: register, authorize, token, refresh, revoke and call with the
invariants of harness/fuzz/state.py."""

from __future__ import annotations

from scenarios.fuzz.judge import FuzzTarget, fuzz_item


def test_fuzz_state(fuzz_target: FuzzTarget) -> None:
    fuzz_item(fuzz_target, "state")
