"""The configuration keys the resource-server checks add: upstream canary, sessions, misuse."""

from __future__ import annotations

import pytest

from harness.config import DEFAULT_ENTROPY_SAMPLES, parse_config
from harness.errors import ConfigError


def test_defaults() -> None:
    config = parse_config({})
    assert config.upstream_canary is None
    assert config.sessions.entropy_samples == DEFAULT_ENTROPY_SAMPLES
    assert config.misuse.injections is None


def test_upstream_canary_is_read() -> None:
    config = parse_config(
        {
            "upstream_canary": {
                "port": 47123,
                "tool": "fetch_upstream",
                "arguments": {"account": "a1"},
                "wait_s": 1.5,
            }
        }
    )
    canary = config.upstream_canary
    assert canary is not None
    assert (canary.host, canary.port, canary.wait_s) == ("127.0.0.1", 47123, 1.5)
    assert canary.tool.name == "fetch_upstream"
    assert canary.tool.arguments == {"account": "a1"}
    assert canary.url == "http://127.0.0.1:47123/"


def test_ipv6_canary_url() -> None:
    canary = parse_config({"upstream_canary": {"host": "::1", "port": 9, "tool": "t"}})
    assert canary.upstream_canary is not None
    assert canary.upstream_canary.url == "http://[::1]:9/"


def test_sessions_and_misuse_are_read() -> None:
    config = parse_config(
        {"sessions": {"entropy_samples": 100}, "misuse": {"injections": "mine.toml"}}
    )
    assert config.sessions.entropy_samples == 100
    assert config.misuse.injections == "mine.toml"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"upstream_canary": {"tool": "t"}}, "[upstream_canary].port: is required"),
        ({"upstream_canary": {"port": 0, "tool": "t"}}, "[upstream_canary].port: must be an"),
        ({"upstream_canary": {"port": True, "tool": "t"}}, "[upstream_canary].port: must be an"),
        ({"upstream_canary": {"port": 9}}, "[upstream_canary].tool: is required"),
        ({"upstream_canary": {"port": 9, "tool": "t", "wait_s": 99}}, "wait_s: must be at most"),
        ({"upstream_canary": {"port": 9, "tool": "t", "host": "a b"}}, "host: must be a host"),
        ({"upstream_canary": {"port": 9, "tool": "t", "url": "x"}}, "unknown key"),
        ({"sessions": {"entropy_samples": 1}}, "[sessions].entropy_samples: must be an integer"),
        ({"sessions": {"entropy_samples": 5000}}, "from 2 to 1000"),
        ({"misuse": {"injections": 3}}, "[misuse].injections: must be a string"),
    ],
)
def test_errors_name_the_key(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data, source="t.toml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("t.toml: ")
