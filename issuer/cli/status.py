"""The status commands: ``revoke``, ``suspend``, ``unsuspend`` and ``status …``.

Like every issuer command they work on the data directory and database directly, with or
without the server running. They change the database only; the lists are re-signed by the
next ``GET /status/{id}`` of a running server (or by ``microcred status publish``), so a change
made here with the server down is served by the first request after it starts.

ID is the credential's id URL, its uuid, or at least 8 leading characters of the uuid; a prefix
that matches several credentials exits with status 64 and lists them.
"""

from __future__ import annotations

import getpass
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from issuer.choices import StatusAction
from issuer.cli.common import (
    CREDENTIAL_ID_HELP,
    IssuerFilter,
    JsonOption,
    echo_json,
    fail,
    handle_errors,
    open_service,
    optional_issuer,
    read_text,
)
from microcred.exit_codes import EXIT_USAGE
from schemas.dates import format_datetime

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).
if TYPE_CHECKING:
    from issuer.services.status import StatusChange

__all__ = ["register"]

status_app = typer.Typer(
    help="Credential status: the audit log, the published lists, exports.", no_args_is_help=True
)

IdArguments = Annotated[
    list[str] | None,
    typer.Argument(metavar="ID...", help=CREDENTIAL_ID_HELP),
]
ReasonOption = Annotated[
    str,
    typer.Option(
        help="Why (kept in the audit log, never published in a status list).",
        show_default=False,
    ),
]
FromFileOption = Annotated[
    Path | None,
    typer.Option(help="Also the IDs in this file, one a line ('-': standard input)."),
]
ChangeJsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON (an array when several IDs or --from-file)."),
]


def _actor() -> str:
    """``cli:<login>``: who ran the command, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return f"cli:uid-{os.getuid()}"


def _references(credential_ids: list[str] | None, from_file: Path | None) -> list[str]:
    """The IDs given as arguments, then those of ``--from-file`` (``-``: standard input)."""
    references = list(credential_ids or [])
    if from_file is not None:
        text = sys.stdin.read() if str(from_file) == "-" else read_text(from_file)
        references += [line.strip() for line in text.splitlines() if line.strip()]
    if not references:
        raise fail("give at least one credential ID (or --from-file FILE)", EXIT_USAGE)
    return references


def _change(
    action: StatusAction,
    credential_ids: list[str] | None,
    from_file: Path | None,
    reason: str,
    json_output: bool,
) -> None:
    from issuer.services import status as status_service

    references = _references(credential_ids, from_file)
    with open_service() as (session, runtime):
        changes = status_service.change_statuses(
            session, runtime, references, action, reason, _actor()
        )
    if json_output:
        items = [change.to_json() for change in changes]
        echo_json(items[0] if len(items) == 1 and credential_ids else items)
        return
    for change in changes:
        _echo_change(change)


def _echo_change(change: StatusChange) -> None:
    """One credential's change, then what it did to each stack credential that counted it."""
    if not change.changed:
        typer.echo(
            f"{change.credential_id}: already {change.status}, nothing changed "
            f"(audit #{change.event_id})",
            err=True,
        )
        return
    typer.echo(
        f"{change.credential_id}: {change.previous_status} -> {change.status} "
        f"(audit #{change.event_id})",
        err=True,
    )
    if not change.status_lists:
        typer.echo(
            "  this credential was issued without status entries: only the revocation "
            "list export and its page show the change",
            err=True,
        )
    for effect in change.stacks:
        moved = (
            f"{effect.previous_status} -> {effect.status} (audit #{effect.event_id})"
            if effect.changed
            else str(effect.status)
        )
        typer.echo(
            f"  stack credential {effect.credential_id} ({effect.stack}): {effect.outcome}, "
            f"{moved}: {effect.detail}",
            err=True,
        )


@handle_errors
def revoke(
    reason: ReasonOption,
    credential_ids: IdArguments = None,
    from_file: FromFileOption = None,
    json_output: ChangeJsonOption = False,
) -> None:
    """Revoke credentials for good (revoking one again changes nothing). All or none."""
    _change(StatusAction.revoke, credential_ids, from_file, reason, json_output)


