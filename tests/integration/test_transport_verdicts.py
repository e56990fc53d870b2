"""A transport fault is a finding of its own, never evidence for an OAuth verdict: with a
framing defect on, the whole catalogue judges as on the correct server, except
`http.connection-reuse`, and the harness's requests after the preflight asked for fresh
connections (without them, `disc.prm.served` fails on both defects, and with
`content-length-chars` the registration, authorization and scenario checks break too)."""

from __future__ import annotations

import pytest

from harness.results import Compatibility, Result, Verdict
from harness.session import HarnessSession
from tests.integration.reference_full import full_reference

Key = tuple[str, str | None]
Outcome = tuple[dict[Key, Result], tuple[Compatibility, ...]]


def _run(names: frozenset[str]) -> Outcome:
    with full_reference(names) as (server, config):
        session = HarnessSession(target_url=server.mcp_url, config=config)
        session.run()
    return session.results, session.compatibility


def _asked_for_close(results: dict[Key, Result]) -> bool:
    headers = [e["request"]["headers"] for e in results[("disc.prm.served", None)].evidence]
    assert headers, "disc.prm.served shows its exchanges"
    return all(h.get("connection") == "close" for h in headers)


@pytest.fixture(scope="module")
def correct_server() -> Outcome:
    return _run(frozenset())


@pytest.mark.parametrize("defect", ["connection-desync", "content-length-chars"])
def test_a_framing_defect_changes_no_other_verdict(correct_server: Outcome, defect: str) -> None:
    correct, correct_compat = correct_server
    desync, desync_compat = _run(frozenset({defect}))
    assert set(desync) == set(correct)
    verdicts = {key: r.verdict for key, r in correct.items()}
    verdicts[("http.connection-reuse", None)] = Verdict.FAIL
    changed = {
        key: (verdicts[key].value, r.verdict.value, r.message)
        for key, r in desync.items()
        if r.verdict is not verdicts[key]
    }
    assert not changed
    assert [(c.profile, c.verdict) for c in desync_compat] == [
        (c.profile, c.verdict) for c in correct_compat
    ]
    assert correct_compat, "the baseline profile got its compatibility verdict"
    assert correct[("http.connection-reuse", None)].verdict is Verdict.PASS
    assert not _asked_for_close(correct), "a server in sync keeps its connections alive"
    assert _asked_for_close(desync), "after a desync every request asks for its own connection"
