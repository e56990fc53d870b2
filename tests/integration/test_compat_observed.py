"""The quirk kinds folded in from real clients observed on the wire (2026-12-02), each changing a
compatibility verdict against a reference variant, while the spec baseline keeps working:

- a token refused before it expires (revoked here; a proxy's strip-bearer or expire-token in
  real traffic): the Python SDK answers with a full new login and never tries its refresh token
  (`refresh.on_401 = reauthorize`, degraded, attribution client); the TypeScript SDK refreshes;
- a DCR response that issues a secret but names no method (the TypeScript SDK demo AS): the
  Python SDK, which registers without a method, authenticates with none and is refused
  (`registration.unstated_auth_method = none`); the server breaks RFC 7591 §3.2.1, so `fail`;
- an openid-configuration that is bare RFC 8414 metadata (no jwks_uri): the TypeScript SDK and
  mcp-remote reject it with no fallback (`discovery.oidc_required_fields`), a client bug: `warn`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.checks import ALL_CHECKS
from harness.results import Attribution, Compatibility, CompatVerdict, Result, Verdict
from harness.session import HarnessSession
from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_EXPIRY

WORKS, DEGRADED, BROKEN = CompatVerdict.WORKS, CompatVerdict.DEGRADED, CompatVerdict.BROKEN
OBSERVED = "observed 2026-12-02, "
SCENARIOS = [c.id for c in ALL_CHECKS if c.per_profile]  # a verdict needs all of them
BASELINE = "spec-2025-11-25"
Run = tuple[dict[str, Compatibility], dict[tuple[str, str | None], Result]]

SHORT_TTL_S = 4  # expires within FAST_EXPIRY's wait: the expiry scenario waits it out
# access tokens outlive FAST_EXPIRY's wait, so the expiry scenario revokes the token instead
VARIANTS: dict[str, tuple[ReferenceConfig, tuple[str, ...]]] = {
    "revoked": (ReferenceConfig(access_token_ttl=3600), ("python-sdk", "typescript-sdk", BASELINE)),
    "dcr-unnamed-method": (
        ReferenceConfig(
            access_token_ttl=SHORT_TTL_S,
            defects=frozenset({Defect.DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED}),
        ),
        ("python-sdk", BASELINE),
    ),
    "oidc-minimal": (
        ReferenceConfig(access_token_ttl=SHORT_TTL_S, oidc_only=True, oidc_minimal=True),
        ("typescript-sdk", "mcp-remote", "python-sdk", BASELINE),
    ),
}


def _run(reference: ReferenceConfig, profiles: Sequence[str]) -> Run:
    selected = frozenset((check, p) for check in SCENARIOS for p in profiles)
    with ReferenceServer(reference) as server:
        session = HarnessSession(
            target_url=server.mcp_url, config=FAST_EXPIRY, selected=selected, profiles=profiles
        )
        session.run()
    return {e.profile: e for e in session.compatibility}, dict(session.results)


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    with ThreadPoolExecutor(max_workers=len(VARIANTS)) as pool:
        futures = {name: pool.submit(_run, *variant) for name, variant in VARIANTS.items()}
        return {name: future.result() for name, future in futures.items()}


def explain(entry: Compatibility) -> str:
    reasons = "; ".join(f"{r.text} ({r.attribution.value})" for r in entry.reasons)
    return f"{entry.profile}: {entry.verdict.value} at {entry.phase}: {reasons}"


def test_python_sdk_logs_in_again_instead_of_refreshing(runs: dict[str, Run]) -> None:
    entries, results = runs["revoked"]
    python = entries["python-sdk"]
    assert python.verdict is DEGRADED, explain(python)
    assert python.phase == "refresh"
    reason = python.reasons[0]
    assert "full new login" in reason.text
    assert reason.attribution is Attribution.CLIENT
    assert any(s.startswith(OBSERVED + "Python mcp SDK") for s in reason.sources)
    expiry = results[("scenario.expiry-mid-run", "python-sdk")]
    assert expiry.verdict is Verdict.WARN, expiry.message
    # the new login reached the server: a second authorization request after the 401
    urls = [str(e["request"]["url"]) for e in expiry.evidence]  # type: ignore[index]
    assert any("/authorize?" in url for url in urls), urls
    for name in ("typescript-sdk", BASELINE):  # they refresh after the 401
        assert entries[name].verdict is WORKS, explain(entries[name])
        assert results[("scenario.expiry-mid-run", name)].verdict is Verdict.PASS


def test_an_unnamed_auth_method_breaks_the_python_sdk(runs: dict[str, Run]) -> None:
    entries, results = runs["dcr-unnamed-method"]
    python = entries["python-sdk"]
    assert python.verdict is BROKEN, explain(python)
    assert python.phase == "token"
    reason = python.reasons[0]
    assert "named no token_endpoint_auth_method" in reason.text
    assert reason.attribution is Attribution.SERVER
    assert any(s.startswith(OBSERVED) for s in reason.sources)
    happy = results[("scenario.happy-path", "python-sdk")]
    assert happy.verdict is Verdict.FAIL, happy.message
    assert "RFC 7591 §3.2.1" in happy.message
    # the baseline names its method (none), so the server has nothing to leave out
    assert entries[BASELINE].verdict is WORKS, explain(entries[BASELINE])


def test_a_bare_openid_configuration_breaks_the_strict_clients(runs: dict[str, Run]) -> None:
    entries, results = runs["oidc-minimal"]
    for name in ("typescript-sdk", "mcp-remote"):
        entry = entries[name]
        assert entry.verdict is BROKEN, explain(entry)
        assert entry.phase == "discover"
        assert "jwks_uri" in entry.reasons[0].text
        assert entry.reasons[0].attribution is Attribution.CLIENT
        assert any("oauth-authorization-server" in fix for fix in entry.remediation)
        discovery = results[("scenario.discovery-404", name)]
        assert discovery.verdict is Verdict.WARN, discovery.message
    for name in ("python-sdk", BASELINE):
        assert entries[name].verdict is WORKS, explain(entries[name])
    assert not [r for r in results.values() if r.verdict in {Verdict.FAIL, Verdict.ERROR}]
