"""A profile using its token: the MCP session, tool calls, refresh and re-authorization."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import TargetError
from harness.mcp.client import McpClient, McpReply
from harness.mcp.versions import MODERN_ERROR_CODES, ProtocolVersion
from harness.oauth.tokens import TokenResponse, TokenSet, refresh
from harness.probes.scenarios.journey import Impact, Phase, Step, impact
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.diagnose import BROKEN, DEGRADED, refresh_refused, refused
from harness.profiles.knobs import oauth_headers
from harness.profiles.model import BearerUse, On401Recovery, Profile, RefreshMode
from harness.results import Attribution

VERSIONING_2026 = "https://modelcontextprotocol.io/specification/2026-07-28/basic/versioning"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolChoice:
    name: str
    arguments: Mapping[str, object]


def bearer(profile: Profile, tokens: TokenSet | None) -> str | None:
    """The Authorization header this client sends after the exchange (None: none at all)."""
    if tokens is None or profile.token_use.bearer.value is BearerUse.DROPPED_AFTER_EXCHANGE:
        return None
    return f"Bearer {tokens.access_token}"


def remaining(tokens: TokenSet | None) -> float | None:
    """Seconds the access token has left by its `expires_in` (None: unknown)."""
    if tokens is None or tokens.expires_at is None:
        return None
    return tokens.expires_at - time.monotonic()


def stale(tokens: TokenSet | None) -> bool:
    """Too close to expiry for a flow to use it as fresh (the harness fell behind)."""
    left = remaining(tokens)
    lifetime = tokens.expires_in if tokens is not None else None
    return left is not None and lifetime is not None and left < max(1.5, lifetime / 2)


def reply_step(
    pc: ProfileClient,
    conn: Connection,
    name: str,
    reply: McpReply,
    tokens: TokenSet | None,
    phase: Phase = Phase.CALL,
) -> Step:
    """One MCP request with a fresh token: ok, or failed with what it means for the client.

    A 401 for a token that had (about) expired proves nothing about the server: the run was
    slower than the token's lifetime. That is a `TargetError` (an `error` verdict), never a
    finding or a broken client."""
    exchanges = (reply.response.exchange,)
    left = remaining(tokens)
    lifetime = tokens.expires_in if tokens is not None else None
    expired = left is not None and lifetime is not None and left < max(1.0, lifetime / 10)
    if reply.response.status == 401 and expired:
        raise TargetError(
            f"the access token (expires_in={lifetime} s) expired before {name} could use "
            "it: the run was slower than the token lifetime, so nothing can be concluded; "
            "use a longer lifetime or fewer profiles at once"
        )
    if reply.response.status == 200 and reply.reply is not None and reply.reply.error is None:
        return Step(name=name, outcome="ok", exchanges=exchanges)
    if reply.reply is not None and reply.reply.error is not None and reply.response.status == 200:
        detail = f"JSON-RPC error {reply.reply.error.code}: {reply.reply.error.message}"
    else:
        detail = reply.response.summary()
    return Step(
        name=name,
        outcome="failed",
        detail=detail,
        exchanges=exchanges,
        impact=call_impact(pc.profile, conn, name, detail, reply.response.status, phase),
    )


def call_impact(
    profile: Profile, conn: Connection, name: str, detail: str, status: int, phase: Phase
) -> Impact:
    if profile.token_use.bearer.value is BearerUse.DROPPED_AFTER_EXCHANGE:
        return refused(
            phase,
            f"{name} failed ({detail}): this client drops the bearer after the token exchange",
            profile=profile,
            knobs=("token_use.bearer",),
            remediation="nothing server-side; answer 401 with a resource_metadata challenge",
        )
    resource = conn.resource
    if status == 401 and resource is not None and resource.deviates:
        return refused(
            phase,
            f"{name} was refused with a fresh token ({detail}); the token was requested with "
            f"{resource.describe()}",
            profile=profile,
            knobs=("resource.mode",),
            remediation="accept tokens issued without (or with a variant of) `resource` for "
            "this MCP server: bind the audience to the canonical URL when it is missing",
            topic="resource",
        )
    return refused(
        phase,
        f"{name} failed with the access token the authorization server just issued ({detail})",
        profile=profile,
    )


async def open_session(
    pc: ProfileClient, conn: Connection, tokens: TokenSet | None
) -> tuple[McpClient, list[Step]]:
    """`initialize` (stateful revisions) and `tools/list` with `tokens` as this client presents
    them; stops at the first failure."""
    authorization = bearer(pc.profile, tokens)
    mcp = pc.mcp()
    steps: list[Step] = []
    if mcp.stateless:
        listed = await mcp.list_tools(authorization)
        if not legacy_server(listed):
            steps.append(reply_step(pc, conn, "tools/list", listed, tokens))
            return mcp, steps
        if not pc.profile.identity.handshake_fallback.value:
            steps.append(modern_only(pc.profile, mcp.protocol_version, listed))
            return mcp, steps
        steps.append(
            Step(
                name=f"tools/list ({mcp.protocol_version}) → 400: fall back to initialize",
                outcome="ok",
                detail="the server speaks only the handshake revisions",
                exchanges=(listed.response.exchange,),
            )
        )
        pc.fallback_version = ProtocolVersion.V2025_11_25  # the newest handshake revision
        mcp = pc.mcp()
    count = pc.profile.token_use.sessions.value
    for number in range(1, count + 1):
        if number > 1:
            mcp = pc.mcp()  # another session with the same token (`token_use.sessions`)
        initialized = await mcp.initialize(authorization)
        label = "initialize" if count == 1 else f"initialize (session {number} of {count})"
        step = reply_step(pc, conn, label, initialized, tokens)
        steps.append(step)
        if step.outcome == "failed":
            return mcp, steps
    listed = await mcp.list_tools(authorization)
    steps.append(reply_step(pc, conn, "tools/list", listed, tokens))
    return mcp, steps


def legacy_server(reply: McpReply) -> bool:
    """A modern request's 400 whose body is no recognised modern JSON-RPC error: the server
    speaks only the handshake revisions (2026-07-28 Streamable HTTP §Backward Compatibility)."""
    if reply.response.status != 400:
        return False
    error = reply.reply.error if reply.reply is not None else None
    return error is None or error.code not in MODERN_ERROR_CODES


def modern_only(profile: Profile, version: str, reply: McpReply) -> Step:
    text = (
        f"the server answered this {version} client's request with {reply.response.summary()} "
        "and no modern JSON-RPC error: it speaks only the handshake revisions, and this client "
        "does not fall back to initialize"
    )
    return Step(
        name="tools/list",
        outcome="failed",
        detail=text,
        exchanges=(reply.response.exchange,),
        impact=impact(
            BROKEN,
            Phase.CALL,
            text,
            attribution=Attribution.REVISION,
            sources=(*profile.sources("identity.handshake_fallback"), VERSIONING_2026),
            remediation=(
                f"serve {version} as well as the handshake revisions (a dual-era server), or "
                "connect with a dual-era client",
            ),
        ),
    )


def tools_of(step_reply: McpReply | None) -> object:
    result = step_reply.result if step_reply is not None else None
    return result.get("tools") if result else None


def safe_tool(pc: ProfileClient, tools: object) -> ToolChoice | None:
    """The configured safe tool, else one the server marks read-only without arguments."""
    configured = pc.config.safe_tool
    if configured is not None:
        return ToolChoice(name=configured.name, arguments=configured.arguments)
    if not isinstance(tools, list):
        return None
    for tool in tools:
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            continue
        annotations, schema = tool.get("annotations"), tool.get("inputSchema")
        required = schema.get("required") if isinstance(schema, dict) else None
        read_only = isinstance(annotations, dict) and annotations.get("readOnlyHint") is True
        if read_only and not required:
            return ToolChoice(name=str(tool["name"]), arguments={})
    return None


async def call(
    pc: ProfileClient,
    conn: Connection,
    mcp: McpClient,
    tokens: TokenSet | None,
    label: str = "",
) -> Step:
    """A harmless request: the safe tool when there is one, else `tools/list`."""
    authorization = bearer(pc.profile, tokens)
    listed = await mcp.list_tools(authorization)
    tool = safe_tool(pc, tools_of(listed))
    if tool is None:
        return reply_step(pc, conn, label or "tools/list", listed, tokens)
    called = await mcp.call_tool(tool.name, dict(tool.arguments), authorization)
    return reply_step(pc, conn, label or f"tools/call {tool.name}", called, tokens)


async def refresh_grant(
    pc: ProfileClient, conn: Connection, refresh_token: str, *, scope: str | None = None
) -> TokenResponse:
    """The refresh grant as this client sends it (`resource` when it sends one)."""
    resource = conn.resource.value if conn.resource is not None else None
    if not pc.profile.resource.at_token.value:
        resource = None
    assert conn.client is not None
    assert conn.token_endpoint is not None
    return await refresh(
        pc.http,
        conn.token_endpoint,
        client=conn.client,
        refresh_token=refresh_token,
        resource=resource,
        scope=scope,
        headers=oauth_headers(pc.profile),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovery:
    """What a client did after a 401 for a token it held as valid."""

    steps: tuple[Step, ...]
    connection: Connection  # the one to go on with: a new one after a new login
    tokens: TokenSet | None  # None: it did not recover


async def recover_from_401(pc: ProfileClient, conn: Connection) -> Recovery:
    """The refresh grant, or a full new login (`refresh.on_401`; a login too without a refresh
    token or for a client that never refreshes, `refresh.mode = never`). A login instead of an
    available refresh grant costs the user a login: degraded."""
    tokens = conn.tokens
    refresh_token = tokens.refresh_token if tokens is not None else None
    mode = pc.profile.refresh.on_401.value
    refreshes = pc.profile.refresh.mode.value is not RefreshMode.NEVER
    if mode is On401Recovery.REFRESH and refreshes and refresh_token and conn.token_endpoint:
        refreshed = await refresh_grant(pc, conn, refresh_token)
        exchanges = (refreshed.response.exchange,)
        if refreshed.tokens is not None:
            step = Step(name="refresh after the 401", outcome="ok", exchanges=exchanges)
            return Recovery(steps=(step,), connection=conn, tokens=refreshed.tokens)
        found = refresh_refused(pc.profile, Phase.REFRESH, refreshed.error)
        text = found.reason.text
        failed = Step(
            name="refresh after the 401",
            outcome="failed",
            detail=text,
            exchanges=exchanges,
            impact=found,
        )
        return Recovery(steps=(failed,), connection=conn, tokens=None)
    login = await pc.connect(reuse=conn)
    steps = list(login.steps)
    if login.ok and refresh_token and mode is On401Recovery.REAUTHORIZE:
        steps.append(login_instead_of_refresh(pc.profile))
    return Recovery(steps=tuple(steps), connection=login, tokens=login.tokens)


def login_instead_of_refresh(profile: Profile) -> Step:
    text = (
        "this client answers a 401 with a full new login and never tries the refresh token "
        "it holds: users log in again whenever a token is refused"
    )
    return Step(
        name="a new login instead of the refresh grant",
        outcome="ok",
        detail=text,
        impact=refused(
            Phase.REFRESH,
            text,
            profile=profile,
            knobs=("refresh.on_401",),
            verdict=DEGRADED,
            remediation="nothing server-side; longer-lived access tokens make the logins rarer",
        ),
    )
