"""The resource server's `WWW-Authenticate` challenges (RFC 6750 §3, RFC 9728 §5.1)."""

from __future__ import annotations

from typing import Literal

from starlette.responses import JSONResponse

from simulators.reference.config import READ_SCOPE, ReferenceConfig
from simulators.reference.defects import Defect
from simulators.reference.metadata import advertised_scopes
from simulators.reference.urls import ResourceUrls

FailureKind = Literal["missing", "invalid"]


def _header(params: list[tuple[str, str]]) -> str:
    if not params:
        return "Bearer"
    return "Bearer " + ", ".join(f'{name}="{value}"' for name, value in params)


def _challenge_scope(config: ReferenceConfig) -> str:
    if config.has(Defect.PRM_OMNIBUS_SCOPES):
        return " ".join(advertised_scopes(config.defects))
    return READ_SCOPE


def unauthorized(
    config: ReferenceConfig, resource: ResourceUrls, kind: FailureKind
) -> JSONResponse:
    """401: `missing` when no usable credentials were sent, `invalid` for a bad token."""
    body = {
        "error": "invalid_token" if kind == "invalid" else "unauthorized",
        "error_description": "The access token is not valid for this resource."
        if kind == "invalid"
        else "This resource needs an OAuth bearer token.",
    }
    response = JSONResponse(body, status_code=401)
    if config.has(Defect.NO_CHALLENGE):
        return response
    params: list[tuple[str, str]] = []
    if kind == "invalid" and config.has(Defect.INVALID_TOKEN_BARE_401):
        response.headers["WWW-Authenticate"] = _header(params)
        return response
    if kind == "invalid" or config.has(Defect.CHALLENGE_ERROR_PARAM):
        params.append(("error", "invalid_token"))
    if not config.has(Defect.PRM_MISSING):
        params.append(("resource_metadata", resource.prm_url))
    if not config.has(Defect.NO_CHALLENGE_SCOPE):
        params.append(("scope", _challenge_scope(config)))
    response.headers["WWW-Authenticate"] = _header(params)
    return response


def insufficient_scope(
    config: ReferenceConfig, resource: ResourceUrls, required: str, rpc_id: object
) -> JSONResponse:
    """403 step-up challenge naming the scope the operation needs (MCP 2025-11-25, SEP-835)."""
    status = 401 if config.has(Defect.INSUFFICIENT_SCOPE_401) else 403
    body = {
        "jsonrpc": "2.0",
        "id": rpc_id,
        "error": {"code": -32003, "message": f"Insufficient scope: {required} is required."},
    }
    params = [("error", "insufficient_scope")]
    if not config.has(Defect.NO_CHALLENGE_SCOPE):  # the client then cannot tell what to ask for
        params.append(("scope", required))
    if not config.has(Defect.PRM_MISSING):
        params.append(("resource_metadata", resource.prm_url))
    return JSONResponse(body, status_code=status, headers={"WWW-Authenticate": _header(params)})
