"""The `mcp_proxy` pytest fixture, a thin wrapper of `ProxyHandle` (usable without pytest).

    def test_client_recovers(mcp_proxy):
        mcp_proxy.add_fault("expire-token:after=3,rpc=tools/call")
        run_my_client(mcp_proxy.url)
        assert any(e.response and e.response.status == 401 for e in mcp_proxy.exchanges())

The proxy fronts `mcp_proxy_upstream` (default: `--mcp-target`; override the fixture to point it
elsewhere). Importing this module is cheap: mitmproxy is imported when a proxy starts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.proxy.faults import FaultSet, parse_fault

if TYPE_CHECKING:
    from harness.exchange import Exchange
    from harness.proxy.runner import ProxyInfo, ProxyThread
    from harness.results import Report


class ProxyHandle:
    """A running proxy in front of `upstream`, with its faults switchable while traffic flows."""

    def __init__(
        self,
        upstream: str | None,
        *,
        faults: Sequence[str] = (),
        seed: int = 0,
        as_profile: str | None = None,
        out: Path | None = None,
    ) -> None:
        from harness.proxy.runner import ProxySettings, ProxyThread

        settings = ProxySettings(
            upstream=upstream, faults=tuple(faults), seed=seed, as_profile=as_profile, out=out
        )
        self._thread: ProxyThread = ProxyThread(settings)
        self._info: ProxyInfo | None = None

    def start(self) -> ProxyHandle:
        self._info = self._thread.start()
        return self

    def stop(self) -> Report:
        """Stop the proxy; its report (written to `out` if given)."""
        return self._thread.stop()

    def __enter__(self) -> ProxyHandle:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def info(self) -> ProxyInfo:
        if self._info is None:
            raise RuntimeError("the proxy is not started; use it as a context manager")
        return self._info

    @property
    def url(self) -> str:
        """The upstream's MCP endpoint, through the proxy."""
        return self.info.url

    @property
    def origin(self) -> str:
        return self.info.origin

    @property
    def control_url(self) -> str | None:
        return self.info.control_url

    @property
    def _faults(self) -> FaultSet:
        return self._thread.run.addon.faults

    def add_fault(self, spec: str) -> int:
        """Add a fault (SPEC as for --fault) now; its id."""
        return self._faults.add(parse_fault(spec)).id

    def remove(self, fault_id: int) -> bool:
        return self._faults.remove(fault_id)

    def clear(self) -> int:
        return self._faults.clear()

    def faults(self, *, include_removed: bool = False) -> list[dict[str, object]]:
        """Each fault with how often it matched (`seen`) and acted (`fired`)."""
        return self._faults.snapshot(include_removed=include_removed)

    def exchanges(self) -> list[Exchange]:
        """What went through so far, as the client saw it (redacted)."""
        return list(self._thread.run.addon.exchanges)


@pytest.fixture
def mcp_proxy_upstream(request: pytest.FixtureRequest) -> str:
    """The MCP endpoint `mcp_proxy` fronts: `--mcp-target` unless a test overrides this."""
    target = request.config.getoption("--mcp-target", default=None)
    if not target:
        pytest.skip("mcp_proxy needs --mcp-target (or an mcp_proxy_upstream fixture)")
    return str(target)


@pytest.fixture
def mcp_proxy(mcp_proxy_upstream: str) -> Iterator[ProxyHandle]:
    """A proxy started around the test, in front of `mcp_proxy_upstream`."""
    with ProxyHandle(mcp_proxy_upstream) as proxy:
        yield proxy
