"""How a profile becomes a client of the authorization server: pre-registered, CIMD or DCR."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Protocol
from urllib.parse import urlsplit

from harness.budget import RateLimited, rate_limit_reason
from harness.config import Config
from harness.egress import is_loopback_host
from harness.errors import NotApplicable
from harness.http import HttpClient
from harness.oauth.discovery import Discovery
from harness.oauth.metadata import AuthServerMetadata
from harness.oauth.registration import (
    AuthMethod,
    ClientCredentials,
    Registration,
    register,
)
from harness.probes.authserver.canary import LoopbackListener
from harness.probes.scenarios.journey import Phase, Step
from harness.profiles import clauses
from harness.profiles.diagnose import DEGRADED, RFC7591, refused
from harness.profiles.knobs import RedirectPlan, cimd_usable, oauth_headers, registration_request
from harness.profiles.model import Profile, RegMethod, UnstatedAuthMethod


class ProfileClient(Protocol):
    """What registration needs of a simulated client (`harness.profiles.connect.ProfileClient`)."""

    http: HttpClient
    config: Config
    mcp_url: str
    profile: Profile
    cimd_url: str
    host_cimd_document: bool | None


REG_KNOBS = (
    "registration.auth_method",
    "registration.client_name",
    "registration.application_type",
    "registration.scope",
    "registration.extra",
    "redirects.uris",
)


async def obtain_client(
    pc: ProfileClient,
    discovery: Discovery,
    plan: RedirectPlan,
    scope: str | None,
    steps: list[Step],
    hosting: contextlib.AsyncExitStack,
) -> tuple[ClientCredentials, RedirectPlan] | None:
    """The client this profile authorizes as (and the redirect plan that goes with it), or None
    after recording why registration failed. `NotApplicable` when no way is open."""
    profile = pc.profile
    metadata = discovery.as_metadata
    endpoints = discovery.require_endpoints()
    for method in profile.registration.order.value:
        if method is RegMethod.STATIC and pc.config.client is not None:
            configured = pc.config.client
            redirect = configured.redirect_uri or plan.as_registered
            fixed = RedirectPlan(
                registered=(redirect,), at_authorize=redirect, as_registered=redirect
            )
            steps.append(Step(name="registration (pre-registered)", outcome="ok"))
            return (
                ClientCredentials(
                    client_id=configured.client_id,
                    client_secret=configured.client_secret,
                    redirect_uris=(redirect,),
                    token_endpoint_auth_method=AuthMethod.CLIENT_SECRET_BASIC
                    if configured.client_secret
                    else AuthMethod.NONE,
                ),
                fixed,
            )
        if method is RegMethod.CIMD and cimd_usable(profile, metadata, pc.cimd_url):
            client_id = pc.cimd_url
            label = "registration (CIMD)"
            host = pc.host_cimd_document
            if host is None:
                host = is_loopback_host(urlsplit(pc.mcp_url).hostname or "")
            if host:
                client_id = await _host_document(pc, plan, hosting)
                label = "registration (CIMD; document hosted on loopback)"
            steps.append(Step(name=label, outcome="ok"))
            return ClientCredentials(client_id=client_id, redirect_uris=plan.registered), plan
        if method is RegMethod.DCR and endpoints.registration_endpoint:
            dynamic = await _dcr(pc, endpoints.registration_endpoint, plan, scope, steps, metadata)
            return (dynamic, plan) if dynamic is not None else None
    raise NotApplicable(
        "the authorization server offers no registration this client can use (no "
        "registration_endpoint); configure a pre-registered client in [client]"
    )


async def _host_document(
    pc: ProfileClient, plan: RedirectPlan, hosting: contextlib.AsyncExitStack
) -> str:
    """A loopback copy of the client's metadata document, for a server on this machine (which
    may not reach the client's published URL). Its `client_id` is its own URL."""
    listener = await hosting.enter_async_context(LoopbackListener())
    path = f"/{pc.profile.name}/client-metadata.json"
    url = listener.url(path)
    knobs = pc.profile.registration
    document: dict[str, object] = {
        "client_id": url,
        "client_name": knobs.client_name.value,
        "redirect_uris": list(plan.registered),
        "grant_types": list(knobs.grant_types.value),
        "response_types": ["code"],
        "token_endpoint_auth_method": AuthMethod.NONE,
    }
    if knobs.application_type.value.value:
        document["application_type"] = knobs.application_type.value.value
    return listener.serve(path, document)


