"""Failure-mode scenarios: each client profile's journey through one failure mode."""
