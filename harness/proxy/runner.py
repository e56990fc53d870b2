"""mitmproxy in-process: the `proxy` command and the `mcp_proxy` fixture run the addon this way.

A `Master` with mitmproxy's default addons and ours (no dumper, no terminal log: the console view
is ours; no startup error check: it exits the process on any error logged anywhere, and a test
process logs plenty). Stopping is event-driven: a duration timer, an idle timer re-armed by every
flow, a signal, or `stop()` from another thread. The report is written when it stops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import ConfigError, TargetError
from harness.proxy.addon import McpAuthAddon, OnFlow
from harness.proxy.faults import parse_fault
from harness.proxy.rewrite import origin
from harness.results import Report

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxySettings:
    upstream: str | None  # the MCP endpoint behind the proxy; None: forward (regular) mode
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    faults: Sequence[str] = ()
    seed: int = 0
    as_profile: str | None = None
    out: Path | None = None
    control_port: int = 0
    duration_s: float | None = None
    until_idle_s: float | None = None
    console: bool = True

    def mode(self) -> str:
        if self.upstream is None:
            return "regular"
        parts = urlsplit(self.upstream)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(f"--upstream {self.upstream!r}: expected an http(s) URL")
        return f"reverse:{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyInfo:
    """Where a started proxy listens."""

    origin: str  # http://host:port of the proxy
    url: str  # the upstream's MCP endpoint through the proxy (the origin, in forward mode)
    control_url: str | None


class ProxyRun:
    """One proxy run on the current event loop: `await run()` until it is stopped."""

    def __init__(self, settings: ProxySettings, on_flow: OnFlow | None = None) -> None:
        for text in settings.faults:
            parse_fault(text)  # a bad SPEC is a usage error before anything listens
        self.settings = settings
        self._on_flow = on_flow
        self.addon = McpAuthAddon(on_flow=self._seen)
        self.info: ProxyInfo | None = None
        self.report: Report | None = None
        self._master: Any = None  # mitmproxy's Master while running
        self._idle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready_callbacks: list[Callable[[ProxyInfo | None], None]] = []

    def on_ready(self, callback: Callable[[ProxyInfo | None], None]) -> None:
        """Called once listening (with None if the proxy could not listen)."""
        self._ready_callbacks.append(callback)

    async def run(self) -> Report:
        from mitmproxy import addons, master, options

        settings = self.settings
        self._loop = asyncio.get_running_loop()
        opts = options.Options(
            mode=[settings.mode()],
            listen_host=settings.listen_host,
            listen_port=settings.listen_port,
        )
        proxy = master.Master(opts, event_loop=self._loop)
        defaults = addons.default_addons()  # type: ignore[no-untyped-call]
        proxy.addons.add(*defaults, self.addon, _Ready(self))  # type: ignore[no-untyped-call]
        proxy.options.update(  # type: ignore[no-untyped-call]
            mcp_faults=list(settings.faults),
            mcp_seed=settings.seed,
            mcp_control_port=settings.control_port,
            mcp_as_profile=settings.as_profile,
            mcp_out=str(settings.out) if settings.out else None,
            mcp_console=settings.console,
        )
        self._master = proxy
        try:
            await proxy.run()
        finally:
            self._master = None
            await _close(proxy)
        if self.info is None:
            raise TargetError(
                f"the proxy could not listen on {settings.listen_host}:{settings.listen_port}"
            )
        self.report = self.addon.last_report
        assert self.report is not None  # written by the addon's done hook
        return self.report

    def stop(self) -> None:
        """Stop the run (thread-safe); the report is written as it stops."""
        proxy = self._master
        if proxy is not None:
            proxy.shutdown()

    def _started(self, listen: Sequence[tuple[str, int]]) -> None:
        settings = self.settings
        if not listen:
            self._notify(None)
            self.stop()
            return
        host, port = listen[0][:2]
        proxy_origin = origin("http", host, port)
        path = urlsplit(settings.upstream).path if settings.upstream else ""
        control = self.addon.control.url if self.addon.control else None
        self.info = ProxyInfo(origin=proxy_origin, url=proxy_origin + path, control_url=control)
        assert self._loop is not None
        if settings.duration_s is not None:
            self._loop.call_later(settings.duration_s, self.stop)
        self._arm_idle()
        self._notify(self.info)

    def _notify(self, info: ProxyInfo | None) -> None:
        for callback in self._ready_callbacks:
            callback(info)

    def _arm_idle(self) -> None:
        if self.settings.until_idle_s is None or self._loop is None:
            return
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self._loop.call_later(self.settings.until_idle_s, self.stop)

    def _seen(self, line: str | None) -> None:
        self._arm_idle()  # the event loop's thread: the recorder hook runs there
        if self._on_flow is not None:
            self._on_flow(line)
        elif line is not None:
            log.info("%s", line)


async def _close(proxy: Any) -> None:
    """Stop listening and close every open connection. mitmdump leaves that to the process's
    exit; in-process (a test, the fixture) they would leak, still connected to the upstream."""
    server = proxy.addons.get("proxyserver")
    if server is None:
        return
    await server.servers.update([])
    tasks = [
        io.handler
        for connection in list(server.connections.values())
        for io in connection.transports.values()
        if io.handler is not None
    ]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=5)


class _Ready:
    """Tells the run where mitmproxy listens, once its servers are up."""

    def __init__(self, run: ProxyRun) -> None:
        self.run = run

    def running(self) -> None:
        from mitmproxy import ctx

        server = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
        self.run._started(server.listen_addrs() if server is not None else [])


class ProxyThread:
    """A ProxyRun on its own thread and event loop (the fixture; tests)."""

    def __init__(self, settings: ProxySettings, on_flow: OnFlow | None = None) -> None:
        self.run = ProxyRun(settings, on_flow)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="mcp-proxy", daemon=True)
        self.run.on_ready(lambda _: self._ready.set())

    def start(self) -> ProxyInfo:
        self._thread.start()
        if not self._ready.wait(READY_TIMEOUT_S) or self.run.info is None:
            self._thread.join(timeout=5)
            raise TargetError(f"the proxy did not start: {self._failure or 'no listener'}")
        return self.run.info

    def stop(self) -> Report:
        self.run.stop()
        self._thread.join(timeout=30)
        if self.run.report is None:
            raise TargetError(f"the proxy did not stop cleanly: {self._failure}")
        return self.run.report

    def _main(self) -> None:
        try:
            asyncio.run(self.run.run())
        except BaseException as exc:  # reported by start()/stop() in the caller's thread
            self._failure = exc
            self._ready.set()
