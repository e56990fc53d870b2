"""Knobs into policies and values: pure functions over a profile and what discovery found."""

from __future__ import annotations

import random
from dataclasses import replace

from harness.oauth.discovery_policy import DiscoveryMode, PrmLocation
from harness.oauth.metadata import parse_as_metadata, parse_prm
from harness.oauth.wellknown import ResourceMatch
from harness.profiles.catalogue import load_profiles
from harness.profiles.knobs import (
    auth_method,
    cimd_usable,
    discovery_policy,
    redirect_plan,
    registration_request,
    resource_choice,
    select_scope,
    union_scope,
)
from harness.profiles.model import (
    Knob,
    OfflineAccess,
    Profile,
    ResourceMode,
    ScopeKnobs,
    ScopeSource,
)

PROFILES = load_profiles()
MCP = "https://mcp.example.com/mcp"


class Found:
    """The parts of a `Discovery` the knobs read."""

    def __init__(self, *, challenged: tuple[str, ...] | None, prm: dict[str, object] | None):
        self.challenged_scope = challenged
        self.prm = parse_prm(prm) if prm is not None else None
        self.resource = MCP


def metadata(**extra: object) -> object:
    return parse_as_metadata({"issuer": "https://as.example.com", **extra})


def with_scope(profile: Profile, **knobs: object) -> Profile:
    values = {k: Knob(value=v) for k, v in knobs.items()}
    return replace(profile, scope=replace(ScopeKnobs(), **values))


def test_discovery_policies_follow_the_knobs() -> None:
    spec = discovery_policy(PROFILES["spec-2025-11-25"])
    assert spec.use_challenge_resource_metadata
    assert spec.prm_locations == (PrmLocation.PATH, PrmLocation.ROOT)
    claude = discovery_policy(PROFILES["claude-ai"])
    assert not claude.use_challenge_resource_metadata
    ts = discovery_policy(PROFILES["typescript-sdk"])
    assert 502 in ts.miss_statuses
    assert ts.max_authorization_servers == 1
    assert ts.resource_match is ResourceMatch.PREFIX
    assert ("mcp-protocol-version", "2025-11-25") in ts.headers
    assert discovery_policy(PROFILES["spec-2025-03-26"]).mode is DiscoveryMode.LEGACY
    assert not discovery_policy(PROFILES["spec-2025-06-18"]).oidc


def test_scope_comes_from_the_first_source_that_has_one() -> None:
    found = Found(challenged=("a",), prm={"resource": MCP, "scopes_supported": ["p1", "p2"]})
    as_list = metadata(scopes_supported=["x", "offline_access"])
    base = PROFILES["spec-2025-11-25"]
    assert select_scope(base, found, as_list) == "a"  # type: ignore[arg-type]
    vscode = with_scope(base, sources=(ScopeSource.PRM, ScopeSource.AS))
    assert select_scope(vscode, found, as_list) == "p1 p2"  # type: ignore[arg-type]
    nothing = Found(challenged=None, prm={"resource": MCP})
    assert select_scope(vscode, nothing, as_list) == "x offline_access"  # type: ignore[arg-type]
    assert select_scope(with_scope(base, sources=()), found, as_list) is None  # type: ignore[arg-type]
    offline = with_scope(base, offline_access=OfflineAccess.IF_ADVERTISED)
    assert select_scope(offline, found, as_list) == "a offline_access"  # type: ignore[arg-type]
    assert select_scope(offline, found, metadata()) == "a"  # type: ignore[arg-type]
    spaced = with_scope(base, leading_space=True)
    assert select_scope(spaced, found, as_list) == " a"  # type: ignore[arg-type]
    fallback = with_scope(base, sources=(ScopeSource.FIXED,), fixed="openid email")
    assert select_scope(fallback, nothing, None) == "openid email"  # type: ignore[arg-type]


def test_union_scope_keeps_order_without_duplicates() -> None:
    assert union_scope("a b", "b c") == "a b c"
    assert union_scope(None, None) is None


