"""The MUSTs a server can break on a client's journey, each with the clause that states it.

A scenario result is `fail` only when the server breaks one of these (the message and the
result's spec refs name it); any other breakage is a compatibility `warn`. Refs follow the
catalogue checks that test the same requirement.
"""

from __future__ import annotations

from harness.probes.scenarios.journey import Must

MCP = "MCP 2025-11-25 Authorization"

PRM_SERVED = Must(
    ref=f"{MCP} §Authorization Server Location",
    text="MCP servers MUST implement RFC 9728 protected resource metadata naming their "
    "authorization servers",
)
AS_METADATA_SERVED = Must(
    ref=f"{MCP} §Authorization Server Metadata Discovery",
    text="authorization servers MUST provide RFC 8414 or OpenID Connect discovery metadata",
)
TOKEN_ENDPOINT_LISTED = Must(
    ref="RFC 8414 §2", text="authorization server metadata MUST name the token_endpoint"
)
PKCE_ADVERTISED = Must(
    ref=f"{MCP} §Authorization Code Protection",
    text="clients MUST refuse to proceed unless code_challenge_methods_supported lists S256, "
    "so the authorization server MUST advertise it",
)
UNAUTHENTICATED_401 = Must(
    ref=f"{MCP} §Error Handling",
    text="a request that needs authorization and carries no token MUST get 401",
)
CHALLENGE = Must(
    ref="RFC 6750 §3",
    text="a request without a usable token MUST get 401 with a WWW-Authenticate: Bearer challenge",
)
TOKEN_VALIDATED = Must(
    ref=f"{MCP} §Token Handling",
    text="MCP servers MUST validate the access token of every request: none, an invalid or an "
    "expired one gets 401",
)
SCOPE_ENFORCED = Must(
    ref=f"{MCP} §Runtime Insufficient Scope Errors",
    text="a call the token's scopes do not cover MUST be refused (403 insufficient_scope)",
)
STATE_RETURNED = Must(
    ref="OAuth 2.1 §4.1.2",
    text="the authorization response MUST return `state` exactly as the client sent it",
)
CODE_RETURNED = Must(
    ref="OAuth 2.1 §4.1.2", text="a successful authorization response MUST carry `code`"
)
ISS_SENT = Must(
    ref="RFC 9207 §2",
    text="`iss` in an authorization response MUST equal the issuer, and an authorization server "
    "that advertises authorization_response_iss_parameter_supported MUST send it",
)
NO_307 = Must(
    ref="RFC 9700 §4.12",
    text="an authorization server MUST NOT use HTTP 307 to redirect a request that may carry "
    "user credentials",
)
LOOPBACK_ANY_PORT = Must(
    ref="RFC 8252 §7.3",
    text="the authorization server MUST allow any port in loopback redirect URIs",
)
REGISTRATION_ECHO = Must(
    ref="RFC 7591 §3.2.1",
    text="the registration response MUST return all registered client metadata, including "
    "token_endpoint_auth_method",
)
