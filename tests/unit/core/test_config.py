from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config, parse_config
from harness.errors import ConfigError


def test_defaults_without_file() -> None:
    config = load_config(None)
    assert config.target_url is None
    assert config.login.mode == "auto"


def test_full_example_with_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MCP_TEST_PASSWORD", "hunter2-password")
    path = tmp_path / "target.toml"
    path.write_text(
        """
[target]
url = "https://mcp.example.com/mcp"
[login]
mode = "form"
username = "alice"
password = "${MCP_TEST_PASSWORD}"
[login.second_user]
username = "bob"
password = "bob-password"
[scopes]
narrow = ["notes:read"]
[[tools]]
name = "delete_note"
requires = ["notes:write"]
arguments = { id = "1" }
""",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.target_url == "https://mcp.example.com/mcp"
    assert config.login.password == "hunter2-password"
    assert config.login.second_user is not None
    assert config.tools[0].arguments == {"id": "1"}
    assert "hunter2-password" in config.secrets()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"target": {"ur1": "x"}}, "[target].ur1: unknown key; valid keys are"),
        ({"target": {"url": "ftp://x"}}, "[target].url: must be an http(s) URL"),
        ({"login": {"mode": "magic"}}, "[login].mode: must be auto, form or static"),
        ({"login": {"mode": "static"}}, "[login].access_token: is required"),
        ({"client": {"client_secret": "x"}}, "[client].client_id: is required"),
        ({"scopes": {"narrow": "notes:read"}}, "[scopes].narrow: must be a list of strings"),
        ({"login": {"password": "${NO_SUCH_VARIABLE_XYZ}"}}, "NO_SUCH_VARIABLE_XYZ is not set"),
        ({"bogus": {}}, "unknown key"),
    ],
)
def test_errors_name_the_key(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=r"target\.toml") as info:
        parse_config(data, source="target.toml")
    assert fragment in str(info.value)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[target\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
