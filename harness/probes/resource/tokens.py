"""Probes for token validation: forged tokens, a revoked token, a token for another resource,
a foreign `Origin`, and session follow-ups without the token.

The forgeries start from the run's main access token; revocation uses a fresh token of its own
so the other probes keep a working one. Everything a probe sends is derived from what the target
advertises (its metadata, its tools) and from the configuration, never from a known server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping

from harness.engine import Probe, Run
from harness.errors import NotApplicable, TargetError
from harness.oauth.errors import FlowError
from harness.oauth.registration import AuthMethod
from harness.oauth.tokens import Revocation, revoke
from harness.probes.authserver.canary import LoopbackListener
from harness.probes.grant import Grant
from harness.probes.resource.evidence import Attempt
from harness.probes.resource.forge import (
    CompactJws,
    Forgery,
    HarnessIssuer,
    alg_confusion,
    alg_none,
    foreign_claims,
    foreign_issuer,
    parse_jws,
    tampered,
    token_kind,
)
from harness.probes.resource.grants import (
    Obtained,
    audiences,
    fresh_tokens,
    live_tokens,
    main_grant,
    retried,
    still_valid,
    tokens_or_skip,
)
from harness.probes.resource.header_key import HeaderKeyForger, KeyUrls
from harness.probes.resource.mcp import CallOutcome, Session, safe_tools, tools_of
from harness.probes.resource.target import McpProbe
from harness.probes.resource.token_evidence import (
    AudienceSwapProbe,
    FollowUpProbes,
    ForgeryProbes,
    OriginProbe,
    RevokedProbe,
)
from harness.probes.static import NO_FLOW, is_static

FOREIGN_ORIGIN = "https://evil.example"
MADE_UP_RESOURCE = "https://mcp.invalid/other"  # RFC 2606 §2 / RFC 6761 §6.4: never resolves
OTHER_RESOURCE_HINT = (
    "set [target].other_resource to another MCP server (resource) of the same authorization server"
)
# the control, then the alg-none, tampered, alg-confusion, foreign-issuer and header-key attempts
_Sent = tuple[
    Attempt,
    tuple[Attempt, ...],
    tuple[Attempt, ...],
    tuple[Attempt, ...],
    tuple[Attempt, ...],
    tuple[Attempt, ...],
]
ISSUER_PATH = "/issuer"
KEYS_PATH = "/keys"  # the jku / x5u documents of the header-key forgeries


async def _send_all(mcp: McpProbe, forged: tuple[Forgery, ...]) -> tuple[Attempt, ...]:
    return tuple(
        await asyncio.gather(
            *(mcp.attempt(f.label, authorization=f"Bearer {f.token}") for f in forged)
        )
    )


async def probe_forgeries(run: Run, _profile: str | None) -> ForgeryProbes:
    grant = await main_grant(run)
    named = parse_jws(grant.tokens.access_token)  # the key the AS signs with, by its kid
    async with LoopbackListener() as listener:
        (jwk, absent), issuer, forger = await asyncio.gather(
            _as_public_key(run, grant, named) if named else _no_key(),
            asyncio.to_thread(HarnessIssuer, listener.url(ISSUER_PATH)),
            asyncio.to_thread(HeaderKeyForger),
        )
        listener.serve(
            f"/.well-known/oauth-authorization-server{ISSUER_PATH}",
            issuer.metadata(listener.url(f"{ISSUER_PATH}/jwks")),
        )
        listener.serve(f"{ISSUER_PATH}/jwks", issuer.jwks())
        urls = KeyUrls(
            jku=listener.serve(f"{KEYS_PATH}/jwks.json", forger.jwks()),
            x5u=listener.serve_body(f"{KEYS_PATH}/cert.pem", forger.certificate_pem),
        )

        async def forge_and_send() -> tuple[str, _Sent]:
            live = await live_tokens(run, purpose="forgery")
            token = live.tokens.access_token
            sent = await _forge_and_send(run, grant, token, jwk, issuer, (forger, urls))
            still_valid(sent[0].status, live.tokens)
            return live.tokens.access_token, sent

        token, sent = await retried(forge_and_send)
        hits = listener.hits
    control, none_, tampered_, confused, foreign_, header_key = sent
    fetched = [hit for hit in hits if hit.path.startswith(KEYS_PATH + "/")]
    return ForgeryProbes(
        shape=token_kind(token),
        control=control,
        alg_none=none_,
        tampered=tampered_,
        alg_confusion=confused,
        alg_confusion_absent=absent if named else "opaque token",
        foreign_issuer=foreign_,
        issuer_fetches=tuple(hit.describe() for hit in hits if hit not in fetched),
        header_key=header_key,
        key_fetches=tuple(f"{hit.method} {_offered_url(urls, hit.path)}" for hit in fetched),
    )


def _offered_url(urls: KeyUrls, path: str) -> str:
    """The full URL a fetched path was offered under (the listener's port is in it)."""
    return next((url for url in (urls.jku, urls.x5u) if url.endswith(path)), path)


async def _no_key() -> tuple[None, str]:
    return None, "the access token is not a JWT"


async def _forge_and_send(
    run: Run,
    grant: Grant,
    token: str,
    jwk: Mapping[str, object] | None,
    issuer: HarnessIssuer,
    header_keys: tuple[HeaderKeyForger, KeyUrls],
) -> _Sent:
    """Forge from `token` and send everything at once (the control first in the result)."""
    mcp = McpProbe(run)
    real = parse_jws(token)
    claims = foreign_claims(
        real, resource=grant.resource, scope=grant.scope, as_issuer=grant.discovery.issuer
    )
    typ = real.header.get("typ") if real else "at+jwt"
    foreign = foreign_issuer(
        issuer, claims, as_kid=real.kid if real else None, typ=typ if isinstance(typ, str) else None
    )
    return await asyncio.gather(
        mcp.attempt("the real token, unchanged", authorization=f"Bearer {token}"),
        _send_all(mcp, alg_none(real) if real else ()),
        _send_all(mcp, tampered(real) if real else ()),
        _send_all(mcp, alg_confusion(real, jwk) if real and jwk else ()),
        _send_all(mcp, foreign),
        _send_all(mcp, header_keys[0].forge(real, header_keys[1]) if real else ()),
    )


async def _as_public_key(
    run: Run, grant: Grant, real: CompactJws
) -> tuple[Mapping[str, object] | None, str | None]:
    """The AS signing key the token names (JWKS), or why there is none to confuse."""
    if (real.alg or "").upper().startswith("HS"):
        return None, f"the token is signed with {real.alg}, a symmetric algorithm already"
    metadata = grant.discovery.as_metadata
    jwks_uri = metadata.jwks_uri if metadata is not None else None
    if not jwks_uri:
        return None, "the authorization server metadata names no jwks_uri"
    try:
        response = await run.http.request("GET", jwks_uri, headers=[("accept", "application/json")])
    except TargetError as exc:
        return None, f"the JWKS could not be fetched ({exc})"
    document = response.json_object()
    keys = document.get("keys") if document is not None else None
    candidates = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
    chosen = next((k for k in candidates if real.kid and k.get("kid") == real.kid), None)
    if chosen is None:
        chosen = next((k for k in candidates if k.get("kty") in {"RSA", "EC"}), None)
    if chosen is None:
        return None, f"the JWKS at {jwks_uri} holds no RSA or EC key ({response.summary()})"
    return chosen, None


async def probe_revoked(run: Run, _profile: str | None) -> RevokedProbe:
    if is_static(run):  # revoking the configured token would end the run's credential
        raise NotApplicable(f"rs.revoked revokes a token of its own: {NO_FLOW} to get one")
    grant = await main_grant(run)
    endpoints = grant.discovery.endpoints
    endpoint = endpoints.revocation_endpoint if endpoints is not None else None
    if not endpoint:
        raise NotApplicable(
            "the authorization server advertises no revocation_endpoint (RFC 7009), so the "
            "harness cannot revoke a token"
        )
    return await retried(lambda: _revoke_and_use(run, endpoint))


async def _revoke_and_use(run: Run, endpoint: str) -> RevokedProbe:
    fresh = await tokens_or_skip(run, purpose="revocation")
    mcp = McpProbe(run)
    before = await mcp.attempt(
        "the fresh token, before revocation", authorization=fresh.authorization
    )
    still_valid(before.status, fresh.tokens)
    if not before.accepted:
        raise TargetError(f"the fresh token was refused before revocation ({before.describe()})")
    revocation = await _revoke(run, endpoint, fresh)
    if not revocation.ok:
        raise NotApplicable(
            f"the authorization server refused to revoke the token ({revocation.error}); "
            "rs.revoked needs a working RFC 7009 endpoint"
        )
    after = await mcp.attempt("the same token, after revocation", authorization=fresh.authorization)
    still_valid(after.status, fresh.tokens)  # a lapsed token's 401 would prove nothing
    return RevokedProbe(
        shape=token_kind(fresh.tokens.access_token),
        before=before,
        revocation=revocation.response,
        after=after,
    )


async def _revoke(run: Run, endpoint: str, fresh: Obtained) -> Revocation:
    """RFC 7009 revocation as the token's client; a client using HTTP Basic tries once more with
    its credentials in the body (some servers, e.g. the Python MCP SDK, demand client_id there)."""
    hint = "access_token"
    token = fresh.tokens.access_token
    revocation = await revoke(
        run.http, endpoint, client=fresh.client, token=token, token_type_hint=hint
    )
    basic = fresh.client.token_endpoint_auth_method == AuthMethod.CLIENT_SECRET_BASIC
    if revocation.ok or not basic or not fresh.client.client_secret:
        return revocation
    in_body = dataclasses.replace(
        fresh.client, token_endpoint_auth_method=AuthMethod.CLIENT_SECRET_POST
    )
    return await revoke(run.http, endpoint, client=in_body, token=token, token_type_hint=hint)


async def probe_audience_swap(run: Run, _profile: str | None) -> AudienceSwapProbe:
    other = run.config.other_resource
    if not other and is_static(run):
        raise NotApplicable(f"needs a token for another resource: {OTHER_RESOURCE_HINT}")
    grant = await main_grant(run)
    if not other:
        return await retried(lambda: _made_up_swap(run, grant.resource))
    return await retried(lambda: _swap(run, grant.resource, other))


async def _swap(run: Run, resource: str, other: str) -> AudienceSwapProbe:
    obtained = await tokens_or_skip(run, purpose="other resource", resource=other)
    at_target, at_other = await asyncio.gather(
        McpProbe(run).attempt(f"a token issued for {other}", authorization=obtained.authorization),
        McpProbe(run, other).attempt(
            "the same token at the resource it was issued for", authorization=obtained.authorization
        ),
    )
    still_valid(at_target.status, obtained.tokens)
    return AudienceSwapProbe(
        resource=resource,
        other=other,
        audience=audiences(obtained.tokens.access_token),
        at_target=at_target,
        at_other=at_other,
    )


async def _made_up_swap(run: Run, resource: str) -> AudienceSwapProbe:
    """No other resource configured: ask for a token for a resource on a reserved domain (RFC
    2606 / RFC 6761 `.invalid`, never a real server). Only its readable `aud` can show the
    authorization server honoured the request; there is no resource to try it at."""
    try:
        obtained = await fresh_tokens(run, purpose="made-up resource", resource=MADE_UP_RESOURCE)
    except FlowError as exc:
        raise NotApplicable(
            f"the authorization server issued no token for the made-up resource "
            f"{MADE_UP_RESOURCE} ({exc}); to test audience checks {OTHER_RESOURCE_HINT}"
        ) from exc
    at_target = await McpProbe(run).attempt(
        f"a token requested for {MADE_UP_RESOURCE}", authorization=obtained.authorization
    )
    still_valid(at_target.status, obtained.tokens)
    return AudienceSwapProbe(
        resource=resource,
        other=MADE_UP_RESOURCE,
        audience=audiences(obtained.tokens.access_token),
        at_target=at_target,
        at_other=None,
    )


async def probe_origin(run: Run, _profile: str | None) -> OriginProbe:
    return await retried(lambda: _origin(run))


async def _origin(run: Run) -> OriginProbe:
    live = await live_tokens(run, purpose="origin")
    authorization = live.authorization
    mcp = McpProbe(run)

    async def send(label: str, headers: list[tuple[str, str]]) -> Attempt:
        try:
            reply = await mcp.client().post(
                mcp.message(), authorization=authorization, headers=headers, session=False
            )
        except TargetError as exc:
            return Attempt(label=label, response=None, error=str(exc))
        return Attempt(label=label, response=reply.response)

    control, foreign = await asyncio.gather(
        send("the valid token, no Origin", []),
        send(f"the valid token, Origin: {FOREIGN_ORIGIN}", [("origin", FOREIGN_ORIGIN)]),
    )
    still_valid(control.status, live.tokens)
    still_valid(foreign.status, live.tokens)
    return OriginProbe(origin=FOREIGN_ORIGIN, control=control, foreign=foreign)


async def probe_follow_ups(run: Run, _profile: str | None) -> FollowUpProbes:
    return await retried(lambda: _follow_ups(run))


async def _follow_ups(run: Run) -> FollowUpProbes:
    live = await live_tokens(run, purpose="follow-ups")
    session = Session(run, live.authorization)
    opened = await session.open("initialize with the token")
    still_valid(opened.status, live.tokens)
    if not opened.served:
        raise TargetError(f"the valid token could not open a session ({opened.describe()})")
    control = await session.request("tools/list", label="tools/list with the token")
    still_valid(control.status, live.tokens)
    if not control.served:
        raise TargetError(f"the session did not work with the token ({control.describe()})")
    session_id = session.session_id
    tools = safe_tools(run, tools_of(control.result))
    bare = McpProbe(run)

    async def verb(method: str) -> CallOutcome:
        attempt = await bare.attempt(
            f"{method} without a token", method=method, session_id=session_id
        )
        return CallOutcome(label=attempt.label, response=attempt.response, error=attempt.error)

    calls = [session.request("tools/list", label="tools/list without a token", authorization=None)]
    if tools:
        params = {"name": tools[0].name, "arguments": dict(tools[0].arguments)}
        label = f"tools/call {tools[0].name} without a token"
        calls.append(session.request("tools/call", params, label=label, authorization=None))
    follow_ups = list(await asyncio.gather(*calls, verb("GET")))
    follow_ups.append(await verb("DELETE"))  # last: on a broken server it ends the session
    afterwards = await session.request("tools/list", label="tools/list with the token, afterwards")
    still_valid(afterwards.status, live.tokens)
    return FollowUpProbes(
        session_issued=session_id is not None,
        control=control,
        follow_ups=tuple(follow_ups),
        afterwards=afterwards,
    )


PROBES: dict[type, Probe] = {
    ForgeryProbes: probe_forgeries,
    RevokedProbe: probe_revoked,
    AudienceSwapProbe: probe_audience_swap,
    OriginProbe: probe_origin,
    FollowUpProbes: probe_follow_ups,
}
