"""Client profiles as data: one TOML file per real client or spec revision (no code here).

The engine locates this folder to read the files; see `harness.profiles` for the format.
"""
