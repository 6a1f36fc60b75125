"""How a credential is signed and whose key it is: key pairs, DIDs, proof suites, guarded fetching."""
