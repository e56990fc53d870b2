"""Real SDK clients through the proxy, against the reference server: with no fault and with each
of strip-bearer, expire-token, discovery-404 (path-suffixed PRM), drop-refresh-token and
inject-prompt, the client.* verdicts each client's traffic earns in the report.

The clients are the Python `mcp` SDK's OAuthClientProvider (interop/py_sdk_client.py) and the
TypeScript SDK's client auth (interop/ts_client.mjs), each logging in headless (its redirect
handler follows the authorization redirects itself). What each did is recorded in
observed-clients terms in the verdict tables below (observed 2026-12-03, mcp 2.3.0 and
@modelcontextprotocol/sdk 1.32.2).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.proxy.fixture import ProxyHandle
from harness.results import CompatVerdict, Report, Verdict
from simulators.reference import ReferenceServer

ROOT = Path(__file__).resolve().parents[2]
INTEROP = ROOT / "interop"
CALLS = 3
P, W, F, S = Verdict.PASS, Verdict.WARN, Verdict.FAIL, Verdict.SKIP
FAULTS = {
    "none": (),
    "strip-bearer": ("strip-bearer:after=1,rpc=tools/call,times=1",),
    "expire-token": ("expire-token:after=1,rpc=tools/call,times=1",),
    "discovery-404": ("discovery-404:path=/.well-known/oauth-protected-resource/*",),
    # a refresh is needed (the token expires once) and no refresh token was ever handed out
    "drop-refresh-token": ("drop-refresh-token", "expire-token:after=1,rpc=tools/call,times=1"),
    "inject-prompt": ("inject-prompt:rpc=tools/call",),
    # not in the list: how the clients take a 429 at the token endpoint
    "rate-limit": ("rate-limit:path=/token,retry=1,times=1",),
}
CHECKS = (
    "client.pkce-s256",
    "client.state",
    "client.resource-param",
    "client.bearer-every-request",
    "client.no-query-token",
    "client.discovery-order",
    "client.recovers-from-401",
    "client.no-retry-storm",
    "client.scope-minimal",
)


@dataclass(frozen=True, slots=True)
class Expected:
    verdicts: tuple[Verdict, ...]  # in CHECKS order
    compat: CompatVerdict
    recovery: str = ""  # how client.recovers-from-401 says it recovered
    connected: bool = True  # every tool call succeeded


# Python SDK 2.3.0: every 401 after login is answered by a full new login (never its refresh
# token); under discovery-404 it tries the header URL (the path-suffixed PRM) again as a
# well-known, then the root PRM, which works.
PY_QUIET = (P, P, P, P, P, P, S, S, P)
PY_RECOVERED = (P, P, P, P, P, P, P, P, P)
PYTHON = {
    "none": Expected(PY_QUIET, CompatVerdict.WORKS),
    "strip-bearer": Expected(PY_RECOVERED, CompatVerdict.WORKS, "new login"),
    "expire-token": Expected(PY_RECOVERED, CompatVerdict.WORKS, "new login"),
    "discovery-404": Expected(PY_QUIET, CompatVerdict.WORKS),
    "drop-refresh-token": Expected(PY_RECOVERED, CompatVerdict.WORKS, "new login"),
    "inject-prompt": Expected(PY_QUIET, CompatVerdict.WORKS),
    # one 429 from /token and it gives up: no retry at all (no storm, and no connection)
    "rate-limit": Expected((P, P, P, S, S, P, S, P, P), CompatVerdict.BROKEN, connected=False),
}
# TypeScript SDK 1.32.2: sends no `state` unless the app's provider implements state(); refreshes
# after a 401, and logs in again when it holds no refresh token; under discovery-404 it does not
# try the root PRM but falls back to the origin's RFC 8414 metadata (2025-03-26) and then sends
# no `resource` at all (its `if-prm` resource mode).
TS_QUIET = (P, W, P, P, P, P, S, S, P)
TS_RECOVERED = (P, W, P, P, P, P, P, P, P)
TYPESCRIPT = {
    "none": Expected(TS_QUIET, CompatVerdict.DEGRADED),
    "strip-bearer": Expected(TS_RECOVERED, CompatVerdict.DEGRADED, "refresh"),
    "expire-token": Expected(TS_RECOVERED, CompatVerdict.DEGRADED, "refresh"),
    "discovery-404": Expected((P, W, F, P, P, W, S, S, P), CompatVerdict.DEGRADED),
    "drop-refresh-token": Expected(TS_RECOVERED, CompatVerdict.DEGRADED, "new login"),
    "inject-prompt": Expected(TS_QUIET, CompatVerdict.DEGRADED),
    "rate-limit": Expected((P, W, P, S, S, P, S, P, P), CompatVerdict.BROKEN, connected=False),
}
CLIENTS = {
    "python-sdk": ("mcp", [sys.executable, str(INTEROP / "py_sdk_client.py")], PYTHON),
    "typescript-sdk": ("ts-sdk-client", ["node", str(INTEROP / "ts_client.mjs")], TYPESCRIPT),
}


def run_client(command: list[str], url: str, *, calls: int = CALLS) -> list[dict[str, object]]:
    done = subprocess.run(  # noqa: S603 - our own interop scripts
        [*command, url, "--calls", str(calls)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=INTEROP,
        check=False,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert events, done.stderr[-2000:]
    assert events[-1] == {"event": "done"}, done.stderr[-2000:]
    return events


def through_proxy(
    reference: ReferenceServer, command: list[str], faults: tuple[str, ...]
) -> tuple[list[dict[str, object]], Report]:
    with ProxyHandle(reference.mcp_url, faults=faults, seed=7) as proxy:
        events = run_client(command, proxy.url)
        report = proxy.stop()
    return events, report


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("client", list(CLIENTS))
def test_real_client_through_the_proxy(reference: ReferenceServer, client: str, fault: str) -> None:
    name, command, table = CLIENTS[client]
    if command[0] == "node" and shutil.which("node") is None:
        pytest.skip("node is not installed")
    events, report = through_proxy(reference, command, FAULTS[fault])
    expected = table[fault]
    profile = f"observed:{name}"
    mine = {r.check: r for r in report.results if r.profile == profile}
    got = tuple(mine[c].verdict for c in CHECKS)
    assert got == expected.verdicts, {c: (mine[c].verdict.value, mine[c].message) for c in CHECKS}
    (entry,) = [c for c in report.compatibility if c.profile == profile]
    assert entry.verdict is expected.compat, entry.to_json()
    if expected.recovery:
        assert f"by {expected.recovery}" in mine["client.recovers-from-401"].message
    calls = [e for e in events if e["event"] == "call"]
    if not expected.connected:
        assert not calls, events
        assert entry.phase == "token"
        why = entry.reasons[0]  # the proxy's own 429 stopped it: named, not the server's doing
        assert why.attribution.value != "server", entry.to_json()
        assert f"{fault}#" in why.text, entry.to_json()
        return
    assert [e["ok"] for e in calls] == [True] * CALLS, events  # every client recovered
    if fault == "inject-prompt":  # the client hands the injected text on to its caller
        assert all("IMPORTANT NOTICE FOR AI ASSISTANTS" in str(e["text"]) for e in calls)
    # the server is judged on what no fault touched: no forged 401 counts against it
    server = {r.check: r.verdict for r in report.results if r.profile is None}
    assert Verdict.FAIL not in server.values(), server
