"""``microcred credentials list|show``: read issued credentials back, as signed.

``list`` is a table for people (a header row, aligned columns, a page at a time with how many
more there are on stderr), or every matching credential for programs: ``--json`` (the admin
API's view of each) or ``--csv`` (a header row, then one row each).
"""

from __future__ import annotations

import csv
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.choices import AwardStatus
from issuer.cli.common import (
    CredentialFormat,
    CredentialId,
    IssuerFilter,
    echo_credential,
    echo_json,
    fail,
    handle_errors,
    open_service,
    optional_issuer,
)
from microcred.exit_codes import EXIT_USAGE

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).
if TYPE_CHECKING:
    from issuer.models import AwardPublic

__all__ = ["credentials_app", "register"]

credentials_app = typer.Typer(help="Read issued credentials back.", no_args_is_help=True)

#: Rows of the table when ``--limit`` is not given (``--json`` and ``--csv`` list everything).
PAGE = 50
#: ``--csv`` columns, in order: the admin view's fields a spreadsheet wants.
CSV_COLUMNS = (
    "id",
    "url",
    "issuer",
    "achievement",
    "achievement_version",
    "status",
    "awarded",
    "recipient_name",
    "recipient_email",
)


def _table(views: list[AwardPublic]) -> None:
    """A header row and one row per credential, each column as wide as its widest cell."""
    rows = [("ID", "ACHIEVEMENT", "STATUS", "AWARDED", "RECIPIENT")]
    rows += [
        (str(v.id), v.achievement, v.status, f"{v.awarded:%Y-%m-%d}", v.recipient_name)
        for v in views
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[-1]]))


def _csv(views: list[AwardPublic]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for view in views:
        data = view.model_dump(mode="json", include=set(CSV_COLUMNS))
        writer.writerow(data)


def _more(shown: int, offset: int, total: int) -> str | None:
    """``showing 1-50 of 120; 70 more: --offset 50`` (stderr), or nothing when all are shown."""
    if offset == 0 and shown == total:
        return None
    if shown == 0:
        return f"no credentials from offset {offset}: there are {total}"
    line = f"showing {offset + 1}-{offset + shown} of {total}"
    left = total - offset - shown
    return line + (f"; {left} more: --offset {offset + shown}" if left > 0 else "")


@credentials_app.command("list")
@handle_errors
def credentials_list(
    recipient_email: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="Only this educator's.")
    ] = None,
    achievement: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Only this achievement's.")
    ] = None,
    issuer: IssuerFilter = None,
    status: Annotated[
        AwardStatus | None, typer.Option(help="Only those active, suspended or revoked.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help=f"At most this many (default: {PAGE}; --json, --csv: all)."),
    ] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many first.")] = 0,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    csv_output: Annotated[
        bool, typer.Option("--csv", help="Print CSV: a header row, then one row each.")
    ] = False,
) -> None:
    """Issued credentials, oldest first: a table, or JSON or CSV to export."""
    from issuer.services import awards

    if json_output and csv_output:
        raise fail("give --json or --csv, not both", EXIT_USAGE)
    export = json_output or csv_output
    with open_service() as (session, _):
        which = awards.AwardFilter(
            optional_issuer(session, issuer), recipient_email, achievement, status
        )
        rows = awards.list_awards(
            session, which, limit=limit or (sys.maxsize if export else PAGE), offset=offset
        )
        views = [awards.award_public(session, r) for r in rows]
        total = awards.count_awards(session, which)
    if json_output:
        echo_json([v.model_dump(mode="json", exclude_none=True) for v in views])
    elif csv_output:
        _csv(views)
    elif views:
        _table(views)
    more = _more(len(views), offset, total)
    if more or not (views or export):
        typer.echo(more or "no credentials", err=True)


@credentials_app.command("show")
@handle_errors
def credentials_show(
    credential_id: CredentialId,
    output: Annotated[
        CredentialFormat, typer.Option("--format", help="ldp (JSON) or jwt.")
    ] = CredentialFormat.ldp,
) -> None:
    """Print one issued credential as signed (its emails and wallet copies on stderr)."""
    from issuer.services.deliveries import deliveries_for
    from issuer.services.status import find_award
    from issuer.services.wallet_copies import list_copies

    with open_service() as (session, _):
        row = find_award(session, credential_id)
        copies = list_copies(session, row.id)
        sent = deliveries_for(session, row.id)
    echo_credential(row, output)
    # stderr, so stdout stays the credential exactly as signed (for pipes and files).
    for delivery in sent:
        when = delivery.sent_at or delivery.next_attempt_at
        line = (
            f"email {delivery.id}  {delivery.kind.value}  {delivery.status.value}  "
            f"to {delivery.recipient}  attempts {delivery.attempts}"
            + (f"  {when.isoformat(timespec='seconds')}" if when else "")
        )
        if delivery.last_error:
            line += f"  last reply: {delivery.last_error}"
        typer.echo(line, err=True)
    if not copies:
        typer.echo("no wallet copies", err=True)
        return
    rows = [("WALLET COPY", "PROTOCOL", "FORMAT", "STATUS", "CREATED", "HOLDER")]
    rows += [
        (
            str(c.id),
            c.protocol,
            c.format,
            c.status,
            f"{c.created:%Y-%m-%d %H:%M}",
            c.holder_did,
        )
        for c in copies
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        cells = [cell.ljust(width) for cell, width in zip(r, widths, strict=False)]
        typer.echo("  ".join([*cells, r[-1]]), err=True)


def register(app: typer.Typer) -> None:
    """Attach ``credentials`` to the ``microcred`` command."""
    app.add_typer(credentials_app, name="credentials")
