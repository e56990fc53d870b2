from __future__ import annotations

import pytest

from harness.egress import EgressPolicy, is_loopback_host
from harness.errors import EgressRefused

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_policy_follows_the_target() -> None:
    assert EgressPolicy.for_target("http://127.0.0.1:8000/mcp").allow_private
    assert EgressPolicy.for_target("http://10.1.2.3/mcp").allow_private
    assert not EgressPolicy.for_target("https://93.184.215.14/mcp").allow_private
    assert is_loopback_host("[::1]")
    assert is_loopback_host("localhost")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "file:///etc/passwd",
        "http://[::ffff:169.254.169.254]/",
    ],
)
async def test_metadata_and_odd_schemes_always_refused(url: str) -> None:
    with pytest.raises(EgressRefused):
        await EgressPolicy(allow_private=True).check(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://10.0.0.1/", "http://192.168.1.1/"])
async def test_public_target_cannot_reach_private_ranges(url: str) -> None:
    with pytest.raises(EgressRefused, match="private"):
        await EgressPolicy(allow_private=False).check(url)
    await EgressPolicy(allow_private=True).check(url)
