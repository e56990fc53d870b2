"""The OAuth side of a simulated MCP client: discovery, registration, PKCE, authorization, tokens.

Flows here send requests through `harness.http.HttpClient` only, record every hop as an `Exchange`,
and return what the target said as data (the response is evidence); they raise `TargetError`
(or `FlowError`, naming the step) only when a flow cannot continue.

Boundary: imports only `harness.http`, `harness.errors`, `harness.redact` and `harness.egress`
(plus authlib/joserfc primitives); never `simulators` or `scenarios`.
"""
