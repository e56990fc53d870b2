"""mcp-auth-harness: the engine.

Boundary: `harness` imports neither `simulators` nor `scenarios`.
Only `harness.http` builds HTTP clients.
"""

import sys

if sys.version_info < (3, 12):  # pragma: no cover - guarded for users on older interpreters
    found = ".".join(map(str, sys.version_info[:2]))
    raise SystemExit(f"mcp-auth-harness needs Python 3.12 or newer (found {found})")

__version__ = "0.1.0"
