"""Robustness of the harness's own parsers: on any input they return data or raise only the
errors they declare (all four declare none: a hostile target's bytes are evidence, not a crash).

`check_parsers(n)` runs each parser's property for `n` examples and returns the ones that broke.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from harness.mcp.jsonrpc import parse_json_messages
from harness.mcp.sse import parse_sse
from harness.oauth.metadata import parse_as_metadata, parse_prm
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_header_text = st.text(
    st.sampled_from(list('Bearer realm="x", error=invalid_token scope=, \\"=/:;Basic\t é')),
    max_size=120,
) | st.text(max_size=80)
_metadata_keys = st.sampled_from(
    [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "scopes_supported",
        "resource",
        "authorization_servers",
        "code_challenge_methods_supported",
        "response_types_supported",
        "authorization_response_iss_parameter_supported",
        "registration_endpoint",
    ]
)
_metadata = st.dictionaries(_metadata_keys | st.text(max_size=8), _json, max_size=8)
_sse = st.lists(
    st.sampled_from(
        [
            b"data: ",
            b"event: ",
            b"id: ",
            b"retry: ",
            b":",
            b"\n",
            b"\r\n",
            b"\r",
            b'{"jsonrpc":"2.0","id":1,"result":{}}',
            b"\xff\xfe",
            b"x",
        ]
    ),
    max_size=30,
).map(b"".join) | st.binary(max_size=200)
_rpc = _json.map(json.dumps) | st.text(max_size=60) | st.binary(max_size=60)


@dataclass(frozen=True, slots=True)
class ParserTarget:
    name: str
    strategy: st.SearchStrategy[object]
    parse: Callable[[object], object]


def _www(values: object) -> object:
    challenges = parse_www_authenticate(values)  # type: ignore[arg-type]
    bearer = find_bearer(challenges)
    return bearer.scopes if bearer else None


def _metadata_both(document: object) -> object:
    return parse_as_metadata(document), parse_prm(document)  # type: ignore[arg-type]


TARGETS = (
    ParserTarget("www-authenticate", st.lists(_header_text, max_size=3), _www),
    ParserTarget("metadata", _metadata, _metadata_both),
    ParserTarget("sse", _sse, lambda body: parse_sse(body)),  # type: ignore[arg-type]
    ParserTarget("json-rpc", _rpc, lambda text: parse_json_messages(text)),  # type: ignore[arg-type]
)


def _property(target: ParserTarget, max_examples: int, seed: int) -> Callable[[], None]:
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(target.strategy)
    def survives(value: object) -> None:
        target.parse(value)

    return survives


def check_parsers(max_examples: int, seed: int = 0) -> dict[str, str]:
    """Each parser that raised, with the exception hypothesis shrank it to."""
    broken: dict[str, str] = {}
    for target in TARGETS:
        try:
            _property(target, max_examples, seed)()
        except HypothesisException:
            raise
        except Exception as exc:  # the finding: anything a parser raised
            broken[target.name] = f"{type(exc).__name__}: {exc}"
    return broken
