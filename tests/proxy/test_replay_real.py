"""`--as-profile` on real traffic: a real SDK client through a replaying proxy, and a second plain
proxy in front of the reference that records what the server was really sent.

    client ─▶ proxy (as_profile=NAME) ─▶ proxy (recording only) ─▶ reference server

Three quirk kinds reproduced: identity (User-Agent, clientInfo), resource omitted, scope omitted,
plus the stale refresh token re-presented after rotation.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.proxy.fixture import ProxyHandle
from harness.results import Report, Verdict
from harness.traffic import Kind, Observed, read
from simulators.reference import ReferenceServer
from tests.proxy.test_end_to_end import CLI, PROXY, VENV_BIN, finish, start
from tests.proxy.test_real_clients import CLIENTS, run_client


@contextmanager
def server_view(reference: ReferenceServer, out: Path) -> Iterator[str]:
    """A plain recording proxy in its own process (one mitmproxy per process) in front of the
    reference; yields its MCP URL. What it recorded is in `out`/report.json once it stopped."""
    process, found = start(
        [*PROXY, reference.mcp_url, "--out", str(out)], r"proxy listening: (\S+) ->"
    )
    try:
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        output = finish(process)
    assert (out / "report.json").is_file(), output[-3000:]


def recorded(out: Path) -> tuple[Observed, ...]:
    document = json.loads((out / "report.json").read_text())
    return read([_exchange(e) for e in document["proxy"]["exchanges"]])


def _exchange(data: dict[str, Any]) -> Exchange:
    request, response = data["request"], data.get("response")
    return Exchange(
        request=RecordedRequest(
            method=request["method"],
            url=request["url"],
            headers=tuple(request["headers"].items()),
            body_excerpt=request.get("body_excerpt", ""),
        ),
        response=None
        if response is None
        else RecordedResponse(
            status=response["status"],
            headers=tuple(response["headers"].items()),
            body_excerpt=response["body_excerpt"],
        ),
    )


def drive(
    reference: ReferenceServer,
    out: Path,
    client: str,
    profile: str,
    faults: tuple[str, ...] = (),
    calls: int = 3,
) -> tuple[list[dict[str, object]], Report, tuple[Observed, ...], tuple[Observed, ...]]:
    command = CLIENTS[client][1]
    with (
        server_view(reference, out) as upstream,
        ProxyHandle(upstream, faults=faults, as_profile=profile, seed=3) as replay,
    ):
        events = run_client(command, replay.url, calls=calls)
        sent = read(replay.exchanges())
        report = replay.stop()
    return events, report, sent, recorded(out)


def header(exchange: Exchange, name: str) -> str | None:
    return next((v for k, v in exchange.request.headers if k.lower() == name), None)


def test_claude_ai_identity_and_resource_omitted(
    reference: ReferenceServer, tmp_path: Path
) -> None:
    events, report, sent, seen = drive(reference, tmp_path, "python-sdk", "claude-ai")
    assert all(e["ok"] for e in events if e["event"] == "call")  # the reference copes
    mcp = [o for o in seen if o.kind is Kind.MCP]
    assert {header(o.exchange, "user-agent") for o in mcp} == {"Claude-User"}
    assert {o.client_info for o in mcp if o.rpc_method == "initialize"} == {"claude-ai"}
    oauth = [o for o in seen if o.kind in {Kind.TOKEN, Kind.AUTHORIZE}]
    assert {header(o.exchange, "user-agent") for o in oauth} == {"python-httpx/0.28.1"}
    assert all("resource" not in o.query and "resource" not in o.form for o in oauth)
    # the client itself sent resource every time: client.* judges the real client
    asked = [o for o in sent if o.kind in {Kind.TOKEN, Kind.AUTHORIZE}]
    assert asked
    assert all(o.query.get("resource") or o.form.get("resource") for o in asked)
    mine = {r.check: r.verdict for r in report.results if r.profile == "observed:mcp"}
    assert mine["client.resource-param"] is Verdict.PASS
    applied = json.dumps(report.extra["proxy"])
    assert '"resource.mode"' in applied
    assert '"identity.user_agent"' in applied


def test_codex_scope_omitted(reference: ReferenceServer, tmp_path: Path) -> None:
    _, _, sent, seen = drive(reference, tmp_path, "python-sdk", "codex")
    (asked,) = [o for o in sent if o.kind is Kind.AUTHORIZE]
    (arrived,) = [o for o in seen if o.kind is Kind.AUTHORIZE]
    assert asked.query["scope"] == "notes:read"
    assert "scope" not in arrived.query


def test_claude_code_presents_the_rotated_refresh_token_again(
    reference: ReferenceServer, tmp_path: Path
) -> None:
    # two expiries make the TypeScript SDK refresh twice; claude-code's `once-then-stale` sends
    # the first refresh token again the second time, and the server refuses the reuse
    faults = (
        "expire-token:after=1,rpc=tools/call,times=1",
        "expire-token:after=3,rpc=tools/call,times=1",
    )
    events, _, sent, seen = drive(
        reference, tmp_path, "typescript-sdk", "claude-code", faults, calls=4
    )
    sent_refresh = [
        o.form["refresh_token"] for o in sent if o.form.get("grant_type") == "refresh_token"
    ]
    seen_refresh = [o for o in seen if o.form.get("grant_type") == "refresh_token"]
    assert len(sent_refresh) >= 2
    assert sent_refresh[0] != sent_refresh[1]  # the client presented its rotated token
    assert seen_refresh[1].form["refresh_token"] == sent_refresh[0]  # the server got the old one
    assert seen_refresh[1].status == 400
    refused = seen_refresh[1].exchange.response
    assert refused is not None
    assert "invalid_grant" in refused.body_excerpt
    assert all(e["ok"] for e in events if e["event"] == "call")  # it logged in again


def test_the_proxy_command_with_as_profile(reference: ReferenceServer, tmp_path: Path) -> None:
    seen_out, replay_out = tmp_path / "server", tmp_path / "replay"
    with server_view(reference, seen_out) as upstream:
        process, found = start(
            [*PROXY, upstream, "--as-profile", "claude-ai", "--out", str(replay_out)],
            r"proxy listening: (\S+) ->",
        )
        try:
            events = run_client(CLIENTS["python-sdk"][1], found.group(1))
        finally:
            process.send_signal(signal.SIGINT)
            finish(process)
    assert all(e["ok"] for e in events if e["event"] == "call")
    report = json.loads((replay_out / "report.json").read_text())
    applied = {a["knob"] for a in report["proxy"]["replay"]["applied"]}
    assert {"identity.user_agent", "identity.client_info_name", "resource.mode"} <= applied
    assert report["proxy"]["as_profile"] == "claude-ai"
    observed = {c["profile"] for c in report["compatibility"]}
    assert observed == {"observed:mcp"}  # the real client, judged as itself
    seen = recorded(seen_out)
    assert all("resource" not in o.query for o in seen if o.kind is Kind.AUTHORIZE)


def test_mitmdump_with_mcp_as_profile(reference: ReferenceServer, tmp_path: Path) -> None:
    addon = subprocess.run(  # noqa: S603 - the harness itself
        [*CLI, "proxy", "--addon-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    seen_out, replay_out = tmp_path / "server", tmp_path / "replay"
    with server_view(reference, seen_out) as upstream:
        process, found = start(
            [
                str(VENV_BIN / "mitmdump"),
                "-s",
                addon,
                "--mode",
                f"reverse:{upstream.removesuffix('/mcp')}",
                "--listen-host",
                "127.0.0.1",
                "--listen-port",
                "0",
                "--set",
                "mcp_as_profile=codex",
                "--set",
                f"mcp_out={replay_out}",
            ],
            r"listening at 127\.0\.0\.1:(\d+)",
        )
        try:
            run_client(CLIENTS["python-sdk"][1], f"http://127.0.0.1:{found.group(1)}/mcp")
        finally:
            process.send_signal(signal.SIGINT)
            finish(process)
    report = json.loads((replay_out / "report.json").read_text())
    changes = {a["change"] for a in report["proxy"]["replay"]["applied"]}
    assert "scope omitted" in changes
    (arrived,) = [o for o in recorded(seen_out) if o.kind is Kind.AUTHORIZE]
    assert "scope" not in arrived.query
