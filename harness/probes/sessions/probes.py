"""Session probes: only for servers that issue `Mcp-Session-Id` (else `skip`).

Each probe opens its own sessions, so none depends on another's. The entropy sample is bounded
(`[sessions].entropy_samples`), sent a few at a time, and its sessions are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

from harness.engine import Probe, Run
from harness.errors import NotApplicable, TargetError
from harness.oauth.tokens import TokenResponse, refresh
from harness.probes.resource.grants import (
    Obtained,
    TokenExpired,
    jwt_claim,
    lapsed,
    live_tokens,
    main_grant,
    retried,
    second_user_tokens,
    still_valid,
    tokens_or_skip,
)
from harness.probes.resource.mcp import CallOutcome, Session, result_text, safe_tools
from harness.probes.sessions.evidence import (
    STATELESS_REASON,
    RefreshedSession,
    SessionAlone,
    SessionSample,
    UserBinding,
    UserRead,
    estimate,
)
from harness.probes.static import is_static, wallet

CONCURRENCY = 6
MAX_READS = 4  # read-only tools tried for one whose answer names the user


async def open_stateful(run: Run, live: Obtained, label: str) -> tuple[Session, CallOutcome]:
    """A session opened with `live`'s token; `skip` when the server issues no session id."""
    session = Session(run, live.authorization)
    opened = await session.open(label)
    still_valid(opened.status, live.tokens)
    if not opened.served:
        raise TargetError(f"a valid token could not open a session ({opened.describe()})")
    if session.session_id is None:
        raise NotApplicable(STATELESS_REASON)
    return session, opened


async def probe_session_alone(run: Run, _profile: str | None) -> SessionAlone:
    return await retried(lambda: _session_alone(run))


async def _session_alone(run: Run) -> SessionAlone:
    live = await live_tokens(run, purpose="session")
    session, opened = await open_stateful(run, live, "initialize with the token")
    unknown = secrets.token_urlsafe(32)
    run.http.vault.add(unknown)
    attempts = await asyncio.gather(
        session.request("tools/list", label="session id, no token", authorization=None),
        session.request(
            "tools/list", label="session id, an unknown token", authorization=f"Bearer {unknown}"
        ),
    )
    return SessionAlone(opened=opened, attempts=tuple(attempts))


async def probe_user_binding(run: Run, _profile: str | None) -> UserBinding:
    return await retried(lambda: _user_binding(run))


async def _user_binding(run: Run) -> UserBinding:
    first = await live_tokens(run, purpose="first user")
    other = await second_user_tokens(run, purpose="second user")
    how = _different_users(run, first.tokens.access_token, other.tokens.access_token)
    session_a, a_opened = await open_stateful(run, first, "user A: initialize")
    session_b = Session(run, other.authorization)
    b_opened = await session_b.open("user B: initialize (own session)")
    still_valid(b_opened.status, other.tokens)
    if not b_opened.served:
        raise TargetError(f"the second user's token was refused ({b_opened.describe()})")
    b_on_a = await session_a.request(
        "tools/list", label="user B's token on user A's session", authorization=other.authorization
    )
    still_valid(b_on_a.status, other.tokens)  # a lapsed token's refusal would prove nothing
    read, no_read = None, None
    if b_on_a.served:
        read, no_read = await _user_read(run, session_a, session_b, first, other)
    return UserBinding(
        how=how, a_opened=a_opened, b_opened=b_opened, b_on_a=b_on_a, read=read, no_read=no_read
    )


async def _user_read(
    run: Run, session_a: Session, session_b: Session, first: Obtained, other: Obtained
) -> tuple[UserRead | None, str | None]:
    """A read-only tool whose answer differs between A and B, then called with B's token on A's
    session; or why there is none."""
    listed, tools = await session_a.list_tools()
    still_valid(listed.status, first.tokens)  # a lapsed token lists no tools, which says nothing
    readers = safe_tools(run, tools)[:MAX_READS]
    if not readers:
        return None, (
            f"the server lists no read-only tool without arguments ({listed.describe()}); name "
            "one whose answer names the user (e.g. a whoami) in [target].safe_tool"
        )
    for tool in readers:
        a_own, b_own = await asyncio.gather(
            session_a.call_tool(tool, label=f"user A: {tool.name} on A's session"),
            session_b.call_tool(tool, label=f"user B: {tool.name} on B's own session"),
        )
        still_valid(a_own.status, first.tokens)
        still_valid(b_own.status, other.tokens)
        if not (a_own.executed and b_own.executed):
            continue
        if result_text(a_own.result) == result_text(b_own.result):
            continue
        b_on_a = await session_a.request(
            "tools/call",
            {"name": tool.name, "arguments": dict(tool.arguments)},
            label=f"user B's token: {tool.name} on A's session",
            authorization=other.authorization,
        )
        still_valid(b_on_a.status, other.tokens)
        return UserRead(tool=tool.name, a_own=a_own, b_own=b_own, b_on_a=b_on_a), None
    names = ", ".join(t.name for t in readers)
    return None, (
        f"no read-only tool ({names}) answered the two users differently, so no user-specific "
        "data shows whose context B was given; name one whose answer names the user (e.g. a "
        "whoami) in [target].safe_tool"
    )


