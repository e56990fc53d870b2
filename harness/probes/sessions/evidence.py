"""Evidence about MCP sessions (`Mcp-Session-Id`, the 2025 revisions): what a session id alone,
another user's token or a refreshed token can do with it, and how random the ids are."""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from dataclasses import dataclass

from harness.http import Exchange, Response
from harness.probes.resource.mcp import CallOutcome

STATELESS_REASON = (
    "the server issued no Mcp-Session-Id (a stateless server, e.g. MCP 2026-07-28); session "
    "checks apply to servers that issue sessions"
)
VISIBLE_ASCII = frozenset(chr(c) for c in range(0x21, 0x7F))
_ALPHABETS: tuple[tuple[str, frozenset[str]], ...] = (
    ("decimal", frozenset(string.digits)),
    ("hex", frozenset(string.digits + "abcdef")),
    ("hex", frozenset(string.digits + "ABCDEF")),
    ("alphanumeric", frozenset(string.ascii_letters + string.digits)),
    ("base64url", frozenset(string.ascii_letters + string.digits + "-_")),
    ("base64", frozenset(string.ascii_letters + string.digits + "+/=")),
)


def _outcomes_exchanges(outcomes: Sequence[CallOutcome]) -> tuple[Exchange, ...]:
    return tuple(e for o in outcomes for e in o.exchanges)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionAlone:
    """A session opened with the token, then used with no token and with an unknown one."""

    opened: CallOutcome
    attempts: tuple[CallOutcome, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return _outcomes_exchanges((*self.attempts, self.opened))


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRead:
    """A read-only tool whose answer differs between the two users (user-specific data): A's
    answer on A's session, B's on B's own session, and B's on A's session."""

    tool: str
    a_own: CallOutcome
    b_own: CallOutcome
    b_on_a: CallOutcome | None = None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        found = (self.b_on_a,) if self.b_on_a is not None else ()
        return _outcomes_exchanges((*found, self.a_own, self.b_own))


@dataclass(frozen=True, slots=True, kw_only=True)
class UserBinding:
    """User A's session driven with user B's token (and B's own session, as the control).

    `b_on_a` is a `tools/list` with B's token on A's session. A served answer there proves
    nothing by itself (the server may give B its own context), so `read` is a read-only tool
    whose answer names the user, called the same three ways; None when no such tool was found
    (`no_read` says why).
    """

    how: str  # how the two users are known to differ
    a_opened: CallOutcome
    b_opened: CallOutcome
    b_on_a: CallOutcome
    read: UserRead | None = None
    no_read: str | None = None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        shown = _outcomes_exchanges((self.b_on_a, self.a_opened, self.b_opened))
        return (*self.read.exchanges, *shown) if self.read is not None else shown


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshedSession:
    """A session opened with one access token, then used with the refreshed one."""

    before: CallOutcome
    refresh: Response
    after: CallOutcome

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (*self.after.exchanges, self.refresh.exchange, *self.before.exchanges)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntropyEstimate:
    """What a sample of session ids shows: an estimate, not a proof of randomness.

    A position counts when the sample varies there; it contributes log2 of the alphabet size, or
    log2 of the characters seen when far fewer than the alphabet would give (a fixed nibble).
    """

    count: int
    unique: int
    min_length: int
    max_length: int
    alphabet: str
    alphabet_size: int
    varying_positions: int
    bits: float
    invisible: int  # ids with characters outside visible ASCII (0x21-0x7E)

    def describe(self) -> str:
        length = (
            f"{self.min_length}"
            if self.min_length == self.max_length
            else f"{self.min_length}-{self.max_length}"
        )
        return (
            f"{self.count} ids, {self.unique} unique, length {length}, {self.alphabet} alphabet, "
            f"{self.varying_positions} varying positions, about {self.bits:.0f} bits"
        )


def estimate(ids: Sequence[str]) -> EntropyEstimate:
    """Length, alphabet, uniqueness and an entropy estimate of a sample of ids."""
    if not ids:
        raise ValueError("no ids to estimate")
    longest = max(len(i) for i in ids)
    columns = [[i[p] for i in ids if len(i) > p] for p in range(longest)]
    varying = [set(column) for column in columns if len(set(column)) > 1]
    seen = frozenset().union(*varying) if varying else frozenset()
    name, size = _alphabet(seen)
    bits = 0.0
    for chars in varying:
        enough = min(size, len(ids)) / 2  # a uniform position shows at least this many
        bits += math.log2(size) if len(chars) >= enough else math.log2(len(chars))
    return EntropyEstimate(
        count=len(ids),
        unique=len(set(ids)),
        min_length=min(len(i) for i in ids),
        max_length=longest,
        alphabet=name,
        alphabet_size=size,
        varying_positions=len(varying),
        bits=bits,
        invisible=sum(1 for i in ids if not set(i) <= VISIBLE_ASCII),
    )


def _alphabet(chars: frozenset[str]) -> tuple[str, int]:
    for name, alphabet in _ALPHABETS:
        if chars <= alphabet:
            return name, len(alphabet - {"="})
    return "visible ASCII", len(VISIBLE_ASCII)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSample:
    """Session ids from repeated `initialize` requests with the same token (ids not kept)."""

    requested: int
    estimate: EntropyEstimate
    first: CallOutcome  # one of the requests, as evidence

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return self.first.exchanges
