"""`mcp-auth-harness run` with no target, as a new user starts it: the embedded reference is
configured fully, so no check skips for want of configuration and the ones that need a second
user, another resource, a privileged tool or an upstream canary run and pass."""

from __future__ import annotations

import json
import re

import pytest

from harness.profiles.catalogue import load_profiles
from harness.profiles.model import RefreshMode
from tests.cli.test_cli import harness

# Checks that skip without [target].other_resource, [login.second_user], [[tools]] or
# [upstream_canary].
CONFIGURED = (
    "rs.wrong-audience",
    "sess.user-binding",
    "misuse.scope-escalation",
    "misuse.cross-resource",
    "misuse.token-passthrough",
)
# Skips the client itself makes inherent (no configuration could run them), with their reason.
INHERENT = {
    ("scenario.expiry-mid-run", "claude-ai"): "never refreshes",
    ("scenario.unattended-run", "claude-ai"): "scheduled runs never reach the server",
    ("scenario.step-up", "vscode"): "first token already carries notes:write",
    # scenario.refresh-never judges only clients that never refresh
    **{
        ("scenario.refresh-never", name): "refreshes its tokens"
        for name, profile in load_profiles().items()
        if profile.refresh.mode.value is not RefreshMode.NEVER
    },
}
CONFIG_HINT = re.compile(r"\[(?:target|login|tools|upstream_canary|scopes|client)\b|configure")


@pytest.fixture(scope="module")
def default_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("default-run")
    done = harness("run", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, object] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return report


def _results(report: dict[str, object]) -> list[dict[str, str]]:
    results = report["results"]
    assert isinstance(results, list)
    return results


def test_no_skip_comes_from_a_configuration_gap(default_report: dict[str, object]) -> None:
    skips = {
        (r["check"], r["profile"]): r["message"]
        for r in _results(default_report)
        if r["verdict"] == "skip"
    }
    assert set(skips) <= set(INHERENT), {k: v for k, v in skips.items() if k not in INHERENT}
    for key, message in skips.items():
        assert INHERENT[key] in message, message
        assert not CONFIG_HINT.search(message), message


def test_the_checks_that_need_configuration_run_and_pass(
    default_report: dict[str, object],
) -> None:
    verdicts = {r["check"]: (r["verdict"], r["message"]) for r in _results(default_report)}
    for check in CONFIGURED:
        assert verdicts[check][0] == "pass", (check, verdicts[check][1])
    assert not [r for r in _results(default_report) if r["verdict"] in {"fail", "error"}]
    target = default_report["target"]
    assert isinstance(target, dict)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/mcp", str(target["url"])), target
