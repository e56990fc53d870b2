"""`discover` against real servers: an MCP server and an authorization server on another port."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from harness.errors import TargetError
from harness.http import HttpClient
from harness.oauth.discovery import AttemptKind, EndpointSource, discover
from harness.oauth.discovery_policy import (
    SPEC_2025_03_26,
    DiscoveryPolicy,
    PrmLocation,
)
from harness.oauth.errors import FlowError
from harness.oauth.wellknown import ResourceMatch

pytestmark = pytest.mark.anyio
Serve = Callable[[ASGIApp], str]


def auth_server(*, issuer_path: str, documents: dict[str, dict[str, object]]) -> Starlette:
    """Serves `documents` by path; `{issuer}` in a value is replaced by the server's issuer."""

    async def document(request: Request) -> Response:
        found = documents.get(request.url.path)
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        issuer = f"{request.base_url}".rstrip("/") + issuer_path
        return JSONResponse(
            {
                k: v.replace("{issuer}", issuer) if isinstance(v, str) else v
                for k, v in found.items()
            }
        )

    return Starlette(routes=[Route("/{path:path}", document)])


def mcp_server(
    *, challenge: str, prm: dict[str, dict[str, object]], prm_status: int = 200
) -> Starlette:
    async def endpoint(request: Request) -> Response:
        base = f"{request.base_url}".rstrip("/")
        return PlainTextResponse(
            "unauthorized",
            status_code=401,
            headers={"www-authenticate": challenge.replace("{base}", base)},
        )

    async def metadata(request: Request) -> Response:
        found = prm.get(request.url.path)
        if found is None:
            return PlainTextResponse("nope", status_code=prm_status if prm_status != 200 else 404)
        base = f"{request.base_url}".rstrip("/")
        return JSONResponse(
            {k: _with_base(v, base) for k, v in found.items()}
        )

    return Starlette(
        routes=[
            Route("/public/mcp", endpoint, methods=["POST"]),
            Route("/.well-known/{rest:path}", metadata),
        ]
    )


async def test_header_url_then_oidc_on_another_host_with_issuer_path(
    http: HttpClient, serve: Serve
) -> None:
    as_url = serve(
        auth_server(
            issuer_path="/tenant1",
            documents={
                "/.well-known/openid-configuration/tenant1": {
                    "issuer": "{issuer}",
                    "authorization_endpoint": "{issuer}/authorize",
                    "token_endpoint": "{issuer}/token",
                    "registration_endpoint": "{issuer}/register",
                    "code_challenge_methods_supported": ["S256"],
                }
            },
        )
    )
    issuer = as_url.replace("127.0.0.1", "localhost") + "/tenant1"  # another host name
    mcp = serve(
        mcp_server(
            challenge=(
                'Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/public/mcp",'
                ' scope="notes:read"'
            ),
            prm={
                "/.well-known/oauth-protected-resource/public/mcp": {
                    "resource": "{base}/public/mcp",
                    "authorization_servers": [issuer],
                    "scopes_supported": ["notes:read", "notes:write"],
                }
            },
        )
    )
    mcp_url = mcp + "/public/mcp"
    response = await http.request("POST", mcp_url, json_body={"jsonrpc": "2.0", "id": 1})
    found = await discover(http, mcp_url, unauthenticated=response)

    assert [a.kind for a in found.attempts] == [
        AttemptKind.PRM_HEADER,
        AttemptKind.AS_OAUTH,
        AttemptKind.AS_OIDC,
    ]
    assert found.attempts[1].problem == "HTTP 404"
    assert found.prm is not None
    assert found.prm_url == mcp + "/.well-known/oauth-protected-resource/public/mcp"
    assert found.challenged_scope == ("notes:read",)
    assert found.scope_to_request() == "notes:read"
    assert found.resource == mcp_url
    assert found.as_metadata is not None
    assert found.issuer == issuer
    assert found.as_metadata_url == issuer.replace("/tenant1", "") + (
        "/.well-known/openid-configuration/tenant1"
    )
    endpoints = found.require_endpoints()
    assert endpoints.source is EndpointSource.METADATA
    assert endpoints.token_endpoint is not None
    assert len(found.exchanges) == 4


async def test_well_known_fallback_to_root_and_issuer_mismatch(
    http: HttpClient, serve: Serve
) -> None:
    as_url = serve(
        auth_server(
            issuer_path="",
            documents={
                "/.well-known/oauth-authorization-server": {"issuer": "https://evil.test"},
                "/.well-known/openid-configuration": {
                    "issuer": "{issuer}",
                    "authorization_endpoint": "{issuer}/authorize",
                },
            },
        )
    )
    mcp = serve(
        mcp_server(
            challenge='Bearer realm="x"',
            prm={
                "/.well-known/oauth-protected-resource": {
                    "resource": "{base}/public/mcp",
                    "authorization_servers": [as_url],
                }
            },
        )
    )
    mcp_url = mcp + "/public/mcp"
    response = await http.request("POST", mcp_url, json_body={})
    found = await discover(http, mcp_url, unauthenticated=response)

    assert [(a.kind, a.problem) for a in found.attempts] == [
        (AttemptKind.PRM_PATH, "HTTP 404"),
        (AttemptKind.PRM_ROOT, None),
        (
            AttemptKind.AS_OAUTH,
            f"issuer 'https://evil.test' is not the issuer {as_url!r} the URL was built from",
        ),
        (AttemptKind.AS_OIDC, None),
    ]
    assert found.challenged_scope is None
    assert found.scope_to_request() is None
    assert found.as_metadata is not None
    assert found.as_metadata.issuer == as_url

    lenient = DiscoveryPolicy(require_issuer_match=False)
    again = await discover(http, mcp_url, unauthenticated=response, policy=lenient)
    assert again.as_metadata is not None
    assert again.as_metadata.issuer == "https://evil.test"


