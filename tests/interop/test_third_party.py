"""The harness against MCP servers we did not write: every check runs, none ends in `error`.

The fail and warn verdicts each server earns are pinned below, each with the reason it is a true
finding of that server, so a regression either way is caught: a new fail/warn (a false alarm, or
a new check that needs classifying) fails the test, and so does a finding that disappears.
Run with `-s` to see the verdict tables.
"""

from __future__ import annotations

import pytest

from harness.results import Verdict

from .conftest import RunningServer
from .judging import judge

pytestmark = pytest.mark.slow


# @modelcontextprotocol/sdk 1.32.2, examples/server/simpleStreamableHttp.js --oauth [--oauth-strict]
TS_EXPECTED: dict[str, Verdict] = {
    # requireBearerAuth throws InvalidTokenError("Missing Authorization header") for a request
    # without credentials, so the 401 says error="invalid_token" (RFC 6750 §3.1: SHOULD NOT).
    "disc.rs.challenge": Verdict.WARN,
    # The example sets requiredScopes: [], so its 401 challenge never carries scope="…".
    "disc.rs.challenge-scope": Verdict.WARN,
    # The SDK's SafeUrlSchema refuses only javascript:/data:/vbscript: redirect URIs at DCR; a
    # URI with a #fragment (RFC 6749 §3.1.2) and plain http to a non-loopback host (MCP:
    # redirect URIs MUST be localhost or https) are registered.
    "reg.dcr.rejects-bad-redirect": Verdict.FAIL,
    # The SDK's clientRegistrationHandler issues a client_secret to any client that does not ask
    # for "none", but echoes only the metadata sent: registered without token_endpoint_auth_method,
    # the client is told no method (RFC 7591 §3.2.1), and the Python SDK client then gets
    # 400 invalid_client "Client secret is required".
    "reg.dcr.echo-auth-method": Verdict.FAIL,
    # The SDK's authorize handler allows any loopback port (RFC 8252 §7.3), but the demo
    # provider's authorize() then demands an exact redirect_uris.includes() match and redirects
    # back with error=invalid_request.
    "authz.redirect.loopback-port": Verdict.FAIL,
    # The demo provider's exchangeAuthorizationCode ignores the redirect_uri the token handler
    # passes it, so a code is redeemed with a redirect_uri other than the authorization's.
    "token.redirect-uri-match": Verdict.WARN,
    # The demo provider throws plain Errors for an unknown code ("Invalid authorization code")
    # and for any refresh ("Not implemented"), which the token handler answers 500 server_error
    # instead of 400 invalid_grant.
    "token.error-format": Verdict.FAIL,
    # The AS advertises the refresh_token grant, but the demo provider never issues one.
    "refresh.issued": Verdict.WARN,
    # Same cause: without refresh tokens the user must log in again every hour.
    "scenario.unattended-run": Verdict.WARN,
    # The example's introspection verifier throws a plain Error for an unknown token, which
    # requireBearerAuth answers with 500 server_error instead of 401.
    "rs.garbage-token": Verdict.FAIL,
    # Same cause: an unknown token gets 500 server_error, not 401 error="invalid_token".
    "rs.invalid-token-challenge": Verdict.WARN,
    # Same cause: every well-formed but unknown bearer token is answered 500.
    "rs.no-5xx": Verdict.FAIL,
    # Same cause: a JWT from a foreign issuer is just an unknown token to the introspection
    # verifier, answered 500: nothing is let in, but the status is wrong (a SHOULD-level finding).
    "rs.foreign-issuer": Verdict.WARN,
    # The example's transport has no allowedOrigins and createMcpExpressApp validates only Host,
    # so a valid token with Origin: https://evil.example is served (MCP Transports: MUST 403).
    "rs.origin": Verdict.FAIL,
}
TS_VARIANT_EXPECTED: dict[str, dict[str, Verdict]] = {
    "oauth": {
        # Without --oauth-strict the AS issues tokens for any resource and requireBearerAuth
        # gets no expectedResource, so a token requested for another resource is accepted.
        "token.resource-audience": Verdict.WARN,
    },
    # --oauth-strict refuses a token for another resource, but with 500 server_error
    "oauth-strict": {"token.resource-audience": Verdict.WARN},
}

# mcp 2.3.0 (mcp.server.auth) with interop/python_sdk_server.py's in-memory provider
PY_EXPECTED: dict[str, Verdict] = {
    # RequireAuthMiddleware answers a request without credentials with error="invalid_token"
    # ("Authentication required"), which RFC 6750 §3.1 says SHOULD NOT be sent.
    "disc.rs.challenge": Verdict.WARN,
    # RequireAuthMiddleware never puts scope="…" in its 401 challenge, although the server
    # requires notes:read (AuthSettings.required_scopes).
    "disc.rs.challenge-scope": Verdict.WARN,
    # The SDK's RegistrationHandler takes any pydantic AnyUrl as a redirect URI (javascript:,
    # data:, #fragment, non-loopback http) and leaves the policy to the provider's
    # register_client, which here, as in the SDK's examples, stores the client as is.
    "reg.dcr.rejects-bad-redirect": Verdict.FAIL,
    # OAuthClientInformationFull.validate_redirect_uri demands an exact match, so a registered
    # loopback redirect URI with another port is refused (RFC 8252 §7.3: MUST allow any port).
    "authz.redirect.loopback-port": Verdict.FAIL,
}


# Checks that must pass: the harness drives each server end to end, and on the Python SDK server
# (8 s access tokens, see conftest.PY_ACCESS_TTL_S) it really presents an expired token.
TS_MUST_PASS = ("scenario.happy-path",)
# The TS SDK auth router's default rate limits per client address (express-rate-limit): a
# default run must stay within them (each test starts a fresh server, so they start from zero).
TS_LIMITS = {"registrations": 20, "token_requests": 50}
PY_MUST_PASS = ("scenario.happy-path", "rs.expired")


def test_typescript_sdk_example(ts_server: RunningServer) -> None:
    judge(ts_server, TS_EXPECTED | TS_VARIANT_EXPECTED[ts_server.variant], TS_MUST_PASS, TS_LIMITS)


def test_python_sdk_server(python_sdk_server: RunningServer) -> None:
    judge(python_sdk_server, PY_EXPECTED, PY_MUST_PASS)
