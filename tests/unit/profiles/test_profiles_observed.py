"""The quirk kinds folded in from real clients observed on the wire on 2026-12-02, each as the
simulator reproduces it against the reference server (real sockets), and how `profiles --show`
cites the observation."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness.cli import main
from harness.config import Config
from harness.egress import EgressPolicy
from harness.errors import ConfigError
from harness.exchange import Exchange
from harness.http import Deadline, HttpClient
from harness.oauth.tokens import revoke
from harness.probes.scenarios.journey import Phase
from harness.profiles.catalogue import load_profiles
from harness.profiles.connect import ProfileClient
from harness.profiles.diagnose import refresh_refused
from harness.profiles.knobs import discovery_policy
from harness.profiles.load import parse_profile
from harness.profiles.model import On401Recovery, RefreshFailure, RefreshMode
from harness.profiles.use import recover_from_401
from harness.redact import SecretVault
from harness.results import Attribution
from simulators.reference import ReferenceConfig, ReferenceServer

PROFILES = load_profiles()


def _simulate(capsys: pytest.CaptureFixture[str], profile: str, reference: ReferenceConfig) -> str:
    with ReferenceServer(reference) as server:
        code = main(["simulate-client", "--profile", profile, server.mcp_url])
    out = capsys.readouterr().out
    return f"exit {code}\n{out}"


def test_python_sdk_registers_without_a_method_and_then_authenticates_with_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the TypeScript SDK demo AS: a secret issued, no method named (observed against it)
    defect = ReferenceConfig(defects=frozenset({"dcr-default-auth-method-not-echoed"}))
    out = _simulate(capsys, "python-sdk", defect)
    assert out.startswith("exit 1"), out
    assert "✗ token: the token request was refused (invalid_client" in out
    assert "named no token_endpoint_auth_method" in out
    assert "broken (server)" in out
    # on a correct AS the method is named (client_secret_basic) and used
    assert _simulate(capsys, "python-sdk", ReferenceConfig()).startswith("exit 0")


def test_typescript_sdk_fetches_the_metadata_again_before_the_token_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _simulate(capsys, "typescript-sdk", ReferenceConfig())
    assert out.startswith("exit 0"), out
    wire = [line for line in out.splitlines() if line.startswith("→ ")]
    authorize = next(i for i, line in enumerate(wire) if "/authorize?" in line)
    token = next(i for i, line in enumerate(wire) if line.endswith("/token"))
    between = wire[authorize + 1 : token]
    assert any("/.well-known/oauth-authorization-server" in line for line in between), wire
    assert "✓ discovery again (before the token request)" in out
    assert "&state=" not in wire[authorize]  # no state without the app's state() (2026-12-03)
    baseline = _simulate(capsys, "spec-2025-11-25", ReferenceConfig())
    assert "discovery again" not in baseline
    assert "&state=" in baseline


def test_python_sdk_tries_the_well_knowns_after_the_challenge_url() -> None:
    python = discovery_policy(PROFILES["python-sdk"])
    assert python.use_challenge_resource_metadata
    assert python.well_known_after_challenge  # the root PRM after a 404 for the header URL
    assert not discovery_policy(PROFILES["typescript-sdk"]).well_known_after_challenge


def test_strict_clients_reject_a_bare_openid_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bare = ReferenceConfig(oidc_only=True, oidc_minimal=True)
    out = _simulate(capsys, "typescript-sdk", bare)
    assert out.startswith("exit 1"), out
    assert "lacks the fields OpenID Connect Discovery requires (jwks_uri," in out
    assert "broken (client)" in out
    # the full OIDC document (jwks_uri and the rest) is fine for it; the baseline takes either
    assert _simulate(capsys, "typescript-sdk", ReferenceConfig(oidc_only=True)).startswith("exit 0")
    assert _simulate(capsys, "spec-2025-11-25", bare).startswith("exit 0")


def test_codex_probes_claiming_2024_11_05() -> None:
    async def first_request() -> Exchange:
        seen: list[Exchange] = []
        with ReferenceServer(ReferenceConfig()) as server:
            vault = SecretVault(())
            policy = EgressPolicy.for_target(server.mcp_url)
            async with HttpClient(vault=vault, policy=policy, deadline=Deadline(20)) as http:
                http.add_recorder(seen.append)
                client = ProfileClient(
                    http=http, config=Config(), mcp_url=server.mcp_url, profile=PROFILES["codex"]
                )
                response = await client.unauthenticated()
                assert response.status == 401
        return seen[0]

    probe = asyncio.run(first_request())
    body = json.loads(probe.request.body_excerpt)
    assert body["method"] == "initialize"
    assert body["params"]["protocolVersion"] == "2024-11-05"
    assert PROFILES["codex"].identity.protocol_version.value == "2025-11-25"  # once logged in


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("python-sdk", "reauthorize"), ("typescript-sdk", "refresh"), ("claude-ai", "refresh")],
)
def test_a_401_for_a_held_token_is_answered_as_observed(profile: str, expected: str) -> None:
    """A revoked token stands in for a proxy's strip-bearer / expire-token fault."""

    async def recover() -> list[str]:
        with ReferenceServer(ReferenceConfig()) as server:
            policy = EgressPolicy.for_target(server.mcp_url)
            async with HttpClient(
                vault=SecretVault(()), policy=policy, deadline=Deadline(30)
            ) as http:
                client = ProfileClient(
                    http=http, config=Config(), mcp_url=server.mcp_url, profile=PROFILES[profile]
                )
                connection = await client.connect()
                assert connection.ok
                assert connection.tokens is not None
                assert connection.client is not None
                endpoints = connection.discovery.require_endpoints()  # type: ignore[union-attr]
                assert endpoints.revocation_endpoint
                await revoke(
                    http,
                    endpoints.revocation_endpoint,
                    client=connection.client,
                    token=connection.tokens.access_token,
                    token_type_hint="access_token",
                )
                recovery = await recover_from_401(client, connection)
                assert recovery.tokens is not None
                assert recovery.tokens.access_token != connection.tokens.access_token
                names = [s.name for s in recovery.steps]
                impacts = [s.impact for s in recovery.steps if s.impact is not None]
                if PROFILES[profile].refresh.mode.value is RefreshMode.NEVER:
                    # refresh.mode = never outranks on_401: no refresh grant, a new login
                    assert "refresh after the 401" not in names
                    assert "authorization" in names
                elif expected == "reauthorize":
                    assert impacts
                    assert impacts[0].reason.attribution is Attribution.CLIENT
                    assert "observed 2026-12-02, Python mcp SDK 2.3.0" in impacts[0].reason.sources
                else:
                    assert not impacts
                return names

    names = asyncio.run(recover())
    assert PROFILES[profile].refresh.on_401.value is On401Recovery(expected)
    if PROFILES[profile].refresh.mode.value is RefreshMode.NEVER:
        return
    if expected == "reauthorize":
        assert "authorization" in names
        assert "a new login instead of the refresh grant" in names
    else:
        assert names == ["refresh after the 401"]


