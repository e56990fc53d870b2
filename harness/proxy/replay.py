"""Replay a client profile's quirks on real traffic (placeholder; P2 adds the hooks)."""

from __future__ import annotations


class QuirkReplay:
    """A mitmproxy addon that rewrites a correct client's traffic into what `profile_name` sends."""

    def __init__(self, profile_name: str) -> None:
        self.profile_name = profile_name
