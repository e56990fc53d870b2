"""A profile acting as its client: the OAuth part, from the first 401 to the token.

`ProfileClient.connect` drives discovery, registration, authorization and the token request the
way the profile's knobs say, through the shared OAuth flows of `harness.oauth`, and records each
step with what it means for the client (see `harness.profiles.diagnose`). What the target does is
data; only a transport failure raises (`TargetError`), and a target that needs no OAuth, or a
configuration that cannot run it, raises `NotApplicable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from collections.abc import Sequence
from dataclasses import replace

from harness.config import Config, UserCredentials
from harness.errors import NotApplicable
from harness.http import Exchange, HttpClient, Response
from harness.mcp.client import McpClient
from harness.mcp.messages import initialize_request, tools_list_request
from harness.mcp.versions import is_modern
from harness.oauth.authorize import authorization_url, authorize
from harness.oauth.discovery import Discovery, EndpointSource, discover
from harness.oauth.login import AutoLogin, FormLogin, LoginDriver
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import redeem_code
from harness.probes.scenarios.journey import Step
from harness.profiles import discovery_steps as seen
from harness.profiles import outcomes as judge
from harness.profiles.connection import Connection
from harness.profiles.knobs import (
    RedirectPlan,
    client_info,
    discovery_policy,
    legacy_policy,
    mcp_headers,
    oauth_headers,
    protocol_version,
    redirect_plan,
    redirect_plan_again,
    resource_choice,
    select_scope,
)
from harness.profiles.model import FirstRequest, On401, Profile
from harness.profiles.register import obtain_client
from harness.results import Attribution


class ProfileClient:
    """One simulated client of one server, as `profile` describes it."""

    def __init__(
        self,
        *,
        http: HttpClient,
        config: Config,
        mcp_url: str,
        profile: Profile,
        spec: str = "auto",
        seed: int = 0,
        gate: asyncio.Semaphore | None = None,
        cimd_url: str | None = None,
        host_cimd_document: bool | None = None,
    ) -> None:
        """`cimd_url` replaces the profile's client metadata URL; `host_cimd_document` serves
        a loopback copy of the document instead (default: when the target is on loopback)."""
        self.http = http
        self.gate = gate
        self.cimd_url = cimd_url or profile.registration.cimd_url.value
        self.host_cimd_document = host_cimd_document
        self.config = config
        self.mcp_url = mcp_url
        self.profile = profile
        self.spec = spec
        self.rng = random.Random(f"{seed}:{profile.name}")  # noqa: S311 - ports, not secrets
        # the legacy revision a dual-era client fell back to: the era is a property of the
        # server, cached for the origin (2026-07-28 versioning §Backward Compatibility)
        self.fallback_version: str | None = None

    def busy(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Hold one of the run's flow slots (never while awaiting another flow's evidence)."""
        return self.gate if self.gate is not None else contextlib.nullcontext()

    @property
    def version(self) -> str:
        return protocol_version(self.profile, self.spec)

    def mcp(self) -> McpClient:
        return McpClient(
            self.http,
            self.mcp_url,
            protocol_version=self.fallback_version or self.version,
            client_info=client_info(self.profile),
            extra_headers=mcp_headers(self.profile),
        )

    async def unauthenticated(self) -> Response:
        """The first request, as this client sends it: no credentials (and, for some clients,
        an older revision than the one it speaks once logged in)."""
        mcp = self.mcp()
        if self.profile.discovery.first_request.value is FirstRequest.GET:
            probe = await mcp.get_stream(None, read_until=lambda _: True)
            if probe.status == 401:
                return probe
        version = self.profile.identity.probe_protocol_version.value or self.version
        message = (
            tools_list_request(request_id=1)
            if is_modern(version)
            else initialize_request(version, request_id=1, client_info=mcp.client_info)
        )
        reply = await mcp.post(message, authorization=None, session=False)
        return reply.response

    async def connect(
        self,
        *,
        scope: str | None = None,
        reuse: Connection | None = None,
        user: UserCredentials | None = None,
        challenge: Response | None = None,
    ) -> Connection:
        """Discovery → registration → authorization → token. `reuse` keeps the discovery and
        (unless the profile re-registers) the client of an earlier connection; `challenge` is a
        401 already received (a server that asks for OAuth only for some requests)."""
        if self.config.login.mode == "static":
            raise NotApplicable("[login].mode is static: no OAuth flow can be run")
        connection = await self._connect(scope, reuse, user, challenge)
        return await self._legacy_defaults(connection)

    async def _legacy_defaults(self, connection: Connection) -> Connection:
        """A 2025-03-26 client found no metadata at the MCP origin and guessed the default
        endpoints there; if they failed while the server serves the metadata a 2025-11-25
        client finds, the client and server speak different revisions."""
        found = connection.discovery
        failure = connection.failure
        was = failure.impact if failure is not None else None
        if (
            found is None
            or found.endpoints is None
            or found.endpoints.source is not EndpointSource.LEGACY_DEFAULTS
            or failure is None
            or was is None
            or was.reason.attribution is not Attribution.SERVER
        ):
            return connection
        spec = await discover(self.http, self.mcp_url, unauthenticated=found.unauthenticated)
        if spec.endpoints is None:
            return connection  # the server serves no metadata for any revision
        moved = seen.legacy_defaults_missed(self.profile, failure, was, spec)
        return replace(
            connection, steps=tuple(moved if s is failure else s for s in connection.steps)
        )

    async def _connect(
        self,
        scope: str | None,
        reuse: Connection | None,
        user: UserCredentials | None,
        challenge: Response | None,
    ) -> Connection:
        steps: list[Step] = []
        if reuse is not None and reuse.discovery is not None:
            discovery = reuse.discovery
        else:
            found = await self._discover(steps, challenge)
            if found is None:
                return Connection(steps=tuple(steps))
            discovery = found
        metadata = discovery.as_metadata
        chosen_scope = (
            scope if scope is not None else select_scope(self.profile, discovery, metadata)
        )
        plan = redirect_plan(self.profile, self.rng)
        # A client metadata document hosted for a loopback target lives as long as this flow.
        async with contextlib.AsyncExitStack() as hosting:
            if reuse is not None and reuse.client is not None and self._keeps_client(reuse):
                client, plan = reuse.client, reuse.plan or plan
                plan = redirect_plan_again(self.profile, plan, self.rng)
            else:
                obtained = await obtain_client(self, discovery, plan, chosen_scope, steps, hosting)
                if obtained is None:
                    return Connection(steps=tuple(steps), discovery=discovery, plan=plan)
                client, plan = obtained
            return await self._authorize_and_redeem(
                steps, discovery, client, plan, chosen_scope, user
            )

    def _keeps_client(self, reuse: Connection) -> bool:
        """A later authorization reuses the client, unless the profile re-registers or the
        client id names a document that was hosted for the earlier flow only."""
        hosted = reuse.client is not None and reuse.client.client_id.startswith("http://")
        return not self.profile.registration.reregister_on_reauth.value and not hosted

    async def _discover(self, steps: list[Step], challenge: Response | None) -> Discovery | None:
        response = challenge or await self.unauthenticated()
        first = seen.first_response(self.profile, response)
        if first is not None:
            steps.append(first)
            return None
        if self.profile.discovery.on_401.value is On401.GIVE_UP:
            steps.append(seen.gives_up(self.profile, response))
            return None
        policy = discovery_policy(self.profile, self.spec)
        found = await discover(self.http, self.mcp_url, unauthenticated=response, policy=policy)
        fallback = legacy_policy(self.profile, self.spec)
        if found.prm is None and found.endpoints is None and fallback is not None:
            legacy = await discover(
                self.http, self.mcp_url, unauthenticated=response, policy=fallback
            )
            found = replace(legacy, attempts=(*found.attempts, *legacy.attempts))
        problem = seen.discovery(self.profile, found)
        if problem is None and found.endpoints is None:
            spec = await discover(self.http, self.mcp_url, unauthenticated=response)
            problem = seen.discovery_failed(self.profile, found, spec)
        steps.append(problem or Step(name="discovery", outcome="ok", exchanges=found.exchanges))
        return None if problem is not None else found

    async def _authorize_and_redeem(
        self,
        steps: list[Step],
        discovery: Discovery,
        client: ClientCredentials,
        plan: RedirectPlan,
        scope: str | None,
        user: UserCredentials | None,
    ) -> Connection:
        resource = resource_choice(self.profile, discovery)
        partial = Connection(
            steps=(), discovery=discovery, client=client, plan=plan, scope=scope, resource=resource
        )
        endpoints = discovery.require_endpoints()
        pkce = new_pkce(vault=self.http.vault)
        state = secrets.token_urlsafe(16) if self.profile.callback.sends_state.value else None
        url = authorization_url(
            endpoints.authorization_endpoint or "",
            client_id=client.client_id,
            redirect_uri=plan.at_authorize,
            pkce=pkce,
            state=state,
            scope=scope,
            resource=resource.value,
        )
        flow = await authorize(
            self.http,
            url,
            redirect_uri=plan.at_authorize,
            driver=login_driver(self.config, user),
        )
        problem = judge.authorization(self.profile, discovery, flow, state, partial)
        if problem is None and flow.response is None and plan.port_differs:
            problem = await self._port_diagnosis(url, plan, flow.problem or "", partial)
        if problem is not None:
            steps.append(problem)
            return replace(
                partial,
                steps=tuple(steps),
                callback=flow.response,
                callback_exchanges=flow.exchanges,
            )
        assert flow.response is not None
        assert flow.response.code is not None
        steps.append(Step(name="authorization", outcome="ok", exchanges=flow.exchanges))
        partial = replace(partial, callback=flow.response, callback_exchanges=flow.exchanges)
        if not endpoints.token_endpoint:
            steps.append(judge.no_token_endpoint(self.profile, discovery))
            return replace(partial, steps=tuple(steps))
        if not self.profile.token_use.redeems_code.value:
            steps.append(judge.never_redeems(self.profile))
            return replace(partial, steps=tuple(steps))
        token_endpoint = endpoints.token_endpoint
        if self.profile.discovery.rediscover_before_token.value:
            again = await self._rediscover(discovery, steps)
            if again is None:
                return replace(partial, steps=tuple(steps))
            token_endpoint = again
        redeemed = await redeem_code(
            self.http,
            token_endpoint,
            client=client,
            code=flow.response.code,
            redirect_uri=plan.at_authorize,
            code_verifier=pkce.verifier,
            resource=resource.value if self.profile.resource.at_token.value else None,
            headers=oauth_headers(self.profile),
        )
        steps.append(judge.token(self.profile, redeemed, partial))
        return replace(
            partial, steps=tuple(steps), tokens=redeemed.tokens, token_endpoint=token_endpoint
        )

    async def _rediscover(self, found: Discovery, steps: list[Step]) -> str | None:
        """The metadata fetched again between the authorization and the token request (the
        client's own discovery order); the token endpoint it names, or None after a step."""
        policy = discovery_policy(self.profile, self.spec)
        again = await discover(
            self.http, self.mcp_url, unauthenticated=found.unauthenticated, policy=policy
        )
        endpoint = again.endpoints.token_endpoint if again.endpoints is not None else None
        if endpoint:
            steps.append(
                Step(
                    name="discovery again (before the token request)",
                    outcome="ok",
                    exchanges=again.exchanges,
                )
            )
            return endpoint
        steps.append(seen.rediscovery_failed(self.profile, again))
        return None

    async def _port_diagnosis(
        self, url: str, plan: RedirectPlan, problem: str, partial: Connection
    ) -> Step:
        """The authorization stopped with the moved loopback port: would the registered one work?"""
        control_url = url.replace(_quoted(plan.at_authorize), _quoted(plan.as_registered))
        control = await authorize(
            self.http,
            control_url,
            redirect_uri=plan.as_registered,
            driver=login_driver(self.config, None),
        )
        return judge.port_refused(self.profile, plan, problem, control.response is not None)


def login_driver(config: Config, user: UserCredentials | None) -> LoginDriver:
    login = config.login
    if login.mode == "form":
        username = user.username if user else login.username
        password = user.password if user else login.password
        if not username or not password:
            raise NotApplicable("[login].mode is form but username/password are not configured")
        return FormLogin(username=username, password=password)
    return AutoLogin()


def _quoted(uri: str) -> str:
    from urllib.parse import quote

    return quote(uri, safe="")


def exchanges_of(steps: Sequence[Step]) -> tuple[Exchange, ...]:
    return tuple(e for s in steps for e in s.exchanges)
