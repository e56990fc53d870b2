"""Passive checks over traffic the proxy observed (placeholder; P2 replaces the body)."""

from __future__ import annotations

from collections.abc import Sequence

from harness.exchange import Exchange
from harness.results import Compatibility, Result


def judge_observed(exchanges: Sequence[Exchange]) -> tuple[list[Result], list[Compatibility]]:
    """Judge recorded exchanges; returns the results and one compatibility entry per client."""
    del exchanges
    return [], []
