"""Client ID metadata documents and switchable registration at the reference AS."""

from __future__ import annotations

import pytest

from simulators.reference import ReferenceConfig
from simulators.reference.cimd import url_problem

from .as_probes import document_host
from .driver import REDIRECT_URI, Driver, Registered, pkce_pair, query_of, running


def _authorize(d: Driver, client_id: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    response = d.authorize(
        Registered(client_id, None, redirect_uri),
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    return query_of(response) | {"_status": str(response.status_code), "_verifier": verifier}


def test_a_valid_document_makes_a_working_client(driver: Driver) -> None:
    documents: dict[str, object] = {}
    with document_host(documents) as origin:
        url = origin + "/client.json"
        documents["/client.json"] = {"client_id": url, "redirect_uris": [REDIRECT_URI]}
        answer = _authorize(driver, url)
        assert "code" in answer, answer
        token = driver.token(
            grant_type="authorization_code",
            code=answer["code"],
            client_id=url,
            redirect_uri=REDIRECT_URI,
            code_verifier=answer["_verifier"],
            resource=driver.server.mcp_url,
        )
    assert token.status_code == 200, token.text


@pytest.mark.parametrize(
    ("document", "redirect_uri"),
    [
        ({"client_id": "{origin}/other.json", "redirect_uris": [REDIRECT_URI]}, REDIRECT_URI),
        ({"client_id": "{url}", "redirect_uris": ["javascript:x"]}, REDIRECT_URI),
        (
            {"client_id": "{url}", "redirect_uris": [REDIRECT_URI], "client_secret": "s"},
            REDIRECT_URI,
        ),
        ({"client_id": "{url}", "redirect_uris": [REDIRECT_URI]}, "http://127.0.0.1:1/elsewhere"),
    ],
    ids=["client-id-mismatch", "bad-redirect", "secret", "redirect-not-listed"],
)
def test_bad_documents_are_refused_without_redirect(
    driver: Driver, document: dict[str, object], redirect_uri: str
) -> None:
    documents: dict[str, object] = {}
    with document_host(documents) as origin:
        url = origin + "/client.json"
        documents["/client.json"] = {
            k: v.format(origin=origin, url=url) if isinstance(v, str) else v
            for k, v in document.items()
        }
        answer = _authorize(driver, url, redirect_uri)
    assert answer["_status"] == "400"
    assert "code" not in answer


def test_unreachable_or_odd_client_id_urls_are_refused(driver: Driver) -> None:
    assert _authorize(driver, "http://127.0.0.1:1/client.json")["_status"] == "400"
    assert url_problem("https://example.com/client.json") is not None  # loopback only here
    assert url_problem("http://127.0.0.1:8/a/../client.json") is not None
    assert url_problem("http://user@127.0.0.1:8/client.json") is not None
    assert url_problem("http://127.0.0.1:8/") is not None
    assert url_problem("http://127.0.0.1:8/client.json") is None


def test_metadata_advertises_cimd_and_registration_by_default(driver: Driver) -> None:
    doc = driver.http.get(
        driver.server.urls.as_origin + "/.well-known/oauth-authorization-server"
    ).json()
    assert doc["client_id_metadata_document_supported"] is True
    assert doc["registration_endpoint"] == driver.server.issuer + "/register"


def test_both_can_be_switched_off() -> None:
    config = ReferenceConfig(client_id_metadata_documents=False, dynamic_client_registration=False)
    with running(config) as d:
        doc = d.http.get(d.server.urls.as_origin + "/.well-known/oauth-authorization-server").json()
        assert "client_id_metadata_document_supported" not in doc
        assert "registration_endpoint" not in doc
        assert d.register().status_code == 404
        assert _authorize(d, "http://127.0.0.1:1/client.json")["_status"] == "400"
