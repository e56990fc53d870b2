"""Load on the auth paths (issue 11): locust users, the subprocess driver and the invariants.

Boundary: `users.py` and `locustfile.py` import locust and run only inside the locust
subprocess (gevent patches the process); everything else here is plain harness code that never
imports them. Secrets reach the subprocess through a 0600 file named in `MCP_LOAD_MATERIAL`.
"""
