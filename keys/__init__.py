"""How a credential is signed and whose key it is.

Key pairs, DIDs, proof suites and the guarded fetcher every remote document goes through.
"""
