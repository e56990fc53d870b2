"""The harness's own spec-following client: discovery → registration → authorization → token.

`obtain_grant` runs the whole authorization code flow with PKCE and `resource` and returns the
tokens; other probes use it to get the credentials they present (or mutate). It raises
`NotApplicable` when the target offers no way for the harness to become a client, and `FlowError`
(a `TargetError`) naming the step that failed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from harness import __version__
from harness.config import UserCredentials
from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.http import Exchange
from harness.oauth.authorize import authorization_url, authorize
from harness.oauth.discovery import Discovery, discover
from harness.oauth.errors import FlowError
from harness.oauth.login import AutoLogin, FormLogin, LoginDriver
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import ClientCredentials, register, registration_body
from harness.oauth.tokens import TokenSet, redeem_code
from harness.probes.evidence import ResourceDiscovery

DEFAULT_REDIRECT_URI = "http://127.0.0.1:33418/callback"


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """A client, the tokens it obtained, and how it got them."""

    discovery: Discovery
    client: ClientCredentials
    tokens: TokenSet
    token_endpoint: str
    resource: str
    scope: str | None
    exchanges: tuple[Exchange, ...]


async def probe_grant(run: Run, _profile: str | None) -> Grant:
    return await obtain_grant(run, purpose="main")


async def try_grant(run: Run) -> tuple[Grant | None, str | None]:
    """The run's main grant, or None and the reason it could not be obtained.

    Probes that can judge something without a valid token use this; what they cannot judge
    becomes `skip` with the reason (the discovery and scenario checks report the cause). A
    transport failure is not a reason: it propagates and becomes `error`.
    """
    try:
        return await run.need(Grant), None
    except (FlowError, NotApplicable) as exc:
        return None, str(exc)


async def require_grant(run: Run, *, purpose: str) -> Grant:
    """A fresh grant for a probe that cannot judge anything without one (else `skip`)."""
    try:
        return await obtain_grant(run, purpose=purpose)
    except FlowError as exc:
        raise NotApplicable(f"needs a valid token, which could not be obtained: {exc}") from exc


async def obtain_discovery(run: Run) -> Discovery:
    resource = await run.need(ResourceDiscovery)
    return await discover(run.http, run.target.mcp_url, unauthenticated=resource.unauthenticated)


async def obtain_client(run: Run, discovery: Discovery, *, purpose: str) -> ClientCredentials:
    """The configured client, else a dynamically registered one."""
    configured = run.config.client
    if configured is not None:
        redirect = configured.redirect_uri or DEFAULT_REDIRECT_URI
        return ClientCredentials(
            client_id=configured.client_id,
            client_secret=configured.client_secret,
            redirect_uris=(redirect,),
            token_endpoint_auth_method="client_secret_basic"
            if configured.client_secret
            else "none",
        )
    endpoints = discovery.require_endpoints()
    if not endpoints.registration_endpoint:
        raise NotApplicable(
            "the authorization server offers no registration endpoint; "
            "configure a pre-registered client in [client]"
        )
    body = registration_body(
        client_name=f"mcp-auth-harness {__version__} ({purpose})",
        redirect_uris=(DEFAULT_REDIRECT_URI,),
        scope=discovery.scope_to_request(),
    )
    registration = await register(run.http, endpoints.registration_endpoint, body)
    if registration.credentials is None:
        raise FlowError(
            "registration", f"refused: {registration.error}", (registration.response.exchange,)
        )
    return registration.credentials


def login_driver(run: Run, user: UserCredentials | None) -> LoginDriver:
    login = run.config.login
    if login.mode == "form":
        username = user.username if user else login.username
        password = user.password if user else login.password
        if not username or not password:
            raise NotApplicable("[login].mode is form but username/password are not configured")
        return FormLogin(username=username, password=password)
    return AutoLogin()


async def obtain_grant(
    run: Run,
    *,
    purpose: str,
    user: UserCredentials | None = None,
    scope: str | None = None,
    strict: bool = False,
) -> Grant:
    """Run the authorization code flow once, as a fresh client.

    `strict` behaves as a spec-following client would, refusing an authorization server that
    does not advertise PKCE S256; probes leave it off so they can test such servers anyway.
    """
    discovery = await obtain_discovery(run)
    endpoints = discovery.require_endpoints()
    methods = (
        discovery.as_metadata.code_challenge_methods_supported if discovery.as_metadata else None
    )
    if strict and "S256" not in (methods or ()):
        raise FlowError(
            "discovery",
            "the authorization server does not advertise PKCE S256 "
            "(code_challenge_methods_supported); a client MUST refuse to proceed",
            discovery.exchanges,
        )
    if run.config.login.mode == "static":
        raise NotApplicable("[login].mode is static: the harness cannot run an OAuth flow")
    client = await obtain_client(run, discovery, purpose=purpose)
    pkce = new_pkce(vault=run.http.vault)
    state = secrets.token_urlsafe(16)
    requested_scope = scope if scope is not None else discovery.scope_to_request()
    redirect_uri = client.redirect_uris[0] if client.redirect_uris else DEFAULT_REDIRECT_URI
    url = authorization_url(
        endpoints.authorization_endpoint or "",
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        pkce=pkce,
        state=state,
        scope=requested_scope,
        resource=discovery.resource,
    )
    flow = await authorize(run.http, url, redirect_uri=redirect_uri, driver=login_driver(run, user))
    response = flow.response
    if response is None or response.code is None:
        reason = flow.problem or (response.error if response else None) or "no code"
        raise FlowError("authorization", reason, flow.exchanges)
    if response.state != state:
        raise FlowError(
            "authorization", "the state parameter did not come back unchanged", flow.exchanges
        )
    if not endpoints.token_endpoint:
        raise FlowError("token", "no token endpoint was discovered", discovery.exchanges)
    redeemed = await redeem_code(
        run.http,
        endpoints.token_endpoint,
        client=client,
        code=response.code,
        redirect_uri=redirect_uri,
        code_verifier=pkce.verifier,
        resource=discovery.resource,
    )
    if redeemed.tokens is None:
        raise FlowError("token", f"refused: {redeemed.error}", (redeemed.response.exchange,))
    return Grant(
        discovery=discovery,
        client=client,
        tokens=redeemed.tokens,
        token_endpoint=endpoints.token_endpoint,
        resource=discovery.resource,
        scope=requested_scope,
        exchanges=(*flow.exchanges, redeemed.response.exchange),
    )


PROBES: dict[type, Probe] = {Grant: probe_grant}
