"""The OAuth 2.1 authorization server: authlib grants and endpoints behind Starlette routes."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error, OAuth2Request
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulators.reference import cimd
from simulators.reference.as_context import AsContext
from simulators.reference.authlib_glue import (
    BodyTooLarge,
    HttpInput,
    MalformedParameter,
    ReferenceAuthorizationServer,
    read_http_input,
)
from simulators.reference.config import DEFAULT_USER, USERS
from simulators.reference.contention import TokenContention
from simulators.reference.defects import Defect
from simulators.reference.endpoints import (
    Introspection,
    Registration,
    Revocation,
    redirect_matcher_for,
)
from simulators.reference.grants import (
    CodeGrant,
    Pkce,
    RefreshGrant,
    ResourceIndicator,
)
from simulators.reference.login import LoginFlow, error_page
from simulators.reference.models import PUBLIC_CLIENT, AuthMethod, Client, User
from simulators.reference.ratelimit import (
    REGISTER_WINDOW_S,
    TOKEN_WINDOW_S,
    rate_limited,
    window,
)
from simulators.reference.redirects import registration_problem

INTROSPECTION_CLIENT_ID: Final = "reference-resource-server"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def make_introspection_client() -> Client:
    """The confidential client the resource server authenticates with at /introspect."""
    return Client(
        client_id=INTROSPECTION_CLIENT_ID,
        client_secret=secrets.token_urlsafe(32),
        redirect_uris=(),
        token_endpoint_auth_method="client_secret_basic",
        grant_types=(),
        response_types=(),
        redirect_matcher=lambda _registered, _requested: False,
        internal=True,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCredentials:
    """A client registered out of band (the "pre-registered client" of MCP's priority list)."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str


class AuthorizationService:
    def __init__(self, ctx: AsContext) -> None:
        self._ctx = ctx
        self._server = ReferenceAuthorizationServer(ctx)
        self._contention = TokenContention(ctx)
        self._server.register_grant(CodeGrant, [Pkce(ctx), ResourceIndicator()])
        self._server.register_grant(RefreshGrant)
        self._server.register_endpoint(Registration)
        self._server.register_endpoint(Revocation)
        self._server.register_endpoint(Introspection)
        self._login = LoginFlow(ctx.urls, ctx.store, self._complete_form_login)

    def routes(self) -> list[Route]:
        urls = self._ctx.urls
        spec: list[tuple[str, Handler, list[str]]] = [
            ("authorize", self._authorize, ["GET", "POST"]),
            ("login", self._submit_login, ["POST"]),
            ("consent", self._submit_consent, ["POST"]),
            ("token", self._token, ["POST"]),
            ("register", self._register, ["POST"]),
            ("revoke", self._revoke, ["POST"]),
            ("introspect", self._introspect, ["POST"]),
            ("jwks", self._jwks, ["GET"]),
        ]
        interactive = {"authorize", "login", "consent"}
        config = self._ctx.config
        registration = config.dynamic_client_registration
        limits = {
            "register": window(config.register_rate_limit, REGISTER_WINDOW_S),
            "token": window(config.token_rate_limit, TOKEN_WINDOW_S),
        }
        return [
            Route(
                urls.as_path(name),
                rate_limited(self._guard(h, html=name in interactive), limits.get(name)),
                methods=m,
            )
            for name, h, m in spec
            if name != "register" or registration
        ]

    def preregister(
        self,
        *,
        redirect_uris: Sequence[str],
        token_endpoint_auth_method: AuthMethod = PUBLIC_CLIENT,
        scope: str | None = None,
        client_name: str | None = None,
    ) -> ClientCredentials:
        """Register a client without DCR, under the same rules DCR applies."""
        for uri in redirect_uris:
            if problem := registration_problem(uri):
                raise ValueError(f"{uri!r}: {problem}.")
        public = token_endpoint_auth_method == PUBLIC_CLIENT
        secret = None if public else secrets.token_urlsafe(32)
        client = Client(
            client_id=secrets.token_urlsafe(24),
            client_secret=secret,
            redirect_uris=tuple(redirect_uris),
            token_endpoint_auth_method=token_endpoint_auth_method,
            grant_types=("authorization_code", "refresh_token"),
            scope=scope,
            client_name=client_name,
            redirect_matcher=redirect_matcher_for(self._ctx),
        )
        self._ctx.store.add_client(client)
        return ClientCredentials(
            client_id=client.client_id,
            client_secret=secret,
            redirect_uris=client.redirect_uris,
            token_endpoint_auth_method=token_endpoint_auth_method,
        )

    def introspect_for_resource_server(self, token: str) -> dict[str, object]:
        """RFC 7662 introspection as the resource server's client, in process."""
        client = self._ctx.store.get_client(self._ctx.introspection_client_id)
        if client is None or client.client_secret is None:  # pragma: no cover - set at startup
            raise RuntimeError("the introspection client is missing")
        basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
        http = HttpInput(
            method="POST",
            url=self._ctx.urls.as_url("introspect"),
            headers={"Authorization": f"Basic {basic}"},
            query=(),
            form=(("token", token), ("token_type_hint", "access_token")),
        )
        response = self._server.create_endpoint_response("introspection", http)
        body = json.loads(bytes(response.body)) if response.status_code == 200 else {}
        return body if isinstance(body, dict) else {}

    def _guard(self, handler: Handler, *, html: bool) -> Handler:
        """Refuse requests authlib can't turn into a clean OAuth error."""

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except BodyTooLarge:
                status, message = 413, "The request body is too large."
            except MalformedParameter as exc:
                status, message = 400, f"The {exc} parameter holds invalid characters."
            if html:
                return error_page(message, status)
            body = {"error": "invalid_request", "error_description": message}
            return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

        return guarded

    async def _read(self, request: Request) -> HttpInput:
        return await read_http_input(request, self._ctx.urls.as_origin)

    # --- authorization endpoint -------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        http = await self._read(request)
        params = http.query if http.method == "GET" else http.form
        oauth_request = self._server.create_oauth2_request(http)
        refused = await self._resolve_metadata_document(oauth_request.payload.client_id)
        if refused is not None:
            return refused
        if self._ctx.config.has(Defect.IMPLICIT_GRANT_ACCEPTED):
            implicit = self._implicit_response(oauth_request)
            if implicit is not None:
                return implicit
        if self._ctx.config.has(Defect.ERROR_REDIRECT_UNREGISTERED):
            misdirected = self._redirect_to_unregistered(oauth_request)
            if misdirected is not None:
                return misdirected
        if self._ctx.config.has(Defect.ERROR_REDIRECT_BEFORE_URI_CHECK):
            misdirected = self._early_error_redirect(oauth_request)
            if misdirected is not None:
                return misdirected
        try:
            grant = self._server.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            return self._authorization_error(oauth_request, error)
        hint = oauth_request.payload.data.get("login_hint")
        if self._ctx.config.login == "form":
            return self._login.begin(request, params, hint)
        user = User(hint if hint in USERS else DEFAULT_USER)
        response: Response = self._server.create_authorization_response(
            request=oauth_request, grant_user=user, grant=grant
        )
        return response

    async def _resolve_metadata_document(self, client_id: str | None) -> Response | None:
        """CIMD: a URL client_id is fetched and registered, or refused with an error page."""
        if not self._ctx.config.client_id_metadata_documents:
            return None
        if client_id is None or not cimd.is_metadata_document_url(client_id):
            return None
        refused = await cimd.resolve(self._ctx, client_id)
        return error_page(f"invalid_client: {refused.reason}.") if refused else None

    def _authorization_error(self, request: OAuth2Request, error: OAuth2Error) -> Response:
        """Redirect only once the redirect URI is validated; otherwise an error page."""
        if error.redirect_uri:
            response: Response = self._server.handle_error_response(request, error)
            return response
        message = f"{error.error}: {error.description or 'the request was refused'}"
        return error_page(message)

    def _redirect_to_unregistered(self, request: OAuth2Request) -> Response | None:
        client = self._ctx.store.get_client(request.payload.client_id)
        uri = request.payload.redirect_uri
        if client is None or not uri or client.check_redirect_uri(uri):
            return None
        params = [("error", "invalid_request"), ("error_description", "unregistered redirect")]
        if request.payload.state:
            params.append(("state", request.payload.state))
        response: Response = self._server.handle_response(
            302, "", [("Location", add_params_to_uri(uri, params))]
        )
        return response

    def _early_error_redirect(self, request: OAuth2Request) -> Response | None:
        """The ordering bug: response type, scope and PKCE are checked before the redirect URI,
        and their error goes to the redirect_uri as sent (OAuth 2.1 §4.1.2.1 forbids it)."""
        payload = request.payload
        client = self._ctx.store.get_client(payload.client_id)
        uri = payload.redirect_uri
        if client is None or not uri or client.check_redirect_uri(uri):
            return None  # a registered URI: the correct path redirects its errors there
        try:
            self._server.get_authorization_grant(request)
            self._server.validate_requested_scope(payload.scope)
            if not payload.data.get("code_challenge"):
                raise InvalidRequestError("PKCE is required: send code_challenge.")
        except OAuth2Error as error:
            error.redirect_uri, error.state = uri, payload.state
            response: Response = self._server.handle_error_response(request, error)
            return response
        return None

    def _implicit_response(self, request: OAuth2Request) -> Response | None:
        """The implicit grant's front-channel token (only with `implicit-grant-accepted`)."""
        payload = request.payload
        client = self._ctx.store.get_client(payload.client_id)
        uri = payload.redirect_uri or (client.get_default_redirect_uri() if client else None)
        if payload.response_type != "token" or client is None or not uri:
            return None
        if not client.check_redirect_uri(uri):
            return None
        hint = payload.data.get("login_hint")
        body = self._ctx.tokens.issue(
            client=client,
            subject=hint if hint in USERS else DEFAULT_USER,
            scope=client.get_allowed_scope(payload.scope),
            audience=(self._ctx.urls.main.url,),
            granted_resources=(self._ctx.urls.main.url,),
            family_id=secrets.token_urlsafe(12),
            include_refresh=False,
        )
        fragment = [("access_token", str(body["access_token"])), ("token_type", "Bearer")]
        if payload.state:
            fragment.append(("state", payload.state))
        location = f"{uri}#{urlencode(fragment)}"
        return Response(
            status_code=302, headers={"Location": location, "Cache-Control": "no-store"}
        )

    def _complete_form_login(
        self, params: tuple[tuple[str, str], ...], user: User | None
    ) -> Response:
        http = HttpInput(
            method="GET", url=self._ctx.urls.as_url("authorize"), headers={}, query=params, form=()
        )
        oauth_request = self._server.create_oauth2_request(http)
        try:
            grant = self._server.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            return self._authorization_error(oauth_request, error)
        response: Response = self._server.create_authorization_response(
            request=oauth_request, grant_user=user, grant=grant
        )
        return response

    async def _submit_login(self, request: Request) -> Response:
        http = await self._read(request)
        return self._login.submit_login(request, dict(reversed(http.form)))

    async def _submit_consent(self, request: Request) -> Response:
        http = await self._read(request)
        return self._login.submit_consent(request, dict(reversed(http.form)))

    # --- token, registration, revocation, introspection, keys -----------------------------

    async def _token(self, request: Request) -> Response:
        http = await self._read(request)
        response = await self._contention.respond(
            http, lambda: self._server.create_token_response(http)
        )
        if response.status_code >= 400 and self._ctx.config.has(Defect.TOKEN_ERROR_NOT_JSON):
            return PlainTextResponse("The token request failed.", status_code=400)
        if self._ctx.config.has(Defect.TOKEN_CACHEABLE):
            for name in ("cache-control", "pragma"):
                if name in response.headers:
                    del response.headers[name]
        return response

    async def _register(self, request: Request) -> Response:
        http = await self._read(request)
        response: Response = self._server.create_endpoint_response("client_registration", http)
        return response

    async def _revoke(self, request: Request) -> Response:
        http = await self._read(request)
        response: Response = self._server.create_endpoint_response("revocation", http)
        return response

    async def _introspect(self, request: Request) -> Response:
        http = await self._read(request)
        response: Response = self._server.create_endpoint_response("introspection", http)
        return response

    async def _jwks(self, _request: Request) -> Response:
        return JSONResponse(self._ctx.key.jwks())
