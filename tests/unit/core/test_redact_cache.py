"""The vault's search state is rebuilt on every add, never per call, and redacts exactly as one
alternation of every secret (longest first) would: a secret added after a redaction is found at
the next one, overlapping and nested secrets resolve leftmost-longest, and concurrent adds never
leave a redaction half-informed."""

from __future__ import annotations

import random
import re
import string
import threading

from harness.redact import SecretVault, fingerprint
from tests.unit.core.test_redact import single_alternation


def test_a_secret_added_after_a_redaction_is_redacted_next_time() -> None:
    vault = SecretVault(["first-secret"])
    text = "first-secret then later-secret"
    assert vault.redact(text) == f"{fingerprint('first-secret')} then later-secret"
    vault.add("later-secret")
    assert vault.redact(text) == f"{fingerprint('first-secret')} then {fingerprint('later-secret')}"


def test_the_search_state_changes_only_when_a_secret_is_added() -> None:
    vault = SecretVault(["abcdefgh"])
    state = vault._by_length
    vault.redact("abcdefgh")
    vault.add("abcdefgh")  # already known
    vault.add("ab")  # too short
    assert vault._by_length is state
    vault.add("abcdefghij")
    assert vault._by_length is not state
    assert vault._by_length[0] == (8, 10)


def test_overlapping_and_nested_secrets_resolve_leftmost_longest() -> None:
    secrets = ["aaaaaa", "aaaaaaaa", "bbbaaaaaa", "xyzxyz", "zxyzxyzq"]
    vault = SecretVault(secrets)
    for text in ["aaaaaaaaaaaaaaaaa", "bbbaaaaaaaaaaa", "xyzxyzxyzxyzq", "q" * 5, ""]:
        assert vault.redact(text) == single_alternation(secrets, text), text


def test_secrets_longer_than_the_text_or_with_regex_characters() -> None:
    secrets = ["a.b*c+d?(e)", "[x]{2}|y\\z", "p" * 500]
    vault = SecretVault(secrets)
    text = "see a.b*c+d?(e) and [x]{2}|y\\z and aXbbcd"
    assert vault.redact(text) == single_alternation(secrets, text)
    assert "a.b*c" not in vault.redact(text)
    assert vault.redact("p" * 499) == "p" * 499


def test_random_vaults_redact_like_one_alternation() -> None:
    rng = random.Random(11)
    alphabet = "ab" + string.digits[:2]  # a tiny alphabet makes overlaps and nesting common
    for _ in range(200):
        secrets = ["".join(rng.choices(alphabet, k=rng.randrange(6, 12))) for _ in range(8)]
        vault = SecretVault()
        for secret in secrets:
            vault.add(secret)
        text = "".join(rng.choices(alphabet + " ", k=rng.randrange(0, 80)))
        assert vault.redact(text) == single_alternation(secrets, text), (secrets, text)


def test_concurrent_adds_never_lose_a_secret() -> None:
    vault = SecretVault()
    secrets = [f"secret-{n:05d}-value" for n in range(400)]
    stop = threading.Event()

    def redact_meanwhile() -> None:
        while not stop.is_set():
            vault.redact(" ".join(secrets[:50]))

    reader = threading.Thread(target=redact_meanwhile)
    reader.start()
    writers = [
        threading.Thread(target=lambda part=part: [vault.add(s) for s in part])
        for part in (secrets[0::2], secrets[1::2])
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    reader.join()
    assert vault.known() == frozenset(secrets)
    assert len(vault._by_length[1]) == len(secrets)
    redacted = vault.redact(" ".join(secrets))
    assert not re.search(r"secret-\d{5}-value", redacted)
