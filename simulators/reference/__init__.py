"""The embedded reference target: an MCP resource server plus an OAuth 2.1 authorization server.

Correct per the MCP 2025-11-25 authorization spec by default; each `Defect` switches on one
realistic bug so the harness can prove its checks catch it. Runs under uvicorn on loopback.

Boundary: imports neither `harness` nor `scenarios`. Its only outgoing requests are bounded:
client metadata documents (CIMD, loopback only) and the configured upstream API.
"""

from simulators.reference.authorization_server import ClientCredentials
from simulators.reference.config import USERS, ReferenceConfig
from simulators.reference.defects import DEFECT_DESCRIPTIONS, Defect, parse_defects
from simulators.reference.server import ReferenceServer, serve_forever
from simulators.reference.state import DeletedNote, Note, ReferenceState, ToolCall

__all__ = [
    "DEFECT_DESCRIPTIONS",
    "USERS",
    "ClientCredentials",
    "Defect",
    "DeletedNote",
    "Note",
    "ReferenceConfig",
    "ReferenceServer",
    "ReferenceState",
    "ToolCall",
    "parse_defects",
    "serve_forever",
]
