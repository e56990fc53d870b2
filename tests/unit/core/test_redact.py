from __future__ import annotations

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
