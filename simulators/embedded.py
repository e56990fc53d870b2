"""The reference server wired for every check, and the configuration that tells the harness so.

The checks that need more than one credential need what a real deployment would configure: a
second resource of the same authorization server (`[target].other_resource`), a second user
(`[login.second_user]`), a privileged tool the narrow token lacks (`[[tools]]`) and an upstream
canary the server's upstream URL points at. The embedded default (`run` without a target) and the
self-test pairs both start the reference this way, so no check skips for want of configuration.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from harness.config import Config, ToolConfig, UpstreamCanary, UserCredentials
from simulators.reference import USERS, ReferenceConfig, ReferenceServer

UPSTREAM_PATH = "/v1/sync"
SECOND_USER = "bob"
PRIVILEGED = ToolConfig(name="delete_note", requires=("notes:write",), arguments={"id": "1"})
UPSTREAM_TOOL = ToolConfig(name="fetch_upstream")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def full_config(server: ReferenceServer, canary_port: int, base: Config) -> Config:
    """`base` plus everything the reference offers: other resource, second user, privileged tool
    and upstream canary."""
    second = UserCredentials(username=SECOND_USER, password=USERS[SECOND_USER])
    return replace(
        base,
        other_resource=server.other_mcp_url,
        login=replace(base.login, second_user=second),
        tools=(PRIVILEGED,),
        upstream_canary=UpstreamCanary(port=canary_port, tool=UPSTREAM_TOOL),
    )


@contextmanager
def full_reference(
    reference: ReferenceConfig, base: Config
) -> Iterator[tuple[ReferenceServer, Config]]:
    """A running reference server (`reference`, its upstream pointed at a canary port picked free
    now: the server must know its upstream URL before the harness listens there) and the
    configuration that exercises all of it."""
    port = free_port()
    upstream = f"http://127.0.0.1:{port}{UPSTREAM_PATH}"
    with ReferenceServer(replace(reference, upstream_url=upstream)) as server:
        yield server, full_config(server, port, base)