def test_what_follows_a_refused_refresh_is_the_clients() -> None:
    codex = refresh_refused(PROFILES["codex"], Phase.REFRESH, "invalid_grant")
    assert PROFILES["codex"].refresh.on_failure.value is RefreshFailure.GIVE_UP
    assert "the tools disappear until the user logs in again by hand" in codex.reason.text
    assert codex.reason.sources == ("observed 2026-12-02, Codex CLI 0.171.0",)
    remote = refresh_refused(PROFILES["mcp-remote"], Phase.REFRESH, "invalid_grant")
    assert "users must log in again" in remote.reason.text
    # the server refused a refresh token it issued: its doing, whatever the client does next
    assert codex.reason.attribution is Attribution.SERVER


BASE = {"name": "x", "title": "x", "client": "x", "kind": "client", "observed": "2026-12"}


def test_an_observation_is_a_source_and_anything_else_must_be_a_url() -> None:
    seen = {"refresh": {"on_401": {"value": "reauthorize", "observed": "2.3.0"}}}
    ok = parse_profile(
        {**BASE, "refresh": {**seen["refresh"], "source": "observed 2026-12-02, Some client 1.0"}}
    )
    assert ok.refresh.on_401.deviates
    with pytest.raises(ConfigError, match="nor an observation"):
        parse_profile({**BASE, "refresh": {**seen["refresh"], "source": "seen it somewhere"}})
    with pytest.raises(
        ConfigError, match="'refresh', 'reauthorize'"
    ):  # the valid values are listed
        parse_profile({**BASE, "refresh": {"on_401": "sometimes", "source": "https://x.y/"}})


def test_profiles_show_cites_each_observation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "--show", "python-sdk"]) == 0
    out = capsys.readouterr().out
    assert " * refresh.on_401 = reauthorize" in out
    assert " * registration.auth_method = omit" in out
    assert " * registration.unstated_auth_method = none" in out
    assert out.count("observed 2026-12-02, Python mcp SDK 2.3.0") >= 4
    assert main(["profiles", "--show", "mcp-inspector-cli"]) == 0
    assert "http://127.0.0.1:6276/oauth/callback" in capsys.readouterr().out


def test_every_new_knob_defaults_to_the_spec_behaviour() -> None:
    baseline = PROFILES["spec-2025-11-25"]
    assert baseline.quirks() == []
    assert baseline.refresh.on_401.value is On401Recovery.REFRESH
    assert not baseline.discovery.oidc_required_fields.value
    assert not baseline.discovery.rediscover_before_token.value
    assert baseline.identity.probe_protocol_version.value == ""


def test_mcp_remote_opens_two_sessions_with_one_token(capsys: pytest.CaptureFixture[str]) -> None:
    out = _simulate(capsys, "mcp-remote", ReferenceConfig())
    assert out.startswith("exit 0"), out
    assert "✓ initialize (session 1 of 2)" in out
    assert "✓ initialize (session 2 of 2)" in out
    assert out.count("mcp-session-id:") >= 2, out  # two sessions were handed out
    assert "session 1 of" not in _simulate(capsys, "spec-2025-11-25", ReferenceConfig())
