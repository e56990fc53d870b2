"""QuirkReplay on mitmproxy flows (no network): each quirk kind, driven by the built-in profiles'
knob values, rewrites what a correct client sends."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from harness.errors import ConfigError
from harness.profiles.catalogue import load_profiles
from harness.profiles.model import ResourceMode
from harness.proxy.addon import META, McpAuthAddon, _state_of
from harness.proxy.passive import judge_observed
from harness.proxy.replay import QUIRKS_META, QuirkReplay, Seen, replayed_resource, replayed_scope
from harness.redact import SecretVault
from harness.results import Verdict

H = "http://127.0.0.1:9000"
MCP = f"{H}/mcp"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


def flow(request: http.Request, response: http.Response | None = None) -> http.HTTPFlow:
    made = tflow.tflow(req=request, resp=False)
    made.response = response
    return made


def authorize(**params: str) -> http.Request:
    query = {"response_type": "code", "client_id": "c1", "resource": MCP, "scope": "notes:read"}
    return http.Request.make("GET", f"{H}/authorize?{urlencode(query | params)}")


def token(grant: str = "authorization_code", **fields: str) -> http.Request:
    form = {"grant_type": grant, "resource": MCP, **fields}
    return http.Request.make("POST", f"{H}/token", urlencode(form), FORM)


def rpc(method: str, bearer: str | None = "tok-1") -> http.Request:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {}}
    if method == "initialize":
        body["params"] = {"clientInfo": {"name": "my-agent", "version": "1"}}
    headers = {**JSON, **({"authorization": f"Bearer {bearer}"} if bearer else {})}
    return http.Request.make("POST", MCP, json.dumps(body), headers)


def seen(
    replay: QuirkReplay, request: http.Request, status: int, body: object, **headers: str
) -> None:
    response = http.Response.make(status, json.dumps(body), {**JSON, **headers})
    replay.response(flow(request, response))


def send(replay: QuirkReplay, request: http.Request) -> http.HTTPFlow:
    sent = flow(request)
    replay.request(sent)
    return sent


def test_resource_omitted_and_scope_from_the_as_list_claude_ai() -> None:
    replay = QuirkReplay("claude-ai")
    prm = http.Request.make("GET", f"{H}/.well-known/oauth-protected-resource/mcp")
    seen(replay, prm, 200, {"resource": MCP, "scopes_supported": ["notes:read"]})
    metadata = http.Request.make("GET", f"{H}/.well-known/oauth-authorization-server")
    seen(replay, metadata, 200, {"issuer": H, "scopes_supported": ["notes:read", "notes:write"]})
    sent = send(replay, authorize())
    assert "resource" not in sent.request.query
    # no challenge scope seen: claude-ai's sources (challenge, as) take the AS list verbatim
    assert sent.request.query["scope"] == "notes:read notes:write"
    assert any(n.startswith("resource.mode") for n in sent.metadata[QUIRKS_META])
    redeemed = send(replay, token(code="c"))
    assert "resource" not in redeemed.request.urlencoded_form


def test_identity_user_agent_and_client_info() -> None:
    replay = QuirkReplay("claude-ai")
    sent = send(replay, rpc("initialize"))
    assert sent.request.headers["user-agent"] == "Claude-User"
    assert json.loads(sent.request.content or b"")["params"]["clientInfo"]["name"] == "claude-ai"
    oauth = send(replay, token(code="c"))
    assert oauth.request.headers["user-agent"] == "python-httpx/0.28.1"


def test_refresh_token_re_presented_after_rotation_claude_code() -> None:
    replay = QuirkReplay("claude-code")
    first = send(replay, token("refresh_token", refresh_token="rt-1"))
    assert first.request.urlencoded_form["refresh_token"] == "rt-1"
    second = send(replay, token("refresh_token", refresh_token="rt-2"))
    assert second.request.urlencoded_form["refresh_token"] == "rt-1"
    assert replay.applied[-1].knob == "refresh.mode"
    assert "rt-" not in json.dumps(replay.to_json())  # no secret in what the report shows


def test_scope_omitted_codex() -> None:
    replay = QuirkReplay("codex")  # scope sources []: no scope parameter
    sent = send(replay, authorize())
    assert "scope" not in sent.request.query


def test_a_spec_profile_changes_nothing_of_a_correct_client() -> None:
    replay = QuirkReplay("spec-2025-11-25")
    challenge = rpc("initialize", None)
    seen(replay, challenge, 401, {}, **{"www-authenticate": 'Bearer scope="notes:read"'})
    for request in (rpc("initialize"), authorize(), token(code="c"), rpc("tools/call")):
        assert QUIRKS_META not in send(replay, request).metadata
    assert replay.applied == []


def drops_bearer(profiles: Path) -> QuirkReplay:
    """The replay of a profile (written to `profiles`) that drops the bearer after the exchange."""
    source = Path("simulators/profiles/spec-2025-11-25.toml").read_text()
    custom = source.replace('name = "spec-2025-11-25"', 'name = "drops-bearer"')
    custom = custom.replace('kind = "spec"', 'kind = "client"')
    source_url = "https://github.com/anthropics/claude-ai-mcp/issues/155"
    custom += (
        '\n[token_use]\nbearer = { value = "dropped-after-exchange", '
        f'source = "{source_url}", observed = "2026-01" }}\n'
    )
    (profiles / "drops-bearer.toml").write_text(custom)
    return QuirkReplay("drops-bearer", profile_dirs=[profiles])


def test_bearer_dropped_after_the_exchange(tmp_path: Path) -> None:
    replay = drops_bearer(tmp_path)
    assert "authorization" in send(replay, rpc("initialize")).request.headers  # no token yet
    seen(replay, token(code="c"), 200, {"access_token": "tok-1", "token_type": "Bearer"})
    sent = send(replay, rpc("tools/call"))
    assert "authorization" not in sent.request.headers
    assert sent.metadata[QUIRKS_META] == [
        "token_use.bearer: Authorization removed after the token exchange"
    ]


def test_a_flow_a_fault_answered_is_left_alone() -> None:
    replay = QuirkReplay("claude-ai")
    answered = flow(authorize(), http.Response.make(401))
    replay.request(answered)
    assert answered.request.query["resource"] == MCP


def test_unknown_profile_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="valid profiles are"):
        QuirkReplay("no-such-client")


@pytest.mark.parametrize(
    ("mode", "value", "prm_found", "expected"),
    [
        (ResourceMode.PRM, MCP, True, MCP),
        (ResourceMode.OMIT, MCP, True, None),
        (ResourceMode.IF_PRM, MCP, False, None),
        (ResourceMode.IF_PRM, MCP, True, MCP),
        (ResourceMode.ORIGIN, MCP, True, H),
        (ResourceMode.SLASH_ON_HOST_ONLY, H, True, H + "/"),
        (ResourceMode.SLASH_ON_HOST_ONLY, MCP, True, MCP),
    ],
)
def test_replayed_resource(
    mode: ResourceMode, value: str, prm_found: bool, expected: str | None
) -> None:
    assert replayed_resource(mode, value, prm_found=prm_found) == expected


def test_replayed_scope_sources_and_offline_access() -> None:
    seen = Seen(challenged=("notes:read",), prm_scopes=("notes:read", "notes:write"))
    seen.as_scopes = ("notes:read", "notes:write", "offline_access")
    profiles = load_profiles()
    # python-sdk: challenge first, offline_access when the AS lists it and it wants refresh
    assert replayed_scope(profiles["python-sdk"], seen) == "notes:read offline_access"
    assert replayed_scope(profiles["vscode"], seen) == "notes:read notes:write"  # prm, as
    assert replayed_scope(profiles["codex"], seen) is None  # no sources


def test_a_rewritten_flow_is_no_evidence_against_the_server(tmp_path: Path) -> None:
    # The server answers the profile's request (bearer dropped) with a correct bare 401; the
    # client's view (a token refused without invalid_token) must not judge the server.
    addon = McpAuthAddon(on_flow=lambda _line: None)
    replay = drops_bearer(tmp_path)
    bare = {"www-authenticate": f'Bearer resource_metadata="{MCP}"'}  # any URL: not judged here
    issued = {"access_token": "tok-1", "token_type": "Bearer"}
    for request, response in (
        (rpc("initialize", None), http.Response.make(401, b"", bare)),
        (token(code="c"), http.Response.make(200, json.dumps(issued), JSON)),
        (rpc("tools/call"), http.Response.make(401, b"", bare)),
    ):
        made = flow(request)
        made.metadata[META] = _state_of(made, SecretVault())
        replay.request(made)
        made.response = response
        replay.response(made)
        addon.addons[-1].response(made)  # type: ignore[attr-defined]
    assert list(addon.faulted) == [2]
    assert "as-profile token_use.bearer" in addon.faulted[2][0]
    results, _ = judge_observed(addon.exchanges, faulted=addon.faulted)
    server = {r.check: r.verdict for r in results if r.profile is None}
    assert server["rs.invalid-token-challenge"] is Verdict.SKIP