def test_resource_variants() -> None:
    found = Found(challenged=None, prm={"resource": MCP, "authorization_servers": ["x"]})
    base = PROFILES["spec-2025-11-25"]

    def sent(mode: ResourceMode, discovery: object = found) -> str | None:
        profile = replace(base, resource=replace(base.resource, mode=Knob(value=mode)))
        return resource_choice(profile, discovery).value  # type: ignore[arg-type]

    assert sent(ResourceMode.PRM) == MCP
    assert sent(ResourceMode.OMIT) is None
    assert sent(ResourceMode.ORIGIN) == "https://mcp.example.com"
    assert sent(ResourceMode.SLASH_ON_HOST_ONLY) == MCP  # a path: no slash added
    host_only = Found(challenged=None, prm={"resource": "https://h.example"})
    assert sent(ResourceMode.SLASH_ON_HOST_ONLY, host_only) == "https://h.example/"
    assert sent(ResourceMode.IF_PRM, Found(challenged=None, prm=None)) is None
    choice = resource_choice(PROFILES["codex"], found)  # type: ignore[arg-type]
    assert choice.deviates
    assert choice.describe() == "`resource` omitted"


def test_redirect_plans_move_the_loopback_port_when_the_client_does() -> None:
    rng = random.Random(1)
    spec = redirect_plan(PROFILES["spec-2025-11-25"], rng)
    assert not spec.port_differs
    assert spec.registered == (spec.at_authorize,)
    vscode = redirect_plan(PROFILES["vscode"], rng)
    assert vscode.as_registered == "http://127.0.0.1:33418/"
    assert vscode.port_differs
    assert vscode.at_authorize.startswith("http://127.0.0.1:")
    claude = redirect_plan(PROFILES["claude-ai"], rng)  # an https callback has no port to move
    assert claude.at_authorize == "https://claude.ai/api/mcp/auth_callback"
    assert not claude.port_differs


def test_registration_bodies_and_auth_methods() -> None:
    advertised = metadata(token_endpoint_auth_methods_supported=["none", "client_secret_post"])
    assert auth_method(PROFILES["claude-ai"], advertised) == "client_secret_post"  # type: ignore[arg-type]
    assert auth_method(PROFILES["claude-ai"], metadata()) == "none"  # type: ignore[arg-type]
    body = registration_request(
        PROFILES["mcp-remote"],
        redirect_uris=("http://localhost:3334/oauth/callback",),
        scope=None,
        metadata=metadata(token_endpoint_auth_methods_supported=["none"]),  # type: ignore[arg-type]
    )
    assert body["client_name"] == "MCP CLI Client"
    assert body["software_id"] == "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d"
    assert body["token_endpoint_auth_method"] == "none"
    # mcp-remote 0.15.1 (observed 2026-12-02): client_secret_post when none is not advertised
    basic_only = metadata(token_endpoint_auth_methods_supported=["client_secret_basic"])
    assert auth_method(PROFILES["mcp-remote"], basic_only) == "client_secret_post"  # type: ignore[arg-type]
    # the Python SDK 2.3.0 names no method at all (RFC 7591: the AS picks client_secret_basic)
    python = registration_request(
        PROFILES["python-sdk"], redirect_uris=("http://127.0.0.1:1/cb",), scope=None, metadata=None
    )
    assert "token_endpoint_auth_method" not in python
    spec = registration_request(
        PROFILES["spec-2026-07-28"],
        redirect_uris=("http://127.0.0.1:1/cb",),
        scope="a",
        metadata=None,
    )
    assert spec["application_type"] == "native"
    assert "scope" not in spec


def test_cimd_is_used_only_where_advertised() -> None:
    claude = PROFILES["claude-ai"]
    url = claude.registration.cimd_url.value
    supported = metadata(client_id_metadata_document_supported=True)
    assert cimd_usable(claude, supported, url)  # type: ignore[arg-type]
    assert not cimd_usable(claude, metadata(), url)  # type: ignore[arg-type]
    only_secret = metadata(
        client_id_metadata_document_supported=True,
        token_endpoint_auth_methods_supported=["client_secret_basic"],
    )
    assert not cimd_usable(claude, only_secret, url)  # type: ignore[arg-type]
    assert not cimd_usable(PROFILES["spec-2025-11-25"], supported, "")  # type: ignore[arg-type]
