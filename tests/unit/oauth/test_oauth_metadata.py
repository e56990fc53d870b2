from __future__ import annotations

from harness.oauth.metadata import parse_as_metadata, parse_prm


def test_parse_prm() -> None:
    prm = parse_prm(
        {
            "resource": "https://h/mcp",
            "authorization_servers": ["https://a"],
            "scopes_supported": ["notes:read"],
            "bearer_methods_supported": ["header"],
        }
    )
    assert prm.resource == "https://h/mcp"
    assert prm.authorization_servers == ("https://a",)
    assert prm.scopes_supported == ("notes:read",)
    assert prm.bearer_methods_supported == ("header",)


def test_parse_prm_tolerates_wrong_types() -> None:
    raw: dict[str, object] = {
        "resource": 7,
        "authorization_servers": "https://a",
        "scopes_supported": ["a", 1],
        "x-extra": True,
    }
    prm = parse_prm(raw)
    assert prm.resource is None
    assert prm.authorization_servers is None
    assert prm.scopes_supported is None
    assert prm.bearer_methods_supported is None
    assert prm.raw["x-extra"] is True


def test_parse_as_metadata() -> None:
    metadata = parse_as_metadata(
        {
            "issuer": "https://a",
            "authorization_endpoint": "https://a/authorize",
            "token_endpoint": "https://a/token",
            "registration_endpoint": "https://a/register",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "client_id_metadata_document_supported": "yes",
        }
    )
    assert metadata.issuer == "https://a"
    assert metadata.token_endpoint == "https://a/token"
    assert metadata.revocation_endpoint is None
    assert metadata.code_challenge_methods_supported == ("S256",)
    assert metadata.authorization_response_iss_parameter_supported is True
    assert metadata.client_id_metadata_document_supported is None
    assert metadata.raw["client_id_metadata_document_supported"] == "yes"
