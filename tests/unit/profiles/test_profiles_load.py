"""Profile files: the built-in ones are valid and documented; mistakes are errors that help."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.errors import ConfigError
from harness.profiles.catalogue import builtin_dir, load_profiles, select
from harness.profiles.load import OBSERVATION, load_profile, parse_profile
from harness.profiles.model import PrmSource, ProfileKind, RefreshMode

REQUIRED = {
    "claude-ai",
    "claude-code",
    "claude-desktop",
    "chatgpt",
    "vscode",
    "cursor",
    "mcp-inspector",
    "mcp-remote",
    "codex",
    "python-sdk",
    "typescript-sdk",
    "spec-2025-03-26",
    "spec-2025-06-18",
    "spec-2025-11-25",
    "spec-2026-07-28",
}
MINIMAL = {"name": "mine", "title": "Mine", "client": "Mine", "kind": "client", "observed": "2026"}


def test_every_required_profile_is_built_in() -> None:
    assert set(load_profiles()) >= REQUIRED


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_quirk_names_its_source_and_when(name: str) -> None:
    profile = load_profiles()[name]
    for path, knob in profile.quirks():
        assert knob.source, path
        assert knob.observed, path
        for url in knob.source:  # a public URL, or a recorded wire observation
            assert urlsplit(url).scheme == "https" or OBSERVATION.fullmatch(url), (path, url)
    for issue in profile.known_issues:
        assert issue.source
        assert issue.observed


def test_the_baseline_has_no_quirks_and_clients_have_some() -> None:
    profiles = load_profiles()
    assert profiles["spec-2025-11-25"].quirks() == []
    assert profiles["spec-2025-11-25"].kind is ProfileKind.SPEC
    assert all(p.quirks() for p in profiles.values() if p.kind is ProfileKind.CLIENT)


def test_knob_values_are_typed() -> None:
    profiles = load_profiles()
    assert profiles["claude-ai"].discovery.prm_order.value == (PrmSource.PATH, PrmSource.ROOT)
    assert profiles["claude-ai"].refresh.mode.value is RefreshMode.NEVER
    assert profiles["mcp-remote"].registration.extra.value[0][0] == "client_uri"
    assert profiles["claude-desktop"].registration.per_connect.value == 2


def test_unknown_top_level_key_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'colour'; valid keys are .*discovery"):
        parse_profile({**MINIMAL, "colour": "red"})


def test_unknown_knob_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"\[refresh\]: unknown key 'often'.*mode"):
        parse_profile({**MINIMAL, "refresh": {"often": True}})


def test_a_value_outside_the_closed_enum_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"'sometimes' is not one of 'proactive', 'on-401'"):
        parse_profile({**MINIMAL, "refresh": {"mode": "sometimes"}})


def test_a_quirk_without_source_or_date_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"\[refresh\].mode: .never. differs from the default"):
        parse_profile({**MINIMAL, "refresh": {"mode": "never"}})
    with pytest.raises(ConfigError, match="differs from the default"):
        parse_profile(
            {**MINIMAL, "refresh": {"mode": {"value": "never", "source": "https://x.y/1"}}}
        )


def test_a_quirk_takes_its_source_from_the_knob_or_the_section() -> None:
    on_knob = parse_profile(
        {
            **MINIMAL,
            "refresh": {"mode": {"value": "never", "source": "https://x.y/1", "observed": "v1"}},
        }
    )
    in_section = parse_profile(
        {**MINIMAL, "refresh": {"source": ["https://x.y/2"], "observed": "v2", "mode": "never"}}
    )
    assert on_knob.refresh.mode.source == ("https://x.y/1",)
    assert in_section.refresh.mode.source == ("https://x.y/2",)
    assert in_section.refresh.mode.deviates
    assert not in_section.refresh.on_failure.deviates


def test_sources_must_be_urls_and_ints_stay_in_range() -> None:
    with pytest.raises(ConfigError, match="is not an http"):
        parse_profile({**MINIMAL, "refresh": {"source": "issue 12", "observed": "x"}})
    with pytest.raises(ConfigError, match="between 1 and 3"):
        parse_profile(
            {
                **MINIMAL,
                "registration": {"source": "https://x.y", "observed": "x", "per_connect": 9},
            }
        )


def test_the_file_name_is_the_profile_name(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('name = "mine"\ntitle = "t"\nclient = "c"\nkind = "client"\nobserved = "x"\n')
    with pytest.raises(ConfigError, match="must equal the file name 'other'"):
        load_profile(path)


def test_user_profiles_are_added_and_selected(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\ntitle = "t"\nclient = "c"\nkind = "client"\nobserved = "x"\n'
        '[resource]\nmode = { value = "origin", source = "https://x.y/1", observed = "v9" }\n'
    )
    profiles = load_profiles([tmp_path])
    assert "mine" in profiles
    assert [p.name for p in select(profiles, ["mine", "codex"])] == ["mine", "codex"]
    with pytest.raises(ConfigError, match="--profile: unknown profile 'nope'; valid profiles"):
        select(profiles, ["nope"])


def test_a_user_profile_cannot_shadow_a_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "codex.toml").write_text((builtin_dir() / "codex.toml").read_text())
    with pytest.raises(ConfigError, match="'codex' is defined twice"):
        load_profiles([tmp_path])
