"""CIMD probe: the harness hosts client metadata documents on a loopback listener.

One document states a `client_id` other than its own URL and must be refused; a correct one is
then used for a whole flow (the sanity step). Only meaningful when the authorization server runs
on this machine, where it can reach the listener.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from harness import __version__
from harness.egress import is_loopback_host
from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.oauth.registration import AuthMethod, ClientCredentials
from harness.probes.authserver.canary import LoopbackListener
from harness.probes.authserver.evidence import CimdProbes, Mutation
from harness.probes.authserver.flow import (
    authorization_request,
    client_origins,
    full_flow,
    navigate,
    prepare,
)


def client_document(client_id: str, redirect_uri: str) -> dict[str, object]:
    return {
        "client_id": client_id,
        "client_name": f"mcp-auth-harness {__version__} (CIMD check)",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": AuthMethod.NONE.value,
    }


async def probe_cimd(run: Run, _profile: str | None) -> CimdProbes:
    setup = await prepare(run)
    metadata = setup.discovery.as_metadata
    if metadata is None or metadata.client_id_metadata_document_supported is not True:
        raise NotApplicable(
            "the authorization server does not advertise client_id_metadata_document_supported"
        )
    host = urlsplit(setup.authorization_endpoint).hostname or ""
    if not is_loopback_host(host):
        raise NotApplicable(
            f"the authorization server at {host} is not on this machine, so it cannot fetch a "
            "client metadata document from the harness's loopback listener; run the harness "
            "next to the authorization server to enable this check"
        )
    async with LoopbackListener() as listener:
        nonce = secrets.token_hex(4)
        redirect = listener.url(f"/callback-{nonce}")
        stated = listener.url(f"/cimd-{nonce}/someone-else.json")
        bad_path, good_path = f"/cimd-{nonce}/mismatch.json", f"/cimd-{nonce}/client.json"
        bad_url = listener.serve(bad_path, client_document(stated, redirect))
        good_url = listener.serve(good_path, client_document(listener.url(good_path), redirect))

        def client(client_id: str) -> ClientCredentials:
            return ClientCredentials(
                client_id=client_id,
                redirect_uris=(redirect,),
                token_endpoint_auth_method=AuthMethod.NONE,
            )

        request = authorization_request(run, setup, client(bad_url))
        navigation = await navigate(
            run, setup.authorization_endpoint, request, stop_at=client_origins(redirect)
        )
        mismatch = Mutation(
            label="a document whose client_id is not its URL",
            sent_redirect_uri=redirect,
            navigation=navigation,
        )
        sanity = await full_flow(run, setup, client(good_url))
        fetched = listener.hits
    return CimdProbes(
        document_url=bad_url,
        stated_client_id=stated,
        mismatch=mismatch,
        fetched=fetched,
        sanity=sanity,
    )


PROBES: dict[type, Probe] = {CimdProbes: probe_cimd}
