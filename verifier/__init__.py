"""The verifying service: one pipeline, its report, trust lists, HTTP router, page and CLI."""
