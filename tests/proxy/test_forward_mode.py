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
        proxy.add_fault("expire-token")  # its challenge names the server's PRM, not the proxy
        bearer = urllib.request.Request(  # noqa: S310 - the reference's http URL
            reference.mcp_url, data=b"{}", headers={"Authorization": "Bearer not-a-real-token"}
        )
        with pytest.raises(urllib.error.HTTPError) as expired:
            opener.open(bearer, timeout=10)
        challenge = expired.value.headers["www-authenticate"]
        expired.value.close()
        assert f'resource_metadata="{reference.prm_url}"' in challenge
    finally:
        report = proxy.stop()
    urls = [e.request.url for e in proxy.exchanges()]
    assert urls == [
        reference.prm_url,
        reference.issuer + "/.well-known/oauth-authorization-server",
        reference.mcp_url,
    ]
    section = report.extra["proxy"]
    assert isinstance(section, dict)
    assert (section["mode"], section["upstream"], report.target_url) == (
        "regular",
        None,
        "forward proxy",
    )
