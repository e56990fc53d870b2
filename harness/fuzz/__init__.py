"""OAuth and bearer fuzzing with hypothesis (issue 10).

`strategies` (public API: mutations of the target's own happy-path values), `properties` (the
oracles), `areas` (authorize, token, register, bearer: one mutation per example), `runner`
(bounded, seeded, shrinking; failures into report.json via `records`) and `command` (the CLI).
Boundary: uses the house layers (`harness.http`, `harness.oauth`, `harness.probes`); never
`simulators` or `scenarios`.
"""
