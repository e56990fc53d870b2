"""The harness against npm `oidc-provider` with form login, idle and with the CPU deliberately busy.

oidc-provider's development interactions are a real login page (any username and password are
accepted) and a consent page, with interaction cookies scoped per path and an SSO session cookie:
the harness logs in through them as two users, concurrently, for every flow a check needs. The
verdicts must be the same however busy the machine is, so the busy run pins the very same
verdicts as the idle one: every check's, not only its findings.

Root cause of the flakiness this guards against: the HTTP layer's cookie jar was meant to store
nothing (each flow carries its own), but httpx copied it into a default jar, so one user's SSO
session cookie went out on other flows' first requests; oidc-provider then answered their resumed
interactions with 400 "interaction session and authentication session mismatch", and which flows
collided depended on timing. See `tests/integration/test_form_login_cookies.py`.
"""

from __future__ import annotations

import pytest

from harness.config import Config, LoginConfig, ToolConfig, UserCredentials
from harness.results import Verdict

from .conftest import RunningServer
from .judging import judge

pytestmark = pytest.mark.slow

# oidc-provider 9.13.3 (interop/oidc_provider_server.mjs), behind @modelcontextprotocol/sdk 1.32.2
EXPECTED: dict[str, Verdict] = {
    # The SDK's requireBearerAuth throws InvalidTokenError("Missing Authorization header") for
    # a request without credentials, so the 401 says error="invalid_token" (RFC 6750 §3.1:
    # SHOULD NOT).
    "disc.rs.challenge": Verdict.WARN,
    # oidc-provider's default response types include id_token and "code id_token", so its
    # metadata advertises the implicit grant, which OAuth 2.1 removes.
    "disc.as.no-legacy-grants": Verdict.WARN,
    # A client registered without application_type is a "web" client (OpenID DCR §2), and
    # oidc-provider accepts plain http redirect URIs to any host for web clients using the code
    # flow (its client schema forbids http only with the implicit grant); MCP requires redirect
    # URIs to be localhost or https.
    "reg.dcr.rejects-bad-redirect": Verdict.FAIL,
    # oidc-provider relaxes the port of a loopback redirect URI only for application_type
    # "native" clients (Client#redirectAllowed); MCP clients register without it, so a request
    # on another ephemeral port is refused (OAuth 2.1 §8.4.2 / RFC 8252 §7.3: MUST allow any port).
    "authz.redirect.loopback-port": Verdict.FAIL,
}
# Skips with a true reason: the capability is absent, or the run is not configured for it.
SKIPS = frozenset(
    {
        # oidc-provider advertises no client ID metadata documents
        "reg.cimd.validates",
        # the baseline client refreshes: the never-refreshing client's scenario is moot for it
        "scenario.refresh-never",
        # its revocation endpoint answers unsupported_token_type for JWT access tokens (RFC 7009
        # §2.2.1 allows it): a structured token cannot be revoked before its exp
        "rs.revoked",
        # it refuses a token for the made-up resource (invalid_target), and the run names no
        # second MCP resource of the same authorization server
        "rs.wrong-audience",
        "misuse.cross-resource",
        # no upstream canary: the example server calls no upstream API
        "misuse.token-passthrough",
    }
)
# Driven end to end: the login and consent forms, refresh, expiry (8 s JWTs, see
# conftest.OIDC_ACCESS_TTL_S), the step-up to notes:write, and two users' sessions.
MUST_PASS = (
    "scenario.happy-path",
    "scenario.step-up",
    "rs.expired",
    "refresh.works",
    "sess.user-binding",
    "token.code-single-use",
    "authz.state.echo",
)

CONFIG = Config(
    login=LoginConfig(
        mode="form",
        # oidc-provider's development interactions take any login and any password
        username="alice",
        password="alice-password",
        second_user=UserCredentials(username="bob", password="bob-password"),
    ),
    narrow_scopes=("notes:read",),
    tools=(ToolConfig(name="delete_note", requires=("notes:write",), arguments={"id": "1"}),),
)


def test_oidc_provider(oidc_provider_server: RunningServer) -> None:
    judge(oidc_provider_server, EXPECTED, MUST_PASS, config=CONFIG, skips=SKIPS)


def test_oidc_provider_busy_cpu(oidc_provider_server: RunningServer, busy_cpu: int) -> None:
    assert busy_cpu >= 2
    judge(oidc_provider_server, EXPECTED, MUST_PASS, config=CONFIG, skips=SKIPS)
