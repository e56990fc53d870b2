"""The whole catalogue against reference architectures other than the default: no check may
`fail` or end in `error` on a correct server, however its authorization server is laid out.

- the AS on its own port, with an issuer path (`/tenant1`) and only OIDC discovery;
- opaque access tokens, validated by the resource server through introspection;
- HTML form login with a consent page;
- a pre-registered client, no dynamic client registration and no CIMD.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.config import ClientConfig, Config, LoginConfig
from harness.results import Verdict
from harness.session import HarnessSession
from simulators.reference import USERS, ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_EXPIRY

PRE_REGISTERED_REDIRECT = "http://127.0.0.1:33418/callback"
# Long enough that no probe's token expires under it while the whole catalogue runs at once (the
# expiry checks then skip); the default architecture's self-tests cover expiry.
TOKEN_TTL_S = 30


@dataclass(frozen=True)
class Variant:
    reference: ReferenceConfig
    login: LoginConfig = LoginConfig(mode="auto")  # noqa: RUF009 - frozen, shared safely
    pre_registered: bool = False


VARIANTS = {
    "separate-as-tenant-path-oidc-only": Variant(
        reference=ReferenceConfig(
            access_token_ttl=TOKEN_TTL_S, separate_as=True, issuer_path="/tenant1", oidc_only=True
        )
    ),
    "opaque-tokens-introspection": Variant(
        reference=ReferenceConfig(access_token_ttl=TOKEN_TTL_S, token_format="opaque")
    ),
    "form-login-with-consent": Variant(
        reference=ReferenceConfig(access_token_ttl=TOKEN_TTL_S, login="form"),
        login=LoginConfig(mode="form", username="alice", password=USERS["alice"]),
    ),
    "pre-registered-client-no-dcr-no-cimd": Variant(
        reference=ReferenceConfig(
            access_token_ttl=TOKEN_TTL_S,
            dynamic_client_registration=False,
            client_id_metadata_documents=False,
        ),
        pre_registered=True,
    ),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_no_fail_and_no_error(name: str) -> None:
    variant = VARIANTS[name]
    with ReferenceServer(variant.reference) as server:
        client = None
        if variant.pre_registered:
            registered = server.register_client([PRE_REGISTERED_REDIRECT])
            client = ClientConfig(
                client_id=registered.client_id, redirect_uri=PRE_REGISTERED_REDIRECT
            )
        config = Config(tokens=FAST_EXPIRY.tokens, login=variant.login, client=client)
        session = HarnessSession(target_url=server.mcp_url, config=config)
        session.run()
    bad = {
        f"{check} [{profile}]" if profile else check: f"{r.verdict.value}: {r.message}"
        for (check, profile), r in session.results.items()
        if r.verdict in {Verdict.FAIL, Verdict.ERROR}
    }
    assert not bad, "\n".join(f"{k}: {v}" for k, v in sorted(bad.items()))
    passed = {check for (check, _), r in session.results.items() if r.verdict is Verdict.PASS}
    assert {"authz.redirect.exact", "pkce.verifier-checked", "refresh.reuse-rejected"} <= passed
