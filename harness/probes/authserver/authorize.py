"""Authorization endpoint probes: redirect URI matching, state, iss, status, implicit refusal.

The client is registered (by DCR) with a redirect URI on a canary listener, so the unregistered
variants that keep its origin point at the canary; so do the requests that pair an unregistered
redirect URI with a second fault (an AS that checks scope, response type or PKCE first must not
redirect that error there either). The unmutated flow runs last, as the sanity step, with a long
state to see it echoed byte for byte.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from harness.engine import Probe, Run
from harness.probes.authserver.canary import LoopbackListener
from harness.probes.authserver.evidence import Mutation, RedirectProbes
from harness.probes.authserver.flow import (
    FlowSetup,
    authorization_request,
    client_origins,
    full_flow,
    navigate,
    prepare,
    probe_client,
    redirect_of,
)
from harness.probes.authserver.records import AuthzRequest

LOOPBACK_IP = "127.0.0.1"


def is_loopback_ip_uri(uri: str) -> bool:
    """RFC 8252 §7.3: an http redirect URI on a loopback IP literal, whose port may vary."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in {LOOPBACK_IP, "::1"}


def with_port(uri: str, port: int) -> str:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return urlunsplit(parts._replace(netloc=f"{host}:{port}"))


def unregistered_variants(registered: str, base: str, nonce: str) -> tuple[tuple[str, str], ...]:
    """(label, URI) of redirect URIs that merely resemble `registered`.

    `base` is `registered` moved to the canary's port when a loopback port may vary anyway, so
    the path and query variants still aim at the canary.
    """
    parts = urlsplit(base)
    path = parts.path or "/"
    joiner = "&" if parts.query else ""
    return (
        ("another path", urlunsplit(parts._replace(path=f"/evil-{nonce}", query=""))),
        ("an extra path segment", urlunsplit(parts._replace(path=f"{path.rstrip('/')}/evil"))),
        (
            "an added query parameter",
            urlunsplit(parts._replace(query=f"{parts.query}{joiner}x={nonce}")),
        ),
        (
            "another host",
            urlunsplit(urlsplit(registered)._replace(netloc=f"attacker-{nonce}.invalid")),
        ),
    )


async def probe_redirects(run: Run, _profile: str | None) -> RedirectProbes:
    setup = await prepare(run)
    async with LoopbackListener() as canary:
        nonce = secrets.token_hex(4)
        wanted = canary.url(f"/callback-{nonce}")
        client = await probe_client(run, setup, purpose="redirect checks", redirect_uri=wanted)
        registered = redirect_of(client)
        port = int(canary.origin.rsplit(":", 1)[1])
        loopback = is_loopback_ip_uri(registered)
        on_canary = urlsplit(registered).hostname == LOOPBACK_IP and loopback
        base = with_port(registered, port) if on_canary else registered
        variants = unregistered_variants(registered, base, nonce)
        other_port_uri = with_port(registered, _another_port(port, urlsplit(registered).port))
        stop = client_origins(registered, canary.origin, other_port_uri, *(u for _, u in variants))

        def request(
            *,
            redirect_uri: str | None = None,
            client_id: str | None = None,
            response_type: str = "code",
            scope: str | None = None,
            pkce: bool = True,
        ) -> AuthzRequest:
            sent = authorization_request(run, setup, client, scope=scope)
            return dataclasses.replace(
                sent,
                redirect_uri=redirect_uri or sent.redirect_uri,
                client_id=client_id or sent.client_id,
                response_type=response_type,
                pkce=sent.pkce if pkce else None,
            )

        async def mutate(label: str, changed: AuthzRequest) -> Mutation:
            navigation = await navigate(run, setup.authorization_endpoint, changed, stop_at=stop)
            return Mutation(
                label=label, sent_redirect_uri=changed.redirect_uri, navigation=navigation
            )

        unregistered = [mutate(label, request(redirect_uri=uri)) for label, uri in variants]
        bad_client = [
            mutate("an unknown client_id", request(client_id=f"mcp-auth-harness-unknown-{nonce}")),
            mutate("an unregistered redirect URI", request(redirect_uri=variants[-1][1])),
        ]
        # each on its own canary path, so a hit names the sub-case
        error_uris = [canary.url(f"/error-{i}-{nonce}") for i in range(len(SECOND_FAULTS))]
        error_redirects = [
            mutate(
                f"an unregistered redirect URI and {fault.label}",
                request(
                    redirect_uri=uri,
                    scope=fault.scope,
                    response_type=fault.response_type,
                    pkce=fault.pkce,
                ),
            )
            for fault, uri in zip(SECOND_FAULTS, error_uris, strict=True)
        ]
        implicit = mutate("response_type=token", request(response_type="token"))
        other_port = (
            mutate(
                "the registered loopback URI on another port", request(redirect_uri=other_port_uri)
            )
            if loopback
            else None
        )
        done, faulty = await asyncio.gather(
            asyncio.gather(
                *unregistered, *bad_client, implicit, *([other_port] if other_port else [])
            ),
            asyncio.gather(*error_redirects),
        )
        state = secrets.token_urlsafe(32) + ".~"
        sanity = await full_flow(
            run, setup, client, request=authorization_request(run, setup, client, state=state)
        )
        hits, canary_origin = canary.hits, canary.origin
    count = len(variants)
    return RedirectProbes(
        issuer=setup.issuer,
        iss_supported=_iss_supported(setup),
        registered=registered,
        unregistered=tuple(done[:count]),
        bad_client=tuple(done[count : count + 2]),
        implicit=done[count + 2],
        other_port=done[count + 3] if loopback else None,
        canary_origin=canary_origin,
        canary_hits=hits,
        sent_state=state,
        sanity=sanity,
        error_redirects=tuple(faulty),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondFault:
    """A fault sent with an unregistered redirect URI: an error the AS may find first, which
    OAuth 2.1 §4.1.2.1 still forbids redirecting to that URI."""

    label: str
    scope: str | None = None
    response_type: str = "code"
    pkce: bool = True


SECOND_FAULTS = (
    SecondFault(label="an unknown scope", scope="mcp-auth-harness-unknown-scope"),
    SecondFault(label="an unsupported response_type", response_type="mcp_auth_harness_unsupported"),
    SecondFault(label="no code_challenge", pkce=False),
)


def _another_port(port: int, registered: int | None) -> int:
    """A port next to the canary's that is not the registered one."""
    return next(p for p in (port + 1, port - 1, port + 2) if p != registered and 0 < p < 65536)


def _iss_supported(setup: FlowSetup) -> bool | None:
    metadata = setup.discovery.as_metadata
    return metadata.authorization_response_iss_parameter_supported if metadata else None


PROBES: dict[type, Probe] = {RedirectProbes: probe_redirects}
