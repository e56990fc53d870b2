"""The one exception the OAuth flows add: a step that cannot continue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.errors import TargetError

if TYPE_CHECKING:
    from harness.http import Exchange


class FlowError(TargetError):
    """An OAuth flow stopped at `step` because the target's answer left nothing to continue with.

    The message never contains secrets; `exchanges` are the (redacted) evidence.
    """

    def __init__(self, step: str, message: str, exchanges: Sequence[Exchange] = ()) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.exchanges = tuple(exchanges)
