"""Sending the one auth-sensitive MCP request the bearer probes vary.

The probe request is what a client sends first: `initialize` for the stateful revisions, or a
`tools/list` for the stateless 2026-07-28 revision. Only the credentials, the HTTP verb, the
query string and the session header change between attempts.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.engine import Run
from harness.errors import TargetError
from harness.http import Response
from harness.mcp.client import McpClient
from harness.mcp.messages import initialize_request, tools_list_request
from harness.probes.resource.evidence import Attempt

STATELESS = "2026-07-28"


class McpProbe:
    """Builds and sends probe requests to the target's MCP endpoint."""

    def __init__(self, run: Run, url: str | None = None) -> None:
        self.run = run
        self.url = url or run.target.mcp_url
        self.revision = (
            STATELESS
            if run.target.spec == STATELESS
            else (run.target.spec if run.target.spec != "auto" else "2025-11-25")
        )

    def client(self, url: str | None = None) -> McpClient:
        return McpClient(self.run.http, url or self.url, protocol_version=self.revision)

    def message(self) -> dict[str, object]:
        if self.revision == STATELESS:
            return tools_list_request(request_id=1)
        return initialize_request(self.revision, request_id=1)

    async def send(
        self,
        *,
        method: str = "POST",
        authorization: str | None = None,
        query: Mapping[str, str] | None = None,
        session_id: str | None = None,
    ) -> Response:
        client = self.client()
        headers = [("mcp-session-id", session_id)] if session_id else []
        if method == "POST":
            reply = await client.post(
                self.message(),
                authorization=authorization,
                headers=headers,
                session=False,
                params=query,
            )
            if authorization and reply.result is not None and self.run.spec_revision is None:
                # the report's spec revision: the first one the target answered with a credential
                chosen = reply.result.get("protocolVersion", client.negotiated_version)
                self.run.spec_revision = chosen if isinstance(chosen, str) else None
            return reply.response
        if method == "GET":
            # Only the status matters: stop after the headers, even on an open event stream.
            return await client.get_stream(authorization, headers=headers, read_until=_headers_only)
        return await client.delete_session(authorization, headers=headers)

    async def attempt(
        self,
        label: str,
        *,
        method: str = "POST",
        authorization: str | None = None,
        query: Mapping[str, str] | None = None,
        session_id: str | None = None,
    ) -> Attempt:
        """Send a probe request; a transport failure is an outcome, not an exception."""
        try:
            response = await self.send(
                method=method, authorization=authorization, query=query, session_id=session_id
            )
        except TargetError as exc:
            return Attempt(label=label, response=None, error=str(exc))
        return Attempt(label=label, response=response)


async def unauthenticated_request(run: Run) -> Response:
    """The request every client starts with: no credentials at all."""
    return await McpProbe(run).send()


def _headers_only(_: bytes) -> bool:
    return True
