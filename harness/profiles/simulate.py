"""`mcp-auth-harness simulate-client`: act as one profile's client against a server.

Prints the transcript as it happens (every exchange already redacted by the HTTP layer), then
the steps. Usable as the client command of the official conformance suite, which appends the
server URL and sets MCP_CONFORMANCE_SCENARIO (and MCP_CONFORMANCE_CONTEXT with pre-registered
credentials when a scenario has them).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from harness.config import ClientConfig, Config
from harness.egress import EgressPolicy
from harness.errors import ConfigError, NotApplicable
from harness.http import Deadline, Exchange, HttpClient, Response
from harness.mcp.client import McpClient, McpReply
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.probes.scenarios.journey import Step
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.knobs import union_scope
from harness.profiles.model import Profile, StepUpMode
from harness.profiles.use import bearer, open_session, recover_from_401, safe_tool, tools_of
from harness.redact import SecretVault

CONFORMANCE_CIMD_URL = "https://conformance-test.local/client-metadata.json"
DEADLINE_S = 60.0
_SHOWN_HEADERS = ("www-authenticate", "location", "mcp-session-id")
Write = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Simulation:
    profile: Profile
    url: str
    config: Config
    spec: str = "auto"
    tool: str | None = None
    conformance_scenario: str | None = None


def from_environment(
    profile: Profile, url: str, config: Config, spec: str, tool: str | None
) -> Simulation:
    """Read the conformance suite's environment, when it is there."""
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO") or None
    context = _context(os.environ.get("MCP_CONFORMANCE_CONTEXT"))
    client_id = context.get("client_id")
    if isinstance(client_id, str) and client_id and config.client is None:
        secret = context.get("client_secret")
        client = ClientConfig(
            client_id=client_id, client_secret=secret if isinstance(secret, str) else None
        )
        config = replace(config, client=client)
    return Simulation(
        profile=profile, url=url, config=config, spec=spec, tool=tool, conformance_scenario=scenario
    )


async def simulate(sim: Simulation, write: Write) -> int:
    """0 when the client connected and its call succeeded, 1 otherwise."""
    vault = SecretVault(sim.config.secrets())
    policy = EgressPolicy.for_target(sim.url)
    async with HttpClient(vault=vault, policy=policy, deadline=Deadline(DEADLINE_S)) as http:
        http.add_recorder(lambda exchange: write(_exchange_line(exchange)))
        conformance = sim.conformance_scenario is not None
        client = ProfileClient(
            http=http,
            config=sim.config,
            mcp_url=sim.url,
            profile=sim.profile,
            spec=sim.spec,
            cimd_url=CONFORMANCE_CIMD_URL
            if conformance and not sim.profile.registration.cimd_url.value
            else None,
            host_cimd_document=False if conformance else None,
        )
        write(f"# simulating {sim.profile.name} ({sim.profile.title}) against {sim.url}")
        try:
            connection = await client.connect()
        except NotApplicable as exc:
            write(f"# {exc}: continuing without a token until the server asks for one")
            challenge = await _anonymous(sim, client, write)
            if challenge is None:
                return 0
            connection = await client.connect(challenge=challenge)
        _steps(connection.steps, write)
        if not connection.ok:
            return 1
        return await _use(sim, client, connection, write)


async def _anonymous(sim: Simulation, client: ProfileClient, write: Write) -> Response | None:
    """Use the server without a token; the first 401 (None if none came) starts OAuth."""
    mcp = client.mcp()
    if not mcp.stateless:
        opened = await mcp.initialize(None)
        if opened.response.status == 401:
            return opened.response
    listed = await mcp.list_tools(None)
    if listed.response.status == 401:
        return listed.response
    tool = await _tool(sim, client, mcp, None)
    if tool is None:
        return None
    called = await mcp.call_tool(tool, {}, None)
    if called.response.status == 401:
        return called.response
    write(f"# tools/call {tool} without a token: {called.response.summary()}")
    return None


