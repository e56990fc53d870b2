from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from harness.oauth.authorize import (
    authorization_url,
    parse_authorization_response,
    same_endpoint,
)
from harness.oauth.pkce import Pkce


def test_authorization_url_keeps_the_endpoint_query() -> None:
    pkce = Pkce(verifier="v" * 43, challenge="chal", method="S256")
    url = authorization_url(
        "https://as.test/oauth/authorize?tenant=a&x=",
        client_id="client-1",
        redirect_uri="http://127.0.0.1:33418/callback",
        pkce=pkce,
        state="st-1",
        scope="notes:read notes:write",
        resource="https://mcp.test/mcp",
        extra={"prompt": "consent"},
    )
    parts = urlsplit(url)
    assert parts.path == "/oauth/authorize"
    assert parse_qsl(parts.query, keep_blank_values=True) == [
        ("tenant", "a"),
        ("x", ""),
        ("response_type", "code"),
        ("client_id", "client-1"),
        ("redirect_uri", "http://127.0.0.1:33418/callback"),
        ("scope", "notes:read notes:write"),
        ("state", "st-1"),
        ("code_challenge", "chal"),
        ("code_challenge_method", "S256"),
        ("resource", "https://mcp.test/mcp"),
        ("prompt", "consent"),
    ]


def test_authorization_url_omits_none() -> None:
    url = authorization_url(
        "https://as.test/authorize",
        client_id="c",
        redirect_uri=None,
        pkce=None,
        state=None,
        scope=None,
        resource=None,
        extra=[("resource", "a"), ("resource", "b")],
    )
    assert parse_qsl(urlsplit(url).query) == [
        ("response_type", "code"),
        ("client_id", "c"),
        ("resource", "a"),
        ("resource", "b"),
    ]


def test_parse_authorization_response_query() -> None:
    response = parse_authorization_response(
        "http://127.0.0.1:33418/callback?code=abc&state=s&iss=https%3A%2F%2Fas.test&state=t",
        redirect_status=302,
    )
    assert (response.code, response.state, response.iss) == ("abc", "s", "https://as.test")
    assert response.redirect_status == 302
    assert response.duplicate_params == ("state",)
    assert response.error is None


def test_parse_authorization_response_error_in_fragment() -> None:
    response = parse_authorization_response(
        "https://c.test/cb#error=access_denied&error_description=no+way", redirect_status=303
    )
    assert response.code is None
    assert response.error == "access_denied"
    assert response.error_description == "no way"


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("http://127.0.0.1:33418/callback?code=1", True),
        ("HTTP://127.0.0.1:33418/callback#x", True),
        ("http://127.0.0.1:33419/callback", False),
        ("http://127.0.0.1:33418/callback/", False),
        ("https://127.0.0.1:33418/callback", False),
        ("http://localhost:33418/callback", False),
    ],
)
def test_same_endpoint(url: str, same: bool) -> None:
    assert same_endpoint(url, "http://127.0.0.1:33418/callback") is same


def test_same_endpoint_default_ports() -> None:
    assert same_endpoint("https://c.test:443/cb", "https://C.test/cb")
    assert same_endpoint("http://c.test/", "http://c.test")
