"""Which probe produces which evidence type."""

from __future__ import annotations

from harness.engine import Probe
from harness.probes.bearer import probe_bearer, probe_expired
from harness.probes.discovery import probe_auth_server, probe_resource, probe_unserved
from harness.probes.evidence import AuthServerDiscovery, ResourceDiscovery, UnservedUrls
from harness.probes.grant import Grant, probe_grant
from harness.probes.journey import Journey
from harness.probes.journeys import probe_happy_path
from harness.probes.rs_evidence import BearerProbes, ExpiredProbe

PROBES: dict[type, Probe] = {
    ResourceDiscovery: probe_resource,
    AuthServerDiscovery: probe_auth_server,
    UnservedUrls: probe_unserved,
    Grant: probe_grant,
    BearerProbes: probe_bearer,
    ExpiredProbe: probe_expired,
    Journey: probe_happy_path,
}
