"""Discovery probes: the challenge, protected resource metadata, AS metadata, unserved URLs."""
