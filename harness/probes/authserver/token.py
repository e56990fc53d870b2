"""Token endpoint probes: a code redeemed twice, by another client, with another redirect_uri;
token requests that must fail (their error format); then the unmutated flow.
"""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urlsplit, urlunsplit

from harness.engine import Probe, Run
from harness.oauth.clientauth import client_auth
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenResponse, parse_token_response, refresh
from harness.probes.authserver.evidence import (
    LabelledToken,
    SecondClient,
    TokenErrorProbes,
    TokenProbes,
)
from harness.probes.authserver.flow import (
    FlowSetup,
    authorization_request,
    client_origins,
    full_flow,
    navigate,
    prepare,
    redeem,
    redirect_of,
    shared_client,
)
from harness.probes.authserver.records import FlowRun


async def _authorized(run: Run, setup: FlowSetup, client: ClientCredentials) -> FlowRun:
    """An unmutated authorization, not yet redeemed."""
    request = authorization_request(run, setup, client)
    stop = client_origins(redirect_of(client))
    navigation = await navigate(run, setup.authorization_endpoint, request, stop_at=stop)
    return FlowRun(request=request, navigation=navigation, token=None)


async def _reuse(
    run: Run, setup: FlowSetup, client: ClientCredentials
) -> tuple[FlowRun, TokenResponse | None, TokenResponse | None]:
    authorized = await _authorized(run, setup, client)
    code = authorized.navigation.code
    if code is None:
        return authorized, None, None
    first = await redeem(run, setup, client, authorized.request, code)
    flow = FlowRun(request=authorized.request, navigation=authorized.navigation, token=first)
    if first.tokens is None:
        return flow, None, None
    replay = await redeem(run, setup, client, authorized.request, code)
    after = None
    if replay.tokens is None and first.tokens.refresh_token:
        after = await refresh(
            run.http,
            setup.token_endpoint,
            client=client,
            refresh_token=first.tokens.refresh_token,
            resource=setup.resource,
        )
    return flow, replay, after


async def _theft(
    run: Run, setup: FlowSetup, client: ClientCredentials, second: SecondClient
) -> tuple[FlowRun | None, TokenResponse | None]:
    if second.client is None:
        return None, None
    authorized = await _authorized(run, setup, client)
    code = authorized.navigation.code
    if code is None:
        return authorized, None
    request = authorized.request
    stolen = await redeem(run, setup, second.client, request, code)
    theft = FlowRun(request=request, navigation=authorized.navigation, token=stolen)
    return theft, await redeem(run, setup, client, request, code)


async def _mismatch(run: Run, setup: FlowSetup, client: ClientCredentials) -> FlowRun:
    authorized = await _authorized(run, setup, client)
    code = authorized.navigation.code
    if code is None:
        return authorized
    parts = urlsplit(redirect_of(client))
    other = urlunsplit(parts._replace(path=f"/other-{secrets.token_hex(4)}", query=""))
    token = await redeem(run, setup, client, authorized.request, code, redirect_uri=other)
    return FlowRun(request=authorized.request, navigation=authorized.navigation, token=token)


async def probe_token(run: Run, _profile: str | None) -> TokenProbes:
    setup = await prepare(run)
    client = await shared_client(run)
    second = await run.need(SecondClient)
    (first, replay, after), (theft, owner), mismatch = await asyncio.gather(
        _reuse(run, setup, client),
        _theft(run, setup, client, second),
        _mismatch(run, setup, client),
    )
    sanity = await full_flow(run, setup, client)
    return TokenProbes(
        first=first,
        replay=replay,
        after_replay=after,
        theft=theft,
        owner_after_theft=owner,
        second=second,
        redirect_mismatch=mismatch,
        sanity=sanity,
    )


async def probe_token_errors(run: Run, _profile: str | None) -> TokenErrorProbes:
    setup = await prepare(run)
    client = await shared_client(run)
    auth = client_auth(client)
    made_up = secrets.token_urlsafe(32)
    run.http.vault.add(made_up)
    forms = (
        (
            "a made-up authorization code",
            {
                "grant_type": "authorization_code",
                "code": made_up,
                "redirect_uri": redirect_of(client),
                "code_verifier": secrets.token_urlsafe(48),
            },
        ),
        ("an unknown grant_type", {"grant_type": "urn:mcp-auth-harness:no-such-grant"}),
        ("a made-up refresh token", {"grant_type": "refresh_token", "refresh_token": made_up}),
    )

    async def send(label: str, form: dict[str, str]) -> LabelledToken:
        body = {**form, **dict(auth.form), "resource": setup.resource}
        headers = [("accept", "application/json"), *auth.headers]
        response = await run.http.request("POST", setup.token_endpoint, form=body, headers=headers)
        return LabelledToken(label=label, token=parse_token_response(response))

    attempts = await asyncio.gather(*(send(label, form) for label, form in forms))
    return TokenErrorProbes(attempts=tuple(attempts))


PROBES: dict[type, Probe] = {TokenProbes: probe_token, TokenErrorProbes: probe_token_errors}