async def _dcr(
    pc: ProfileClient,
    endpoint: str,
    plan: RedirectPlan,
    scope: str | None,
    steps: list[Step],
    metadata: AuthServerMetadata | None,
) -> ClientCredentials | None:
    profile = pc.profile
    body = registration_request(
        profile, redirect_uris=plan.registered, scope=scope, metadata=metadata
    )
    count = profile.registration.per_connect.value
    headers = oauth_headers(profile)
    if count == 1:  # one registration per distinct client metadata and run (rate limits)
        key = {"body": body, "headers": list(headers)}
        results: list[Registration] = [
            await pc.http.budget.registration(
                endpoint, key, lambda: register(pc.http, endpoint, body, headers=headers)
            )
        ]
    else:  # the quirk is the concurrent registrations themselves: each one is sent
        results = list(
            await asyncio.gather(
                *(register(pc.http, endpoint, body, headers=headers) for _ in range(count))
            )
        )
    first = results[0]
    if first.response.status == 429:  # a rate limit is no verdict on the client's metadata
        reason = rate_limit_reason(first.response.header("retry-after"))
        raise RateLimited(f"{reason}: the registration endpoint answered 429")
    if first.credentials is None:
        error = first.error or "refused"
        if first.error_description:
            error += f" ({first.error_description})"
        text = f"dynamic client registration was refused: {error}"
        steps.append(
            Step(
                name="registration",
                outcome="failed",
                detail=text,
                exchanges=(first.response.exchange,),
                impact=refused(
                    Phase.REGISTER,
                    text,
                    profile=profile,
                    sources=(*profile.sources(*REG_KNOBS), RFC7591),
                    remediation="accept the registration this client sends (see the request "
                    "body in the evidence)",
                ),
            )
        )
        return None
    exchanges = tuple(r.response.exchange for r in results)
    if profile.registration.require_echoed_auth_method.value and (
        first.document is None or "token_endpoint_auth_method" not in first.document
    ):
        text = (
            "the registration response does not state token_endpoint_auth_method; this client "
            "aborts the connect"
        )
        steps.append(
            Step(
                name="registration",
                outcome="failed",
                detail=text,
                exchanges=exchanges,
                impact=refused(
                    Phase.REGISTER,
                    text,
                    profile=profile,
                    sources=(*profile.sources("registration.require_echoed_auth_method"), RFC7591),
                    remediation="return every registered metadata value, including "
                    "token_endpoint_auth_method, in the registration response",
                    must=clauses.REGISTRATION_ECHO,
                ),
            )
        )
        return None
    if any(r.credentials is None for r in results[1:]):
        text = f"{count} concurrent registrations in one connect: only the first was accepted"
        steps.append(
            Step(
                name="registration",
                outcome="ok",
                detail=text,
                exchanges=exchanges,
                impact=refused(
                    Phase.REGISTER,
                    text,
                    profile=profile,
                    knobs=("registration.per_connect",),
                    verdict=DEGRADED,
                    remediation=f"allow at least {count} registrations per client per minute",
                ),
            )
        )
    else:
        label = "registration" if count == 1 else f"registration ({count} concurrent)"
        steps.append(Step(name=label, outcome="ok", exchanges=exchanges))
    return _as_used(profile, first)


def _as_used(profile: Profile, registration: Registration) -> ClientCredentials | None:
    """The credentials as this client uses them: with no method named in the response, a
    client whose knob says so authenticates with none, even holding an issued secret."""
    credentials = registration.credentials
    document = registration.document or {}
    unstated = "token_endpoint_auth_method" not in document
    knob = profile.registration.unstated_auth_method.value
    if credentials is None or not unstated or knob is not UnstatedAuthMethod.NONE:
        return credentials
    return replace(credentials, token_endpoint_auth_method=AuthMethod.NONE)
