"""Fixtures for the client tests: a real uvicorn server on 127.0.0.1:0, and an HttpClient.

The socket is bound and listening before the server thread starts, so requests queue in the
backlog until uvicorn accepts them: no readiness polling, no sleeps.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import uvicorn
from starlette.types import ASGIApp

from harness.egress import EgressPolicy
from harness.http import HttpClient
from harness.redact import SecretVault


class LiveServer:
    """One ASGI app served by uvicorn in a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        config = uvicorn.Config(
            app, lifespan="off", ws="none", log_level="warning", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def start(self) -> str:
        self.thread.start()
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def serve() -> Iterator[Callable[[ASGIApp], str]]:
    """`serve(app)` starts `app` and returns its base URL; every server stops after the test."""
    servers: list[LiveServer] = []

    def start(app: ASGIApp) -> str:
        server = LiveServer(app)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    async with HttpClient(vault=SecretVault(), policy=EgressPolicy(allow_loopback=True)) as client:
        yield client
