"""The harness's OAuth client flow as separate steps, so a probe can change exactly one of them.

`prepare` discovers the authorization server once per run; `authorization_request` builds
the spec-following request (PKCE S256, `state`, `scope`, `resource`) that a probe mutates with
`dataclasses.replace`; `navigate` sends it and follows the authorization server until it sends
the browser to the client (any URL on a client origin, or a non-http scheme) or stops at a page;
`full_flow` is the unmutated flow a negative probe runs afterwards as its sanity step.

`navigate` never requests a client URL: it stops at the redirect, whatever its path or query, so
a mutated redirect URI is never contacted by the harness itself (a canary there stays silent
unless the authorization server itself calls it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from harness import __version__
from harness.budget import RateLimited, rate_limit_reason
from harness.config import UserCredentials
from harness.engine import Probe, Run
from harness.errors import EgressRefused, NotApplicable, TargetError
from harness.http import Exchange, Response
from harness.oauth.cookies import CookieJar
from harness.oauth.discovery import Discovery, discover
from harness.oauth.errors import FlowError
from harness.oauth.login import AutoLogin, FormLogin, FormSubmission, LoginDriver
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import (
    ClientCredentials,
    Registration,
    register,
    registration_body,
)
from harness.oauth.tokens import TokenResponse, redeem_code
from harness.oauth.wellknown import origin
from harness.probes.authserver.records import AuthzRequest, FlowRun, Navigation
from harness.probes.discovery.evidence import ResourceDiscovery

DEFAULT_REDIRECT_URI = "http://127.0.0.1:33418/callback"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowSetup:
    """What every flow against this target shares: discovery and the endpoints it found."""

    discovery: Discovery
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None
    resource: str
    scope: str | None

    @property
    def issuer(self) -> str | None:
        """The issuer the metadata states (RFC 9207 `iss` must equal it)."""
        metadata = self.discovery.as_metadata
        return metadata.issuer if metadata and metadata.issuer else self.discovery.issuer


async def obtain_discovery(run: Run) -> Discovery:
    resource = await run.need(ResourceDiscovery)
    return await discover(run.http, run.target.mcp_url, unauthenticated=resource.unauthenticated)


async def prepare(run: Run) -> FlowSetup:
    """Discovery for a probe (once per run); `NotApplicable` when the harness cannot run an OAuth
    flow against this target."""
    return await run.need(FlowSetup)


async def _discover_setup(run: Run, _profile: str | None) -> FlowSetup:
    if run.config.login.mode == "static":
        raise NotApplicable(
            "[login].mode is static: the harness cannot run an OAuth flow; "
            "use the auto or form login mode to test the authorization server"
        )
    discovery = await obtain_discovery(run)
    try:
        endpoints = discovery.require_endpoints()
    except FlowError as exc:
        raise NotApplicable(f"no authorization server was discovered: {exc}") from exc
    if not endpoints.token_endpoint or not endpoints.authorization_endpoint:
        raise NotApplicable("the authorization server metadata names no token endpoint")
    return FlowSetup(
        discovery=discovery,
        authorization_endpoint=endpoints.authorization_endpoint,
        token_endpoint=endpoints.token_endpoint,
        registration_endpoint=endpoints.registration_endpoint,
        resource=discovery.resource,
        scope=discovery.scope_to_request(),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedClient:
    """The client most authorization-server probes share (registrations are rate-limited)."""

    client: ClientCredentials


async def shared_client(run: Run) -> ClientCredentials:
    """The configured client, else one DCR client for the run (`NotApplicable` if impossible)."""
    return (await run.need(SharedClient)).client


async def _register_shared(run: Run, _profile: str | None) -> SharedClient:
    setup = await prepare(run)
    return SharedClient(
        client=await probe_client(run, setup, purpose="authorization server checks")
    )


def configured_client(run: Run) -> ClientCredentials | None:
    configured = run.config.client
    if configured is None:
        return None
    return ClientCredentials(
        client_id=configured.client_id,
        client_secret=configured.client_secret,
        redirect_uris=(configured.redirect_uri or DEFAULT_REDIRECT_URI,),
        token_endpoint_auth_method="client_secret_basic" if configured.client_secret else "none",
    )


async def register_client(
    run: Run,
    discovery: Discovery,
    *,
    purpose: str,
    redirect_uris: tuple[str, ...] = (DEFAULT_REDIRECT_URI,),
    distinct: bool = False,
) -> ClientCredentials:
    """A public client by DCR: `NotApplicable` without an endpoint, `FlowError` if refused.

    Registrations are rate-limited, so one client serves every purpose with the same metadata
    (the run's registration cache); `distinct` registers a client of its own (a second client
    for the binding checks), named after its purpose.
    """
    endpoint = discovery.endpoints.registration_endpoint if discovery.endpoints else None
    if not endpoint:
        raise NotApplicable(
            "the authorization server offers no registration endpoint; "
            "configure a pre-registered client in [client]"
        )
    if distinct:
        body = harness_registration_body(discovery.scope_to_request(), redirect_uris, purpose)
        registration = await register(run.http, endpoint, body)
    else:
        registration = await registration_of(
            run, endpoint, harness_registration_body(discovery.scope_to_request(), redirect_uris)
        )
    if registration.credentials is None:
        if registration.response.status == 429:
            reason = rate_limit_reason(registration.response.header("retry-after"))
            raise RateLimited(f"{reason}: the registration endpoint answered 429")
        raise FlowError(
            "registration", f"refused: {registration.error}", (registration.response.exchange,)
        )
    return registration.credentials


def harness_registration_body(
    scope: str | None, redirect_uris: tuple[str, ...], purpose: str | None = None
) -> dict[str, object]:
    """The harness's own registration request (a typical MCP client's)."""
    name = f"mcp-auth-harness {__version__}" + (f" ({purpose})" if purpose else "")
    return registration_body(client_name=name, redirect_uris=redirect_uris, scope=scope)


async def registration_of(run: Run, endpoint: str, body: dict[str, object]) -> Registration:
    """The registration of `body` at `endpoint`, sent once per run (see `RequestBudget`)."""
    return await run.http.budget.registration(
        endpoint, body, lambda: register(run.http, endpoint, body)
    )


async def obtain_client(run: Run, discovery: Discovery, *, purpose: str) -> ClientCredentials:
    """The configured client, else a dynamically registered one."""
    return configured_client(run) or await register_client(run, discovery, purpose=purpose)


async def probe_client(
    run: Run, setup: FlowSetup, *, purpose: str, redirect_uri: str | None = None
) -> ClientCredentials:
    """A client for a negative probe (`NotApplicable` when the harness cannot have one):
    the configured client, else a new DCR client registered with `redirect_uri`."""
    configured = configured_client(run)
    if configured is not None:
        return configured
    try:
        return await register_client(
            run,
            setup.discovery,
            purpose=purpose,
            redirect_uris=(redirect_uri or DEFAULT_REDIRECT_URI,),
        )
    except FlowError as exc:
        raise NotApplicable(
            f"the harness could not register a client ({exc}); configure one in [client]"
        ) from exc


def login_driver(run: Run, user: UserCredentials | None) -> LoginDriver:
    login = run.config.login
    if login.mode == "form":
        username = user.username if user else login.username
        password = user.password if user else login.password
        if not username or not password:
            raise NotApplicable("[login].mode is form but username/password are not configured")
        return FormLogin(username=username, password=password)
    return AutoLogin()


def authorization_request(
    run: Run,
    setup: FlowSetup,
    client: ClientCredentials,
    *,
    state: str | None = None,
    scope: str | None = None,
) -> AuthzRequest:
    """The spec-following request of `client`: PKCE S256, a fresh state, scope and resource."""
    return AuthzRequest(
        client_id=client.client_id,
        redirect_uri=redirect_of(client),
        pkce=new_pkce(vault=run.http.vault),
        state=state or secrets.token_urlsafe(16),
        scope=scope if scope is not None else setup.scope,
        resource=setup.resource,
    )


def redirect_of(client: ClientCredentials) -> str:
    return client.redirect_uris[0] if client.redirect_uris else DEFAULT_REDIRECT_URI


_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def client_origins(*uris: str | None) -> frozenset[str]:
    """The origins a navigation stops at (the client's side: never requested by the harness).

    A loopback origin stands for all its spellings: a redirect to `localhost` for a client at
    `127.0.0.1` still ends the navigation instead of being followed.
    """
    found: set[str] = set()
    for uri in uris:
        try:
            parts = urlsplit(uri or "")
            if parts.scheme not in {"http", "https"}:
                continue
            port = f":{parts.port}" if parts.port else ""
            found.add(origin(parts.geturl()))
        except ValueError:  # an unparseable host or port: no origin a browser could reach
            continue
        if f"[{parts.hostname}]" in _LOOPBACK_NAMES or parts.hostname in _LOOPBACK_NAMES:
            found.update(f"{parts.scheme}://{name}{port}" for name in _LOOPBACK_NAMES)
    return frozenset(found)


async def navigate(
    run: Run,
    endpoint: str,
    request: AuthzRequest,
    *,
    stop_at: frozenset[str],
    user: UserCredentials | None = None,
) -> Navigation:
    """Send `request` to `endpoint` and follow the authorization server (logging in as the
    login mode says) until it redirects to an origin in `stop_at` or a non-http scheme, or
    stops at a page."""
    driver = login_driver(run, user)
    jar = CookieJar()
    exchanges: list[Exchange] = []
    step = FormSubmission(method="GET", url=request.url(endpoint), fields=(), kind="consent")
    logins = 0
    for _ in range(driver.max_hops):
        try:
            response = await _send(run, step, jar)
        except EgressRefused as exc:
            problem = f"refused to follow to {run.http.vault.redact_url(exc.url)}: {exc.reason}"
            return Navigation(problem=problem, exchanges=tuple(exchanges))
        except TargetError as exc:
            raise FlowError("authorization", str(exc), exchanges) from exc
        exchanges.append(response.exchange)
        jar.store(response)
        if 300 <= response.status < 400:
            location = response.header("location")
            if not location:
                problem = f"HTTP {response.status} without a Location header"
                return Navigation(page=response, problem=problem, exchanges=tuple(exchanges))
            target = urljoin(response.url, location)
            parts = urlsplit(target)
            if parts.scheme.lower() not in {"http", "https"} or origin(target) in stop_at:
                run.http.vault.add_fields(dict(parse_qsl(parts.fragment)))
                return Navigation(
                    landing=target, status=response.status, exchanges=tuple(exchanges)
                )
            step = FormSubmission(method="GET", url=target, fields=(), kind="consent")
            continue
        if not 200 <= response.status < 300:
            problem = f"the authorization server answered {response.summary()}"
            return Navigation(page=response, problem=problem, exchanges=tuple(exchanges))
        next_step = driver.next_submission(response, logins_sent=logins)
        if isinstance(next_step, str):
            return Navigation(
                page=response, problem=next_step, login_stuck=True, exchanges=tuple(exchanges)
            )
        logins += next_step.kind == "login"
        step = next_step
    problem = f"no redirect to the client after {driver.max_hops} requests"
    return Navigation(problem=problem, exchanges=tuple(exchanges))


async def _send(run: Run, step: FormSubmission, jar: CookieJar) -> Response:
    for secret in step.secrets:
        run.http.vault.add(secret)
    headers = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")]
    cookie = jar.header(step.url)
    if cookie:
        headers.append(("cookie", cookie))
    if step.method == "POST":
        return await run.http.request("POST", step.url, headers=headers, form=dict(step.fields))
    return await run.http.request("GET", step.url, headers=headers)


async def redeem(
    run: Run,
    setup: FlowSetup,
    client: ClientCredentials,
    request: AuthzRequest,
    code: str,
    *,
    verifier: str | None = None,
    redirect_uri: str | None = None,
) -> TokenResponse:
    """Redeem `code` as the request's client would; `verifier`/`redirect_uri` override."""
    return await redeem_code(
        run.http,
        setup.token_endpoint,
        client=client,
        code=code,
        redirect_uri=redirect_uri or request.redirect_uri,
        code_verifier=verifier or (request.pkce.verifier if request.pkce else None),
        resource=request.resource,
    )


async def full_flow(
    run: Run,
    setup: FlowSetup,
    client: ClientCredentials,
    *,
    request: AuthzRequest | None = None,
    user: UserCredentials | None = None,
) -> FlowRun:
    """The unmutated flow: authorize, then redeem the code. Refusals are data."""
    sent = request or authorization_request(run, setup, client)
    stop = client_origins(sent.redirect_uri, redirect_of(client))
    navigation = await navigate(run, setup.authorization_endpoint, sent, stop_at=stop, user=user)
    code = navigation.code
    token = await redeem(run, setup, client, sent, code) if code is not None else None
    return FlowRun(request=sent, navigation=navigation, token=token)


PROBES: dict[type, Probe] = {FlowSetup: _discover_setup, SharedClient: _register_shared}
