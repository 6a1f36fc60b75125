"""``microcred apikey create|list|revoke``: the bearer tokens of the admin API.

Tokens are shown once, when created; the database keeps only their hash and a prefix, which
is what ``list`` shows and ``revoke`` takes.
"""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.choices import Scope
from issuer.cli.common import JsonOption, fail, handle_errors, open_service, optional_issuer
from microcred.exit_codes import EXIT_USAGE
from schemas.dates import utcnow

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).

__all__ = ["apikey_app", "register"]

apikey_app = typer.Typer(help="API keys for the admin API.", no_args_is_help=True)


@apikey_app.command("create")
@handle_errors
def apikey_create(
    scope: Annotated[
        list[Scope], typer.Option(help="catalog, issue, revoke or admin (repeatable).")
    ],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "api key",
    issuer: Annotated[
        str | None, typer.Option(metavar="SLUG", help="The issuer the key acts for.")
    ] = None,
    all_issuers: Annotated[
        bool, typer.Option(help="A key for every issuer (instead of --issuer).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Create an API key and print its token (shown once; stored hashed)."""
    from issuer.services import apikeys

    if (issuer is None) == (not all_issuers):
        raise fail("give --issuer SLUG or --all-issuers", EXIT_USAGE)
    with open_service() as (session, _):
        owner = optional_issuer(session, issuer)
        row, token = apikeys.create_api_key(session=session, name=name, scopes=scope, issuer=owner)
        view = apikeys.created_view(row, token, owner)
    if json_output:
        typer.echo(view.model_dump_json(indent=2))
        return
    typer.echo(
        f"API key {view.prefix} for {view.issuer or 'every issuer'}, scopes "
        f"{', '.join(view.scopes)} (shown only now, it is stored hashed):",
        err=True,
    )
    typer.echo(token)


@apikey_app.command("list")
@handle_errors
def apikey_list() -> None:
    """API keys (prefixes only: the tokens are not stored)."""
    from sqlmodel import select

    from issuer.models import ApiKey
    from issuer.services import issuers

    with open_service() as (session, _):
        owners = {r.id: r.slug for r in issuers.list_issuers(session)}
        for row in session.exec(select(ApiKey).order_by(ApiKey.id)).all():  # type: ignore[arg-type]
            state = "revoked" if row.revoked else "active"
            owner = owners.get(row.issuer_id, "every issuer") if row.issuer_id else "every issuer"
            typer.echo(f"{row.prefix}  {state:8} {owner:30} {','.join(row.scopes):24} {row.name}")


@apikey_app.command("revoke")
@handle_errors
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix.")]) -> None:
    """Revoke an API key: it stops working at once."""
    from sqlmodel import select

    from issuer.db import begin_write
    from issuer.models import ApiKey

    with open_service() as (session, _):
        begin_write(session)
        row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if row is None:
            raise fail(f"no API key {prefix!r}")
        row.revoked = row.revoked or utcnow()
        session.add(row)
        session.commit()
    typer.echo(f"revoked {prefix}", err=True)


def register(app: typer.Typer) -> None:
    """Attach ``apikey`` to the ``microcred`` command."""
    app.add_typer(apikey_app, name="apikey")
