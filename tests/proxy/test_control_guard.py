"""The control API refuses what a web page in the user's browser could send it (CSRF, DNS
rebinding): a foreign Host, any Origin, a POST that is not application/json."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from harness.proxy.control import ControlServer
from harness.proxy.faults import FaultSet, parse_fault

SPEC = json.dumps({"spec": "inject-prompt"})


@pytest.fixture
def control() -> Iterator[tuple[ControlServer, FaultSet]]:
    faults = FaultSet(seed=1)
    server = ControlServer(faults, list, 0)
    server.start()
    try:
        yield server, faults
    finally:
        server.stop()


def _send(
    server: ControlServer, method: str, headers: dict[str, str], body: str | None = None
) -> int:
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest(method, "/faults", skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        data = body.encode() if body is not None else b""
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        return connection.getresponse().status
    finally:
        connection.close()


def _host(server: ControlServer, name: str = "127.0.0.1") -> dict[str, str]:
    return {"Host": f"{name}:{server.url.rsplit(':', 1)[1]}"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),  # a form/text POST needs no CORS preflight
        ({}, 415),
        ({"Content-Type": "application/json", "Origin": "http://evil.example"}, 403),
        ({"Content-Type": "application/json", "Origin": "null"}, 403),
    ],
)
def test_post_a_page_could_send_is_refused(
    control: tuple[ControlServer, FaultSet], headers: dict[str, str], status: int
) -> None:
    server, faults = control
    assert _send(server, "POST", {**_host(server), **headers}, SPEC) == status
    assert faults.snapshot() == []


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1", "127.0.0.1:1", None])
def test_foreign_host_is_refused_on_every_method(
    control: tuple[ControlServer, FaultSet], host: str | None
) -> None:
    """DNS rebinding: the page's own name reaches 127.0.0.1 but says so in Host."""
    server, faults = control
    port = server.url.rsplit(":", 1)[1]
    headers = {} if host is None else {"Host": host.format(port=port)}
    json_headers = {**headers, "Content-Type": "application/json"}
    assert _send(server, "POST", json_headers, SPEC) == 403
    assert _send(server, "GET", headers) == 403
    faults.add(parse_fault("reset"))
    assert _send(server, "DELETE", headers) == 403
    assert len(faults.snapshot()) == 1


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])
def test_loopback_json_post_is_accepted(control: tuple[ControlServer, FaultSet], name: str) -> None:
    server, faults = control
    headers = {**_host(server, name), "Content-Type": "application/json; charset=utf-8"}
    assert _send(server, "POST", headers, SPEC) == 201
    assert [f["spec"] for f in faults.snapshot()] == ["inject-prompt"]
    assert _send(server, "GET", _host(server, name)) == 200
    assert _send(server, "DELETE", _host(server, name)) == 200
