"""The MCP resource server: Streamable HTTP with hand-rolled JSON-RPC 2.0.

Order per request: authenticate (every verb), then check Origin, then the session, then the
method. Supports the session-based 2025 revisions and the stateless 2026-07-28 revision.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable, Coroutine
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulators.reference.bearer import BearerValidator, Principal, Rejection
from simulators.reference.challenge import insufficient_scope, unauthorized
from simulators.reference.config import ReferenceConfig
from simulators.reference.defects import Defect
from simulators.reference.models import McpSession, token_digest
from simulators.reference.redirects import LOOPBACK_HOSTS
from simulators.reference.state import ReferenceState
from simulators.reference.tools import TOOLS, Caller, ToolContext
from simulators.reference.upstream import UpstreamApi
from simulators.reference.urls import ReferenceUrls, ResourceUrls

SESSION_VERSIONS: Final = ("2025-03-26", "2025-06-18", "2025-11-25")
STATELESS_VERSION: Final = "2026-07-28"
LATEST_SESSION_VERSION: Final = "2025-11-25"
SERVER_NAME: Final = "mcp-auth-harness-reference"
SERVER_VERSION: Final = "0.1.0"
ALL_METHODS: Final = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")
MAX_BODY_BYTES: Final = 1 << 20


def _rpc_error(rpc_id: object, code: int, message: str, status: int) -> JSONResponse:
    body = {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status)


class McpServer:
    def __init__(
        self,
        *,
        config: ReferenceConfig,
        urls: ReferenceUrls,
        state: ReferenceState,
        validator: BearerValidator,
    ) -> None:
        self._config = config
        self._urls = urls
        self._state = state
        self._sessions = state.oauth.sessions
        self._validator = validator
        self._upstream = (
            UpstreamApi(
                urljoin(urls.rs_origin, config.upstream_url),
                forward_client_token=config.has(Defect.TOKEN_PASSTHROUGH),
            )
            if config.upstream_url
            else None
        )
        self._session_tokens: dict[str, str] = {}  # session id -> token digest (pending defect)
        self._sessions_minted = 0

    def routes(self) -> list[Route]:
        routes = [
            Route(r.path, self._endpoint(r), methods=list(ALL_METHODS))
            for r in self._urls.resources
        ]
        upstream = self._config.upstream_url
        if upstream and upstream.startswith("/"):  # a relative URL: the built-in mock upstream
            routes.append(Route(urlsplit(upstream).path, self._mock_upstream, methods=["GET"]))
        return routes

    async def _mock_upstream(self, request: Request) -> Response:
        """The upstream API itself: notes which bearer token arrived (as a digest)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            self._state.record_upstream_received(token_digest(token.strip()))
        return JSONResponse({"status": "synced"})

    def _endpoint(
        self, resource: ResourceUrls
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._handle(request, resource)

        return endpoint

    async def _handle(self, request: Request, resource: ResourceUrls) -> Response:
        principal = self._authenticate(request, resource)
        if isinstance(principal, Response):
            return principal
        if not self._origin_allowed(request.headers.get("origin")):
            return JSONResponse({"error": "forbidden", "error_description": "Bad Origin."}, 403)
        if request.method == "POST":
            return await self._post(request, resource, principal)
        if request.method == "DELETE":
            return self._delete(request, resource, principal)
        # no standalone SSE stream: GET and anything else is not allowed
        return Response(status_code=405, headers={"Allow": "POST, DELETE"})

    # --- authentication and transport checks ------------------------------------------------

    def _authenticate(
        self, request: Request, resource: ResourceUrls
    ) -> Response | Principal | None:
        """The caller, None when a defect lets the request through unauthenticated, or a 401."""
        if self._config.has(Defect.UNAUTH_GET_ALLOWED) and request.method in {"GET", "DELETE"}:
            return None
        token = self._validator.extract(request.headers, request.query_params)
        if token is None:
            session = self._sessions.get(request.headers.get("mcp-session-id", ""))
            if (
                self._config.has(Defect.SESSION_AUTHENTICATES)
                and session is not None
                and session.resource == resource.url
            ):
                return Principal(
                    subject=session.subject, scopes=session.scopes, client_id=session.client_id
                )
            return unauthorized(self._config, resource, "missing")
        result = self._validator.validate(token, resource)
        if result is Rejection.CRASH:
            return PlainTextResponse("Internal Server Error", status_code=500)
        if isinstance(result, Rejection):
            return unauthorized(self._config, resource, "invalid")
        return result

    def _origin_allowed(self, origin: str | None) -> bool:
        """2025-11-25 transports: a foreign Origin (DNS rebinding) gets 403."""
        if origin is None or self._config.has(Defect.ORIGIN_NOT_VALIDATED):
            return True
        own = urlsplit(self._urls.rs_origin)
        try:
            parts = urlsplit(origin)
            same_port = parts.port == own.port
        except ValueError:
            return False
        if origin == self._urls.rs_origin:
            return True
        return (
            parts.scheme == own.scheme
            and same_port
            and parts.hostname in LOOPBACK_HOSTS
            and own.hostname in LOOPBACK_HOSTS
        )

    def _session(
        self, request: Request, resource: ResourceUrls, principal: Principal | None, rpc_id: object
    ) -> McpSession | Response:
        session_id = request.headers.get("mcp-session-id")
        if session_id is None:
            return _rpc_error(rpc_id, -32600, "Mcp-Session-Id header is required.", 400)
        session = self._sessions.get(session_id)
        if session is None or session.resource != resource.url:
            return _rpc_error(rpc_id, -32001, "Session not found.", 404)
        foreign = principal is not None and session.subject != principal.subject
        if foreign and not self._config.has(Defect.SESSION_NOT_BOUND):
            return _rpc_error(rpc_id, -32001, "Session not found.", 404)
        bound = self._session_tokens.get(session_id)
        if bound is not None and bound != token_digest(self._token(request)):
            return _rpc_error(rpc_id, -32001, "Session not found.", 404)
        return session

    def _token(self, request: Request) -> str:
        return self._validator.extract(request.headers, request.query_params) or ""

    def _new_session_id(self) -> str:
        self._sessions_minted += 1
        if self._config.has(Defect.WEAK_SESSION_ID):
            return str(self._sessions_minted)
        return secrets.token_urlsafe(32)

    # --- verbs --------------------------------------------------------------------------------

    def _delete(
        self, request: Request, resource: ResourceUrls, principal: Principal | None
    ) -> Response:
        session = self._session(request, resource, principal, None)
        if isinstance(session, Response):
            return session
        self._sessions.pop(session.session_id, None)
        self._session_tokens.pop(session.session_id, None)
        return Response(status_code=204)

    async def _post(
        self, request: Request, resource: ResourceUrls, principal: Principal | None
    ) -> Response:
        if principal is None:  # pragma: no cover - POST is always authenticated
            return unauthorized(self._config, resource, "missing")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _rpc_error(None, -32600, "Request too large.", 413)
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return _rpc_error(None, -32700, "Parse error.", 400)
        if not isinstance(message, dict):
            return _rpc_error(None, -32600, "Expected one JSON-RPC message object.", 400)
        version = request.headers.get("mcp-protocol-version")
        served: tuple[str, ...] = SESSION_VERSIONS
        if self._config.stateless_revision:
            served = (*served, STATELESS_VERSION)
        if version is not None and version not in served:
            return _rpc_error(message.get("id"), -32600, "Unsupported MCP-Protocol-Version.", 400)
        stateless = version == STATELESS_VERSION
        method, rpc_id = message.get("method"), message.get("id")
        if not isinstance(method, str):
            if "result" in message or "error" in message:
                return Response(status_code=202)  # a response to a server request: accepted
            return _rpc_error(rpc_id, -32600, "Invalid JSON-RPC message.", 400)
        if method == "initialize":
            if "id" not in message:
                return _rpc_error(None, -32600, "initialize must be a request with an id.", 400)
            return self._initialize(message, resource, principal, stateless, self._token(request))
        caller = principal
        if not stateless:
            session = self._session(request, resource, principal, rpc_id)
            if isinstance(session, Response):
                return session
            if session.subject != principal.subject:  # reached only with session-not-bound
                # the defect: the user context lives on the session, so B acts as A
                caller = dataclasses.replace(principal, subject=session.subject)
        if "id" not in message:
            return Response(status_code=202)  # notifications, e.g. notifications/initialized
        if method == "ping":
            return self._result(rpc_id, {})
        if method == "tools/list":
            tools = [t.describe() for t in TOOLS.values() if t.available(self._upstream)]
            return self._result(rpc_id, {"tools": tools})
        if method == "tools/call":
            return await self._call_tool(message, resource, caller, self._token(request))
        return self._error(rpc_id, -32601, f"Method not found: {method}")

    def _initialize(
        self,
        message: dict[str, Any],
        resource: ResourceUrls,
        principal: Principal,
        stateless: bool,
        token: str,
    ) -> Response:
        params = message.get("params")
        requested = params.get("protocolVersion") if isinstance(params, dict) else None
        version = requested if requested in SESSION_VERSIONS else LATEST_SESSION_VERSION
        result = {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": SERVER_NAME, "version": SERVER_VERSION},
        }
        headers: dict[str, str] = {}
        if not stateless:
            session = McpSession(
                session_id=self._new_session_id(),
                subject=principal.subject,
                client_id=principal.client_id,
                scopes=principal.scopes,
                resource=resource.url,
                protocol_version=str(version),
            )
            self._sessions[session.session_id] = session
            if self._config.has(Defect.SESSION_BOUND_TO_TOKEN):
                self._session_tokens[session.session_id] = token_digest(token)
            headers["Mcp-Session-Id"] = session.session_id
        return self._result(message.get("id"), result, headers)

    async def _call_tool(
        self, message: dict[str, Any], resource: ResourceUrls, principal: Principal, token: str
    ) -> Response:
        rpc_id = message.get("id")
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        tool = TOOLS.get(str(params.get("name")))
        args = params.get("arguments") or {}
        if tool is None or not tool.available(self._upstream):
            return self._error(rpc_id, -32602, f"Unknown tool: {params.get('name')!s:.100}")
        if not isinstance(args, dict):
            return self._error(rpc_id, -32602, "Tool arguments must be an object.")
        if tool.required_scope not in principal.scopes and not self._config.has(
            Defect.SCOPE_NOT_ENFORCED
        ):
            return insufficient_scope(self._config, resource, tool.required_scope, rpc_id)
        caller = Caller(
            subject=principal.subject,
            client_id=principal.client_id,
            resource=resource.url,
            token=token,
        )
        context = ToolContext(state=self._state, caller=caller, upstream=self._upstream)
        return self._result(rpc_id, (await tool.call(context, args)).as_mcp())

    # --- JSON-RPC responses ----------------------------------------------------------------

    def _result(
        self, rpc_id: object, result: dict[str, object], headers: dict[str, str] | None = None
    ) -> Response:
        return self._send({"jsonrpc": "2.0", "id": rpc_id, "result": result}, headers or {})

    def _error(self, rpc_id: object, code: int, message: str) -> Response:
        error = {"code": code, "message": message}
        return self._send({"jsonrpc": "2.0", "id": rpc_id, "error": error}, {})

    def _send(self, payload: dict[str, object], headers: dict[str, str]) -> Response:
        if not self._config.sse_responses:
            return JSONResponse(payload, headers=headers)
        event = f"event: message\ndata: {json.dumps(payload)}\n\n"
        headers = {**headers, "Cache-Control": "no-cache"}
        return Response(event, media_type="text/event-stream", headers=headers)
