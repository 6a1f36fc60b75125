"""The one console script, ``microcred``.

Each package owns its subcommands (``keys/cli.py``, ``verifier/cli.py``, the ``issuer/cli/``
package) and exposes ``register(app)``; this module only composes them, so a deployment that
ships only the verifier still gets a working command. It imports no package's commands at the
top: a package that is not installed is skipped, one that is installed but broken fails loudly.
Exit statuses are the same for every package's commands (:mod:`microcred.exit_codes`).
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="microcred",
    help="Open Badges 3.0 issuer and verifier for educator micro-credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
