"""The `mcp_proxy` fixture as a scenario suite gets it from the plugin: `--mcp-target` is what it
fronts, and a test switches a fault while it runs."""

from __future__ import annotations

import pytest

from simulators.reference import ReferenceServer

pytest_plugins = ["pytester"]

SUITE = """
import json
import urllib.error
import urllib.request


def test_discovery_fails_once_the_fault_is_on(mcp_proxy):
    prm = mcp_proxy.origin + "/.well-known/oauth-protected-resource/mcp"
    with urllib.request.urlopen(prm, timeout=10) as answer:
        assert json.load(answer)["resource"] == mcp_proxy.url
    ident = mcp_proxy.add_fault("discovery-404")
    try:
        urllib.request.urlopen(prm, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
        exc.close()
    else:
        raise AssertionError("discovery-404 did not fire")
    assert mcp_proxy.faults()[0]["fired"] == 1
    assert mcp_proxy.remove(ident)
    assert [e.response.status for e in mcp_proxy.exchanges()] == [200, 404]
"""


def test_mcp_proxy_fixture_from_the_plugin(
    pytester: pytest.Pytester, reference: ReferenceServer
) -> None:
    pytester.makepyfile(test_through_proxy=SUITE)
    result = pytester.runpytest_subprocess("--mcp-target", reference.mcp_url, "-p", "no:randomly")
    result.assert_outcomes(passed=1)


def test_without_a_target_the_fixture_skips(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_through_proxy=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(skipped=1)
