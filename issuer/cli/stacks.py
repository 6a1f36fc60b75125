"""``microcred submit`` and ``microcred stacks``: stacks from the command line.

* ``microcred submit FILE|URL... --recipient-email E`` — component credentials issued elsewhere
  (a JSON credential, a JWS, a baked badge, a presentation, or a badge link), verified with the
  verifier's settings (``MICROCRED_VERIFIER_TRUST_LISTS`` decides which universities count for
  "any trusted issuer"), stored for the educator, and the stacks they complete issued.
* ``microcred stacks list|rule|progress|check`` — the stacks and their rules, how far an
  educator is, and issuing whatever stack credential an educator has earned and lacks.

Like the other issuing commands they work on the data directory directly. Exit statuses: 0
done; 1 nothing counted / not found; 64 unusable input or arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from issuer.cli.common import (
    JsonOption,
    echo_json,
    fail,
    handle_errors,
    open_service,
    read_bytes,
)
from keys.errors import FetchBlocked, FetchError
from microcred.exit_codes import EXIT_INVALID, EXIT_USAGE
from verifier.inputs import MAX_INPUT_BYTES

# The database, the services and the verifier are imported by each command when it runs:
# `microcred --help` reads this module's signatures and should not pay for them.
if TYPE_CHECKING:
    from schemas.stack_eval import RequirementResult
    from verifier.service import Verifier

__all__ = ["register", "stacks_app", "submit"]

_MARK = {"met": "✔", "unmet": "✘", "indeterminate": "?"}

stacks_app = typer.Typer(help="Stacks: their rules, educators' progress.", no_args_is_help=True)

StackSlug = Annotated[str, typer.Argument(metavar="SLUG", help="The stack's slug.")]
EducatorOption = Annotated[str, typer.Option(metavar="EMAIL", help="The educator's email.")]


def _read(arg: str, verifier: Verifier) -> bytes:
    if arg.lower().startswith(("https://", "http://")):
        try:
            return verifier.fetch_badge(arg)
        except FetchBlocked as error:
            raise fail(f"{arg}: the badge link was refused: {error}", EXIT_USAGE) from None
        except FetchError as error:
            raise fail(f"{arg}: the badge link could not be retrieved: {error}") from None
    return read_bytes(Path(arg), limit=MAX_INPUT_BYTES, what="credential")


@handle_errors
def submit(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE|URL...", help="Credentials issued elsewhere: files or badge links."
        ),
    ],
    recipient_email: Annotated[
        str, typer.Option(metavar="EMAIL", help="The educator they were issued to.")
    ],
    recipient_name: Annotated[
        str | None, typer.Option(help="The educator's name (for a stack credential).")
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            metavar="SLUG", help="The issuer whose stacks they count toward (default: first)."
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Submit component credentials issued elsewhere: verified, stored, stacks issued."""
    from issuer.services import issuers, stacks
    from issuer.services.awards import award_public
    from verifier.service import Verifier
    from verifier.settings import VerifierSettings

    verifier = Verifier.from_settings(VerifierSettings())
    accepted_any = False
    results: list[dict[str, Any]] = []
    try:
        with open_service() as (session, runtime):
            owner = (
                issuers.get_issuer(session, issuer) if issuer else issuers.list_issuers(session)[0]
            )
            for arg in inputs:
                data = _read(arg, verifier)
                outcome = stacks.submit_components(
                    session=session,
                    runtime=runtime,
                    issuer=owner,
                    recipient_email=recipient_email,
                    recipient_name=recipient_name,
                    data=data,
                    verifier=verifier,
                    actor="cli:submit",
                    source=arg,
                )
                accepted_any |= bool(outcome.accepted)
                results.append(
                    {
                        "input": arg,
                        "accepted": [
                            stacks.submission_public(r).model_dump(mode="json")
                            for r in outcome.accepted
                        ],
                        "rejected": [
                            {k: v for k, v in r.items() if k != "report"} for r in outcome.rejected
                        ],
                        "stacks_issued": [
                            award_public(session, r).url for r in outcome.stacks_issued
                        ],
                    }
                )
    finally:
        verifier.close()
    if json_output:
        echo_json(results)
    else:
        for result in results:
            for row in result["accepted"]:
                typer.echo(f"accepted  {row['achievement_name']}  ({row['credential_id']})")
            for row in result["rejected"]:
                typer.echo(f"refused   {row['source']}: {row['reason']}", err=True)
                for problem in row["problems"][:5]:
                    typer.echo(f"          {problem}", err=True)
            for url in result["stacks_issued"]:
                typer.echo(f"issued    stack credential {url}")
    if not accepted_any:
        raise typer.Exit(EXIT_INVALID)


@stacks_app.command("list")
@handle_errors
def stacks_list(json_output: JsonOption = False) -> None:
    """The current version of every stack, with its rule's URL."""
    from issuer.services import stacks

    with open_service() as (session, _):
        views = [stacks.stack_public(session, s) for s in stacks.list_stacks(session)]
    if json_output:
        echo_json([v.model_dump(mode="json") for v in views])
        return
    for view in views:
        typer.echo(f"{view.slug:30} v{view.version:<3} {view.achievement['name']}  {view.rule_url}")


@stacks_app.command("rule")
@handle_errors
def stacks_rule(
    slug: StackSlug,
    version: Annotated[int | None, typer.Option(help="A version (default: current).")] = None,
) -> None:
    """Print a stack's rule as published (canonical JSON, what credentials pin)."""
    from issuer.services import stacks

    with open_service() as (session, _):
        typer.echo(stacks.get_stack(session, slug, version).record.rule)


def _checklist(results: list[RequirementResult], depth: int = 0) -> None:
    for result in results:
        typer.echo(f"{'  ' * (depth + 1)}{_MARK[result.status]} {result.name} — {result.reason}")
        _checklist(list(result.children), depth + 1)


@stacks_app.command("progress")
@handle_errors
def stacks_progress(
    slug: StackSlug,
    recipient_email: EducatorOption,
    json_output: JsonOption = False,
) -> None:
    """How far an educator is along a stack: each requirement met or not, and why."""
    from issuer.services import stacks

    with open_service() as (session, _):
        stack = stacks.get_stack(session, slug)
        evaluation = stacks.progress(session, stack, recipient_email)
    if json_output:
        echo_json(evaluation.to_json())
        return
    typer.echo(f"{stack.rule.name}: {evaluation.status}")
    _checklist(list(evaluation.requirements))


@stacks_app.command("check")
@handle_errors
def stacks_check(recipient_email: EducatorOption) -> None:
    """Issue the stack credentials an educator has earned and lacks.

    Normally done automatically after each award; this repairs an attempt that failed.
    """
    from issuer.services import stacks
    from issuer.services.awards import award_public

    with open_service() as (session, runtime):
        issued = stacks.issue_completed_stacks(
            session=session, runtime=runtime, recipient_email=recipient_email
        )
        urls = [award_public(session, row).url for row in issued]
    for url in urls:
        typer.echo(url)
    typer.echo(f"{len(urls)} stack credential(s) issued", err=True)


def register(app: typer.Typer) -> None:
    """Attach ``submit`` and ``stacks`` to the ``microcred`` command."""
    app.command("submit")(submit)
    app.add_typer(stacks_app, name="stacks")
