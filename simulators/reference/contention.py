"""The token endpoint and the bearer check under concurrency: the defects the load invariants
(issue 11) catch.

The correct server is atomic where it matters: a refresh grant runs synchronously on the event
loop between reading the request and answering, so no other request can see the refresh token
between the reuse check and the rotation. The defects open the windows real servers have.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Final

from starlette.responses import JSONResponse, Response

from simulators.reference.as_context import AsContext
from simulators.reference.authlib_glue import HttpInput
from simulators.reference.defects import Defect
from simulators.reference.models import token_digest

#: `refresh-race`: the storage round trip between reading the refresh token and rotating it
RACE_WINDOW_S: Final = 0.25
#: `refresh-storm-503`: concurrent refreshes the token store serves, and how long each holds it
STORM_LIMIT: Final = 4
STORM_HOLD_S: Final = 0.05
#: `invalid-token-cost`: the blocking JWKS refetch for an unknown `kid`
JWKS_REFETCH_S: Final = 0.02

#: digest of the refresh token this request read as live before the window (refresh-race)
_STALE_READ: ContextVar[str | None] = ContextVar("stale_refresh_read", default=None)


def read_as_live(refresh_token: str) -> bool:
    """Whether this request read `refresh_token` as not yet rotated before another request
    rotated it (only ever true with `refresh-race`)."""
    return _STALE_READ.get() == token_digest(refresh_token)


def blocking_jwks_refetch() -> None:
    """The bug: a synchronous HTTP fetch of the JWKS on the event loop for every unknown kid."""
    time.sleep(JWKS_REFETCH_S)  # noqa: TID251 - the injected defect blocks the loop on purpose


class TokenContention:
    """Wraps the token endpoint's grant processing with the concurrency defects."""

    def __init__(self, ctx: AsContext) -> None:
        self._ctx = ctx
        self._in_flight = 0

    async def respond(self, http: HttpInput, issue: Callable[[], Response]) -> Response:
        config = self._ctx.config
        form = dict(reversed(http.form))
        if form.get("grant_type") != "refresh_token":
            return issue()
        if not config.has(Defect.REFRESH_STORM_503):
            return await self._refresh(form.get("refresh_token", ""), issue)
        if self._in_flight >= STORM_LIMIT:
            body = {
                "error": "temporarily_unavailable",
                "error_description": "The token store has no free connection.",
            }
            return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
        self._in_flight += 1
        try:
            await asyncio.sleep(STORM_HOLD_S)
            return await self._refresh(form.get("refresh_token", ""), issue)
        finally:
            self._in_flight -= 1

    async def _refresh(self, refresh_token: str, issue: Callable[[], Response]) -> Response:
        if not self._ctx.config.has(Defect.REFRESH_RACE):
            return issue()
        record = self._ctx.store.find_refresh_token(refresh_token)
        live = record is not None and not record.rotated and not record.revoked
        await asyncio.sleep(RACE_WINDOW_S)  # check, then act: the read is stale by now
        reset = _STALE_READ.set(token_digest(refresh_token) if live else None)
        try:
            return issue()
        finally:
            _STALE_READ.reset(reset)
