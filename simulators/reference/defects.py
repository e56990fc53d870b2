"""The switchable defects of the reference target.

Each defect is one realistic bug seen in real MCP servers or authorization servers; everything
else stays correct, so a harness check that flags the server can be traced to exactly one cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Defect(StrEnum):
    """A single injected bug, named as on the command line (`--defect NAME`)."""

    # 401 challenge (RFC 6750 §3, RFC 9728 §5.1)
    CHALLENGE_ERROR_PARAM = "challenge-error-param"
    NO_CHALLENGE_SCOPE = "no-challenge-scope"
    NO_CHALLENGE = "no-challenge"
    # protected resource metadata (RFC 9728)
    PRM_MISSING = "prm-missing"
    PRM_RESOURCE_MISMATCH = "prm-resource-mismatch"
    PRM_NO_AUTHORIZATION_SERVERS = "prm-no-authorization-servers"
    PRM_OMNIBUS_SCOPES = "prm-omnibus-scopes"
    # authorization server metadata (RFC 8414, OIDC discovery)
    AS_METADATA_MISSING = "as-metadata-missing"
    AS_ISSUER_MISMATCH = "as-issuer-mismatch"
    AS_MISSING_FIELDS = "as-missing-fields"
    AS_NO_PKCE_ADVERTISED = "as-no-pkce-advertised"
    AS_LEGACY_GRANTS = "as-legacy-grants"
    # routing
    HTML_200_FALLBACK = "html-200-fallback"
    # resource server token handling
    UNAUTH_GET_ALLOWED = "unauth-get-allowed"
    GARBAGE_TOKEN_500 = "garbage-token-500"
    INVALID_TOKEN_BARE_401 = "invalid-token-bare-401"
    EXPIRED_ACCEPTED = "expired-accepted"
    QUERY_TOKEN_ACCEPTED = "query-token-accepted"
    ANY_SCHEME_ACCEPTED = "any-scheme-accepted"
    SCHEME_CASE_SENSITIVE = "scheme-case-sensitive"
    AUDIENCE_NOT_CHECKED = "audience-not-checked"
    ALG_NONE_ACCEPTED = "alg-none-accepted"
    SIGNATURE_NOT_CHECKED = "signature-not-checked"
    FOREIGN_ISSUER_ACCEPTED = "foreign-issuer-accepted"
    JWT_HEADER_JWK_TRUSTED = "jwt-header-jwk-trusted"
    JWT_JKU_FOLLOWED = "jwt-jku-followed"
    JWT_KID_PATH = "jwt-kid-path"
    SESSION_AUTHENTICATES = "session-authenticates"
    SESSION_NOT_BOUND = "session-not-bound"
    SCOPE_NOT_ENFORCED = "scope-not-enforced"
    INSUFFICIENT_SCOPE_401 = "insufficient-scope-401"
    REVOKED_ACCEPTED = "revoked-accepted"
    ORIGIN_NOT_VALIDATED = "origin-not-validated"
    # authorization server
    PKCE_OPTIONAL = "pkce-optional"
    PKCE_PLAIN_ACCEPTED = "pkce-plain-accepted"
    PKCE_VERIFIER_NOT_CHECKED = "pkce-verifier-not-checked"
    CODE_REUSABLE = "code-reusable"
    REDIRECT_PREFIX_MATCH = "redirect-prefix-match"
    STATE_DROPPED = "state-dropped"
    REDIRECT_URI_NOT_CHECKED_AT_TOKEN = "redirect-uri-not-checked-at-token"
    REFRESH_NOT_ROTATED = "refresh-not-rotated"
    REFRESH_REUSE_ACCEPTED = "refresh-reuse-accepted"
    CODE_NOT_BOUND_TO_CLIENT = "code-not-bound-to-client"
    AUTHZ_307 = "authz-307"
    TOKEN_CACHEABLE = "token-cacheable"
    RESOURCE_IGNORED = "resource-ignored"
    RESOURCE_UNKNOWN_ACCEPTED = "resource-unknown-accepted"
    ERROR_REDIRECT_UNREGISTERED = "error-redirect-unregistered"
    DCR_JAVASCRIPT_REDIRECT_ACCEPTED = "dcr-javascript-redirect-accepted"
    NO_REFRESH_TOKEN = "no-refresh-token"
    EXACT_LOOPBACK_PORT = "exact-loopback-port"
    MISSING_RESOURCE_REJECTED = "missing-resource-rejected"
    TOKEN_PASSTHROUGH = "token-passthrough"
    WEAK_SESSION_ID = "weak-session-id"
    SESSION_BOUND_TO_TOKEN = "session-bound-to-token"
    NO_CORS = "no-cors"
    # authorization server (registration, authorization, PKCE, token, refresh)
    DCR_LOOPBACK_REFUSED = "dcr-loopback-refused"
    DCR_AUTH_METHOD_NOT_ECHOED = "dcr-auth-method-not-echoed"
    DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED = "dcr-default-auth-method-not-echoed"
    CIMD_CLIENT_ID_NOT_CHECKED = "cimd-client-id-not-checked"
    AUTHZ_ISS_MISSING = "authz-iss-missing"
    IMPLICIT_GRANT_ACCEPTED = "implicit-grant-accepted"
    ERROR_REDIRECT_BEFORE_URI_CHECK = "error-redirect-before-uri-check"
    PKCE_DOWNGRADE = "pkce-downgrade"
    TOKEN_ERROR_NOT_JSON = "token-error-not-json"
    REFRESH_LOSES_AUDIENCE = "refresh-loses-audience"
    REFRESH_REUSE_GRACE = "refresh-reuse-grace"
    REFRESH_NOT_BOUND_TO_CLIENT = "refresh-not-bound-to-client"
    # HTTP transport (RFC 9112)
    CONNECTION_DESYNC = "connection-desync"
    CONTENT_LENGTH_CHARS = "content-length-chars"
    # under load (issue 11)
    REFRESH_RACE = "refresh-race"
    REFRESH_STORM_503 = "refresh-storm-503"
    INVALID_TOKEN_COST = "invalid-token-cost"

    @property
    def description(self) -> str:
        """One line saying what the bug does."""
        return DEFECT_DESCRIPTIONS[self]


D = Defect
DEFECT_DESCRIPTIONS: Final[Mapping[Defect, str]] = MappingProxyType(
    {
        D.CHALLENGE_ERROR_PARAM: 'A 401 to a request without a token has error="invalid_token".',
        D.NO_CHALLENGE_SCOPE: "401 challenges carry no scope parameter.",
        D.NO_CHALLENGE: "401 responses carry no WWW-Authenticate header at all.",
        D.PRM_MISSING: "No PRM at any well-known URL and no resource_metadata in challenges.",
        D.PRM_RESOURCE_MISMATCH: "The PRM 'resource' has a trailing slash the MCP URL lacks.",
        D.PRM_NO_AUTHORIZATION_SERVERS: "The PRM 'authorization_servers' list is empty.",
        D.PRM_OMNIBUS_SCOPES: 'PRM scopes_supported and the challenge add "*", "offline_access".',
        D.AS_METADATA_MISSING: "No authorization server metadata at any well-known URL.",
        D.AS_ISSUER_MISMATCH: "The metadata 'issuer' has a trailing slash the real issuer lacks.",
        D.AS_MISSING_FIELDS: "The AS metadata lacks the required response_types_supported.",
        D.AS_NO_PKCE_ADVERTISED: "The AS metadata lacks code_challenge_methods_supported.",
        D.AS_LEGACY_GRANTS: 'AS metadata advertises response type "token" and grant "password".',
        D.HTML_200_FALLBACK: "Unknown paths (incl. unserved well-known URLs) answer 200 text/html.",
        D.UNAUTH_GET_ALLOWED: "GET and DELETE on the MCP endpoint skip authentication.",
        D.GARBAGE_TOKEN_500: "A token with control/non-ASCII characters or over 8 KB gives a 500.",
        D.INVALID_TOKEN_BARE_401: 'A 401 for a bad token lacks error="invalid_token" and metadata.',
        D.EXPIRED_ACCEPTED: "Expired access tokens are accepted (exp not checked).",
        D.QUERY_TOKEN_ACCEPTED: "An ?access_token= query parameter is accepted without a header.",
        D.ANY_SCHEME_ACCEPTED: 'The token is accepted with any scheme or none ("Token x", "x").',
        D.SCHEME_CASE_SENSITIVE: 'Only the exact scheme "Bearer" is accepted, not "bearer".',
        D.AUDIENCE_NOT_CHECKED: "Tokens issued for another resource are accepted (no aud check).",
        D.ALG_NONE_ACCEPTED: 'Unsigned JWTs with alg "none" are accepted.',
        D.SIGNATURE_NOT_CHECKED: "JWT signatures are not verified.",
        D.FOREIGN_ISSUER_ACCEPTED: "JWTs with a foreign alg/kid skip issuer and signature checks.",
        D.JWT_HEADER_JWK_TRUSTED: "A JWT verifies with the public key in its own `jwk` header.",
        D.JWT_JKU_FOLLOWED: "A JWT's `jku` JWKS is fetched (loopback only) and its keys trusted.",
        D.JWT_KID_PATH: "An HS256 JWT's `kid` is read as a key file path (/dev/null: empty key).",
        D.SESSION_AUTHENTICATES: "A valid Mcp-Session-Id alone authenticates the request.",
        D.SESSION_NOT_BOUND: "Sessions are not bound to the user that created them.",
        D.SCOPE_NOT_ENFORCED: "Tools run whatever scopes the token carries.",
        D.INSUFFICIENT_SCOPE_401: "Insufficient scope gets 401 instead of 403.",
        D.REVOKED_ACCEPTED: "Revoked access tokens are still accepted.",
        D.ORIGIN_NOT_VALIDATED: "Requests with a foreign Origin header are served.",
        D.PKCE_OPTIONAL: "Authorization requests without code_challenge are accepted.",
        D.PKCE_PLAIN_ACCEPTED: 'code_challenge_method "plain" (or none) is accepted.',
        D.PKCE_VERIFIER_NOT_CHECKED: "The token endpoint does not check code_verifier.",
        D.CODE_REUSABLE: "Authorization codes can be redeemed more than once.",
        D.REDIRECT_PREFIX_MATCH: "A redirect_uri matches if a registered URI is a prefix of it.",
        D.STATE_DROPPED: "The authorization response omits 'state'.",
        D.REDIRECT_URI_NOT_CHECKED_AT_TOKEN: "The token endpoint ignores redirect_uri.",
        D.REFRESH_NOT_ROTATED: "Public clients keep the same refresh token (no rotation).",
        D.REFRESH_REUSE_ACCEPTED: "A rotated-out refresh token still works; no family revocation.",
        D.CODE_NOT_BOUND_TO_CLIENT: "A code issued to one client can be redeemed by another.",
        D.AUTHZ_307: "The authorization response redirects with 307 instead of 302.",
        D.TOKEN_CACHEABLE: "Token responses lack Cache-Control: no-store.",
        D.RESOURCE_IGNORED: "The 'resource' parameter is ignored: aud is always the main MCP URL.",
        D.RESOURCE_UNKNOWN_ACCEPTED: "Tokens are issued for any 'resource', served here or not.",
        D.ERROR_REDIRECT_UNREGISTERED: "A bad redirect_uri error is redirected to that URI.",
        D.DCR_JAVASCRIPT_REDIRECT_ACCEPTED: "DCR accepts javascript:, data:, fragment URIs.",
        D.NO_REFRESH_TOKEN: "Refresh tokens are never issued.",
        D.EXACT_LOOPBACK_PORT: "Loopback redirect URIs must match the registered port exactly.",
        D.MISSING_RESOURCE_REJECTED: "Requests without 'resource' are refused with invalid_target.",
        D.TOKEN_PASSTHROUGH: "The upstream tool forwards the client's own bearer token upstream.",
        D.WEAK_SESSION_ID: "Session ids are short sequential numbers.",
        D.SESSION_BOUND_TO_TOKEN: "A session works only with the token that opened it.",
        D.NO_CORS: "No CORS headers: browser-based clients cannot read metadata or call /token.",
        D.DCR_LOOPBACK_REFUSED: "DCR refuses http loopback redirect URIs (https only).",
        D.DCR_AUTH_METHOD_NOT_ECHOED: "DCR responses omit token_endpoint_auth_method.",
        D.DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED: "DCR without token_endpoint_auth_method issues a "
        "secret (client_secret_post) but names no method (the TypeScript SDK demo AS).",
        D.CIMD_CLIENT_ID_NOT_CHECKED: "A client metadata document's client_id is not compared.",
        D.AUTHZ_ISS_MISSING: "Authorization responses omit 'iss' although it is advertised.",
        D.IMPLICIT_GRANT_ACCEPTED: "response_type=token returns an access token in the fragment.",
        D.ERROR_REDIRECT_BEFORE_URI_CHECK: "Scope, response type and PKCE are checked before "
        "redirect_uri; their errors are redirected to the unchecked URI.",
        D.PKCE_DOWNGRADE: "PKCE is optional, and a verifier sent for such a code is ignored.",
        D.TOKEN_ERROR_NOT_JSON: "Token endpoint errors are plain text, not a JSON error object.",
        D.REFRESH_LOSES_AUDIENCE: "Access tokens from the refresh grant lack the resource's aud.",
        D.REFRESH_REUSE_GRACE: "A rotated-out refresh token stays usable for one second.",
        D.REFRESH_NOT_BOUND_TO_CLIENT: "Any client can redeem another client's refresh token.",
        D.CONNECTION_DESYNC: "An unauthenticated MCP POST gets 401 with its body left unread.",
        D.CONTENT_LENGTH_CHARS: "That 401's Content-Length counts characters, not UTF-8 bytes.",
        D.REFRESH_RACE: "A refresh reads the token, awaits storage, then rotates: concurrent "
        "refreshes of one token all win (two live token families).",
        D.REFRESH_STORM_503: "More than 4 concurrent refreshes exhaust the token store: 503.",
        D.INVALID_TOKEN_COST: "A JWT with an unknown kid triggers a blocking 20 ms JWKS refetch.",
    }
)
del D


def parse_defects(names: Iterable[str]) -> frozenset[Defect]:
    """Turn command-line names into defects; an unknown name lists the valid ones."""
    result: set[Defect] = set()
    for name in names:
        if isinstance(name, Defect):
            result.add(name)
            continue
        try:
            result.add(Defect(name.strip().lower()))
        except ValueError:
            valid = ", ".join(d.value for d in Defect)
            raise ValueError(f"Unknown defect {name!r}. Valid defects: {valid}.") from None
    return frozenset(result)
