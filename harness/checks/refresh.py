"""refresh.*: refresh tokens — issued, usable, rotated, single-use and bound to their client."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.oauth.tokens import TokenSet
from harness.probes.authserver.evidence import (
    RefreshBinding,
    RefreshLifecycle,
    require_answered,
    require_flow,
    require_judged,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"


def _issued(ev: RefreshLifecycle) -> TokenSet:
    tokens = require_flow(ev.grant, "the unmutated flow failed")
    if tokens.refresh_token is None:
        raise NotApplicable("no refresh token was issued (see refresh.issued)")
    return tokens


def _refreshed(ev: RefreshLifecycle) -> TokenSet:
    _issued(ev)
    if ev.first is None or ev.first.tokens is None:
        raise NotApplicable("the refresh grant itself failed (see refresh.works)")
    return ev.first.tokens


@check(
    "refresh.issued",
    level=Level.SHOULD,
    severity=Severity.LOW,
    refs=("OAuth 2.1 §4.3", f"{MCP} §Token Handling"),
)
def issued(ev: RefreshLifecycle) -> str:
    """A refresh token is issued to a public client that asked for the refresh_token grant."""
    tokens = require_flow(ev.grant, "the unmutated flow failed")
    if tokens.refresh_token is None:
        asked = (
            "offline_access was requested (the AS lists it in scopes_supported)"
            if ev.offline_access_requested
            else "offline_access was not requested (the AS metadata does not list it in "
            "scopes_supported; OIDC providers may issue refresh tokens only for it)"
            if not ev.offline_access_listed
            else "offline_access was not requested (the AS lists it, but refused it for this "
            "client with invalid_scope)"
        )
        raise CheckFailed(
            expected="a refresh_token in the token response (the client registered the "
            "refresh_token grant)",
            actual="none: users must log in again whenever the access token expires"
            + (f" (every {tokens.expires_in} s)" if tokens.expires_in else "")
            + f"; {asked}",
            evidence=ev.grant.exchanges[-1:],
        )
    asked = " (with offline_access requested)" if ev.offline_access_requested else ""
    return f"a refresh token was issued{asked}"


@check(
    "refresh.works",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §4.3", f"{MCP} §Token Handling"),
)
def works(ev: RefreshLifecycle) -> str:
    """The refresh grant returns an access token that the MCP server accepts."""
    _issued(ev)
    if ev.first is None or ev.first.tokens is None:
        require_answered(ev.first)
        refusal = ev.first.response.summary() if ev.first is not None else "not sent"
        raise CheckFailed(
            expected="new tokens from the refresh grant",
            actual=f"refused: {refusal}",
            evidence=(ev.first.response.exchange,) if ev.first is not None else (),
        )
    used = require_judged(ev.new_token_at_resource, "the refreshed access token")
    if not used.accepted:
        raise CheckFailed(
            expected="the refreshed access token accepted by the MCP server",
            actual=used.describe(),
            evidence=(
                ev.first.response.exchange,
                *((used.exchange,) if used.exchange else ()),
            ),
        )
    return "the refreshed access token was accepted by the MCP server"


@check(
    "refresh.rotation",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §4.3.1", "RFC 9700 §4.14.2", f"{MCP} §Token Theft"),
)
def rotation(ev: RefreshLifecycle) -> str:
    """Public clients get a new refresh token on each use."""
    if not ev.public_client:
        raise NotApplicable(
            "rotation is required for public clients; the configured [client] is confidential"
        )
    original = _issued(ev).refresh_token
    renewed = _refreshed(ev).refresh_token
    if renewed is None or renewed == original:
        raise CheckFailed(
            expected="a new refresh token in the refresh response (rotation; the harness's "
            "tokens are not sender-constrained)",
            actual="the same refresh token" if renewed else "no refresh token (keep the old one)",
            evidence=(ev.first.response.exchange,) if ev.first else (),
        )
    return "a new refresh token on use"


@check(
    "refresh.reuse-rejected",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §4.3.1", "RFC 9700 §4.14.2"),
)
def reuse_rejected(ev: RefreshLifecycle) -> str:
    """A refresh token that was already used is refused."""
    original = _issued(ev).refresh_token
    renewed = _refreshed(ev).refresh_token
    if renewed is None or renewed == original or ev.replay is None:
        raise NotApplicable("the refresh token was not rotated (see refresh.rotation)")
    if ev.replay.tokens is None:
        require_answered(ev.replay)
        newer = ev.newer_after_replay
        family = (
            ""
            if newer is None
            else "; the reuse also revoked the newer refresh token (the token family)"
            if newer.tokens is None
            else "; the newer refresh token still works: the reuse did not revoke the family"
        )
        return f"the used refresh token was refused ({ev.replay.response.summary()}){family}"
    last = ev.grace[-1] if ev.grace else None
    shown = (ev.replay.response.exchange, *(p.token.response.exchange for p in ev.grace[-1:]))
    if last is not None and not last.accepted:
        accepted = [p.after_s for p in ev.grace if p.accepted]
        lasted = max(accepted) if accepted else 0.0
        raise CheckFailed(
            expected="the rotated-out refresh token refused at once",
            actual=f"a grace window: it was still accepted {lasted:g} s after rotation and "
            f"refused {last.after_s:g} s after",
            evidence=shown,
            should=True,
        )
    after = f"{last.after_s:g} s" if last is not None else "right"
    raise CheckFailed(
        expected="the rotated-out refresh token refused (a grace window of at most "
        f"{ev.grace_limit_s:g} s, [tokens].max_refresh_grace_s, is a warning)",
        actual=f"still accepted {after} after it was rotated out",
        evidence=shown,
    )


@check(
    "refresh.bound-client",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §4.3.1", "RFC 6749 §6"),
)
def bound_client(ev: RefreshBinding) -> str:
    """Another client cannot use the refresh token."""
    ev.second.require()
    tokens = require_flow(ev.grant, "the unmutated flow failed")
    if tokens.refresh_token is None or ev.theft is None:
        raise NotApplicable("no refresh token was issued (see refresh.issued)")
    if ev.theft.tokens is not None:
        raise CheckFailed(
            expected="400 invalid_grant for another client's refresh token",
            actual="tokens issued to the other client",
            evidence=(ev.theft.response.exchange,),
        )
    require_answered(ev.theft)
    owner = ev.owner_after
    after = (
        ""
        if owner is None
        else "; the owner's refresh then worked"
        if owner.tokens is not None
        else f"; the owner's refresh afterwards was refused too ({owner.response.summary()})"
    )
    return f"refused: {ev.theft.response.summary()}{after}"


CHECKS = (issued, works, rotation, reuse_rejected, bound_client)
