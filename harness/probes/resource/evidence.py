"""Evidence about the MCP server as a resource server: its answers to good and bad credentials."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.http import Exchange, Response


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One MCP request with a particular credential presentation, and its outcome."""

    label: str
    response: Response | None
    error: str | None = None

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def exchange(self) -> Exchange | None:
        return self.response.exchange if self.response is not None else None

    def describe(self) -> str:
        outcome = self.response.summary() if self.response is not None else self.error
        return f"{self.label}: {outcome}"


def exchanges_of(attempts: Iterable[Attempt]) -> tuple[Exchange, ...]:
    return tuple(a.exchange for a in attempts if a.exchange is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerbAttempt:
    """An HTTP verb sent without a token, next to the same verb with a valid token (if any)."""

    without_token: Attempt
    with_token: Attempt | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidTokenProbes:
    """The attempts that need a valid token: the control and its mis-presentations."""

    control: Attempt  # the valid token, presented correctly: must be accepted
    query_token: Attempt
    wrong_scheme: tuple[Attempt, ...]
    scheme_case: tuple[Attempt, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BearerProbes:
    """The resource server's answers to no token, bad tokens and a mis-presented valid token.

    `valid` is None when no valid token could be obtained; `no_token_reason` says why.
    """

    verbs: tuple[VerbAttempt, ...]  # POST, GET, DELETE without (and with) a token
    garbage: tuple[Attempt, ...]
    invalid: Attempt  # a well-formed (token68) but unknown token
    valid: ValidTokenProbes | None
    no_token_reason: str | None = None

    @property
    def all_attempts(self) -> tuple[Attempt, ...]:
        verbs = [a for v in self.verbs for a in (v.without_token, v.with_token) if a is not None]
        valid = self.valid
        with_token = (
            (valid.control, valid.query_token, *valid.wrong_scheme, *valid.scheme_case)
            if valid is not None
            else ()
        )
        return (*verbs, *self.garbage, self.invalid, *with_token)

    @property
    def failing_credentials(self) -> tuple[Attempt, ...]:
        """The attempts that carried no usable credentials: each must be refused."""
        valid = self.valid
        misplaced = (valid.query_token, *valid.wrong_scheme) if valid is not None else ()
        bare = tuple(v.without_token for v in self.verbs)
        return (*bare, *self.garbage, self.invalid, *misplaced)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return exchanges_of(self.all_attempts)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiredProbe:
    """A real access token presented after it expired (or a configured expired token)."""

    attempt: Attempt
    how: str  # e.g. "waited 4.1 s past expires_in=3"

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return exchanges_of((self.attempt,))
