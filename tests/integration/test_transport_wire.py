"""The `connection-desync` defect on the wire: raw sockets, no HTTP library in between."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from simulators.reference.__main__ import _config, build_parser, main

BODY = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}).encode()


def _post(path: str, host: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str]]:
    """One response (status line, headers, a Content-Length body) from a blocking socket."""
    status, headers, _ = _read_framed(sock)
    return status, headers


def _read_framed(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """`_read_response`, and the bytes that came after the declared body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a full response head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        rest += chunk
    return int(status_line.split(" ")[1]), headers, rest[length:]


def _two_posts(server: ReferenceServer) -> list[tuple[int, dict[str, str]]]:
    url = urlsplit(server.mcp_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(_post(url.path, url.netloc))
        first = _read_response(sock)
        sock.sendall(_post(url.path, url.netloc))
        return [first, _read_response(sock)]


@pytest.mark.parametrize(
    ("defects", "second_status"),
    [(frozenset(), 401), (frozenset({Defect.CONNECTION_DESYNC}), 400)],
    ids=["correct", "connection-desync"],
)
def test_unread_body_corrupts_the_next_request(
    defects: frozenset[Defect], second_status: int
) -> None:
    with ReferenceServer(ReferenceConfig(defects=defects)) as server:
        (status, headers), (again, again_headers) = _two_posts(server)
    assert status == 401
    assert "resource_metadata=" in headers["www-authenticate"], "the proper challenge"
    assert headers.get("connection", "keep-alive") != "close", "the connection stays open"
    assert again == second_status
    if again == 400:
        assert again_headers["content-type"] == "text/html"


def test_desync_front_relays_everything_else() -> None:
    config = ReferenceConfig(defects=frozenset({Defect.CONNECTION_DESYNC}))
    with ReferenceServer(config) as server:
        url = urlsplit(server.prm_url)
        with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
            for _ in range(2):  # and the connection stays usable
                sock.sendall(f"GET {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
                status, headers = _read_response(sock)
                assert status == 200
                assert headers["content-type"] == "application/json"


def test_serve_reference_offers_the_defect(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-defects"]) == 0
    assert "connection-desync" in capsys.readouterr().out
    args = build_parser().parse_args(["--defect", "connection-desync"])
    assert _config(args).has(Defect.CONNECTION_DESYNC)


def test_content_length_in_characters_leaves_bytes_on_the_connection() -> None:
    config = ReferenceConfig(defects=frozenset({Defect.CONTENT_LENGTH_CHARS}))
    with ReferenceServer(config) as server:
        url = urlsplit(server.mcp_url)
        with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
            sock.sendall(_post(url.path, url.netloc))
            status, headers, extra = _read_framed(sock)
            while not extra.endswith(b"}"):  # the rest of that answer, written with it
                chunk = sock.recv(65536)
                assert chunk, "the connection stays open"
                extra += chunk
            sock.sendall(_post(url.path, url.netloc))
            next_bytes = sock.recv(65536)
    assert status == 401
    assert "resource_metadata=" in headers["www-authenticate"]
    assert extra == b'"}', "an en dash is 3 bytes in UTF-8: 2 bytes more than its 1 character"
    assert next_bytes.startswith(b"HTTP/1.1 401"), "the next answer itself is fine"