async def _use(sim: Simulation, client: ProfileClient, connection: Connection, write: Write) -> int:
    profile = client.profile
    authorizations = 1
    recovered = False  # one recovery from a 401 (e.g. a proxy's strip-bearer or expire-token)
    while True:
        authorization = bearer(profile, connection.tokens)
        mcp, steps = await open_session(client, connection, connection.tokens)
        _steps(steps, write)
        failed = next((s for s in steps if s.outcome == "failed"), None)
        got_401 = failed is not None and _is_401(failed)
        if failed is not None and (recovered or not got_401):
            return 1
        reply = None
        if failed is None:
            tool = await _tool(sim, client, mcp, authorization)
            if tool is None:
                write("# no tool to call (pass --tool NAME); tools/list succeeded")
                return 0
            reply = await mcp.call_tool(tool, {}, authorization)
            if _succeeded(reply):
                write(f"# ok: tools/call {tool}")
                return 0
            got_401 = reply.response.status == 401
        if got_401 and not recovered:
            recovered = True
            write(f"# 401 for a token this client holds as valid: {profile.refresh.on_401.value}")
            recovery = await recover_from_401(client, connection)
            _steps(recovery.steps, write)
            if recovery.tokens is None:
                return 1
            connection = replace(recovery.connection, tokens=recovery.tokens)
            continue
        assert reply is not None
        challenged = _insufficient_scope(reply)
        mode = profile.step_up.mode.value
        if challenged is None or mode in {StepUpMode.NONE, StepUpMode.REFRESH_OLD_SCOPE}:
            write(f"# tools/call {tool} failed: {reply.response.summary()}")
            return 1
        if authorizations >= profile.step_up.max_attempts.value:
            write(f"# giving up after {authorizations} authorizations (retry limit)")
            return 1
        union = mode is StepUpMode.REAUTHORIZE_UNION
        scope = union_scope(connection.scope, challenged) if union else challenged
        write(f"# step-up: 403 insufficient_scope; authorizing again with scope={scope!r}")
        connection = await client.connect(scope=scope, reuse=connection)
        authorizations += 1
        _steps(connection.steps, write)
        if not connection.ok:
            return 1


async def _tool(
    sim: Simulation, client: ProfileClient, mcp: McpClient, authorization: str | None
) -> str | None:
    if sim.tool:
        return sim.tool
    tools = tools_of(await mcp.list_tools(authorization))
    chosen = safe_tool(client, tools)
    if chosen is not None:
        return chosen.name
    if sim.conformance_scenario is None or not isinstance(tools, list):
        return None
    for tool in tools:  # the conformance mocks' tools have no effects
        schema = tool.get("inputSchema") if isinstance(tool, dict) else None
        required = schema.get("required") if isinstance(schema, dict) else None
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and not required:
            return str(tool["name"])
    return None


def _is_401(step: Step) -> bool:
    return any(e.response is not None and e.response.status == 401 for e in step.exchanges)


def _succeeded(reply: McpReply) -> bool:
    return reply.response.status == 200 and reply.reply is not None and reply.reply.error is None


def _insufficient_scope(reply: McpReply) -> str | None:
    if reply.response.status != 403:
        return None
    challenge = find_bearer(parse_www_authenticate(reply.response.header_all("www-authenticate")))
    if challenge is None or challenge.param("error") != "insufficient_scope":
        return None
    return challenge.param("scope")


def _steps(steps: tuple[Step, ...] | list[Step], write: Write) -> None:
    for step in steps:
        mark = {"ok": "✓", "failed": "✗", "skipped": "-"}[step.outcome]
        write(f"{mark} {step.name}" + (f": {step.detail}" if step.detail else ""))
        if step.impact is not None:
            reason = step.impact.reason
            write(f"    {step.impact.verdict.value} ({reason.attribution.value})")
            for fix in step.impact.remediation:
                write(f"    fix: {fix}")


def _exchange_line(exchange: Exchange) -> str:
    request = exchange.request
    line = f"→ {request.method} {request.url}"
    if exchange.response is None:
        return f"{line}\n← {exchange.error}"
    headers = dict(exchange.response.headers)
    shown = [f"{name}: {headers[name]}" for name in _SHOWN_HEADERS if name in headers]
    kind = headers.get("content-type", "")
    return f"{line}\n← {exchange.response.status} {kind}" + "".join(f"\n   {h}" for h in shown)


def _context(raw: str | None) -> Mapping[str, object]:
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"MCP_CONFORMANCE_CONTEXT is not JSON: {exc}") from exc
    return parsed if isinstance(parsed, dict) else {}
