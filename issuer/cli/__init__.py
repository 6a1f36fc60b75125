"""The issuer's commands, one module per command group, composed by ``microcred``.

- :mod:`~issuer.cli.server` — ``init``, ``serve``
- :mod:`~issuer.cli.awards` — ``award`` (one credential, or every row of a CSV file)
- :mod:`~issuer.cli.catalog` — ``catalog load|list``
- :mod:`~issuer.cli.issuers` — ``issuer create|list|rotate-keys``
- :mod:`~issuer.cli.credentials` — ``credentials list|show``
- :mod:`~issuer.cli.apikeys` — ``apikey create|list|revoke``
- :mod:`~issuer.cli.sharing` — ``qr``, ``bake``, ``unbake``
- :mod:`~issuer.cli.status` — ``revoke``, ``suspend``, ``unsuspend``, ``status …``
- :mod:`~issuer.cli.stacks` — ``submit``, ``stacks …``
- :mod:`~issuer.cli.push` — ``push`` (to an educator's own OB 3.0 Host)

What they share (opening the database, error handling, exit statuses, output) is in
:mod:`issuer.cli.common`, which imports none of them; no command module imports another.
"""

from __future__ import annotations

import typer

from issuer.cli import (
    apikeys,
    awards,
    catalog,
    credentials,
    delivery,
    issuers,
    push,
    server,
    sharing,
    stacks,
    status,
)

__all__ = ["register"]

#: In the order ``microcred --help`` lists them.
_GROUPS = (
    server,
    awards,
    catalog,
    issuers,
    credentials,
    delivery,
    apikeys,
    sharing,
    status,
    stacks,
    push,
)


def register(app: typer.Typer) -> None:
    """Attach every issuer command to the ``microcred`` command."""
    for group in _GROUPS:
        group.register(app)
