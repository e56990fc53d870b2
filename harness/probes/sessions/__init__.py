"""Session probes: MCP session ids, their entropy, and their binding to users and tokens."""
