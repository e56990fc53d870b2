"""rs.jwt.header-key judged on hand-made evidence: accepted fails, a fetch or a kid 5xx warns,
an unanswered sub-case is no pass, an opaque token skips."""

from __future__ import annotations

import httpx
import pytest

from harness.checks import BY_ID
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.http import Response
from harness.probes.resource.evidence import Attempt
from harness.probes.resource.token_evidence import ForgeryProbes
from harness.results import Verdict

LABELS = (
    "jwk: RS256, the harness key embedded",
    "jku: http://127.0.0.1:9/keys/jwks.json",
    "kid: ../../../../../../dev/null (HS256, empty key)",
    "kid: x|true (HS256, empty key)",
)
judge = BY_ID["rs.jwt.header-key"].run


def attempt(label: str, status: int | None) -> Attempt:
    if status is None:
        return Attempt(label=label, response=None, error="connection reset")
    url = "http://mcp.test/mcp"
    exchange = Exchange(
        request=RecordedRequest(method="POST", url=url, headers=()),
        response=RecordedResponse(status=status, headers=()),
    )
    headers = httpx.Headers({"content-type": "application/json"})
    return Attempt(
        label=label,
        response=Response(status=status, headers=headers, body=b"{}", url=url, exchange=exchange),
    )


def probes(
    *statuses: int | None, fetches: tuple[str, ...] = (), shape: str = "jwt"
) -> ForgeryProbes:
    return ForgeryProbes(
        shape=shape,
        control=attempt("the real token, unchanged", 200),
        alg_none=(),
        tampered=(),
        alg_confusion=(),
        alg_confusion_absent=None,
        foreign_issuer=(),
        issuer_fetches=(),
        header_key=tuple(attempt(label, s) for label, s in zip(LABELS, statuses, strict=True)),
        key_fetches=fetches,
    )


def test_all_refused_passes() -> None:
    result = judge(probes(401, 401, 401, 400))
    assert result.verdict is Verdict.PASS, result.message
    assert "no jku / x5u URL fetched" in result.message


def test_an_accepted_sub_case_fails_naming_it() -> None:
    result = judge(probes(401, 200, 401, 401, fetches=("GET http://127.0.0.1:9/keys/jwks.json",)))
    assert result.verdict is Verdict.FAIL
    assert "jku: http://127.0.0.1:9/keys/jwks.json: 200" in result.message
    assert "the server fetched GET http://127.0.0.1:9/keys/jwks.json" in result.message


def test_a_fetched_url_warns_though_the_token_was_refused() -> None:
    result = judge(probes(401, 401, 401, 401, fetches=("GET http://127.0.0.1:9/keys/cert.pem",)))
    assert result.verdict is Verdict.WARN
    assert "fetched GET http://127.0.0.1:9/keys/cert.pem" in result.message


def test_a_server_error_on_a_kid_warns_about_sanitising() -> None:
    result = judge(probes(401, 401, 401, 500))
    assert result.verdict is Verdict.WARN
    assert "kid: x|true" in result.message
    assert "unsanitised" in result.message


def test_an_unanswered_sub_case_is_never_a_pass() -> None:
    result = judge(probes(401, None, 401, 401))
    assert result.verdict is Verdict.ERROR
    assert "no answer" in result.message


@pytest.mark.parametrize("shape", ["opaque", "jwe"])
def test_non_jwt_tokens_skip(shape: str) -> None:
    assert judge(probes(401, 401, 401, 401, shape=shape)).verdict is Verdict.SKIP
