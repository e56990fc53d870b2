"""The refresh invariants' evidence, gathered by the harness process (asyncio, the one HTTP
layer) while locust loads the target: N concurrent refreshes of one refresh token, and
sequential replays of a rotated-out refresh token at growing offsets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from harness.errors import HarnessError, NotApplicable
from harness.exchange import Exchange
from harness.http import Response
from harness.load.names import initialize_request
from harness.load.prepare import PROTOCOL_VERSION, LoadContext
from harness.oauth.tokens import TokenResponse, TokenSet, refresh

#: seconds after a rotation at which a rotated-out refresh token is replayed
GRACE_OFFSETS_S: Final = (0.0, 1.5, 3.0, 6.0, 12.0, 24.0)
#: documented reuse windows of real providers (reported next to the measured one)
PROVIDER_DEFAULTS: Final = "Okta 30 s, Auth0 0 s (reuse interval off), Ory Hydra off"


@dataclass(frozen=True, slots=True, kw_only=True)
class RaceAnswer:
    outcome: str  # won | invalid_grant | rate_limited | other
    status: int
    exchange: Exchange
    tokens: TokenSet | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RaceEvidence:
    size: int
    answers: tuple[RaceAnswer, ...]
    families: int  # distinct refresh tokens handed to the winners
    live_families: int  # distinct winners' access tokens the MCP server still accepts
    rotated: bool  # the winners got a refresh token other than the one presented
    checks: tuple[Exchange, ...]  # the MCP calls that tested the winners' tokens

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.answers if a.outcome == outcome)


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    offset_s: float  # seconds after the rotation the replay was sent
    accepted: bool
    status: int
    family_kept: bool | None  # after a refused replay: does the rotated-in token still work?
    exchanges: tuple[Exchange, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GraceEvidence:
    replays: tuple[Replay, ...]  # by offset
    allowed_s: float  # the longest reuse window not judged a defect (--refresh-grace-max)
    rotates: bool

    @property
    def immediate_accepted(self) -> bool:
        return bool(self.replays) and self.replays[0].accepted


def _classify(response: TokenResponse) -> str:
    if response.tokens is not None:
        return "won"
    status = response.response.status
    if status == 429:
        return "rate_limited"
    if response.error == "invalid_grant":
        return "invalid_grant"
    return "other"


async def mcp_initialize(ctx: LoadContext, access_token: str) -> Response:
    """An initialize request to the MCP endpoint with `access_token`."""
    ctx.run.http.vault.add(access_token)
    return await ctx.run.http.request(
        "POST",
        ctx.run.target.mcp_url,
        headers={
            "authorization": f"Bearer {access_token}",
            "accept": "application/json, text/event-stream",
        },
        json_body=initialize_request(PROTOCOL_VERSION),
    )


async def mcp_accepts(ctx: LoadContext, access_token: str) -> tuple[bool, Exchange]:
    """Whether the MCP endpoint serves `access_token`."""
    response = await mcp_initialize(ctx, access_token)
    return response.status == 200, response.exchange


async def _refresh(ctx: LoadContext, refresh_token: str) -> TokenResponse:
    return await refresh(
        ctx.run.http,
        ctx.setup.token_endpoint,
        client=ctx.client,
        refresh_token=refresh_token,
        resource=ctx.setup.resource,
    )


async def _refresh_token_of(ctx: LoadContext) -> tuple[TokenSet, str]:
    tokens = await ctx.login()
    if tokens.refresh_token is None:
        raise NotApplicable("the authorization server issued no refresh token")
    return tokens, tokens.refresh_token


async def refresh_race(ctx: LoadContext, size: int) -> RaceEvidence:
    """`size` refreshes of one refresh token at once, then the winners' tokens at the MCP
    server: which families are still alive."""
    _, presented = await _refresh_token_of(ctx)
    results = await asyncio.gather(*(_refresh(ctx, presented) for _ in range(size)))
    answers = tuple(
        RaceAnswer(
            outcome=_classify(r),
            status=r.response.status,
            exchange=r.response.exchange,
            tokens=r.tokens,
        )
        for r in results
    )
    winners = [a.tokens for a in answers if a.tokens is not None]
    distinct = {t.access_token: t for t in winners}
    checked = await asyncio.gather(*(mcp_accepts(ctx, at) for at in distinct))
    rotated = any(t.refresh_token not in {None, presented} for t in winners)
    return RaceEvidence(
        size=size,
        answers=answers,
        families=len({t.refresh_token for t in winners}),
        live_families=sum(1 for ok, _ in checked if ok),
        rotated=rotated,
        checks=tuple(e for _, e in checked),
    )


async def _replay_at(ctx: LoadContext, offset_s: float) -> Replay | None:
    """Rotate a fresh chain, replay the rotated-out token `offset_s` later; None when the
    server does not rotate (there is nothing to replay)."""
    _, old = await _refresh_token_of(ctx)
    rotation = await _refresh(ctx, old)
    fresh = rotation.tokens
    if fresh is None:
        raise HarnessError(f"a plain refresh failed: {rotation.error}")
    if fresh.refresh_token in {None, old}:
        return None
    wait = offset_s - (time.monotonic() - fresh.obtained_at)
    if wait > 0:
        await asyncio.sleep(wait)  # the offset is the measurement itself
    replay = await _refresh(ctx, old)
    sent = time.monotonic() - fresh.obtained_at
    exchanges = [rotation.response.exchange, replay.response.exchange]
    kept: bool | None = None
    if replay.tokens is None and fresh.refresh_token is not None:
        after = await _refresh(ctx, fresh.refresh_token)
        kept = after.tokens is not None
        exchanges.append(after.response.exchange)
    return Replay(
        offset_s=round(sent, 3),
        accepted=replay.tokens is not None,
        status=replay.response.status,
        family_kept=kept,
        exchanges=tuple(exchanges),
    )


def grace_offsets(available_s: float, allowed_s: float) -> tuple[float, ...]:
    """The replay offsets that fit in `available_s`: up to the first beyond `allowed_s`."""
    chosen: list[float] = []
    for offset in sorted({*GRACE_OFFSETS_S, allowed_s + 1.0}):
        if offset > available_s:
            break
        chosen.append(offset)
        if offset > allowed_s:
            break
    return tuple(chosen)


async def refresh_grace(
    ctx: LoadContext, offsets: Sequence[float], allowed_s: float
) -> GraceEvidence:
    found = await asyncio.gather(*(_replay_at(ctx, o) for o in offsets))
    replays = tuple(sorted((r for r in found if r is not None), key=lambda r: r.offset_s))
    return GraceEvidence(replays=replays, allowed_s=allowed_s, rotates=bool(replays))
