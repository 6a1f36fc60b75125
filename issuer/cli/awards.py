"""``microcred award``: award an achievement to an educator, or every row of a CSV file.

The credential printed is the one the HTTP API would have issued for the same request (same
service function, same idempotency key rules).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.cli.common import (
    CredentialFormat,
    echo_credential,
    fail,
    handle_errors,
    open_service,
    read_bytes,
)
from issuer.services import csv_columns
from microcred.exit_codes import EXIT_INVALID, EXIT_USAGE

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).
if TYPE_CHECKING:
    from sqlmodel import Session

    from issuer.models import Issuer
    from issuer.runtime import Runtime
    from issuer.services.awards import AwardOutcome

__all__ = ["award", "register"]


def _award_issuer(session: Session, issuer: str | None, achievement: str | None) -> Issuer:
    """``--issuer``, else the achievement's issuer, else the only issuer there is."""
    from issuer.models import Issuer
    from issuer.services import catalog, issuers
    from issuer.services.errors import ServiceError

    if issuer is not None:
        return issuers.get_issuer(session, issuer)
    if achievement is not None:
        row = catalog.get_achievement(session, achievement)
        owner = session.get(Issuer, row.issuer_id)
        assert owner is not None
        return owner
    rows = issuers.list_issuers(session)
    if len(rows) == 1:
        return rows[0]
    raise ServiceError("several issuers: say which with --issuer SLUG")


