"""``microcred credentials list|show``: read issued credentials back, as signed."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.cli.common import (
    CredentialFormat,
    echo_credential,
    echo_json,
    handle_errors,
    open_service,
    optional_issuer,
)
from issuer.services import awards

__all__ = ["credentials_app", "register"]

credentials_app = typer.Typer(help="Read issued credentials back.", no_args_is_help=True)


@credentials_app.command("list")
@handle_errors
def credentials_list(
    recipient_email: Annotated[str | None, typer.Option(help="Only this educator's.")] = None,
    achievement: Annotated[str | None, typer.Option(help="Only this achievement slug.")] = None,
    issuer: Annotated[str | None, typer.Option(help="Only this issuer's.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """Issued credentials, oldest first."""
    with open_service() as (session, _):
        rows = awards.list_awards(
            session,
            issuer=optional_issuer(session, issuer),
            recipient_email=recipient_email,
            achievement=achievement,
            limit=1_000_000,
        )
        views = [awards.award_public(session, r) for r in rows]
    if json_output:
        echo_json([v.model_dump(mode="json", exclude_none=True) for v in views])
        return
    for view in views:
        typer.echo(
            f"{view.id}  {view.achievement:45} {view.status:8} {view.awarded:%Y-%m-%d}  "
            f"{view.recipient_name}"
        )


@credentials_app.command("show")
@handle_errors
def credentials_show(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="uuid or credential URL.")],
    output: Annotated[
        CredentialFormat, typer.Option("--format", help="ldp (JSON) or jwt.")
    ] = CredentialFormat.ldp,
) -> None:
    """Print one issued credential as signed."""
    with open_service() as (session, _):
        row = awards.get_award(session, credential_id)
    echo_credential(row, output)


def register(app: typer.Typer) -> None:
    """Attach ``credentials`` to the ``microcred`` command."""
    app.add_typer(credentials_app, name="credentials")
