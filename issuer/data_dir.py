"""Which data directory a command uses, found the way ``git`` finds its repository.

``MICROCRED_DATA_DIR`` names it outright. Otherwise a command looks in the current folder and
each folder above it, in each for the folder itself and its ``var/``, and takes the first
that is a microcred data directory: one holding the SQLite database or the development
key-encryption key (:data:`MARKERS`). So ``make run`` in a checkout (data in ``./var``) and any
command run anywhere below it use the same data, and a command run in an unrelated folder
finds none rather than quietly starting an empty one with a fresh issuer key.

When none is found the default is ``./var``; whether a command may create it there is the
caller's decision (the CLI lets ``init``, ``serve`` and ``catalog load`` create one, saying so,
and refuses the others: :func:`issuer.cli.common.open_service`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "DATABASE_FILE",
    "DEFAULT_DATA_DIR",
    "DEV_KEK_FILE",
    "MARKERS",
    "NoDataDirectory",
    "candidates",
    "default_data_dir",
    "find_data_dir",
    "is_data_dir",
]

#: The SQLite database's file name inside the data directory.
DATABASE_FILE = "microcred.db"
#: The development KEK's file name inside the data directory.
DEV_KEK_FILE = "kek.dev.key"
#: A folder holding one of these is a microcred data directory.
MARKERS = (DATABASE_FILE, DEV_KEK_FILE)
#: Where a new data directory goes when none is named or found: ``var/`` of the current folder.
DEFAULT_DATA_DIR = Path("var")


class NoDataDirectory(Exception):
    """No data directory is named or found, and the command would not create one."""


def is_data_dir(path: Path) -> bool:
    """Whether ``path`` holds a microcred data directory's database or development KEK."""
    return any((path / marker).is_file() for marker in MARKERS)


def candidates(start: Path) -> Iterator[Path]:
    """Where to look, nearest first: each folder from ``start`` up, then its ``var/``."""
    for folder in (start, *start.parents):
        yield folder
        yield folder / DEFAULT_DATA_DIR


def find_data_dir(start: Path | None = None) -> Path | None:
    """The nearest data directory at or above ``start`` (default: the current folder)."""
    start = (start or Path.cwd()).resolve()
    return next((path for path in candidates(start) if is_data_dir(path)), None)


def default_data_dir() -> Path:
    """The data directory when ``MICROCRED_DATA_DIR`` is not set: the one found, else ``var``."""
    return find_data_dir() or DEFAULT_DATA_DIR
