"""The control API: faults added, listed and removed while traffic flows (loopback only).

    GET    /faults             the active faults with their counters (?all=1: removed ones too)
    POST   /faults             {"spec": "expire-token:after=3,rpc=tools/call"} → 201 the fault
    DELETE /faults/<id>        remove one → 204 (404 if there is no such active fault)
    DELETE /faults             remove all → 200 {"removed": n}
    GET    /exchanges          the recorded (redacted) exchanges; ?since=N skips the first N
    GET    /health             200 {"flows": n}

It listens on 127.0.0.1 only, in its own thread: it touches the FaultSet (locked) and the
recording (append-only), never the proxy's event loop. Loopback is not enough against a web page
in the user's browser (CSRF, DNS rebinding): every request must name 127.0.0.1, localhost or
[::1] with this port as its Host and carry no Origin, and POST must be application/json (a form
or text/plain POST needs no CORS preflight).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from harness.errors import ConfigError
from harness.exchange import Exchange
from harness.proxy.faults import FaultSet, parse_fault

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


class ControlServer:
    def __init__(
        self, faults: FaultSet, exchanges: Callable[[], Sequence[Exchange]], port: int = 0
    ) -> None:
        handler: type[_Handler] = type(
            "_Handler", (_Handler,), {"faults": faults, "exchanges": staticmethod(exchanges)}
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        handler.port = int(self._server.server_address[1])
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="mcp-proxy-control", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()
        log.info("mcp proxy control API on %s", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    faults: FaultSet
    exchanges: Callable[[], Sequence[Exchange]]
    port: int  # set once the server is bound
    server_version = "mcp-auth-harness-proxy-control"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("control: %s", format % args)

    def _refused(self) -> bool:
        """Answer 403 (or 415) to a request a browser page could have sent; True if refused."""
        port = self.port
        hosts = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
        if (self.headers.get("host") or "").strip().lower() not in hosts:
            self._send(403, {"error": f"Host must be 127.0.0.1:{port} (or localhost, [::1])"})
        elif self.headers.get("origin") is not None:
            self._send(403, {"error": "requests from web pages (with an Origin) are refused"})
        elif self.command == "POST" and _media_type(self.headers) != "application/json":
            self._send(415, {"error": "POST needs Content-Type: application/json"})
        else:
            return False
        return True

    def do_GET(self) -> None:
        if self._refused():
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/faults":
            self._send(200, self.faults.snapshot(include_removed="all" in query))
        elif url.path == "/exchanges":
            since = int(query.get("since", ["0"])[0] or 0)
            self._send(200, [e.to_json() for e in list(self.exchanges())[since:]])
        elif url.path == "/health":
            self._send(200, {"flows": len(self.exchanges())})
        else:
            self._send(404, {"error": f"no {url.path}; see GET /faults, /exchanges"})

    def do_POST(self) -> None:
        if self._refused():
            return
        if urlsplit(self.path).path != "/faults":
            self._send(404, {"error": "POST /faults only"})
            return
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            self._send(413, {"error": "body too large"})
            return
        raw = self.rfile.read(length).decode("utf-8", "replace")
        try:
            document = json.loads(raw)
            spec = parse_fault(str(document["spec"]))
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": f"expected {{'spec': 'KIND:KEY=VALUE,...'}}: {exc}"})
            return
        except ConfigError as exc:
            self._send(400, {"error": str(exc)})
            return
        self._send(201, self.faults.add(spec).to_json())

    def do_DELETE(self) -> None:
        if self._refused():
            return
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/faults":
            self._send(200, {"removed": self.faults.clear()})
            return
        ident = path.removeprefix("/faults/")
        if path.startswith("/faults/") and ident.isdigit() and self.faults.remove(int(ident)):
            self._send(204, None)
        else:
            self._send(404, {"error": f"no active fault at {path}"})

    def _send(self, status: int, document: object) -> None:
        body = b"" if document is None else json.dumps(document).encode()
        self.send_response(status)
        if body:
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _media_type(headers: Message) -> str:
    return (headers.get("content-type") or "").split(";")[0].strip().lower()
