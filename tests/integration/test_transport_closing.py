"""A server that closes every connection after its answer, without `Connection: close`, is not
desynchronised (RFC 9112 §9.5: it may close at any time): `http.connection-reuse` passes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from harness.config import Config
from harness.results import Verdict
from harness.session import HarnessSession

ANSWER = (
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
    b'WWW-Authenticate: Bearer resource_metadata="http://127.0.0.1:1/x"\r\n\r\n{}'
)


def _answer_and_close(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        conn.sendall(ANSWER)  # and close, unannounced, with the body perhaps unread


@contextmanager
def closing_server() -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was shut down: the test is over
                return
            _answer_and_close(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/mcp"
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)


def test_a_server_that_closes_every_connection_is_not_desynchronised() -> None:
    with closing_server() as url:
        session = HarnessSession(
            target_url=url, config=Config(), selected=frozenset({("http.connection-reuse", None)})
        )
        session.run()
    result = session.result("http.connection-reuse")
    assert result.verdict is Verdict.PASS, result.message
    assert "closed the" in result.message
