"""Discovery probes: the unauthenticated request, every PRM location, every AS metadata location.

Unlike a client, which stops at the first document it finds, the probes fetch every location of
the spec's probe orders concurrently, so the checks can judge each one.
"""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urljoin

from harness.engine import Probe, Run
from harness.errors import NotApplicable, TargetError
from harness.oauth.metadata import fetch_json_document
from harness.oauth.wellknown import as_metadata_urls, origin, prm_urls
from harness.oauth.wwwauth import parse_www_authenticate
from harness.probes.discovery.evidence import (
    AuthServerDiscovery,
    DocumentProbe,
    DocumentSource,
    ResourceDiscovery,
    UnservedUrls,
)
from harness.probes.resource.target import unauthenticated_request


async def fetch_probe(run: Run, url: str, source: DocumentSource) -> DocumentProbe:
    """Fetch one metadata URL; a transport failure is recorded, not raised."""
    try:
        fetch = await fetch_json_document(run.http, url)
    except TargetError as exc:
        return DocumentProbe(
            source=source, url=url, fetch=None, error=str(exc), failed=exc.exchanges
        )
    return DocumentProbe(source=source, url=url, fetch=fetch)


async def probe_resource(run: Run, _profile: str | None) -> ResourceDiscovery:
    mcp_url = run.target.mcp_url
    response = await unauthenticated_request(run)
    challenges = parse_www_authenticate(response.header_all("www-authenticate"))
    header_url = next(
        (
            urljoin(mcp_url, c.params["resource_metadata"])
            for c in challenges
            if "resource_metadata" in c.params
        ),
        None,
    )
    locations: list[tuple[str, DocumentSource]] = []
    if header_url:
        locations.append((header_url, "header"))
    well_known = prm_urls(mcp_url)
    if len(well_known) == 2:
        locations += [(well_known[0], "path"), (well_known[1], "root")]
    else:
        locations.append((well_known[0], "root"))
    probes = await asyncio.gather(*(fetch_probe(run, url, source) for url, source in locations))
    return ResourceDiscovery(
        mcp_url=mcp_url, unauthenticated=response, challenges=challenges, prm_probes=tuple(probes)
    )


async def probe_auth_server(run: Run, _profile: str | None) -> AuthServerDiscovery:
    resource = await run.need(ResourceDiscovery)
    prm = resource.prm
    if prm is None or not prm.authorization_servers:
        raise NotApplicable("no authorization server issuer is advertised in PRM")
    issuer = prm.authorization_servers[0]
    urls = as_metadata_urls(issuer)
    probes = await asyncio.gather(*(fetch_probe(run, u.url, u.kind.value) for u in urls))
    if all(probe.fetch is None for probe in probes):  # unreachable: `error`, not a finding
        reasons = "; ".join(probe.problem for probe in probes)
        raise TargetError(
            f"the authorization server {issuer} could not be reached: {reasons}",
            tuple(e for probe in probes for e in probe.failed),
        )
    return AuthServerDiscovery(issuer=issuer, probes=tuple(probes))


async def probe_unserved(run: Run, _profile: str | None) -> UnservedUrls:
    """Metadata locations the target does not use, plus a location nobody serves."""
    resource = await run.need(ResourceDiscovery)
    unused = [p for p in resource.prm_probes if not p.served]
    try:
        auth_server = await run.need(AuthServerDiscovery)
    except (NotApplicable, TargetError):
        auth_server = None
    if auth_server is not None:
        unused += [p for p in auth_server.probes if not p.served]
    nonce = secrets.token_hex(6)
    bogus = [
        f"{origin(run.target.mcp_url)}/.well-known/oauth-protected-resource/no-such-{nonce}",
        f"{origin(run.target.mcp_url)}/.well-known/oauth-authorization-server/no-such-{nonce}",
    ]
    fetched = await asyncio.gather(*(fetch_probe(run, url, "bogus") for url in bogus))
    return UnservedUrls(probes=(*unused, *fetched))


PROBES: dict[type, Probe] = {
    ResourceDiscovery: probe_resource,
    AuthServerDiscovery: probe_auth_server,
    UnservedUrls: probe_unserved,
}
