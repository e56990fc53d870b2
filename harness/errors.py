"""The harness's exception tree, drawn in one place.

`HarnessError` and its children are for the user (exit codes 2 and 3, or an `error` verdict);
`CheckFailed` and `NotApplicable` are how checks speak and never reach the user as exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.exchange import Exchange


class HarnessError(Exception):
    """Base of the errors a user may see."""


class ConfigError(HarnessError):
    """Bad command line or configuration (exit code 2). The message names the flag or key."""


class TargetError(HarnessError):
    """The target could not be reached or answered unusably (exit code 3, or an `error` verdict).

    `exchanges`: the (redacted) exchanges that show why, when the raiser has them."""

    def __init__(self, message: str, exchanges: Sequence[Exchange] = ()) -> None:
        super().__init__(message)
        self.exchanges = tuple(exchanges)


class EgressRefused(TargetError):
    """A URL pointed where the egress policy forbids (link-local, cloud metadata, private)."""

    def __init__(self, url: str, reason: str, exchanges: Sequence[Exchange] = ()) -> None:
        super().__init__(f"egress refused: {url}: {reason}", exchanges)
        self.url = url
        self.reason = reason


class NotApplicable(Exception):
    """The capability a check needs is absent; becomes `skip` with this reason."""


class CheckFailed(Exception):
    """A check's finding: what was expected, what happened, and the exchanges that show it."""

    def __init__(
        self,
        *,
        expected: str,
        actual: str,
        evidence: Sequence[Exchange] = (),
        message: str | None = None,
        should: bool = False,
    ) -> None:
        self.expected = expected
        # A SHOULD-level finding inside a check whose main requirement is a MUST: it is `warn`.
        self.should = should
        self.actual = actual
        self.evidence = tuple(evidence)
        self.message = message or f"expected {expected}; got {actual}"
        super().__init__(self.message)
