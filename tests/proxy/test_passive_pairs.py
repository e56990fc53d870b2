"""client.* pairs on real traffic: the harness's own simulated clients (`simulate-client`, the
same quirk kinds the profiles declare) through the proxy. A profile with a quirk makes its check
fail; the spec-following baseline passes every check its traffic exercised.

Checks no profile knob can break (pkce-s256, no-query-token, no-retry-storm,
recovers-from-401) have their failing verdicts on recorded exchanges in test_passive_checks.py;
client.state fails on the TypeScript SDK's real traffic (test_real_clients.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.proxy.fixture import ProxyHandle
from harness.results import Verdict
from simulators.reference import ReferenceServer

BASELINE = Path(__file__).resolve().parents[2] / "simulators/profiles/spec-2025-11-25.toml"
SOURCE = 'source = "https://github.com/anthropics/claude-ai-mcp/issues/155", observed = "2026-01"'
CUSTOM = {
    "drops-bearer": f'[token_use]\nbearer = {{ value = "dropped-after-exchange", {SOURCE} }}\n',
    "wide-scope": (
        f'[scope]\nsources = {{ value = ["fixed"], {SOURCE} }}\n'
        f'fixed = {{ value = "notes:read notes:write", {SOURCE} }}\n'
    ),
}


def profile_dir(tmp_path: Path) -> Path:
    baseline = BASELINE.read_text()
    for name, knobs in CUSTOM.items():
        text = baseline.replace('name = "spec-2025-11-25"', f'name = "{name}"')
        text = text.replace('kind = "spec"', 'kind = "client"')
        head, sep, tail = text.partition("[conformance]")
        (tmp_path / f"{name}.toml").write_text(head + knobs + "\n" + sep + tail)
    return tmp_path


def simulated(
    reference: ReferenceServer, profile: str, folder: Path, faults: tuple[str, ...] = ()
) -> dict[str, Verdict]:
    with ProxyHandle(reference.mcp_url, faults=faults, seed=5) as proxy:
        done = subprocess.run(  # noqa: S603 - the harness itself
            [
                sys.executable,
                "-m",
                "harness",
                "simulate-client",
                "--profile",
                profile,
                "--profile-dir",
                str(folder),
                "--tool",
                "whoami",
                proxy.url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        report = proxy.stop()
    judged = {r.check: r.verdict for r in report.results if r.profile is not None}
    assert judged, done.stdout[-2000:] + done.stderr[-2000:]
    return judged


@pytest.mark.parametrize(
    ("profile", "check", "verdict"),
    [
        ("claude-ai", "client.resource-param", Verdict.FAIL),  # resource.mode = omit
        ("spec-2025-03-26", "client.discovery-order", Verdict.FAIL),  # origin metadata, no PRM
        ("drops-bearer", "client.bearer-every-request", Verdict.FAIL),
        ("wide-scope", "client.scope-minimal", Verdict.WARN),  # beyond the challenged scope
    ],
)
def test_a_quirk_fails_its_check(
    reference: ReferenceServer, tmp_path: Path, profile: str, check: str, verdict: Verdict
) -> None:
    judged = simulated(reference, profile, profile_dir(tmp_path))
    assert judged[check] is verdict, judged


def test_the_baseline_passes_every_check(reference: ReferenceServer, tmp_path: Path) -> None:
    # an expiry mid-run exercises recovery and retries too
    faults = ("expire-token:rpc=tools/call,times=1",)
    judged = simulated(reference, "spec-2025-11-25", profile_dir(tmp_path), faults)
    assert set(judged.values()) == {Verdict.PASS}, judged
