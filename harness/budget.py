"""The run's request budget: what it cost the target, and what the target let it spend.

Servers limit registrations and token requests per client address (the TypeScript SDK's auth
router: 20 registrations an hour, 50 token requests in 15 minutes), so the harness
- registers once per distinct client metadata (`registration`, keyed by endpoint and the
  canonical request), unless a probe needs a client of its own by design,
- counts registrations, token and authorization requests (`to_json`, in report.json),
- remembers a 429 per endpoint: later requests there are not sent, and their checks skip with
  "rate limited (Retry-After …)" instead of failing one by one (`admit`),
- stops registering after `max_registrations` (`--max-registrations`).

It never waits for `Retry-After`: a window up to `RETRY_AFTER_BOUND_S` is honoured by sending
again once it has passed; a longer one (or none) holds for the rest of the run.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.errors import NotApplicable

RETRY_AFTER_BOUND_S = 5.0


class RequestKind(StrEnum):
    REGISTRATION = "registrations"
    TOKEN = "token_requests"  # noqa: S105 - a counter's name
    AUTHORIZATION = "authorization_requests"


class RateLimited(NotApplicable):
    """The endpoint answered 429 earlier in this run: this request was not sent."""


class BudgetSpent(NotApplicable):
    """`--max-registrations` registrations were sent already: this one was not."""


@dataclass(slots=True, kw_only=True)
class _Limit:
    status: int
    retry_after: str | None
    until: float | None  # monotonic time the window ends; None: the rest of the run
    skipped: int = 0

    @property
    def reason(self) -> str:
        return rate_limit_reason(self.retry_after)


def rate_limit_reason(retry_after: str | None) -> str:
    """How a rate limit is named in every message: "rate limited (Retry-After 3600)"."""
    after = f"Retry-After {retry_after.strip()}" if retry_after else "no Retry-After"
    return f"rate limited ({after})"


def endpoint_of(url: str) -> str:
    """The endpoint a rate limit applies to: the URL without query or fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def classify(
    method: str, url: str, form: Mapping[str, str] | None, json_body: object
) -> RequestKind | None:
    """What a request costs, from its shape (endpoints differ per server, requests do not)."""
    if form is not None and "grant_type" in form:
        return RequestKind.TOKEN
    if method == "POST" and isinstance(json_body, dict) and "redirect_uris" in json_body:
        return RequestKind.REGISTRATION
    if method == "GET":
        keys = {key for key, _ in parse_qsl(urlsplit(url).query)}
        if {"response_type", "client_id"} <= keys:
            return RequestKind.AUTHORIZATION
    return None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP-date), None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RequestBudget:
    """One run's counters, rate-limit state and registration cache (shared by every task)."""

    def __init__(self, *, max_registrations: int | None = None) -> None:
        self.max_registrations = max_registrations
        self.counts: Counter[RequestKind] = Counter()
        self.refused_by_budget = 0
        self.reused = 0
        self._limits: dict[str, _Limit] = {}  # in force
        self._seen: dict[str, _Limit] = {}  # every endpoint that ever answered 429, for the report
        self._registrations: dict[str, asyncio.Future[Any]] = {}

    def admit(self, method: str, url: str, kind: RequestKind | None) -> None:
        """Account for a request about to be sent, or raise why it must not be."""
        endpoint = endpoint_of(url)
        limit = self._limits.get(endpoint)
        if limit is not None:
            if limit.until is not None and time.monotonic() >= limit.until:
                del self._limits[endpoint]
            else:
                limit.skipped += 1
                raise RateLimited(
                    f"{limit.reason}: {endpoint} answered HTTP {limit.status} earlier in this "
                    "run, so the harness does not send it more requests"
                )
        cap = self.max_registrations
        if kind is RequestKind.REGISTRATION and cap is not None and self.counts[kind] >= cap:
            self.refused_by_budget += 1
            raise BudgetSpent(
                f"this needs one more client registration, and --max-registrations {cap} are "
                "spent; raise it, or configure a pre-registered client in [client]"
            )
        if kind is not None:
            self.counts[kind] += 1

    def observe(self, url: str, status: int, retry_after: str | None) -> None:
        """Remember a 429 (Too Many Requests) for the endpoint that sent it."""
        if status != 429:
            return
        seconds = retry_after_seconds(retry_after)
        bounded = seconds is not None and seconds <= RETRY_AFTER_BOUND_S
        until = time.monotonic() + seconds if bounded and seconds is not None else None
        limit = _Limit(status=status, retry_after=(retry_after or "").strip() or None, until=until)
        endpoint = endpoint_of(url)
        if endpoint in self._seen:
            limit.skipped = self._seen[endpoint].skipped
        self._limits[endpoint] = self._seen[endpoint] = limit

    async def registration[R](
        self, endpoint: str, body: Mapping[str, object], send: Callable[[], Awaitable[R]]
    ) -> R:
        """`send()` once per endpoint and canonical body; later callers share its outcome
        (a refusal too: the same request gets the same answer)."""
        key = endpoint + "\n" + json.dumps(body, sort_keys=True, separators=(",", ":"))
        task = self._registrations.get(key)
        if task is None:
            task = asyncio.ensure_future(send())
            self._registrations[key] = task
        else:
            self.reused += 1
        result: R = await asyncio.shield(task)
        return result

    async def close(self) -> None:
        for task in self._registrations.values():
            task.cancel()
        await asyncio.gather(*self._registrations.values(), return_exceptions=True)

    def to_json(self) -> dict[str, object]:
        """The `budget` section of report.json."""
        return {
            **{kind.value: self.counts[kind] for kind in RequestKind},
            "registrations_reused": self.reused,
            "max_registrations": self.max_registrations,
            "registrations_refused_by_budget": self.refused_by_budget,
            "rate_limited": [
                {
                    "endpoint": endpoint,
                    "status": limit.status,
                    "retry_after": limit.retry_after,
                    "requests_not_sent": limit.skipped,
                }
                for endpoint, limit in sorted(self._seen.items())
            ],
        }
