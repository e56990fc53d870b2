"""Running the reference target: sockets bound up front, uvicorn on a background event loop.

The listening sockets exist before `__enter__` returns, so the URLs are final and connectable at
once: nobody waits, sleeps or polls for readiness.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import Final

import uvicorn
from starlette.applications import Starlette

from simulators.reference.app import build_apps
from simulators.reference.authorization_server import AuthorizationService, ClientCredentials
from simulators.reference.config import ReferenceConfig
from simulators.reference.defects import Defect
from simulators.reference.desync import DesyncFront, Framing
from simulators.reference.models import PUBLIC_CLIENT, AuthMethod
from simulators.reference.state import ReferenceState
from simulators.reference.urls import ReferenceUrls

logger = logging.getLogger(__name__)

STOP_TIMEOUT: Final = 10.0
_DEFAULT_CONFIG: Final = ReferenceConfig()
_MAX_HEADER_BYTES: Final = 256 * 1024  # let a 64 KB token reach the app and get a clean 401


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket; explicit IPPROTO_TCP so asyncio turns Nagle off per connection
    (with proto 0 it doesn't, and every small response then waits ~40 ms for a delayed ACK)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if hasattr(socket, "SO_REUSEADDR") and sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _origin(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ReferenceServer:
    """The reference MCP server and its authorization server, on loopback.

    Use as a context manager (`with` or `async with`); `mcp_url`, `other_mcp_url`, `issuer` and
    `urls` are available once entered. `state` is available at once.
    """

    def __init__(
        self, config: ReferenceConfig = _DEFAULT_CONFIG, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(
                f"The reference target serves plain HTTP and must bind a loopback host, "
                f"not {host!r}; use 127.0.0.1, ::1 or localhost."
            )
        self.config = config
        self.state = ReferenceState()
        self._host = host
        self._port = port
        self._urls: ReferenceUrls | None = None
        self._sockets: list[socket.socket] = []
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._authorization: AuthorizationService | None = None
        self._failure: BaseException | None = None

    # --- URLs -------------------------------------------------------------------------------

    @property
    def urls(self) -> ReferenceUrls:
        if self._urls is None:
            raise RuntimeError("ReferenceServer is not started; use it as a context manager.")
        return self._urls

    @property
    def mcp_url(self) -> str:
        return self.urls.main.url

    @property
    def other_mcp_url(self) -> str:
        return self.urls.other.url

    @property
    def issuer(self) -> str:
        return self.urls.issuer

    @property
    def prm_url(self) -> str:
        return self.urls.main.prm_url

    def register_client(
        self,
        redirect_uris: Sequence[str],
        *,
        token_endpoint_auth_method: AuthMethod = PUBLIC_CLIENT,
        scope: str | None = None,
    ) -> ClientCredentials:
        """Pre-register a client (no DCR), e.g. for a `[client]` section in a harness config."""
        if self._authorization is None:
            raise RuntimeError("ReferenceServer is not started; use it as a context manager.")
        return self._authorization.preregister(
            redirect_uris=redirect_uris,
            token_endpoint_auth_method=token_endpoint_auth_method,
            scope=scope,
        )

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("ReferenceServer is already started.")
        # authlib logs whole token responses at DEBUG; tokens must never reach a log
        authlib_logger = logging.getLogger("authlib")
        if authlib_logger.getEffectiveLevel() < logging.INFO:
            authlib_logger.setLevel(logging.INFO)
        rs_sock = _listen(self._host, self._port)
        self._sockets = [rs_sock]
        try:
            as_sock = _listen(self._host, 0) if self.config.separate_as else rs_sock
            if as_sock is not rs_sock:
                self._sockets.append(as_sock)
            self._urls = ReferenceUrls.build(
                rs_origin=_origin(self._host, rs_sock),
                as_origin=_origin(self._host, as_sock),
                config=self.config,
            )
            apps = build_apps(self.config, self._urls, self.state)
            self._authorization = apps.authorization
        except BaseException:
            for sock in self._sockets:
                sock.close()
            raise
        served: list[tuple[Starlette, socket.socket]] = [(apps.resource_server, rs_sock)]
        if apps.authorization_server is not None:
            served.append((apps.authorization_server, as_sock))
        front = self._desync_front(served)
        self._servers = [uvicorn.Server(self._uvicorn_config(app)) for app, _ in served]
        pairs = list(zip(self._servers, [sock for _, sock in served], strict=True))
        self._thread = threading.Thread(
            target=self._run, args=(pairs, front), name="reference-server", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _uvicorn_config(app: Starlette) -> uvicorn.Config:
        return uvicorn.Config(
            app,
            access_log=False,  # URLs carry codes and states
            log_level="warning",
            log_config=None,  # leave the host application's logging alone
            lifespan="off",
            http="h11",
            ws="none",
            h11_max_incomplete_event_size=_MAX_HEADER_BYTES,
            timeout_graceful_shutdown=2,
        )

    def _desync_front(self, served: list[tuple[Starlette, socket.socket]]) -> DesyncFront | None:
        """With `connection-desync` or `content-length-chars`, the public socket is served by a
        raw front and uvicorn moves behind it to an internal loopback socket (see
        `simulators.reference.desync`)."""
        if self.config.has(Defect.CONNECTION_DESYNC):
            framing: Framing = "unread-body"
        elif self.config.has(Defect.CONTENT_LENGTH_CHARS):
            framing = "length-in-chars"
        else:
            return None
        app, public = served[0]
        inner = _listen(self._host, 0)
        self._sockets.append(inner)
        served[0] = (app, inner)
        return DesyncFront(
            listen=public, backend=inner, mcp_path=self.config.mcp_path, framing=framing
        )

    def _run(
        self, pairs: list[tuple[uvicorn.Server, socket.socket]], front: DesyncFront | None
    ) -> None:
        async def serve_all() -> None:
            fronting = asyncio.ensure_future(front.serve()) if front else None
            try:
                await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in pairs))
            finally:
                if fronting is not None:
                    fronting.cancel()
                    await asyncio.gather(fronting, return_exceptions=True)

        try:
            asyncio.run(serve_all())
        except BaseException as exc:  # reported by stop(), never swallowed
            self._failure = exc

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        for server in self._servers:
            server.should_exit = True
        thread.join(timeout)
        for sock in self._sockets:
            sock.close()
        if thread.is_alive():
            logger.warning("reference server thread did not stop within %.1f s", timeout)
        if self._failure is not None:
            raise RuntimeError("The reference server crashed.") from self._failure

    def __enter__(self) -> ReferenceServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> ReferenceServer:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


class _StopServing(Exception):
    """Raised by the SIGTERM handler to leave `serve_forever`."""


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _StopServing


def serve_forever(
    config: ReferenceConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[ReferenceServer], None] | None = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM (signals are only handled on the main thread)."""
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stop) if on_main_thread else None
    try:
        with ReferenceServer(config, host, port) as server:
            try:
                if on_ready is not None:
                    on_ready(server)
                threading.Event().wait()
            except (KeyboardInterrupt, _StopServing):
                logger.info("reference server stopping")
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)
