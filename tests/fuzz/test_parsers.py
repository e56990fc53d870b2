"""The harness's parsers (WWW-Authenticate, metadata, SSE, JSON-RPC) raise nothing on any input
(a small budget guards regressions; the issue note reports the 10,000-example run)."""

from __future__ import annotations

from harness.fuzz.parsers import TARGETS, check_parsers


def test_parsers_survive_generated_input() -> None:
    assert check_parsers(100, seed=1) == {}


def test_every_declared_parser_is_fuzzed() -> None:
    assert {t.name for t in TARGETS} == {"www-authenticate", "metadata", "sse", "json-rpc"}
