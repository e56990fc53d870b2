"""Authorization-server probes: registration, authorize, PKCE, token, refresh, audience.

Each is the happy path with one step changed.
"""