def _award_csv(
    session: Session,
    runtime: Runtime,
    owner: Issuer,
    csv_file: Path,
    achievement: str | None,
    batch_id: str | None,
    json_output: bool,
) -> None:
    """Award every row, with a progress bar on stderr, then one summary: the failed rows
    grouped by cause (spreadsheet row numbers), the counts, the stack credentials issued.
    Exit 64 if the file cannot be used at all (nothing is awarded), 1 if any row failed."""
    from rich.console import Console
    from rich.progress import Progress

    from issuer.services import batch
    from issuer.services.errors import InvalidInput

    try:
        data = read_bytes(csv_file, limit=batch.MAX_CSV_BYTES, what="CSV file")
        table = batch.read_csv(batch.csv_text(data), achievement=achievement)
    except InvalidInput as error:
        raise fail(f"{csv_file}: {error.message}", EXIT_USAGE) from None
    if table.ignored:
        typer.echo(
            f"ignoring {_ignored(len(table.ignored))}: "
            f"{', '.join(table.ignored)} (see microcred award --help)",
            err=True,
        )
    with Progress(console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(f"awarding {csv_file.name}", total=len(table.rows))
        result = batch.award_table(
            session=session,
            runtime=runtime,
            issuer=owner,
            table=table,
            batch_id=batch_id or f"csv:{csv_file.name}",
            progress=lambda _: progress.advance(task),
        )
    if json_output:
        typer.echo(result.model_dump_json(indent=2, exclude_none=True))
    for numbers, message in batch.failure_groups(result, table):
        typer.echo(f"{_rows(numbers)}: {message}", err=True)
    typer.echo(
        f"{result.rows} rows: {result.ok} ok ({result.issued} newly issued, "
        f"{result.ok - result.issued} already issued), {result.failed} failed "
        f"[batch {result.batch_id}]",
        err=True,
    )
    stacks = result.stacks_issued or []
    for stack in stacks[:_MAX_NAMED]:
        typer.echo(
            f"stack credential {stack.achievement} for {stack.recipient_name} "
            f"<{stack.recipient_email}> (completed by row {stack.line}): {stack.url}",
            err=True,
        )
    if len(stacks) > _MAX_NAMED:
        more = len(stacks) - _MAX_NAMED
        typer.echo(f"and {more} more stack credentials (--json lists every one)", err=True)
    if result.failed:
        raise typer.Exit(EXIT_INVALID)


#: The summary names this many rows of a cause, or stack credentials, then says how many more.
_MAX_NAMED = 12


def _rows(numbers: list[int]) -> str:
    """``row 4`` or ``rows 4, 7, 9`` (``…, and 40 more`` past :data:`_MAX_NAMED`)."""
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    named = ", ".join(str(n) for n in numbers[:_MAX_NAMED])
    more = len(numbers) - _MAX_NAMED
    return f"rows {named}" + (f", and {more} more" if more > 0 else "")


def _ignored(count: int) -> str:
    if count == 1:
        return "1 column that is not an award field"
    return f"{count} columns that are not award fields"


@handle_errors
def award(
    achievement: Annotated[
        str | None,
        typer.Argument(metavar="SLUG", help="Achievement slug (with --csv: for rows without one)."),
    ] = None,
    recipient_email: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="The educator's email.")
    ] = None,
    recipient_name: Annotated[str | None, typer.Option(help="The educator's name.")] = None,
    recipient_did: Annotated[str | None, typer.Option(help="The educator's DID, if any.")] = None,
    score: Annotated[str | None, typer.Option(help="Score, e.g. 92 (Percent).")] = None,
    rubric_level: Annotated[str | None, typer.Option(help="Rubric level, e.g. proficient.")] = None,
    evidence_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Link to the evidence.")
    ] = None,
    evidence_narrative: Annotated[str | None, typer.Option(help="Evidence narrative.")] = None,
    assessor: Annotated[
        str | None, typer.Option(help="Who assessed it (kept, not published).")
    ] = None,
    awarded_date: Annotated[
        str | None, typer.Option(metavar="ISO-8601", help="When it was earned (default: now).")
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retrying with the same key returns the same credential.")
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Issuer slug (default: the achievement's).")
    ] = None,
    output: Annotated[
        CredentialFormat, typer.Option("--format", help="ldp (JSON) or jwt.")
    ] = CredentialFormat.ldp,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Award every row of a CSV file (its columns: below). Rerunning it issues "
            "only the rows still missing.",
        ),
    ] = None,
    batch_id: Annotated[
        str | None, typer.Option(help="With --csv: names the batch (default: the file name).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="With --csv: print results.")] = False,
) -> None:
    """Award an achievement, print the signed credential (or award each row of --csv).

    The credential (JSON, or its VC-JWT with --format jwt) goes to stdout; a one-line summary
    with its badge link, and any stack credential the award completed, to stderr.
    """
    from issuer.models import AwardCreate
    from issuer.services import awards

    if achievement is None and csv_file is None:  # said first: not "several issuers"
        raise fail("give an achievement SLUG (or --csv FILE)", EXIT_USAGE)
    with open_service() as (session, runtime):
        owner = _award_issuer(session, issuer, achievement)
        if csv_file is not None:
            _award_csv(session, runtime, owner, csv_file, achievement, batch_id, json_output)
            return
        evidence = []
        if evidence_url or evidence_narrative:
            evidence.append({"url": evidence_url, "narrative": evidence_narrative})
        request = AwardCreate.model_validate(
            {
                k: v
                for k, v in {
                    "achievement": achievement,
                    "recipient_email": recipient_email,
                    "recipient_name": recipient_name,
                    "recipient_did": recipient_did,
                    "score": score,
                    "rubric_level": rubric_level,
                    "evidence": evidence,
                    "assessor": assessor,
                    "awarded_date": awarded_date,
                    "idempotency_key": idempotency_key,
                }.items()
                if v is not None
            }
        )
        outcome = awards.award(session=session, runtime=runtime, issuer=owner, request=request)
        typer.echo(_summary(runtime, outcome), err=True)
        echo_credential(outcome.award, output)


def _summary(runtime: Runtime, outcome: AwardOutcome) -> str:
    """One line for people (stderr): the badge link, and each stack credential it completed."""
    row = outcome.award
    line = (
        f"awarded {row.achievement_slug} to {row.recipient_name}: "
        if outcome.created
        else "already issued with this idempotency key: "
    ) + runtime.urls.credential(row.id)
    for stack in outcome.stacks_issued:
        line += f"; completed stack {stack.achievement_slug}: {runtime.urls.credential(stack.id)}"
    return line


def register(app: typer.Typer) -> None:
    """Attach ``award`` to the ``microcred`` command."""
    app.command("award", epilog=csv_columns.columns_help())(award)
