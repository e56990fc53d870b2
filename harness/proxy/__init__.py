"""The proxy: a mitmproxy addon between a real client and a real server (faults, quirk replay,
passive checks). Boundary: mitmproxy types stay in the addon modules; the evidence is `Exchange`."""
