"""Discovery documents: protected resource metadata (RFC 9728) and AS metadata (RFC 8414, OIDC)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulators.reference.config import SCOPES
from simulators.reference.defects import Defect
from simulators.reference.urls import PRM_WELL_KNOWN, ReferenceUrls, ResourceUrls

OMNIBUS_EXTRA_SCOPES: Final = ("offline_access", "*")


def advertised_scopes(defects: Collection[Defect]) -> tuple[str, ...]:
    """Scopes named in the PRM and in the 401 challenge."""
    if Defect.PRM_OMNIBUS_SCOPES in defects:
        return SCOPES + OMNIBUS_EXTRA_SCOPES
    return SCOPES


def protected_resource_metadata(
    urls: ReferenceUrls, resource: ResourceUrls, defects: Collection[Defect]
) -> dict[str, object]:
    resource_id = resource.url
    if Defect.PRM_RESOURCE_MISMATCH in defects:
        resource_id += "/"
    servers = [] if Defect.PRM_NO_AUTHORIZATION_SERVERS in defects else [urls.issuer]
    return {
        "resource": resource_id,
        "authorization_servers": servers,
        "scopes_supported": list(advertised_scopes(defects)),
        "bearer_methods_supported": ["header"],
    }


def authorization_server_metadata(
    urls: ReferenceUrls,
    defects: Collection[Defect],
    *,
    cimd: bool = False,
    registration: bool = True,
) -> dict[str, object]:
    """RFC 8414 metadata; with no defects it describes exactly what the AS implements."""
    doc: dict[str, object] = {
        "issuer": urls.issuer + ("/" if Defect.AS_ISSUER_MISMATCH in defects else ""),
        "authorization_endpoint": urls.as_url("authorize"),
        "token_endpoint": urls.as_url("token"),
        "registration_endpoint": urls.as_url("register"),
        "revocation_endpoint": urls.as_url("revoke"),
        "introspection_endpoint": urls.as_url("introspect"),
        "jwks_uri": urls.as_url("jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": list(SCOPES),
        "authorization_response_iss_parameter_supported": True,
    }
    if cimd:
        doc["client_id_metadata_document_supported"] = True
    if not registration:
        del doc["registration_endpoint"]
    if Defect.AS_MISSING_FIELDS in defects:
        del doc["response_types_supported"]
    if Defect.AS_NO_PKCE_ADVERTISED in defects:
        del doc["code_challenge_methods_supported"]
    if Defect.AS_LEGACY_GRANTS in defects:
        if "response_types_supported" in doc:
            doc["response_types_supported"] = ["code", "token"]
        doc["grant_types_supported"] = ["authorization_code", "refresh_token", "password"]
    return doc


def openid_configuration(
    urls: ReferenceUrls,
    defects: Collection[Defect],
    *,
    cimd: bool = False,
    registration: bool = True,
) -> dict[str, object]:
    """The same AS described as OIDC discovery (adds the fields OIDC makes mandatory)."""
    doc = authorization_server_metadata(urls, defects, cimd=cimd, registration=registration)
    doc["subject_types_supported"] = ["public"]
    doc["id_token_signing_alg_values_supported"] = ["RS256"]
    return doc


def _json(doc: dict[str, object]) -> Callable[[Request], object]:
    async def endpoint(_request: Request) -> JSONResponse:
        return JSONResponse(doc)

    return endpoint


def resource_metadata_routes(urls: ReferenceUrls, defects: Collection[Defect]) -> list[Route]:
    """PRM at each resource's path-suffixed well-known URI, and the main one at the root."""
    if Defect.PRM_MISSING in defects:
        return []
    routes = [
        Route(r.prm_path, _json(protected_resource_metadata(urls, r, defects)), methods=["GET"])
        for r in urls.resources
    ]
    main_doc = protected_resource_metadata(urls, urls.main, defects)
    routes.append(Route(PRM_WELL_KNOWN, _json(main_doc), methods=["GET"]))
    return routes


def authorization_server_metadata_routes(
    urls: ReferenceUrls,
    defects: Collection[Defect],
    *,
    oidc_only: bool,
    cimd: bool = False,
    registration: bool = True,
    oidc_minimal: bool = False,
) -> list[Route]:
    if Defect.AS_METADATA_MISSING in defects:
        return []
    routes: list[Route] = []
    if not oidc_only:
        doc = authorization_server_metadata(urls, defects, cimd=cimd, registration=registration)
        routes += [Route(p, _json(doc), methods=["GET"]) for p in urls.rfc8414_paths()]
    oidc = openid_configuration(urls, defects, cimd=cimd, registration=registration)
    if oidc_minimal:
        oidc = authorization_server_metadata(urls, defects, cimd=cimd, registration=registration)
        del oidc["jwks_uri"]
    routes += [Route(p, _json(oidc), methods=["GET"]) for p in urls.oidc_paths()]
    return routes
