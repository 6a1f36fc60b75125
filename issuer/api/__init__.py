"""The HTTP API: admin routes under ``/api`` (bearer API keys) and the public pages."""
