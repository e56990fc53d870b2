"""The session-id entropy estimate and the sess.entropy judgement on it."""

from __future__ import annotations

import secrets
import uuid

from harness.checks.sessions import MIN_BITS, entropy
from harness.probes.resource.mcp import CallOutcome
from harness.probes.sessions.evidence import SessionSample, estimate
from harness.results import Verdict

SAMPLE = 24


def test_uuid4_counts_its_122_random_bits() -> None:
    stats = estimate([str(uuid.uuid4()) for _ in range(SAMPLE)])
    assert stats.alphabet == "hex"
    assert stats.varying_positions == 31  # 32 nibbles, the version one fixed; dashes fixed
    assert stats.bits == 122  # 30 random nibbles and the variant nibble's 2 bits
    assert stats.bits >= MIN_BITS


def test_token_urlsafe_is_base64url() -> None:
    stats = estimate([secrets.token_urlsafe(32) for _ in range(SAMPLE)])
    assert stats.alphabet == "base64url"
    assert stats.bits > 200
    assert stats.unique == stats.count == SAMPLE


def test_counters_and_timestamps_are_weak() -> None:
    assert estimate([str(n) for n in range(1, SAMPLE + 1)]).bits < 10
    stamped = [f"sess-1732712345{n:03d}" for n in range(SAMPLE)]
    assert estimate(stamped).bits < 20


def test_invisible_characters_are_counted() -> None:
    stats = estimate(["abc def", "abcdefg", "ab\x7fdefg"])
    assert stats.invisible == 2


def _sample(ids: list[str]) -> SessionSample:
    first = CallOutcome(label="initialize", response=None, error="no response")
    return SessionSample(requested=len(ids), estimate=estimate(ids), first=first)


def test_entropy_verdicts() -> None:
    assert entropy.run(_sample([str(uuid.uuid4()) for _ in range(SAMPLE)])).verdict is (
        Verdict.PASS
    )
    weak = entropy.run(_sample([str(n) for n in range(SAMPLE)]))
    assert weak.verdict is Verdict.WARN
    assert "about 7 bits" in weak.message
    repeated = entropy.run(_sample([secrets.token_hex(16)] * 3))
    assert repeated.verdict is Verdict.WARN
    assert "1 unique" in repeated.message
    invisible = entropy.run(_sample(["a b" + secrets.token_hex(16) for _ in range(3)]))
    assert invisible.verdict is Verdict.FAIL
