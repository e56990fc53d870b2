"""pkce.*: PKCE (RFC 7636) is required, S256 only, and the verifier is checked."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed
from harness.oauth.tokens import TokenResponse
from harness.probes.authserver.evidence import (
    PkceProbes,
    require_answered,
    require_code,
    require_sanity,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
REFUSED_VERIFIER = frozenset({"invalid_grant", "invalid_request"})


def _refusal(token: TokenResponse) -> str:
    return token.response.summary()


@check(
    "pkce.required",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §4.1.2.1, §7.5.1", "RFC 9700 §2.1.1", f"{MCP} §Authorization Code Protection"),
)
def required(ev: PkceProbes) -> str:
    """An authorization request without code_challenge is refused."""
    navigation = ev.no_challenge.navigation
    token = ev.no_challenge_token
    if navigation.code is not None and token is not None and token.tokens is not None:
        confidential = ev.confidential_client
        raise CheckFailed(
            expected="the request refused (invalid_request), or at least its code refused at "
            "the token endpoint",
            actual="a code without PKCE, redeemed without a code_verifier for tokens"
            + (
                " by the configured confidential [client] (OAuth 2.1 §7.5.1 lets an "
                "authorization server waive PKCE for a confidential client that authenticates; "
                "requiring it is recommended)"
                if confidential
                else ""
            ),
            evidence=(*navigation.exchanges, token.response.exchange),
            should=confidential,
        )
    if navigation.code is not None:
        require_answered(token)
        shown = (*navigation.exchanges, *((token.response.exchange,) if token else ()))
        raise CheckFailed(
            expected="the authorization request refused (invalid_request)",
            actual="a code was issued without code_challenge (the token endpoint then refused "
            "it: " + (_refusal(token) if token else "not tried") + ")",
            evidence=shown,
            should=True,
        )
    require_sanity(ev.sanity, after="the request without code_challenge")
    require_answered(navigation)
    return f"refused: {navigation.describe()}"


@check(
    "pkce.plain-rejected",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §4.1.1", f"{MCP} §Authorization Code Protection"),
)
def plain_rejected(ev: PkceProbes) -> str:
    """code_challenge_method=plain is refused."""
    navigation = ev.plain.navigation
    if navigation.code is not None:
        advertised = "plain" in (ev.advertised or ())
        raise CheckFailed(
            expected="invalid_request for code_challenge_method=plain (MCP clients must use S256)",
            actual="a code was issued for a plain challenge"
            + (" (plain is advertised)" if advertised else " although only S256 is advertised"),
            evidence=navigation.exchanges,
            should=advertised,
        )
    require_sanity(ev.sanity, after="the plain challenge")
    require_answered(navigation)
    return f"refused: {navigation.describe()}"


@check(
    "pkce.verifier-checked",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("RFC 7636 §4.6", "OAuth 2.1 §4.1.3"),
)
def verifier_checked(ev: PkceProbes) -> str:
    """A wrong code_verifier gets invalid_grant."""
    flow = ev.wrong_verifier
    require_code(flow, "the wrong verifier")
    token = flow.token
    if token is None or token.tokens is not None:
        raise CheckFailed(
            expected="400 invalid_grant",
            actual="tokens for a code redeemed with a wrong code_verifier",
            evidence=flow.exchanges,
        )
    require_answered(token)
    if token.error != "invalid_grant" or token.response.status != 400:
        require_sanity(ev.sanity, after="the wrong verifier")
        raise CheckFailed(
            expected="400 invalid_grant (RFC 7636 §4.6)",
            actual=f"refused with {_refusal(token)}",
            evidence=(token.response.exchange,),
            should=True,
        )
    require_sanity(ev.sanity, after="the wrong verifier")
    return "400 invalid_grant"


@check(
    "pkce.verifier-missing",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §4.1.3", "RFC 7636 §4.5"),
)
def verifier_missing(ev: PkceProbes) -> str:
    """A token request without code_verifier is refused."""
    flow = ev.missing_verifier
    require_code(flow, "the missing verifier")
    token = flow.token
    if token is None or token.tokens is not None:
        raise CheckFailed(
            expected="400 invalid_grant or invalid_request",
            actual="tokens for a code redeemed without its code_verifier",
            evidence=flow.exchanges,
        )
    require_answered(token)
    require_sanity(ev.sanity, after="the missing verifier")
    if token.error not in REFUSED_VERIFIER or token.response.status != 400:
        raise CheckFailed(
            expected="400 invalid_grant or invalid_request",
            actual=f"refused with {_refusal(token)}",
            evidence=(token.response.exchange,),
            should=True,
        )
    return f"refused: {_refusal(token)}"


@check(
    "pkce.downgrade",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 9700 §2.1.1, §4.8", "OAuth 2.1 §4.1.3"),
)
def downgrade(ev: PkceProbes) -> str:
    """A code_verifier sent for a code issued without a challenge is refused."""
    navigation = ev.downgrade.navigation
    token = ev.downgrade_token
    if navigation.code is None or token is None:
        require_sanity(ev.sanity, after="the request without code_challenge")
        require_answered(navigation)
        return (
            "requests without code_challenge are refused, so no code without a challenge "
            "exists to downgrade"
        )
    if token.tokens is not None:
        raise CheckFailed(
            expected="400 invalid_request or invalid_grant: the code was issued without a "
            "challenge, so a code_verifier must not be accepted for it",
            actual="tokens",
            evidence=(*navigation.exchanges, token.response.exchange),
        )
    require_answered(token)
    require_sanity(ev.sanity, after="the verifier for a code without a challenge")
    return f"refused: {_refusal(token)}"


CHECKS = (required, plain_rejected, verifier_checked, verifier_missing, downgrade)
