"""An MCP Streamable HTTP client for probing servers: JSON-RPC messages, SSE response streams,
sessions (2025-03-26 … 2025-11-25) and the stateless per-request metadata of 2026-07-28.

Credentials are passed per request (the harness varies them), and every reply keeps its
`Response` as evidence. All HTTP goes through `harness.http.HttpClient`.

Boundary: imports only `harness` (its version), `harness.http`, `harness.errors` and
`harness.redact`; never `harness.oauth`, `simulators` or `scenarios`.
"""
