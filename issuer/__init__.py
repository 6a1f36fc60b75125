"""The issuing service: issuer profiles, catalog, awards, stacks, status lists, public pages."""
