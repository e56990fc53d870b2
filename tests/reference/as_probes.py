"""Probes for the authorization-server defects added with the AS suite (registration, CIMD,
iss, implicit, PKCE downgrade, token errors, refresh), and the server groups they run in.

Kept apart from `test_reference_defects.py`, which merges them into its tables.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from simulators.reference import Defect, ReferenceConfig

from .driver import REDIRECT_URI, Driver, Registered, pkce_pair, query_of

D = Defect
Probe = Callable[[Driver], bool]


@contextmanager
def document_host(documents: Mapping[str, object]) -> Iterator[str]:
    """Serve JSON documents on 127.0.0.1:0 (a client's metadata documents); yields the origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents[self.path]).encode() if self.path in documents else b"{}"
            self.send_response(200 if self.path in documents else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _cimd_mismatch_accepted(d: Driver) -> bool:
    path = "/client.json"
    documents: dict[str, object] = {}
    with document_host(documents) as origin:
        documents[path] = {"client_id": origin + "/other.json", "redirect_uris": [REDIRECT_URI]}
        _, challenge = pkce_pair()
        client = Registered(origin + path, None, REDIRECT_URI)  # no registration: the URL is the id
        response = d.authorize(client, code_challenge=challenge, code_challenge_method="S256")
    return "code" in query_of(response)


def _authorize_query(d: Driver, **params: str | None) -> dict[str, str]:
    _, challenge = pkce_pair()
    sent: dict[str, str | None] = {"code_challenge": challenge, "code_challenge_method": "S256"}
    return query_of(d.authorize(d.client(), **(sent | params)))


def _implicit_token(d: Driver) -> bool:
    response = d.authorize(d.client(), response_type="token")
    fragment = urlsplit(response.headers.get("location", "")).fragment
    return "access_token" in parse_qs(fragment)


def _downgrade(d: Driver) -> bool:
    code = _authorize_query(d, code_challenge=None, code_challenge_method=None).get("code")
    if code is None:
        return False
    verifier, _ = pkce_pair()
    return d.redeem(d.client(), code, verifier).status_code == 200


def _token_error_not_json(d: Driver) -> bool:
    response = d.token(grant_type="authorization_code", code="nope", client_id=d.client().client_id)
    return "json" not in response.headers.get("content-type", "")


def _chosen_method_unnamed(d: Driver) -> bool:
    """Registered without token_endpoint_auth_method: a secret, but no method named."""
    body = {"redirect_uris": ["https://client.example/cb"], "client_name": "reference-tests"}
    data = d.http.post(d.server.urls.as_url("register"), json=body).json()
    return "client_secret" in data and "token_endpoint_auth_method" not in data


def _early_error_redirected(d: Driver) -> bool:
    """An unregistered redirect_uri without PKCE: the missing challenge's error goes there."""
    evil = "http://127.0.0.1:1/evil"
    response = d.authorize(d.client(), redirect_uri=evil)
    return response.headers.get("location", "").startswith(evil)


def _refresh(d: Driver, refresh_token: str, client_id: str | None = None) -> dict[str, str]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    form |= {"client_id": client_id or d.client().client_id, "resource": d.server.mcp_url}
    data: dict[str, str] = d.token(**form).json()
    return data


def _refreshed_token_refused(d: Driver) -> bool:
    new = _refresh(d, d.tokens()["refresh_token"])["access_token"]
    return d.rpc("initialize", {}, token=new).status_code != 200


def _reuse_accepted_at_once(d: Driver) -> bool:
    old = d.tokens()["refresh_token"]
    _refresh(d, old)
    return "access_token" in _refresh(d, old)


def _other_client_refreshes(d: Driver) -> bool:
    thief = d.register().json()["client_id"]
    return "access_token" in _refresh(d, d.tokens()["refresh_token"], client_id=thief)


AS_PROBES: dict[Defect, Probe] = {
    D.DCR_LOOPBACK_REFUSED: lambda d: d.register().status_code != 201,
    D.DCR_AUTH_METHOD_NOT_ECHOED: lambda d: "token_endpoint_auth_method" not in d.register().json(),
    D.CIMD_CLIENT_ID_NOT_CHECKED: _cimd_mismatch_accepted,
    D.AUTHZ_ISS_MISSING: lambda d: "iss" not in _authorize_query(d),
    D.IMPLICIT_GRANT_ACCEPTED: _implicit_token,
    D.PKCE_DOWNGRADE: _downgrade,
    D.TOKEN_ERROR_NOT_JSON: _token_error_not_json,
    D.REFRESH_LOSES_AUDIENCE: _refreshed_token_refused,
    D.REFRESH_REUSE_GRACE: _reuse_accepted_at_once,
    D.REFRESH_NOT_BOUND_TO_CLIENT: _other_client_refreshes,
    D.DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED: _chosen_method_unnamed,
    D.ERROR_REDIRECT_BEFORE_URI_CHECK: _early_error_redirected,
}

# DCR_LOOPBACK_REFUSED breaks the driver's own registration: its group's other probe needs none
AS_GROUPS: list[tuple[ReferenceConfig, frozenset[Defect]]] = [
    (
        ReferenceConfig(),
        frozenset({D.DCR_AUTH_METHOD_NOT_ECHOED, D.AUTHZ_ISS_MISSING, D.IMPLICIT_GRANT_ACCEPTED})
        | {D.PKCE_DOWNGRADE, D.TOKEN_ERROR_NOT_JSON, D.REFRESH_LOSES_AUDIENCE}
        | {D.REFRESH_REUSE_GRACE, D.REFRESH_NOT_BOUND_TO_CLIENT, D.ERROR_REDIRECT_BEFORE_URI_CHECK},
    ),
    (
        ReferenceConfig(),
        frozenset({D.DCR_LOOPBACK_REFUSED, D.CIMD_CLIENT_ID_NOT_CHECKED})
        | {D.DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED},
    ),
]
