"""Rate limits like the TypeScript SDK's auth router (express-rate-limit per client address):
`/register` 20 per hour, `/token` 50 per 15 minutes. Off by default; the harness's own tests
switch them on (`ReferenceConfig.register_rate_limit`, `token_rate_limit`) with small limits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Handler = Callable[[Request], Awaitable[Response]]

REGISTER_WINDOW_S = 3600  # the TS SDK: 20 registrations an hour
TOKEN_WINDOW_S = 900  # the TS SDK: 50 token requests in 15 minutes


class FixedWindow:
    """At most `limit` requests per client address in each `window_s` (thread-safe)."""

    def __init__(self, limit: int, window_s: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def retry_after(self, client: str) -> int | None:
        """None when the request may pass, else the seconds until the window ends."""
        now = time.monotonic()
        with self._lock:
            start, used = self._windows.get(client, (now, 0))
            if now - start >= self.window_s:
                start, used = now, 0
            if used >= self.limit:
                return max(1, round(self.window_s - (now - start)))
            self._windows[client] = (start, used + 1)
            return None


def window(limit: int | None, window_s: int) -> FixedWindow | None:
    return None if limit is None else FixedWindow(limit, window_s)


def rate_limited(handler: Handler, window: FixedWindow | None) -> Handler:
    """`handler`, answering 429 too_many_requests with Retry-After once `window` is spent."""
    if window is None:
        return handler

    async def limited(request: Request) -> Response:
        wait = window.retry_after(request.client.host if request.client else "")
        if wait is None:
            return await handler(request)
        return JSONResponse(
            {
                "error": "too_many_requests",
                "error_description": "You have exceeded the rate limit for this endpoint.",
            },
            status_code=429,
            headers={"retry-after": str(wait)},
        )

    return limited
