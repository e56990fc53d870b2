"""Scenario suites: pytest modules composing the engine (`harness`) and the simulators.

No HTTP code lives here: each test reports one check result computed by the harness session.
"""
