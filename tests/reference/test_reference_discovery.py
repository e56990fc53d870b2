"""Discovery: protected resource metadata, AS metadata, and clean 404s."""

from __future__ import annotations

import pytest

from simulators.reference import ReferenceConfig, ReferenceServer

from .driver import Driver, running


def test_prm_is_served_path_suffixed_and_at_the_root(driver: Driver) -> None:
    server = driver.server
    expected = {
        "resource": server.mcp_url,
        "authorization_servers": [server.issuer],
        "scopes_supported": ["notes:read", "notes:write"],
        "bearer_methods_supported": ["header"],
    }
    origin = server.urls.rs_origin
    for path in (
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ):
        response = driver.http.get(origin + path)
        assert response.status_code == 200
        assert response.json() == expected


def test_other_resource_has_its_own_prm(driver: Driver) -> None:
    server = driver.server
    response = driver.http.get(
        server.urls.rs_origin + "/.well-known/oauth-protected-resource/other/mcp"
    )
    assert response.json()["resource"] == server.other_mcp_url
    assert server.other_mcp_url != server.mcp_url


def test_as_metadata_rfc8414_and_oidc(driver: Driver) -> None:
    server = driver.server
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        doc = driver.http.get(server.urls.as_origin + path).json()
        assert doc["issuer"] == server.issuer
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["response_types_supported"] == ["code"]
        assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
        assert doc["authorization_response_iss_parameter_supported"] is True
        assert doc["token_endpoint"] == server.issuer + "/token"
    assert driver.http.get(doc["jwks_uri"]).json()["keys"][0]["kty"] == "RSA"


def test_unknown_paths_are_clean_404s(driver: Driver) -> None:
    origin = driver.server.urls.rs_origin
    for path in ("/nope", "/.well-known/oauth-protected-resource/nope", "/mcp/"):
        response = driver.http.get(origin + path)
        assert response.status_code == 404


def test_issuer_path_separate_as_and_oidc_only() -> None:
    config = ReferenceConfig(issuer_path="/tenant1", separate_as=True, oidc_only=True)
    with running(config) as d:
        server = d.server
        assert server.urls.as_origin != server.urls.rs_origin
        assert server.issuer == server.urls.as_origin + "/tenant1"
        prm = d.http.get(server.prm_url).json()
        assert prm["authorization_servers"] == [server.issuer]
        origin = server.urls.as_origin
        assert (
            d.http.get(origin + "/.well-known/oauth-authorization-server/tenant1").status_code
            == 404
        )
        for path in (
            "/.well-known/openid-configuration/tenant1",
            "/tenant1/.well-known/openid-configuration",
        ):
            assert d.http.get(origin + path).json()["issuer"] == server.issuer
        # the whole flow still works across the two origins
        token = d.access_token()
        assert (
            d.call_tool("whoami", token, d.initialize(token)).json()["result"]["isError"] is False
        )


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        ReferenceServer(host="0.0.0.0")  # noqa: S104 - the point of the test
