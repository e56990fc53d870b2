"""The request budget's pure parts: what a request costs, Retry-After, 429 state, the cap."""

from __future__ import annotations

import asyncio

import pytest

from harness.budget import (
    BudgetSpent,
    RateLimited,
    RequestBudget,
    RequestKind,
    classify,
    retry_after_seconds,
)

AS = "http://127.0.0.1:9"


def test_requests_are_classified_by_their_shape() -> None:
    assert classify("POST", f"{AS}/t", {"grant_type": "refresh_token"}, None) is RequestKind.TOKEN
    body = {"redirect_uris": ["http://127.0.0.1/cb"]}
    assert classify("POST", f"{AS}/r", None, body) is RequestKind.REGISTRATION
    url = f"{AS}/authorize?response_type=code&client_id=c"
    assert classify("GET", url, None, None) is RequestKind.AUTHORIZATION
    assert classify("POST", f"{AS}/revoke", {"token": "x"}, None) is None
    assert classify("GET", f"{AS}/authorize?response_type=code", None, None) is None


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:01:00 GMT", now=1767225600.0) == 60.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_429_stops_later_requests_to_that_endpoint_only() -> None:
    budget = RequestBudget()
    budget.observe(f"{AS}/token?x=1", 429, "900")
    with pytest.raises(RateLimited, match=r"rate limited \(Retry-After 900\)"):
        budget.admit("POST", f"{AS}/token", RequestKind.TOKEN)
    budget.admit("POST", f"{AS}/register", RequestKind.REGISTRATION)  # another endpoint
    spent = budget.to_json()
    assert spent["rate_limited"] == [
        {"endpoint": f"{AS}/token", "status": 429, "retry_after": "900", "requests_not_sent": 1}
    ]
    assert spent["registrations"] == 1
    assert spent["token_requests"] == 0


def test_a_short_retry_after_is_honoured_then_sending_resumes() -> None:
    budget = RequestBudget()
    budget.observe(f"{AS}/token", 429, "0")
    budget.admit("POST", f"{AS}/token", RequestKind.TOKEN)  # the window has passed
    assert budget.to_json()["token_requests"] == 1


def test_max_registrations_refuses_the_next_one() -> None:
    budget = RequestBudget(max_registrations=1)
    budget.admit("POST", f"{AS}/register", RequestKind.REGISTRATION)
    with pytest.raises(BudgetSpent, match="--max-registrations 1"):
        budget.admit("POST", f"{AS}/register", RequestKind.REGISTRATION)
    assert budget.to_json()["registrations_refused_by_budget"] == 1


def test_one_registration_per_endpoint_and_canonical_body() -> None:
    budget = RequestBudget()
    sent: list[int] = []

    async def send() -> int:
        sent.append(1)
        return len(sent)

    async def main() -> list[int]:
        same = [
            budget.registration(f"{AS}/r", {"a": 1, "b": 2}, send),
            budget.registration(f"{AS}/r", {"b": 2, "a": 1}, send),
            budget.registration(f"{AS}/other", {"a": 1, "b": 2}, send),
        ]
        return list(await asyncio.gather(*same))

    assert sorted(asyncio.run(main())) == [1, 1, 2]
    assert budget.to_json()["registrations_reused"] == 1
