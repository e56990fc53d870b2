"""Per-tool scope probes: narrow tokens, insufficient_scope challenges, step-up."""
