"""The issuer's operations as keyword-only functions over a session and a runtime.

They never import FastAPI or Typer: the HTTP routes and the CLI commands are thin callers, so
both behave the same, and tests can call them directly. Errors: :mod:`issuer.services.errors`.
"""
