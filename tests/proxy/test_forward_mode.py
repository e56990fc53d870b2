"""Regular (forward) mode, for clients that honour HTTP(S)_PROXY: nothing is rewritten, faults
still apply, and the recording holds the URLs the client asked for."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from harness.proxy.fixture import ProxyHandle
from simulators.reference import ReferenceServer


def test_forward_proxy(reference: ReferenceServer) -> None:
    proxy = ProxyHandle(
        None, faults=["discovery-404:path=/.well-known/oauth-authorization-server*"]
    )
    proxy.start()
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy.origin}))
        with opener.open(reference.prm_url, timeout=10) as answer:
            assert json.load(answer)["resource"] == reference.mcp_url  # not rewritten
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(reference.issuer + "/.well-known/oauth-authorization-server", timeout=10)
        assert refused.value.code == 404
        refused.value.close()
    finally:
        report = proxy.stop()
    urls = [e.request.url for e in proxy.exchanges()]
    assert urls == [reference.prm_url, reference.issuer + "/.well-known/oauth-authorization-server"]
    section = report.extra["proxy"]
    assert isinstance(section, dict)
    assert (section["mode"], section["upstream"], report.target_url) == (
        "regular",
        None,
        "forward proxy",
    )