def _different_users(run: Run, a_token: str, b_token: str) -> str:
    """How the two tokens are known to belong to different users (else `skip`)."""
    a_sub, b_sub = jwt_claim(a_token, "sub"), jwt_claim(b_token, "sub")
    if isinstance(a_sub, str) and isinstance(b_sub, str):
        if a_sub == b_sub:
            raise NotApplicable(
                "both tokens name the same subject: the authorization server did not log the "
                "second user in (it may ignore login_hint); use the form login mode with "
                "[login.second_user] credentials"
            )
        return "the tokens name different subjects"
    if run.config.login.mode == "form":
        return "the second token was obtained with [login.second_user]'s credentials"
    if is_static(run):
        return "the second token is [login.second_user].access_token from the configuration"
    raise NotApplicable(
        "the tokens are opaque, so the harness cannot confirm that login_hint selected the "
        "second user; use the form login mode with [login.second_user] credentials"
    )


async def probe_session_sample(run: Run, _profile: str | None) -> SessionSample:
    return await retried(lambda: _session_sample(run))


async def _session_sample(run: Run) -> SessionSample:
    live = await live_tokens(run, purpose="session sample")
    first_session, first = await open_stateful(run, live, "initialize (sample 1)")
    wanted = run.config.sessions.entropy_samples
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> tuple[Session, CallOutcome]:
        async with gate:
            session = Session(run, live.authorization)
            return session, await session.open(f"initialize (sample {n})")

    opened = await asyncio.gather(*(one(n) for n in range(2, wanted + 1)))
    sessions = [first_session, *(s for s, _ in opened)]
    ids = [s.session_id for s in sessions if s.session_id is not None]
    await asyncio.gather(*(_close(s, gate) for s in sessions))
    if any(o.status == 401 for _, o in opened) and lapsed(live.tokens):
        raise TokenExpired
    if len(ids) < 2:
        raise TargetError(f"only {len(ids)} of {wanted} initialize requests gave a session id")
    return SessionSample(requested=wanted, estimate=estimate(ids), first=first)


async def _close(session: Session, gate: asyncio.Semaphore) -> None:
    """Best effort: end a sampled session so the server does not keep it."""
    async with gate:
        try:
            await session.client.delete_session(session.authorization)
        except TargetError:
            return


async def probe_refreshed_session(run: Run, _profile: str | None) -> RefreshedSession:
    grant = await main_grant(run)
    if is_static(run):
        return await retried(lambda: _refreshed_static_session(run))
    return await retried(lambda: _refreshed_session(run, grant.token_endpoint))


async def _refreshed_session(run: Run, token_endpoint: str) -> RefreshedSession:
    fresh = await tokens_or_skip(run, purpose="session refresh")
    refresh_token = fresh.tokens.refresh_token
    if not refresh_token:
        raise NotApplicable(
            "the authorization server issued no refresh token, so a session cannot be "
            "continued with a refreshed one"
        )
    return await _across_refresh(
        run,
        fresh,
        "the first token",
        lambda: refresh(
            run.http,
            token_endpoint,
            client=fresh.client,
            refresh_token=refresh_token,
            resource=fresh.resource,
        ),
        refused_hint="see the refresh.* checks",
    )


async def _refreshed_static_session(run: Run) -> RefreshedSession:
    """The configured refresh token continues a session opened with the static token."""
    held = await wallet(run)
    reason = held.cannot_refresh()
    if reason is not None:
        raise NotApplicable(f"needs a refresh of the static token: {reason}")
    live = await live_tokens(run, purpose="session refresh")
    return await _across_refresh(
        run,
        live,
        "the static token",
        lambda: held.refresh(run),
        refused_hint="check [login].refresh_token, [login].token_endpoint and [client]",
    )


async def _across_refresh(
    run: Run,
    first: Obtained,
    named: str,
    refresh_grant: Callable[[], Awaitable[TokenResponse]],
    *,
    refused_hint: str,
) -> RefreshedSession:
    """A session opened with `first`, used again with the token `refresh_grant` gives."""
    session, _ = await open_stateful(run, first, f"initialize with {named}")
    before = await session.request("tools/list", label=f"tools/list with {named}")
    still_valid(before.status, first.tokens)
    if not before.served:
        raise TargetError(f"the session did not work with its own token ({before.describe()})")
    refreshed = await refresh_grant()
    if refreshed.tokens is None:
        raise NotApplicable(f"the refresh grant was refused ({refreshed.error}); {refused_hint}")
    after = await session.request(
        "tools/list",
        label="tools/list on the same session with the refreshed token",
        authorization=refreshed.tokens.authorization,
    )
    still_valid(after.status, refreshed.tokens)
    return RefreshedSession(before=before, refresh=refreshed.response, after=after)


PROBES: dict[type, Probe] = {
    SessionAlone: probe_session_alone,
    UserBinding: probe_user_binding,
    SessionSample: probe_session_sample,
    RefreshedSession: probe_refreshed_session,
}
