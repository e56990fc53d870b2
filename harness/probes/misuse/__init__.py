"""Misuse probes: a prompt-injected agent misusing valid credentials, and the upstream canary."""
