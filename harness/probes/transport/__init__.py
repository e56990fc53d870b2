"""Transport probes: what a kept-alive connection does after an unauthenticated request."""
