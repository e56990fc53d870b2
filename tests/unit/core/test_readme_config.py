"""The configuration example in the README parses: the documentation cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import parse_config

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_example_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    text = README.read_text(encoding="utf-8")
    start = text.index("```toml\n# target.toml") + len("```toml\n")
    example = text[start : text.index("```\n", start)]
    for name in (
        "MCP_TEST_USER",
        "MCP_TEST_PASSWORD",
        "MCP_TEST_USER2",
        "MCP_TEST_PASSWORD2",
        "MCP_TEST_CLIENT_SECRET",
    ):
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    config = parse_config(tomllib.loads(example), source="README.md")
    assert config.target_url == "https://mcp.example.com/mcp"
    assert config.login.second_user is not None
    assert config.tools[0].name == "delete_note"
