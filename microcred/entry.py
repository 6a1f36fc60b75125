"""The ``microcred`` console script: answers ``--version`` before importing any command.

Importing the command tree (``microcred.cli``) imports typer and every package's command
modules (which import their heavy libraries only when a command runs: ``tests/
test_startup_imports.py``), a few tenths of a second; ``microcred --version`` is asked by
scripts and bug reports and should cost nothing, so it is answered here from the installed
package's metadata.
"""

from __future__ import annotations

import sys

from microcred.version import version_line

__all__ = ["main"]


def main() -> None:
    """The console script: ``--version`` here, everything else through :mod:`microcred.cli`."""
    if sys.argv[1:] == ["--version"]:
        print(version_line())
        return
    from microcred.cli import main as run_command_tree

    run_command_tree()
