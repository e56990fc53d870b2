"""Client profiles: real clients' (and spec revisions') OAuth behaviour as data, and a client
that behaves as a profile says.

`model` and `load` read the TOML files (`simulators/profiles/`, plus user folders) into frozen
records; `knobs` turns knob values into the policies and values the OAuth and MCP clients of
`harness.oauth` and `harness.mcp` take; `connect` and `use` drive those clients as the profile
would, recording each step and what it means for the client (`discovery_steps`, `outcomes`,
`diagnose`);
`simulate` is `mcp-auth-harness simulate-client`.

Boundary: code switches on knob values, never on profile names; nothing here imports
`simulators` (the profile files are located, not imported) or `scenarios`.
"""
