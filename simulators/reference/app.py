"""Wiring: build the resource-server and authorization-server Starlette apps for one server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from simulators.reference.as_context import AsContext
from simulators.reference.authorization_server import (
    AuthorizationService,
    make_introspection_client,
)
from simulators.reference.bearer import BearerValidator
from simulators.reference.config import ReferenceConfig
from simulators.reference.defects import Defect
from simulators.reference.keys import SigningKey
from simulators.reference.mcp_server import McpServer
from simulators.reference.metadata import (
    authorization_server_metadata_routes,
    resource_metadata_routes,
)
from simulators.reference.state import ReferenceState
from simulators.reference.tokens import TokenIssuer
from simulators.reference.urls import ReferenceUrls

_SPA_SHELL: Final = (
    "<!doctype html><html><head><title>Notes</title></head>"
    "<body><div id='root'></div><script src='/assets/app.js'></script></body></html>"
)


@dataclass(frozen=True, slots=True)
class Apps:
    resource_server: Starlette
    #: None when the AS is co-located (its routes are in `resource_server`)
    authorization_server: Starlette | None
    authorization: AuthorizationService


def _starlette(routes: list[Route], config: ReferenceConfig) -> Starlette:
    html_fallback = config.has(Defect.HTML_200_FALLBACK)

    async def not_found(_request: Request, _exc: Exception) -> Response:
        if html_fallback:  # an SPA catch-all answering every unknown path
            return HTMLResponse(_SPA_SHELL)
        return JSONResponse({"error": "not_found"}, status_code=404)

    # Browser-based clients (the MCP Inspector) read metadata and call /register and /token
    # from a page: the common practice is to allow any origin there. The MCP endpoint's own
    # Origin validation (403 for a foreign origin) still applies to real requests.
    cors = Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["WWW-Authenticate", "Mcp-Session-Id"],
    )
    middleware = [] if config.has(Defect.NO_CORS) else [cors]
    app = Starlette(routes=routes, exception_handlers={404: not_found}, middleware=middleware)
    app.router.redirect_slashes = False  # "/mcp/" is not "/mcp": no helpful redirects
    return app


def build_apps(config: ReferenceConfig, urls: ReferenceUrls, state: ReferenceState) -> Apps:
    key = SigningKey()
    introspection_client = make_introspection_client()
    state.oauth.add_client(introspection_client)
    ctx = AsContext(
        config=config,
        urls=urls,
        store=state.oauth,
        key=key,
        tokens=TokenIssuer(config=config, issuer=urls.issuer, key=key, store=state.oauth),
        introspection_client_id=introspection_client.client_id,
    )
    authorization = AuthorizationService(ctx)
    validator = BearerValidator(
        config=config,
        issuer=urls.issuer,
        key=key,
        store=state.oauth,
        introspect=authorization.introspect_for_resource_server,
    )
    mcp = McpServer(config=config, urls=urls, state=state, validator=validator)
    rs_routes = resource_metadata_routes(urls, config.defects) + mcp.routes()
    as_routes = (
        authorization_server_metadata_routes(
            urls,
            config.defects,
            oidc_only=config.oidc_only,
            oidc_minimal=config.oidc_minimal,
            cimd=config.client_id_metadata_documents,
            registration=config.dynamic_client_registration,
        )
        + authorization.routes()
    )
    if config.separate_as:
        return Apps(_starlette(rs_routes, config), _starlette(as_routes, config), authorization)
    return Apps(_starlette(rs_routes + as_routes, config), None, authorization)
