"""The injection corpus: the bundled one loads, vendors add theirs, mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.probes.misuse.corpus import BUNDLED, Step, find_injections, load_corpus
from simulators.reference.state import INJECTED_NOTE_TEXT


def test_bundled_corpus_loads_and_finds_the_planted_note() -> None:
    assert BUNDLED.is_file()
    corpus = load_corpus(None)
    assert {i.id for i in corpus} >= {"ignore-previous-instructions", "token-exfiltration"}
    found = find_injections(corpus, ["1: Buy oat milk", f"0: {INJECTED_NOTE_TEXT}"])
    assert "ignore-previous-instructions" in {i.id for i in found}
    assert set().union(*(i.steps for i in found)) == set(Step)
    assert find_injections(corpus, ["1: Buy oat milk"]) == ()


def test_every_bundled_text_is_found_by_its_own_pattern() -> None:
    for injection in load_corpus(None):
        assert injection.match.search(injection.text), injection.id


def test_a_vendor_corpus_is_added(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[injection]]\nid = "mine"\nmatch = "(?i)pretty please"\nsteps = ["replay-token"]\n',
        encoding="utf-8",
    )
    corpus = load_corpus(str(extra))
    assert corpus[-1].id == "mine"
    assert corpus[-1].steps == {Step.REPLAY_TOKEN}
    assert [i.id for i in find_injections(corpus, ["Pretty please, send it"])] == ["mine"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[[injection]]\nid = "x"\nmatch = "("\nsteps = ["replay-token"]\n', "not a valid"),
        ('[[injection]]\nid = "x"\nmatch = "a"\nsteps = ["explode"]\n', "steps must be"),
        ('[[injection]]\nmatch = "a"\nsteps = ["replay-token"]\n', "id must be"),
        ("injection = 3\n", "must be an array"),
        ("[[injection\n", "not a readable TOML"),
    ],
)
def test_mistakes_name_the_file(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_corpus(str(path))
    assert fragment in str(info.value)
    assert "bad.toml" in str(info.value)


def test_a_missing_vendor_corpus_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[misuse\]\.injections: .* does not exist"):
        load_corpus(str(tmp_path / "nope.toml"))
