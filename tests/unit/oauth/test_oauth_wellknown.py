from __future__ import annotations

import pytest

from harness.oauth.wellknown import (
    MetadataKind,
    ResourceMatch,
    as_metadata_urls,
    canonical_resource_uri,
    legacy_as_metadata_url,
    legacy_default_endpoints,
    prm_urls,
    resource_matches,
)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            "https://example.com/public/mcp",
            (
                "https://example.com/.well-known/oauth-protected-resource/public/mcp",
                "https://example.com/.well-known/oauth-protected-resource",
            ),
        ),
        (
            "https://h/mcp/",
            (
                "https://h/.well-known/oauth-protected-resource/mcp/",
                "https://h/.well-known/oauth-protected-resource",
            ),
        ),
        ("https://h", ("https://h/.well-known/oauth-protected-resource",)),
        ("https://h/", ("https://h/.well-known/oauth-protected-resource",)),
        (
            "http://127.0.0.1:8080/mcp?x=1#frag",
            (
                "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp",
                "http://127.0.0.1:8080/.well-known/oauth-protected-resource",
            ),
        ),
        (
            "HTTPS://Example.COM:8443/MCP",
            (
                "https://example.com:8443/.well-known/oauth-protected-resource/MCP",
                "https://example.com:8443/.well-known/oauth-protected-resource",
            ),
        ),
        ("http://[::1]:9000", ("http://[::1]:9000/.well-known/oauth-protected-resource",)),
    ],
)
def test_prm_urls(resource: str, expected: tuple[str, ...]) -> None:
    assert prm_urls(resource) == expected


def test_as_metadata_urls_issuer_with_path() -> None:
    urls = as_metadata_urls("https://auth.example.com/tenant1")
    assert [(u.url, u.kind) for u in urls] == [
        (
            "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
            MetadataKind.OAUTH,
        ),
        ("https://auth.example.com/.well-known/openid-configuration/tenant1", MetadataKind.OIDC),
        ("https://auth.example.com/tenant1/.well-known/openid-configuration", MetadataKind.OIDC),
    ]
    assert {u.issuer for u in urls} == {"https://auth.example.com/tenant1"}


def test_as_metadata_urls_issuer_with_trailing_slash_and_port() -> None:
    urls = as_metadata_urls("https://auth.example.com:8443/a/b/")
    assert [u.url for u in urls] == [
        "https://auth.example.com:8443/.well-known/oauth-authorization-server/a/b",
        "https://auth.example.com:8443/.well-known/openid-configuration/a/b",
        "https://auth.example.com:8443/a/b/.well-known/openid-configuration",
    ]
    assert urls[0].issuer == "https://auth.example.com:8443/a/b/"


@pytest.mark.parametrize("issuer", ["https://auth.example.com", "https://auth.example.com/"])
def test_as_metadata_urls_issuer_without_path(issuer: str) -> None:
    urls = as_metadata_urls(issuer)
    assert [(u.url, u.kind) for u in urls] == [
        ("https://auth.example.com/.well-known/oauth-authorization-server", MetadataKind.OAUTH),
        ("https://auth.example.com/.well-known/openid-configuration", MetadataKind.OIDC),
    ]


def test_as_metadata_urls_without_oidc() -> None:
    urls = as_metadata_urls("https://a/t", oidc=False)
    assert [u.url for u in urls] == ["https://a/.well-known/oauth-authorization-server/t"]


def test_legacy_locations_discard_the_path() -> None:
    assert (
        legacy_as_metadata_url("https://h:8443/public/mcp")
        == "https://h:8443/.well-known/oauth-authorization-server"
    )
    endpoints = legacy_default_endpoints("https://h/public/mcp")
    assert endpoints.authorization_endpoint == "https://h/authorize"
    assert endpoints.token_endpoint == "https://h/token"
    assert endpoints.registration_endpoint == "https://h/register"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://MCP.Example.com/Path/MCP", "https://mcp.example.com/Path/MCP"),
        ("https://h/mcp/", "https://h/mcp/"),
        ("https://h/mcp#frag", "https://h/mcp"),
        ("https://h", "https://h"),
        ("https://h:8443/mcp?tenant=A", "https://h:8443/mcp?tenant=A"),
    ],
)
def test_canonical_resource_uri(url: str, canonical: str) -> None:
    assert canonical_resource_uri(url) == canonical


@pytest.mark.parametrize(
    ("resource", "mode", "root", "matches"),
    [
        ("https://h/mcp", ResourceMatch.EXACT, False, True),
        ("HTTPS://H/mcp", ResourceMatch.EXACT, False, True),
        ("https://h/mcp/", ResourceMatch.EXACT, False, False),
        ("https://h", ResourceMatch.EXACT, False, False),
        ("https://h", ResourceMatch.EXACT, True, True),
        ("https://h/", ResourceMatch.PREFIX, False, True),
        ("https://h/mc", ResourceMatch.PREFIX, False, False),
        ("https://other/mcp", ResourceMatch.PREFIX, False, False),
        ("https://other/mcp", ResourceMatch.OFF, False, True),
    ],
)
def test_resource_matches(resource: str, mode: ResourceMatch, root: bool, matches: bool) -> None:
    assert resource_matches(resource, "https://h/mcp", mode, root=root) is matches
