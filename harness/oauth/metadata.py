"""Metadata documents: fetching a JSON document, and parsing PRM (RFC 9728) and AS metadata
(RFC 8414 / OIDC Discovery) into records.

Parsing tolerates anything: a field of the wrong type is recorded as None and the whole
document stays available as `raw`, so checks can judge what the target actually served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

from harness.http import Exchange, HttpClient, Response

JSON_ACCEPT = "application/json"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectedResourceMetadata:
    resource: str | None
    authorization_servers: tuple[str, ...] | None
    scopes_supported: tuple[str, ...] | None
    bearer_methods_supported: tuple[str, ...] | None
    raw: Mapping[str, object] = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthServerMetadata:
    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str | None
    registration_endpoint: str | None
    revocation_endpoint: str | None
    introspection_endpoint: str | None
    jwks_uri: str | None
    response_types_supported: tuple[str, ...] | None
    grant_types_supported: tuple[str, ...] | None
    code_challenge_methods_supported: tuple[str, ...] | None
    token_endpoint_auth_methods_supported: tuple[str, ...] | None
    scopes_supported: tuple[str, ...] | None
    authorization_response_iss_parameter_supported: bool | None
    client_id_metadata_document_supported: bool | None
    raw: Mapping[str, object] = field(repr=False)


def parse_prm(obj: Mapping[str, object]) -> ProtectedResourceMetadata:
    return ProtectedResourceMetadata(
        resource=_str(obj, "resource"),
        authorization_servers=_str_tuple(obj, "authorization_servers"),
        scopes_supported=_str_tuple(obj, "scopes_supported"),
        bearer_methods_supported=_str_tuple(obj, "bearer_methods_supported"),
        raw=obj,
    )


def parse_as_metadata(obj: Mapping[str, object]) -> AuthServerMetadata:
    return AuthServerMetadata(
        issuer=_str(obj, "issuer"),
        authorization_endpoint=_str(obj, "authorization_endpoint"),
        token_endpoint=_str(obj, "token_endpoint"),
        registration_endpoint=_str(obj, "registration_endpoint"),
        revocation_endpoint=_str(obj, "revocation_endpoint"),
        introspection_endpoint=_str(obj, "introspection_endpoint"),
        jwks_uri=_str(obj, "jwks_uri"),
        response_types_supported=_str_tuple(obj, "response_types_supported"),
        grant_types_supported=_str_tuple(obj, "grant_types_supported"),
        code_challenge_methods_supported=_str_tuple(obj, "code_challenge_methods_supported"),
        token_endpoint_auth_methods_supported=_str_tuple(
            obj, "token_endpoint_auth_methods_supported"
        ),
        scopes_supported=_str_tuple(obj, "scopes_supported"),
        authorization_response_iss_parameter_supported=_bool(
            obj, "authorization_response_iss_parameter_supported"
        ),
        client_id_metadata_document_supported=_bool(obj, "client_id_metadata_document_supported"),
        raw=obj,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentFetch:
    """A GET for a JSON document: the final response, the object (if any), or what was wrong.

    `redirects` are the 3xx responses followed on the way (empty unless redirects were allowed).
    """

    url: str
    response: Response
    document: Mapping[str, object] | None
    problem: str | None
    redirects: tuple[Response, ...] = ()

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (*(r.exchange for r in self.redirects), self.response.exchange)


async def fetch_json_document(
    http: HttpClient,
    url: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    max_redirects: int = 0,
) -> DocumentFetch:
    """GET `url` expecting a JSON object. `TargetError` on transport failure (or egress refusal)."""
    request_headers = [("accept", JSON_ACCEPT), *headers]
    redirects: list[Response] = []
    response = await http.request("GET", url, headers=request_headers)
    while _is_redirect(response) and len(redirects) < max_redirects:
        location = response.header("location")
        if not location:
            break
        redirects.append(response)
        response = await http.request(
            "GET", urljoin(response.url, location), headers=request_headers
        )
    document, problem = _judge(response)
    return DocumentFetch(
        url=url, response=response, document=document, problem=problem, redirects=tuple(redirects)
    )


def _judge(response: Response) -> tuple[Mapping[str, object] | None, str | None]:
    if _is_redirect(response):
        target = response.header("location") or "nowhere"
        return None, f"HTTP {response.status} redirect to {target} (not followed)"
    if response.status != 200:
        return None, f"HTTP {response.status}"
    if response.truncated:
        return None, "the body exceeds the size limit"
    parsed = response.json()
    if parsed is None:
        return None, f"not JSON ({response.content_type or 'no content-type'})"
    if not isinstance(parsed, dict):
        return None, "JSON but not an object"
    return parsed, None


def _is_redirect(response: Response) -> bool:
    return 300 <= response.status < 400


def _str(obj: Mapping[str, object], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _str_tuple(obj: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    value = obj.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(str(v) for v in value)


def _bool(obj: Mapping[str, object], key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None