async def test_prm_resource_mismatch_is_not_used(http: HttpClient, serve: Serve) -> None:
    mcp = serve(
        mcp_server(
            challenge="Bearer",
            prm={
                "/.well-known/oauth-protected-resource/public/mcp": {
                    "resource": "{base}/other",
                    "authorization_servers": ["http://127.0.0.1:1"],
                }
            },
        )
    )
    mcp_url = mcp + "/public/mcp"
    response = await http.request("POST", mcp_url, json_body={})
    path_only = DiscoveryPolicy(prm_locations=(PrmLocation.PATH,))
    strict = await discover(http, mcp_url, unauthenticated=response, policy=path_only)
    assert strict.prm is None
    assert strict.attempts[0].rejected is not None
    assert "does not match" in (strict.prm_problem or "")
    assert strict.endpoints is None
    with pytest.raises(FlowError, match="discovery"):
        strict.require_endpoints()

    lax = DiscoveryPolicy(
        prm_locations=(PrmLocation.PATH,), resource_match=ResourceMatch.OFF, oidc=False
    )
    # the PRM is used; nothing listens on port 1: an unreachable AS is an error, not a finding
    with pytest.raises(TargetError, match="could not be reached") as unreachable:
        await discover(http, mcp_url, unauthenticated=response, policy=lax)
    assert not isinstance(unreachable.value, FlowError)
    assert unreachable.value.exchanges
    assert "127.0.0.1:1/.well-known/oauth-authorization-server" in (
        unreachable.value.exchanges[0].request.url
    )


async def test_server_error_stops_the_probe_order(http: HttpClient, serve: Serve) -> None:
    mcp = serve(mcp_server(challenge="Bearer", prm={}, prm_status=500))
    mcp_url = mcp + "/public/mcp"
    response = await http.request("POST", mcp_url, json_body={})
    found = await discover(http, mcp_url, unauthenticated=response)
    assert [a.kind for a in found.attempts] == [AttemptKind.PRM_PATH]
    assert found.prm_problem is not None
    assert found.prm_problem.endswith("HTTP 500")


async def test_legacy_mode_falls_back_to_default_endpoints(http: HttpClient, serve: Serve) -> None:
    mcp = serve(mcp_server(challenge="Bearer", prm={}))
    mcp_url = mcp + "/public/mcp"
    response = await http.request("POST", mcp_url, json_body={})
    found = await discover(http, mcp_url, unauthenticated=response, policy=SPEC_2025_03_26)
    assert [(a.kind, a.url) for a in found.attempts] == [
        (AttemptKind.AS_LEGACY, mcp + "/.well-known/oauth-authorization-server")
    ]
    endpoints = found.require_endpoints()
    assert endpoints.source is EndpointSource.LEGACY_DEFAULTS
    assert endpoints.authorization_endpoint == mcp + "/authorize"
    assert endpoints.registration_endpoint == mcp + "/register"


async def test_header_url_miss_falls_back_only_when_the_policy_says_so(
    http: HttpClient, serve: Serve
) -> None:
    mcp = serve(
        mcp_server(
            challenge='Bearer resource_metadata="{base}/.well-known/nowhere"',
            prm={
                "/.well-known/oauth-protected-resource": {
                    "resource": "{base}/public/mcp",
                    "authorization_servers": ["{base}/no-as"]  # answers 404,
                }
            },
        )
    )
    mcp_url = mcp + "/public/mcp"
    response = await http.request("POST", mcp_url, json_body={})
    spec = await discover(http, mcp_url, unauthenticated=response)
    assert [a.kind for a in spec.attempts] == [AttemptKind.PRM_HEADER]
    assert spec.resource_metadata_url == mcp + "/.well-known/nowhere"
    assert spec.prm is None

    lenient = DiscoveryPolicy(well_known_after_challenge=True, oidc=False)
    found = await discover(http, mcp_url, unauthenticated=response, policy=lenient)
    assert [a.kind for a in found.attempts] == [
        AttemptKind.PRM_HEADER,
        AttemptKind.PRM_PATH,
        AttemptKind.PRM_ROOT,
        AttemptKind.AS_OAUTH,
    ]
    assert found.prm is not None


def _with_base(value: object, base: str) -> object:
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [_with_base(v, base) for v in value]
    return value
