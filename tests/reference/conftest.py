"""Fixtures for the reference-target tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .driver import Driver, running


@pytest.fixture(scope="module")
def driver() -> Iterator[Driver]:
    """A correctly configured server shared by a test module (tests must not depend on order)."""
    with running() as d:
        yield d
