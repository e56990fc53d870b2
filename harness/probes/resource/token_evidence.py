"""Evidence about token validation at the MCP server: forged, revoked, foreign and misdirected
tokens, foreign origins, and follow-up requests that carry a session but no token."""

from __future__ import annotations

from dataclasses import dataclass

from harness.http import Exchange, Response
from harness.probes.resource.evidence import Attempt, exchanges_of
from harness.probes.resource.mcp import CallOutcome


@dataclass(frozen=True, slots=True, kw_only=True)
class ForgeryProbes:
    """Tokens forged from the main access token, and the server's answers.

    The JWT families are empty for an opaque token (`shape` says what it was); the foreign
    issuer tokens are sent whatever the format. `issuer_fetches` are requests that reached the
    harness-run issuer: a server fetching keys named by a token it should not trust;
    `key_fetches` those that reached the `jku` / `x5u` URLs of the header-key forgeries.
    """

    shape: str  # the access token: jwt, jwe or opaque
    control: Attempt  # the real token, unchanged
    alg_none: tuple[Attempt, ...]
    tampered: tuple[Attempt, ...]
    alg_confusion: tuple[Attempt, ...]
    alg_confusion_absent: str | None  # why no HS256 forgeries were made
    foreign_issuer: tuple[Attempt, ...]
    issuer_fetches: tuple[str, ...]
    header_key: tuple[Attempt, ...] = ()  # jwk / jku / x5u / kid injected in the header
    key_fetches: tuple[str, ...] = ()

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return exchanges_of(
            (
                self.control,
                *self.alg_none,
                *self.tampered,
                *self.alg_confusion,
                *self.foreign_issuer,
                *self.header_key,
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokedProbe:
    """A fresh token used, revoked at the RFC 7009 endpoint, then used again. `shape` is the
    token's form (jwt, jwe or opaque): a self-contained token may be validated locally, where a
    revocation cannot be seen; an opaque one must be looked up at the authorization server."""

    shape: str
    before: Attempt
    revocation: Response
    after: Attempt

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (
            *exchanges_of((self.before,)),
            self.revocation.exchange,
            *exchanges_of((self.after,)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AudienceSwapProbe:
    """A token issued for `[target].other_resource`, presented to the target (and, as the
    control, to the resource it was issued for). Without that setting, a token requested for a
    made-up resource on a reserved domain: `at_other` is None (nothing serves it)."""

    resource: str  # the target's canonical resource URI
    other: str
    audience: tuple[str, ...] | None  # the `aud` of that token, when it is a JWT
    at_target: Attempt
    at_other: Attempt | None

    @property
    def made_up(self) -> bool:
        return self.at_other is None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return exchanges_of(a for a in (self.at_target, self.at_other) if a is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginProbe:
    """The valid token with no `Origin`, then with a foreign one."""

    origin: str
    control: Attempt
    foreign: Attempt

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return exchanges_of((self.foreign, self.control))


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpProbes:
    """An authenticated session, then follow-up requests on it without the token.

    `session_issued` says whether the server gave a session id (the follow-ups carry it);
    `afterwards` is the session used with the token again, after the token-less DELETE.
    """

    session_issued: bool
    control: CallOutcome
    follow_ups: tuple[CallOutcome, ...]
    afterwards: CallOutcome

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        items = (*self.follow_ups, self.control, self.afterwards)
        return tuple(e for item in items for e in item.exchanges)
