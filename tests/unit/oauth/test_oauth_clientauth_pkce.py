from __future__ import annotations

import base64
import hashlib
import re

import pytest

from harness.oauth.clientauth import basic_authorization, client_auth
from harness.oauth.errors import FlowError
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import ClientCredentials, registration_body
from harness.redact import SecretVault


def test_basic_authorization_form_urlencodes_before_base64() -> None:
    header = basic_authorization("client:1 é", "s3cr+t/=&")
    assert header.startswith("Basic ")
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    assert decoded == "client%3A1+%C3%A9:s3cr%2Bt%2F%3D%26"


def test_client_auth_methods() -> None:
    public = ClientCredentials(client_id="pub")
    assert client_auth(public).form == (("client_id", "pub"),)
    assert client_auth(public).headers == ()
    basic = ClientCredentials(
        client_id="c", client_secret="sec-123", token_endpoint_auth_method="client_secret_basic"
    )
    assert client_auth(basic).headers == (("authorization", basic_authorization("c", "sec-123")),)
    assert client_auth(basic).form == ()
    post = ClientCredentials(
        client_id="c", client_secret="sec-123", token_endpoint_auth_method="client_secret_post"
    )
    assert client_auth(post).form == (("client_id", "c"), ("client_secret", "sec-123"))


@pytest.mark.parametrize(
    "client",
    [
        ClientCredentials(client_id="c", token_endpoint_auth_method="client_secret_basic"),
        ClientCredentials(client_id="c", client_secret="x", token_endpoint_auth_method="tls"),
    ],
)
def test_client_auth_impossible(client: ClientCredentials) -> None:
    with pytest.raises(FlowError) as info:
        client_auth(client)
    assert info.value.step == "client-authentication"


def test_credentials_repr_hides_the_secret() -> None:
    assert "hidden-secret" not in repr(
        ClientCredentials(client_id="c", client_secret="hidden-secret")
    )


def test_new_pkce_s256() -> None:
    vault = SecretVault()
    pkce = new_pkce(vault=vault)
    assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", pkce.verifier)
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert pkce.method == "S256"
    assert pkce.verifier in vault
    assert pkce.verifier not in repr(pkce)
    assert new_pkce().verifier != pkce.verifier


def test_new_pkce_plain() -> None:
    pkce = new_pkce("plain")
    assert pkce.challenge == pkce.verifier
    assert pkce.method == "plain"


def test_registration_body() -> None:
    body = registration_body(
        client_name="h",
        redirect_uris=["http://127.0.0.1:1/cb"],
        application_type="native",
        scope="a b",
        extra={"logo_uri": "https://x/l.png"},
    )
    assert body == {
        "client_name": "h",
        "redirect_uris": ["http://127.0.0.1:1/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "scope": "a b",
        "logo_uri": "https://x/l.png",
    }
