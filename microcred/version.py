"""The installed package's version, read from its metadata (a leaf: imports nothing of ours)."""

from __future__ import annotations

__all__ = ["version_line"]


def version_line() -> str:
    """``microcred 0.1.0``: the installed distribution's version."""
    # importlib.metadata (and the email package under it) costs more than the rest of
    # `microcred --help`'s own modules: imported only when the version is asked for.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"microcred {version('microcred')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "microcred (version unknown: not installed)"
