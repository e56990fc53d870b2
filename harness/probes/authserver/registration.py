"""Registration probes: dynamic client registration (bad redirect URIs, a typical client, one
without token_endpoint_auth_method), and the second client binding checks use."""

from __future__ import annotations

import asyncio

from harness import __version__
from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.oauth.errors import FlowError
from harness.oauth.registration import AuthMethod, register, registration_body
from harness.probes.authserver.evidence import RegistrationAttempt, RegistrationProbes, SecondClient
from harness.probes.authserver.flow import (
    DEFAULT_REDIRECT_URI,
    full_flow,
    harness_registration_body,
    prepare,
    register_client,
    registration_of,
)

#: (label, redirect URI) a registration must refuse: schemes that run code or carry data, a
#: fragment, and plain http to a host that is not loopback.
BAD_REDIRECT_URIS = (
    ("a javascript: redirect URI", "javascript:alert(document.domain)//"),
    ("a data: redirect URI", "data:text/html,mcp-auth-harness"),
    ("a redirect URI with a fragment", "http://127.0.0.1:33418/callback#fragment"),
    ("a non-loopback http redirect URI", "http://mcp-auth-harness.example/callback"),
)


async def probe_registration(run: Run, _profile: str | None) -> RegistrationProbes:
    setup = await prepare(run)
    endpoint = setup.registration_endpoint
    if not endpoint:
        raise NotApplicable(
            "the authorization server advertises no registration_endpoint (no dynamic client "
            "registration), so there is nothing to test here"
        )

    async def attempt(
        label: str, redirect_uri: str, *, name_method: bool = True
    ) -> RegistrationAttempt:
        body = registration_body(
            client_name=f"mcp-auth-harness {__version__} (registration checks)",
            redirect_uris=(redirect_uri,),
            token_endpoint_auth_method=AuthMethod.NONE,
            scope=setup.scope,
        )
        if not name_method:
            del body["token_endpoint_auth_method"]
        registration = await register(run.http, endpoint, body)
        return RegistrationAttempt(
            label=label, redirect_uri=redirect_uri, registration=registration
        )

    async def without_method() -> RegistrationAttempt | str:
        """As the Python SDK client registers: the server must name the method it chose."""
        try:
            return await attempt(
                "a registration without token_endpoint_auth_method",
                DEFAULT_REDIRECT_URI,
                name_method=False,
            )
        except NotApplicable as exc:  # rate limited, or --max-registrations spent
            return str(exc)

    async def typical() -> RegistrationAttempt:
        # the harness's own client metadata: the registration the other probes share (the
        # recorded request and answer are the same evidence, and no second client is spent)
        body = harness_registration_body(setup.scope, (DEFAULT_REDIRECT_URI,))
        registration = await registration_of(run, endpoint, body)
        return RegistrationAttempt(
            label="a typical MCP client registration",
            redirect_uri=DEFAULT_REDIRECT_URI,
            registration=registration,
        )

    bad = await asyncio.gather(*(attempt(label, uri) for label, uri in BAD_REDIRECT_URIS))
    valid = await typical()
    omitted = await without_method()
    return RegistrationProbes(
        endpoint=endpoint,
        requested_auth_method=AuthMethod.NONE,
        bad=tuple(bad),
        valid=valid,
        omitted=omitted if isinstance(omitted, RegistrationAttempt) else None,
        omitted_reason=omitted if isinstance(omitted, str) else None,
    )


async def probe_second_client(run: Run, _profile: str | None) -> SecondClient:
    """Client B for the binding checks; never raises for a missing capability (reason instead)."""
    setup = await prepare(run)
    if not setup.registration_endpoint:
        return SecondClient(
            client=None,
            reason="this check needs a second client, and the authorization server offers no "
            "dynamic client registration to create one",
        )
    try:
        client = await register_client(run, setup.discovery, purpose="second client", distinct=True)
    except FlowError as exc:
        return SecondClient(
            client=None, reason=f"registering a second client (by DCR) failed: {exc}"
        )
    flow = await full_flow(run, setup, client)
    if not flow.ok:
        return SecondClient(
            client=None,
            reason=f"the second client could not complete a flow of its own: {flow.problem}",
            flow=flow,
        )
    return SecondClient(client=client, reason=None, flow=flow)


PROBES: dict[type, Probe] = {
    RegistrationProbes: probe_registration,
    SecondClient: probe_second_client,
}
