"""Bearer probes: the MCP endpoint with a valid token, without one, and with every bad variant."""

from __future__ import annotations

import asyncio
import secrets
import time

from harness.engine import Probe, Run
from harness.errors import NotApplicable, TargetError
from harness.probes.grant import require_grant, static_grant, try_grant
from harness.probes.resource.evidence import (
    BearerProbes,
    ExpiredProbe,
    ValidTokenProbes,
    VerbAttempt,
)
from harness.probes.resource.target import McpProbe
from harness.probes.static import is_static, jwt_expiry

HUGE_TOKEN_BYTES = 64 * 1024


def garbage_tokens() -> tuple[tuple[str, str], ...]:
    """(label, Authorization header) pairs a resource server must refuse."""
    return (
        ("Bearer with an empty token", "Bearer "),
        ("Bearer with a 64 KiB token", "Bearer " + "A" * HUGE_TOKEN_BYTES),
        ("Bearer with spaces and quotes", 'Bearer "a b", c=d'),
        ("Bearer with non-ASCII bytes", "Bearer \u00ff\u00fe\u00e9"),
        ("Bearer with a tab", "Bearer abc\tdef"),
        ("Bearer with a JWT-shaped nonsense", "Bearer eyJhbGciOiJub25lIn0.e30."),
        ("Bearer twice", "Bearer Bearer"),
    )


async def probe_bearer(run: Run, _profile: str | None) -> BearerProbes:
    mcp = McpProbe(run)
    grant, reason = await try_grant(run)
    token = grant.tokens.access_token if grant is not None else None
    valid = await _valid_token_probes(mcp, token) if token is not None else None
    control = valid.control if valid is not None else None
    session_id = control.response.header("mcp-session-id") if control and control.response else None

    async def verbs_probe() -> list[VerbAttempt]:
        # Without a token first: the authenticated DELETE ends the session the others reuse.
        methods = ("POST", "GET", "DELETE")
        bare = await asyncio.gather(
            *(mcp.attempt(f"{m} without a token", method=m, session_id=session_id) for m in methods)
        )
        if token is None:
            return [VerbAttempt(without_token=b, with_token=None) for b in bare]
        authed = await asyncio.gather(
            *(
                mcp.attempt(
                    f"{m} with a valid token",
                    method=m,
                    authorization=f"Bearer {token}",
                    session_id=session_id,
                )
                for m in methods
            )
        )
        return [
            VerbAttempt(without_token=b, with_token=a) for b, a in zip(bare, authed, strict=True)
        ]

    unknown = secrets.token_urlsafe(32)
    run.http.vault.add(unknown)
    verbs, garbage, invalid = await asyncio.gather(
        verbs_probe(),
        asyncio.gather(*(mcp.attempt(label, authorization=h) for label, h in garbage_tokens())),
        mcp.attempt("unknown token", authorization=f"Bearer {unknown}"),
    )
    return BearerProbes(
        verbs=tuple(verbs),
        garbage=tuple(garbage),
        invalid=invalid,
        valid=valid,
        no_token_reason=reason,
    )


async def _valid_token_probes(mcp: McpProbe, token: str) -> ValidTokenProbes:
    control = await mcp.attempt("valid token", authorization=f"Bearer {token}")
    query_token, wrong_scheme, scheme_case = await asyncio.gather(
        mcp.attempt("token in ?access_token=", query={"access_token": token}),
        asyncio.gather(
            *(
                mcp.attempt(f"{scheme or 'no'} scheme", authorization=f"{scheme} {token}".strip())
                for scheme in ("Basic", "Token", "")
            )
        ),
        asyncio.gather(
            *(
                mcp.attempt(f"scheme {scheme!r}", authorization=f"{scheme} {token}")
                for scheme in ("bearer", "BEARER", "bEaReR")
            )
        ),
    )
    return ValidTokenProbes(
        control=control,
        query_token=query_token,
        wrong_scheme=tuple(wrong_scheme),
        scheme_case=tuple(scheme_case),
    )


async def probe_expired(run: Run, _profile: str | None) -> ExpiredProbe:
    hints = run.config.tokens
    mcp = McpProbe(run)
    if hints.expired_token:
        attempt = await mcp.attempt(
            "configured expired token", authorization=f"Bearer {hints.expired_token}"
        )
        return ExpiredProbe(attempt=attempt, how="[tokens].expired_token from the configuration")
    if is_static(run):
        return await _static_expiry(run, mcp)
    grant = await require_grant(run, purpose="expiry")
    lifetime = grant.tokens.expires_in
    if lifetime is None:
        raise NotApplicable(
            "the token response has no expires_in; set [tokens].expired_token "
            "to a token known to be expired"
        )
    leeway = hints.expiry_leeway_s  # clock skew a server may allow before we call it expired
    wait = lifetime + leeway - (time.monotonic() - grant.tokens.obtained_at)
    if wait > hints.max_expiry_wait_s:
        raise NotApplicable(
            f"access tokens live {lifetime} s; waiting {wait:.0f} s exceeds "
            f"[tokens].max_expiry_wait_s={hints.max_expiry_wait_s:g}. Raise it, or set "
            "[tokens].expired_token"
        )
    authorization = f"Bearer {grant.tokens.access_token}"
    fresh = await mcp.attempt("the same token before expiry", authorization=authorization)
    if not fresh.accepted:
        raise TargetError(f"the fresh token was refused ({fresh.describe()})")
    # Expiry can only be observed by letting time pass: nothing else to wait on.
    await asyncio.sleep(max(wait, 0.0))
    attempt = await mcp.attempt("token after expiry", authorization=authorization)
    how = f"sent {lifetime + leeway:g} s after issue, expires_in={lifetime}"
    return ExpiredProbe(attempt=attempt, how=how)


async def _static_expiry(run: Run, mcp: McpProbe) -> ExpiredProbe:
    """The configured token after its JWT `exp`, when that comes within the wait allowed."""
    hints = run.config.tokens
    grant = await static_grant(run)
    token = grant.tokens.access_token
    exp = jwt_expiry(token)
    if exp is None:
        raise NotApplicable(
            "the static [login].access_token carries no JWT exp, so its expiry cannot be "
            "awaited; set [tokens].expired_token to a token known to be expired"
        )
    wait = exp + hints.expiry_leeway_s - time.time()
    if wait > hints.max_expiry_wait_s:
        raise NotApplicable(
            f"the static [login].access_token expires in {wait - hints.expiry_leeway_s:.0f} s; "
            f"waiting {wait:.0f} s exceeds [tokens].max_expiry_wait_s="
            f"{hints.max_expiry_wait_s:g}. Raise it, or set [tokens].expired_token"
        )
    authorization = f"Bearer {token}"
    if wait > 0:
        fresh = await mcp.attempt("the same token before expiry", authorization=authorization)
        if not fresh.accepted:
            raise TargetError(f"the static token was refused before expiry ({fresh.describe()})")
        # Expiry can only be observed by letting time pass: nothing else to wait on.
        await asyncio.sleep(wait)
    attempt = await mcp.attempt("token after expiry", authorization=authorization)
    how = f"the static token, sent {hints.expiry_leeway_s:g} s after its JWT exp"
    return ExpiredProbe(attempt=attempt, how=how)


PROBES: dict[type, Probe] = {BearerProbes: probe_bearer, ExpiredProbe: probe_expired}
