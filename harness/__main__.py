"""`python -m harness` is the same program as `mcp-auth-harness`."""

import sys

from harness.cli import main

sys.exit(main())
