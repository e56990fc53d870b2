"""The vault's two searches (each secret searched for in the text, or the text's positions
looked up by their first characters, used once a run holds many secrets) redact alike."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from harness import redact
from harness.redact import SecretVault

_alphabet = st.sampled_from("abcAB01-_.~ é")
_secret = st.text(_alphabet, min_size=3, max_size=12)


@settings(max_examples=300, database=None)
@given(st.lists(_secret, max_size=12), st.text(_alphabet, max_size=80), st.data())
def test_indexed_search_redacts_as_the_scan(
    secrets: list[str], text: str, data: st.DataObject
) -> None:
    vault = SecretVault(secrets)
    for secret in data.draw(st.lists(st.sampled_from(secrets), max_size=4)) if secrets else []:
        text += secret  # make matches likely
    _, ordered = vault._by_length
    scanned = sorted(span for s in ordered if s in text for span in redact._occurrences(s, text))
    assert sorted(redact._indexed_spans(vault._by_prefix, text)) == scanned


def test_many_secrets_take_the_indexed_path() -> None:
    vault = SecretVault()
    tokens = [f"tok{n:06d}xyz" for n in range(2000)]
    for token in tokens:
        vault.add(token)
    text = f"GET /cb?code={tokens[1234]}&state={tokens[7]}{tokens[7]}"
    out = vault.redact(text)
    assert tokens[1234] not in out
    assert tokens[7] not in out
    assert out.count("sha256:") == 3
