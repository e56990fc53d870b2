"""The README's strategies example runs as written, and mutations never equal the registered URI
beyond a loopback port (which RFC 8252 §7.3 allows)."""

from __future__ import annotations

from hypothesis import given, settings

from harness.fuzz.judge import landing_allowed
from harness.fuzz.strategies import apply_edit, bearer_tokens, redirect_uris

REGISTERED = "http://127.0.0.1:33418/callback"


@settings(max_examples=200, database=None)
@given(redirect_uris(REGISTERED, attacker="http://127.0.0.1:9"))
def test_only_registered_redirects(mutation) -> None:  # type: ignore[no-untyped-def]
    assert mutation.value != REGISTERED
    assert mutation.kind.startswith("redirect.")


def test_landing_judgement() -> None:
    assert landing_allowed(REGISTERED + "?code=x&state=y", REGISTERED)
    assert landing_allowed("http://127.0.0.1:5000/callback?code=x", REGISTERED)
    assert not landing_allowed(REGISTERED + "/x?code=x", REGISTERED)
    assert not landing_allowed(REGISTERED + "?code=a&code=b", REGISTERED)
    assert not landing_allowed("http://localhost:33418/callback?code=x", REGISTERED)
    assert not landing_allowed(REGISTERED + "#f", REGISTERED)


@settings(max_examples=200, database=None)
@given(bearer_tokens("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl"))
def test_token_edits_change_the_token(mutation) -> None:  # type: ignore[no-untyped-def]
    real = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    assert isinstance(mutation.data, dict)
    edited = apply_edit(real, mutation.data)
    if mutation.field == "token" and mutation.data.get("op") != "replace":
        assert edited != real or mutation.data.get("op") == "claim"
