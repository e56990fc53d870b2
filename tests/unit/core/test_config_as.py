"""The configuration keys the authorization-server checks add."""

from __future__ import annotations

import pytest

from harness.config import DEFAULT_MAX_REFRESH_GRACE_S, parse_config
from harness.errors import ConfigError


def test_refresh_grace_bound_defaults_to_a_minute() -> None:
    assert parse_config({}).tokens.max_refresh_grace_s == DEFAULT_MAX_REFRESH_GRACE_S == 60.0


def test_refresh_grace_bound_is_read() -> None:
    config = parse_config({"tokens": {"max_refresh_grace_s": 5}})
    assert config.tokens.max_refresh_grace_s == 5.0


def test_refresh_grace_bound_must_be_a_non_negative_number() -> None:
    with pytest.raises(ConfigError, match=r"\[tokens\]\.max_refresh_grace_s"):
        parse_config({"tokens": {"max_refresh_grace_s": "long"}})
