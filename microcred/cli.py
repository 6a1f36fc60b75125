"""The one console script, ``microcred``.

Each package owns its subcommands (``keys/cli.py``, ``verifier/cli.py``, the ``issuer/cli/``
package) and exposes ``register(app)``; this module only composes them, so a deployment that
ships only the verifier still gets a working command. It imports no package's commands at the
top: a package that is not installed is skipped, one that is installed but broken fails loudly.
Exit statuses are the same for every package's commands (:mod:`microcred.exit_codes`),
said once, in ``microcred --help`` (:data:`EXIT_STATUSES`); the root group
(:mod:`microcred.command_tree`) makes click's own usage errors exit 64 and gives every
command's help one placeholder style.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from microcred.command_tree import RootGroup
from microcred.exit_codes import (
    EXIT_INDETERMINATE,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)
from microcred.version import version_line

#: The exit-status convention of every command, printed by ``microcred --help``.
EXIT_STATUSES = (
    f"Exit statuses (every command): {EXIT_OK} done (verify: valid); "
    f"{EXIT_INVALID} refused or invalid; "
    f"{EXIT_INDETERMINATE} indeterminate (verify: a status list or key could not be had); "
    f"{EXIT_USAGE} bad usage or unreadable input; "
    f"{EXIT_UNAVAILABLE} no usable data directory or database."
)

app = typer.Typer(
    name="microcred",
    cls=RootGroup,
    help="Open Badges 3.0 issuer and verifier for educator micro-credentials.",
    epilog=EXIT_STATUSES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print microcred's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Open Badges 3.0 issuer and verifier for educator micro-credentials."""


#: Packages whose ``cli`` module registers commands, in help order.
_COMMAND_MODULES = ("keys.cli", "verifier.cli", "issuer.cli", "microcred.demo")


def _register_all() -> None:
    """Let each package's ``cli`` module attach its commands; skip packages not installed."""
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:  # that package has no commands (yet); others still work
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    """The ``microcred`` console script."""
    app()
