"""The ``microcred`` command: composes the subcommands that live with their own packages."""
