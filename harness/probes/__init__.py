"""Probes: flows that drive real HTTP against the target and return evidence records.

Each probe produces one evidence type, once per run (and per profile where it depends on one).
"""
