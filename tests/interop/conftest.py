"""Process fixtures for the interop tests: third-party MCP servers on loopback ports.

Each server runs in its own process group (killed as a whole at teardown). Readiness is read
from the server's own stdout, which a thread keeps draining for the server's whole life, so a
chatty server never blocks on a full pipe.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTEROP = ROOT / "interop"
LOOPBACK_PRELOAD = INTEROP / "loopback-only.cjs"
TS_EXAMPLE = (
    INTEROP
    / "node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js"
)
PY_SERVER = INTEROP / "python_sdk_server.py"
OIDC_SERVER = INTEROP / "oidc_provider_server.mjs"
OIDC_PACKAGE = INTEROP / "node_modules/oidc-provider/package.json"

READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
LOG_LINES = 200  # the tail kept for startup diagnostics
# The Python SDK server's access tokens live this long, so rs.expired really runs: with the
# default [tokens] hints it waits ttl + 5 s leeway, which must stay within 15 s.
PY_ACCESS_TTL_S = 8
# oidc-provider's JWT access tokens live this long, for the same reason (rs.expired waits for exp).
OIDC_ACCESS_TTL_S = 8

# A readiness predicate sees every line printed so far; it answers the MCP URL once ready.
Ready = Callable[[list[str]], str | None]


@dataclass(frozen=True)
class RunningServer:
    name: str
    mcp_url: str
    variant: str = ""


class ServerProcess:
    """A server subprocess whose stdout (and stderr) is drained into a bounded tail."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], ready: Ready) -> None:
        self.name = name
        self._ready = ready
        self._lines: list[str] = []  # until ready; afterwards only the bounded tail grows
        self._tail: deque[str] = deque(maxlen=LOG_LINES)
        self._url: str | None = None
        self._settled = threading.Event()  # ready, or the output ended
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv of a trusted test server
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._drain, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._tail.append(line.rstrip("\n"))
            if self._url is None:
                self._lines.append(line.rstrip("\n"))
                self._url = self._ready(self._lines)
                if self._url is not None:
                    self._lines.clear()
                    self._settled.set()
        self._settled.set()

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> str:
        output_ended_or_ready = self._settled.wait(timeout_s)
        if self._url is None:
            state = f"not ready after {timeout_s:.0f} s"
            if output_ended_or_ready:
                try:
                    state = f"exited with status {self._proc.wait(timeout=STOP_TIMEOUT_S)}"
                except subprocess.TimeoutExpired:
                    state = "closed its output without saying it is ready"
            tail = "\n".join(list(self._tail)[-40:])
            raise RuntimeError(f"{self.name} {state}; its output ends with:\n{tail}")
        return self._url

    def stop(self) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left of it."""
        with suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=STOP_TIMEOUT_S)
        with suppress(ProcessLookupError):  # a lingering leader, or a straggler of its group
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(timeout=STOP_TIMEOUT_S)
        self._reader.join(timeout=STOP_TIMEOUT_S)
        if self._proc.stdout is not None and not self._reader.is_alive():
            self._proc.stdout.close()


@contextmanager
def running(
    name: str, argv: list[str], ready: Ready, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Start a server, wait (bounded) until it says it is ready, yield its MCP URL, stop it."""
    with ExitStack() as stack:
        server = ServerProcess(name, argv, {**os.environ, **(env or {})}, ready)
        stack.callback(server.stop)
        yield server.wait_ready()


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held together while choosing, so they never repeat)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


# --- the TypeScript SDK example server ---------------------------------------------------------

TS_VARIANTS = {"oauth": ["--oauth"], "oauth-strict": ["--oauth", "--oauth-strict"]}


def _ts_ready(mcp_port: int) -> Ready:
    def ready(lines: list[str]) -> str | None:
        listening = sum("listening on port" in line for line in lines)
        # the URL the server advertises in its PRM (`localhost`, not 127.0.0.1)
        return f"http://localhost:{mcp_port}/mcp" if listening >= 2 else None

    return ready


@pytest.fixture(params=sorted(TS_VARIANTS))
def ts_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """The official TypeScript SDK example server with its demo OAuth provider."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Node 20+ runs the TypeScript SDK example server)")
    if not TS_EXAMPLE.is_file():
        pytest.skip("interop/node_modules is missing: run interop/setup.sh")
    variant: str = request.param
    mcp_port, auth_port = free_ports(2)
    argv = [node, "--require", str(LOOPBACK_PRELOAD), str(TS_EXAMPLE), *TS_VARIANTS[variant]]
    env = {"MCP_PORT": str(mcp_port), "MCP_AUTH_PORT": str(auth_port)}
    name = f"typescript-sdk-example[{variant}]"
    with running(name, argv, _ts_ready(mcp_port), env) as url:
        yield RunningServer(name=name, mcp_url=url, variant=variant)


# --- the Python SDK server (interop/python_sdk_server.py) ---------------------------------------


def _py_ready(lines: list[str]) -> str | None:
    last = lines[-1]
    return last.split()[1] if last.startswith("READY ") else None


@pytest.fixture
def python_sdk_server() -> Iterator[RunningServer]:
    """`interop/python_sdk_server.py`: `mcp.server.auth` with an in-memory provider."""
    if importlib.util.find_spec("mcp") is None:
        pytest.skip("the `mcp` package is not installed (pip install mcp==2.3.0)")
    # --port 0: the server binds a free port itself and reports it, so no port can be taken
    # between choosing and binding it.
    argv = [sys.executable, str(PY_SERVER), "--port", "0", "--access-ttl", str(PY_ACCESS_TTL_S)]
    name = "python-sdk-server"
    with running(name, argv, _py_ready) as url:
        yield RunningServer(name=name, mcp_url=url)


# --- oidc-provider behind the TypeScript SDK's resource server (interop/oidc_provider_server.mjs) -


def _oidc_ready(lines: list[str]) -> str | None:
    last = lines[-1]
    return last.split()[1] if last.startswith("READY ") else None


@pytest.fixture
def oidc_provider_server() -> Iterator[RunningServer]:
    """npm `oidc-provider` (dev interactions: login and consent forms) as the authorization
    server of an MCP resource server built from the TypeScript SDK's server pieces."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Node 20+ runs oidc-provider)")
    if not OIDC_PACKAGE.is_file():
        pytest.skip("interop/node_modules lacks oidc-provider: run interop/setup.sh")
    argv = [
        node,
        "--require",
        str(LOOPBACK_PRELOAD),
        str(OIDC_SERVER),
        "--access-ttl",
        str(OIDC_ACCESS_TTL_S),
    ]
    name = "oidc-provider"
    with running(name, argv, _oidc_ready) as url:
        yield RunningServer(name=name, mcp_url=url)


# --- a deliberately busy CPU -------------------------------------------------------------------

BUSY_LOOPS = 2  # one per core of the CI machine: the harness and the servers compete for time


@pytest.fixture
def busy_cpu() -> Iterator[int]:
    """`BUSY_LOOPS` processes spinning for the test's duration (killed at teardown)."""
    loops: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(BUSY_LOOPS):
            loops.append(
                subprocess.Popen(
                    [sys.executable, "-c", "while True: pass"],
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        yield len(loops)
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait(timeout=STOP_TIMEOUT_S)
