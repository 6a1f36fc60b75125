"""``microcred catalog load|list``: the achievements issuers award."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.cli.common import (
    JsonOption,
    echo_json,
    fail,
    handle_errors,
    open_service,
    optional_issuer,
    report_prepared,
)
from microcred.exit_codes import EXIT_USAGE

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).

__all__ = ["catalog_app", "register"]

catalog_app = typer.Typer(help="The catalog of achievements.", no_args_is_help=True)


@catalog_app.command("load")
@handle_errors
def catalog_load(
    name: Annotated[str, typer.Argument(help="Which catalog: 'demo' (New Mexico APL).")],
    issuer: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Issuer slug (default: the first issuer).")
    ] = None,
) -> None:
    """Load a bundled catalog. Achievements already there are left unchanged."""
    from issuer.bootstrap import prepare
    from issuer.services import demo

    if name != "demo":
        raise fail(f"unknown catalog {name!r}; the bundled one is 'demo'", EXIT_USAGE)
    with open_service(create=True) as (session, runtime):
        prepared = prepare(session=session, runtime=runtime, demo=False)
        if prepared.first_start:
            report_prepared(prepared, runtime)
        owner = optional_issuer(session, issuer) or prepared.issuer
        loaded = demo.load_demo_catalog(session=session, runtime=runtime, issuer=owner)
        typer.echo(f"loaded {len(loaded)} achievements into {owner.slug}'s catalog", err=True)
        for row in loaded:
            typer.echo(row.slug)


@catalog_app.command("list")
@handle_errors
def catalog_list(json_output: JsonOption = False) -> None:
    """The current version of every achievement."""
    from issuer.services import catalog, issuers

    with open_service() as (session, _):
        rows = catalog.list_achievements(session)
        owners = {r.id: r.slug for r in issuers.list_issuers(session)}
        items = [
            {
                "slug": r.slug,
                "version": r.version,
                "name": r.document["name"],
                "issuer": owners.get(r.issuer_id),
                "id": r.document["id"],
            }
            for r in rows
        ]
    if json_output:
        echo_json(items)
        return
    for item in items:
        typer.echo(f"{item['slug']:50} v{item['version']:<3} {item['name']}")


def register(app: typer.Typer) -> None:
    """Attach ``catalog`` to the ``microcred`` command."""
    app.add_typer(catalog_app, name="catalog")
