from __future__ import annotations

import random
import re
import string

from harness.redact import SecretVault, fingerprint, fingerprint_fields


def test_fingerprint_is_short_and_stable() -> None:
    assert fingerprint("abc") == fingerprint("abc")
    assert fingerprint("abc").startswith("sha256:")
    assert len(fingerprint("abc")) == len("sha256:") + 8


def test_registered_secret_is_replaced_everywhere() -> None:
    vault = SecretVault(["s3cret-token-value"])
    text = vault.redact("before s3cret-token-value after s3cret-token-value")
    assert "s3cret" not in text
    assert text.count(fingerprint("s3cret-token-value")) == 2


def test_jwt_shapes_are_fingerprinted_unregistered() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
    assert jwt not in SecretVault().redact(f"token={jwt}")


def test_query_fields_and_headers() -> None:
    vault = SecretVault()
    url = vault.redact_url("https://x/cb?code=abc&state=xyz&iss=https%3A%2F%2Fa")
    assert "code=abc" not in url
    assert "state=xyz" in url
    assert vault.redact_header("Authorization", "Bearer tok-123456") == (
        f"Bearer {fingerprint('tok-123456')}"
    )
    cookie = vault.redact_header("Set-Cookie", "sid=verysecret; Path=/; HttpOnly")
    assert "verysecret" not in cookie
    assert "Path=/" in cookie


def test_json_fields_are_fingerprinted_at_any_depth() -> None:
    document = {"a": {"access_token": "short"}, "list": [{"password": "pw"}], "keep": "x"}
    redacted = fingerprint_fields(document)
    assert redacted == {
        "a": {"access_token": fingerprint("short")},
        "list": [{"password": fingerprint("pw")}],
        "keep": "x",
    }


def test_short_values_are_not_registered() -> None:
    vault = SecretVault(["ab"])
    assert vault.redact("ab cd") == "ab cd"


def single_alternation(secrets: list[str], text: str) -> str:
    """The obvious redaction: one regex of every secret, longest first."""
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
    return SecretVault().redact(pattern.sub(lambda m: fingerprint(m.group(0)), text))


def test_grouped_compilation_redacts_like_one_alternation() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_."
    secrets = ["".join(rng.choices(alphabet, k=rng.randrange(8, 40))) for _ in range(300)]
    secrets += [secrets[0] + "tail", secrets[1][:-3]]  # one secret inside another
    vault = SecretVault()
    for index, secret in enumerate(secrets):
        vault.add(secret)
        if index % 17 == 0:
            known = secrets[: index + 1]
            text = " ".join(rng.choice(known) + rng.choice(["&", "x", '"']) for _ in range(5))
            assert vault.redact(text) == single_alternation(known, text)
    text = f"Bearer {secrets[0]}tail and {secrets[1]} and eyJhbGciOiJSUzI1NiJ9.e30.sig"
    assert vault.redact(text) == single_alternation(secrets, text)
    assert secrets[0] not in vault.redact(text)
