"""Resource-server probes at the MCP endpoint: bearer handling, forged and foreign tokens,
origins."""
