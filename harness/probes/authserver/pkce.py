"""PKCE probes: each takes one part of PKCE away from an otherwise correct flow.

At the authorization endpoint: no code_challenge (twice: one code is redeemed without a
verifier, the other with one, the downgrade), and `plain`. At the token endpoint: codes from
correct requests redeemed with a wrong verifier and with none. Then the unmutated flow.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets

from harness.engine import Probe, Run
from harness.oauth.pkce import new_pkce
from harness.oauth.tokens import TokenResponse
from harness.probes.authserver.evidence import Mutation, PkceProbes
from harness.probes.authserver.flow import (
    authorization_request,
    client_origins,
    full_flow,
    navigate,
    prepare,
    redeem,
    redirect_of,
    shared_client,
)
from harness.probes.authserver.records import AuthzRequest, FlowRun


async def probe_pkce(run: Run, _profile: str | None) -> PkceProbes:
    setup = await prepare(run)
    client = await shared_client(run)
    stop = client_origins(redirect_of(client))

    async def mutate(label: str, request: AuthzRequest) -> Mutation:
        navigation = await navigate(run, setup.authorization_endpoint, request, stop_at=stop)
        return Mutation(label=label, sent_redirect_uri=request.redirect_uri, navigation=navigation)

    async def redeemed(
        mutation: Mutation, request: AuthzRequest, verifier: str | None
    ) -> TokenResponse | None:
        code = mutation.navigation.code
        if code is None:
            return None
        # `request` without PKCE: the verifier (if any) is the one given here
        sent = dataclasses.replace(request, pkce=None)
        return await redeem(run, setup, client, sent, code, verifier=verifier)

    async def token_mutation(verifier: str | None) -> FlowRun:
        request = authorization_request(run, setup, client)
        navigation = await navigate(run, setup.authorization_endpoint, request, stop_at=stop)
        code = navigation.code
        sent = dataclasses.replace(request, pkce=None)
        token = await redeem(run, setup, client, sent, code, verifier=verifier) if code else None
        return FlowRun(request=request, navigation=navigation, token=token)

    def without_challenge() -> AuthzRequest:
        return dataclasses.replace(authorization_request(run, setup, client), pkce=None)

    plain = dataclasses.replace(
        authorization_request(run, setup, client), pkce=new_pkce("plain", vault=run.http.vault)
    )
    no_challenge, downgrade = without_challenge(), without_challenge()
    wrong = secrets.token_urlsafe(48)
    run.http.vault.add(wrong)

    async def stripped(
        label: str, request: AuthzRequest, verifier: str | None
    ) -> tuple[Mutation, TokenResponse | None]:
        mutation = await mutate(label, request)
        return mutation, await redeemed(mutation, request, verifier)

    (nc, nc_token), (dg, dg_token), plain_mutation, wrong_run, missing_run = await asyncio.gather(
        stripped("no code_challenge", no_challenge, None),
        stripped("no code_challenge (downgrade)", downgrade, secrets.token_urlsafe(48)),
        mutate("code_challenge_method=plain", plain),
        token_mutation(wrong),
        token_mutation(None),
    )
    sanity = await full_flow(run, setup, client)
    metadata = setup.discovery.as_metadata
    return PkceProbes(
        advertised=metadata.code_challenge_methods_supported if metadata else None,
        no_challenge=nc,
        no_challenge_token=nc_token,
        downgrade=dg,
        downgrade_token=dg_token,
        plain=plain_mutation,
        wrong_verifier=wrong_run,
        missing_verifier=missing_run,
        sanity=sanity,
        confidential_client=bool(client.client_secret),
    )


PROBES: dict[type, Probe] = {PkceProbes: probe_pkce}
