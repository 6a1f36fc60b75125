"""What a credential is: OB 3.0 / VC models, bundled JSON-LD contexts, canonical form, JSON Schemas.

No network I/O and no keys live here.
"""
