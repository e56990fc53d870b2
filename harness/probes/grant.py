"""The harness's own spec-following client: discovery → registration → authorization → token.

`obtain_grant` runs the whole authorization code flow with PKCE and `resource` and returns the
tokens; other probes use it to get the credentials they present (or mutate). It raises
`NotApplicable` when the target offers no way for the harness to become a client, and `FlowError`
(a `TargetError`) naming the step that failed. The steps themselves live in
`harness.probes.authserver.flow`, where the authorization-server probes change them one at a time.
In the static login mode the run's main grant is the configured token (`harness.probes.static`).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.config import UserCredentials
from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.http import Exchange
from harness.oauth.authorize import authorize
from harness.oauth.discovery import Discovery
from harness.oauth.errors import FlowError
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenSet, redeem_code
from harness.probes.authserver.flow import (
    DEFAULT_REDIRECT_URI,
    FlowSetup,
    authorization_request,
    login_driver,
    obtain_client,
    obtain_discovery,
    redirect_of,
)
from harness.probes.static import NO_FLOW, is_static, wallet

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "Grant",
    "login_driver",
    "obtain_client",
    "obtain_discovery",
    "obtain_grant",
    "require_grant",
    "try_grant",
]


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


OFFLINE_ACCESS = "offline_access"


def with_offline_access(discovery: Discovery, scope: str | None) -> str | None:
    """`scope` plus `offline_access` when the AS metadata lists it in `scopes_supported` (OIDC
    providers issue refresh tokens only for it; MCP 2026-07-28 SEP-2207 lets a client add it),
    else None: the scope selection stays as it is."""
    metadata = discovery.as_metadata
    if metadata is None or OFFLINE_ACCESS not in (metadata.scopes_supported or ()):
        return None
    scopes = (scope or "").split()
    if OFFLINE_ACCESS in scopes:
        return None
    return " ".join([*scopes, OFFLINE_ACCESS])


async def probe_grant(run: Run, _profile: str | None) -> Grant:
    if is_static(run):
        return await static_grant(run)
    return await obtain_grant(run, purpose="main")


async def static_grant(run: Run) -> Grant:
    """The configured static token as the run's main grant (no flow, so no exchanges)."""
    held = await wallet(run)
    return Grant(
        discovery=held.discovery,
        client=held.client or ClientCredentials(client_id=""),  # no client: nothing to redeem
        tokens=held.tokens,
        token_endpoint=held.token_endpoint or "",
        resource=held.discovery.resource,
        scope=held.tokens.scope,
        exchanges=(),
    )


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
    if is_static(run):
        raise NotApplicable(NO_FLOW)
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
    client = await obtain_client(run, discovery, purpose=purpose)
    setup = FlowSetup(
        discovery=discovery,
        authorization_endpoint=endpoints.authorization_endpoint or "",
        token_endpoint=endpoints.token_endpoint or "",
        registration_endpoint=endpoints.registration_endpoint,
        resource=discovery.resource,
        scope=discovery.scope_to_request(),
    )
    request = authorization_request(run, setup, client, scope=scope)
    redirect_uri = redirect_of(client)
    url = request.url(setup.authorization_endpoint)
    flow = await authorize(run.http, url, redirect_uri=redirect_uri, driver=login_driver(run, user))
    response = flow.response
    if response is None or response.code is None:
        reason = flow.problem or (response.error if response else None) or "no code"
        raise FlowError("authorization", reason, flow.exchanges)
    if response.state != request.state:
        raise FlowError(
            "authorization", "the state parameter did not come back unchanged", flow.exchanges
        )
    if not setup.token_endpoint:
        raise FlowError("token", "no token endpoint was discovered", discovery.exchanges)
    redeemed = await redeem_code(
        run.http,
        setup.token_endpoint,
        client=client,
        code=response.code,
        redirect_uri=redirect_uri,
        code_verifier=request.pkce.verifier if request.pkce else None,
        resource=setup.resource,
    )
    if redeemed.tokens is None:
        raise FlowError("token", f"refused: {redeemed.error}", (redeemed.response.exchange,))
    return Grant(
        discovery=discovery,
        client=client,
        tokens=redeemed.tokens,
        token_endpoint=setup.token_endpoint,
        resource=setup.resource,
        scope=request.scope,
        exchanges=(*flow.exchanges, redeemed.response.exchange),
    )


PROBES: dict[type, Probe] = {Grant: probe_grant}