@handle_errors
def suspend(
    reason: ReasonOption,
    credential_ids: IdArguments = None,
    from_file: FromFileOption = None,
    json_output: ChangeJsonOption = False,
) -> None:
    """Suspend credentials until `microcred unsuspend` (not revoked ones). All or none."""
    _change(StatusAction.suspend, credential_ids, from_file, reason, json_output)


@handle_errors
def unsuspend(
    reason: ReasonOption,
    credential_ids: IdArguments = None,
    from_file: FromFileOption = None,
    json_output: ChangeJsonOption = False,
) -> None:
    """Lift suspensions (a revoked credential stays revoked). All or none."""
    _change(StatusAction.unsuspend, credential_ids, from_file, reason, json_output)


@status_app.command("events")
@handle_errors
def status_events(
    credential_id: Annotated[
        str | None, typer.Argument(metavar="ID", help="Only this credential's.")
    ] = None,
    issuer: IssuerFilter = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 10_000,
    json_output: JsonOption = False,
) -> None:
    """The audit log of status changes, oldest first: when, who, what, why."""
    from issuer.services import status as status_service

    with open_service() as (session, runtime):
        owner = optional_issuer(session, issuer)
        award = status_service.find_award(session, credential_id, owner) if credential_id else None
        rows = status_service.events(session, issuer=owner, award=award, limit=limit)
        views = [status_service.event_view(runtime, r) for r in rows]
    if json_output:
        echo_json([{**v.model_dump(), "at": format_datetime(v.at)} for v in views])
        return
    for view in views:
        change = (
            f"{view.previous_status}->{view.new_status}"
            if view.changed
            else f"(already {view.new_status})"
        )
        typer.echo(
            f"{format_datetime(view.at)}  {view.action:9} {change:22} "
            f"{view.credential_id.rsplit('/', 1)[-1]}  {view.actor}  {view.reason}"
        )


@status_app.command("export")
@handle_errors
def status_export(
    issuer: Annotated[str, typer.Option(metavar="SLUG", help="The issuer's slug.")],
    reasons: Annotated[
        bool, typer.Option(help="Include each revocation's reason (from the audit log).")
    ] = True,
) -> None:
    """Print the issuer's revocations as a 1EdTechRevocationList document."""
    from issuer.services import issuers
    from issuer.services import status as status_service

    with open_service() as (session, runtime):
        owner = issuers.get_issuer(session, issuer)
        document = status_service.export_revocation_list(
            session, runtime, owner, include_reasons=reasons
        )
    echo_json(document)


@status_app.command("lists")
@handle_errors
def status_lists(
    issuer: IssuerFilter = None,
    json_output: JsonOption = False,
) -> None:
    """The status lists: purpose, fill, set bits, and whether a re-signing is due."""
    from issuer.services import status as status_service

    with open_service() as (session, runtime):
        owner = optional_issuer(session, issuer)
        rows = status_service.list_summaries(session, runtime, issuer=owner)
    if json_output:
        echo_json(
            [
                {
                    k: format_datetime(v) if isinstance(v, datetime) else v
                    for k, v in r.model_dump().items()
                }
                for r in rows
            ]
        )
        return
    for row in rows:
        state = "full" if row.full else "open"
        due = "  (re-signed on next fetch)" if row.needs_signing else ""
        typer.echo(
            f"{row.url}  {row.issuer:24} {row.purpose:10} {state:4} "
            f"{row.allocated}/{row.size} allocated, {row.set} set{due}"
        )


@status_app.command("publish")
@handle_errors
def status_publish(
    force: Annotated[bool, typer.Option(help="Re-sign every list, not only stale ones.")] = False,
) -> None:
    """Re-sign the status lists that changed.

    A running server also does it on the next fetch of a list.
    """
    from issuer.services import status as status_service

    with open_service() as (session, runtime):
        urls = status_service.refresh_lists(session, runtime, force=force)
    typer.echo(f"signed {len(urls)} status list(s)", err=True)
    for url in urls:
        typer.echo(url)


def register(app: typer.Typer) -> None:
    """Attach the status commands to the ``microcred`` command."""
    app.command("revoke")(revoke)
    app.command("suspend")(suspend)
    app.command("unsuspend")(unsuspend)
    app.add_typer(status_app, name="status")
