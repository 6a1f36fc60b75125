"""``microcred verify``: verify credentials from files, badge links, JWS strings or stdin.

Exit status (the public contract), worst over every credential of every input:

====  ==========================================================================
0     every credential is valid
2     some verdict is indeterminate (a status list or key could not be had), none invalid
1     some credential is invalid
64    some input is unusable (not a credential in any form), or the arguments are wrong
====  ==========================================================================

The order of badness is valid < indeterminate < invalid < unusable. This module is the only
place verdicts are mapped to these numbers (style guide); the library returns reports, not exit
codes. Click's own usage errors (an unknown option, a missing INPUT) exit 64 too, through the
``microcred`` root group (:mod:`microcred.command_tree`), as for every command.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from keys.errors import FetchBlocked, FetchError
from microcred.exit_codes import EXIT_INDETERMINATE, EXIT_INVALID, EXIT_USAGE, EXIT_VALID
from schemas.dates import as_utc, parse_datetime
from verifier.inputs import MAX_INPUT_BYTES
from verifier.report import CHECK_LABELS, Outcome, Verdict, VerificationReport, headline

# The verifier itself (pyld, cryptography, the fetcher), its settings (pydantic) and rich are
# imported where used: `microcred --help` reads this module and should not pay for them, and
# `verify FILE` imports only what verifying needs (not the stack rules unless --stack).
if TYPE_CHECKING:
    from rich.console import Console

    from verifier.service import Expectations, Verifier

__all__ = [
    "EXIT_INDETERMINATE",
    "EXIT_INVALID",
    "EXIT_USAGE",
    "EXIT_VALID",
    "exit_status",
    "register",
]


_OUTCOME_STYLE = {
    Outcome.PASSED: ("✔ passed", "green"),
    Outcome.FAILED: ("✘ failed", "bold red"),
    Outcome.WARNING: ("! warning", "yellow"),
    Outcome.INDETERMINATE: ("? unknown", "magenta"),
    Outcome.SKIPPED: ("– skipped", "dim"),
}
#: The headline's tone (:func:`verifier.report.headline`) as a terminal style; the words are
#: the headline's own, so the CLI says what the page says.
_TONE_STYLE = {
    "ok": "bold white on green",
    "warn": "bold black on yellow",
    "bad": "bold white on red",
    "unknown": "bold black on white",
}
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.ASCII)


def exit_status(reports: list[VerificationReport]) -> int:
    """The contract's exit status for a run: the worst outcome over all reports."""
    worst = EXIT_VALID
    rank = {EXIT_VALID: 0, EXIT_INDETERMINATE: 1, EXIT_INVALID: 2, EXIT_USAGE: 3}
    for report in reports:
        if report.unusable:
            status = EXIT_USAGE
        elif report.verdict is Verdict.INVALID:
            status = EXIT_INVALID
        elif report.verdict is Verdict.INDETERMINATE:
            status = EXIT_INDETERMINATE
        else:
            status = EXIT_VALID
        if rank[status] > rank[worst]:
            worst = status
    return worst


def _usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _parse_at(value: str | None) -> datetime:
    """``--at``: the instant to verify at, in UTC (no zone: UTC); now when not given."""
    if value is None:
        return datetime.now(UTC)
    moment = parse_datetime(value)
    if moment is None:
        raise _usage(f"--at expects an ISO 8601 date-time, got {value!r}")
    return as_utc(moment)


def _read_limited(stream: IO[bytes]) -> bytes:
    return stream.read(MAX_INPUT_BYTES + 1)


def _is_file(arg: str) -> bool:
    try:
        return Path(arg).is_file()
    except (OSError, ValueError):  # a JWS is a valid argument and an overlong file name
        return False


def _read_input(
    arg: str, verifier: Verifier, now: datetime
) -> tuple[bytes | str, str] | VerificationReport:
    """One INPUT's bytes and a name for it (stdin, URL, file or JWS string), or the report of
    an input that cannot be had."""
    from verifier.pipeline import unusable_report

    if arg == "-":
        return _read_limited(sys.stdin.buffer), "stdin"
    if arg.lower().startswith(("https://", "http://")):
        try:
            return verifier.fetch_badge(arg), arg
        except FetchBlocked as error:
            return unusable_report(f"The badge link was refused: {error}", source=arg, now=now)
        except FetchError as error:
            return unusable_report(
                f"The badge link could not be retrieved: {error}",
                source=arg,
                now=now,
                outcome=Outcome.INDETERMINATE,
            )
    if _is_file(arg):
        with Path(arg).open("rb") as handle:
            return _read_limited(handle), arg
    if _JWS.fullmatch(arg.strip()):
        return arg, "JWS argument"
    return unusable_report(
        f"{arg!r} is not a file, an http(s) URL, a compact JWS, or '-' for stdin.",
        source=arg,
        now=now,
    )


def _verify_input(
    arg: str, verifier: Verifier, *, now: datetime, expect: Expectations
) -> list[VerificationReport]:
    """Read one INPUT (stdin, URL, file or JWS string) and verify what it holds."""
    read = _read_input(arg, verifier, now)
    if isinstance(read, VerificationReport):
        return [read]
    data, source = read
    return verifier.verify_many(data, source=source, now=now, expect=expect)


# --------------------------------------------------------------------------- rendering


def _summary_rows(report: VerificationReport) -> list[tuple[str, str]]:
    credential = report.credential
    issuer = credential.get("issuer") or {}
    subject = credential.get("subject") or {}
    achievement = credential.get("achievement") or {}
    rows: list[tuple[str, str]] = []
    if credential.get("name") or achievement.get("name"):
        rows.append(("Credential", str(credential.get("name") or achievement.get("name"))))
    if issuer.get("id"):
        name = issuer.get("name")
        rows.append(("Issuer", f"{name} ({issuer['id']})" if name else issuer["id"]))
    if subject.get("id") or subject.get("identifier"):
        kinds = ", ".join(
            f"{'hashed ' if i.get('hashed') else ''}{i.get('identityType')}"
            for i in subject.get("identifier", [])
        )
        rows.append(("Recipient", subject.get("id") or f"identified by {kinds}"))
    if achievement.get("id"):
        kind = achievement.get("achievementType")
        rows.append(("Achievement", f"{achievement['id']}" + (f" ({kind})" if kind else "")))
    if credential.get("validFrom") or credential.get("validUntil"):
        rows.append(
            (
                "Valid",
                f"from {credential.get('validFrom') or '?'} until "
                f"{credential.get('validUntil') or 'no expiry'}",
            )
        )
    rows.append(("Source", report.source))
    return rows


def render(report: VerificationReport, console: Console) -> None:
    """The readable report: verdict, who/what/when, and every check in plain words."""
    from rich.table import Table
    from rich.text import Text

    words = headline(report)
    title = report.credential.get("name") or report.credential["achievement"].get("name")
    console.print(Text(f" {words.text} ", style=_TONE_STYLE[words.tone]), end=" ")
    console.print(Text(title or report.source, style="bold"))
    if not report.unusable:
        console.print(Text.assemble(("  Trust       ", "dim"), words.recognition))
    for name, value in _summary_rows(report):
        console.print(Text.assemble((f"  {name:<12}", "dim"), str(value)))
    table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
    table.add_column("Check")
    table.add_column("Outcome", no_wrap=True)
    table.add_column("What it means")
    for check in report.checks:
        text, outcome_style = _OUTCOME_STYLE[check.outcome]
        table.add_row(
            CHECK_LABELS.get(check.id, str(check.id)),
            Text(text, outcome_style),
            # Messages quote what the credential says (names, URLs, terms): never markup.
            Text(check.message),
        )
    console.print(table)


# --------------------------------------------------------------------------- the command


def verify_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="A file (.json, .jwt/.jws, baked .png/.svg), an http(s) badge link, a compact "
            "JWS, or - for stdin.",
            show_default=False,
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON report (an array for several).")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="ISO-8601", help="Verify as of this instant, not now."),
    ] = None,
    preload: Annotated[
        list[str] | None,
        typer.Option(
            "--preload",
            metavar="URL=FILE",
            help="Serve URL from FILE instead of the network (offline verification).",
        ),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context",
            metavar="URL=FILE",
            help="Add a JSON-LD context microcred does not bundle, read from FILE and pinned by "
            "its SHA-256 (repeatable).",
        ),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", metavar="FILE", help="A trust list (see verifier/TRUST_LISTS.md)."),
    ] = None,
    recipient: Annotated[
        str | None,
        typer.Option(
            "--recipient", metavar="EMAIL", help="Check the credential was issued to this."
        ),
    ] = None,
    allow_http_localhost: Annotated[
        bool,
        typer.Option("--allow-http-localhost", help="Allow plain http to localhost (development)."),
    ] = False,
    allow_private_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-private-host",
            metavar="HOST",
            help="A host name that may resolve to a private address (an internal registry).",
        ),
    ] = None,
    challenge: Annotated[
        str | None,
        typer.Option("--challenge", help="The challenge a presentation's holder proof must carry."),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option("--domain", help="The domain a presentation's holder proof must carry."),
    ] = None,
    stack: Annotated[
        bool,
        typer.Option(
            "--stack",
            help="Verify the inputs together as one stack-completion claim: a stack credential "
            "and/or its components (see verifier/README.md, Stacks).",
        ),
    ] = False,
    rule: Annotated[
        str | None,
        typer.Option(
            "--rule",
            metavar="FILE|URL",
            help="With --stack: the stack rule to judge by (default: the stack credential's).",
        ),
    ] = None,
) -> None:
    """Verify Open Badges 3.0 credentials and report every check.

    Exits with the worst of all inputs' statuses: valid, indeterminate, invalid, unusable
    (the numbers: microcred --help).
    """
    from verifier.service import Expectations, Verifier
    from verifier.settings import VerifierSettings

    if rule is not None and not stack:
        raise _usage("--rule is for stack claims: add --stack")
    now = _parse_at(at)
    try:
        # The flags are the settings; the limits (HTTP only) may come from the environment.
        settings = VerifierSettings(
            trust_lists=trust or [],
            allow_http_localhost=allow_http_localhost,
            allowed_private_hosts=allow_private_host or [],
            preloads=preload or [],
            contexts=context or [],
        )
        verifier = Verifier.from_settings(settings)
    except ValueError as error:  # a bad --preload, --context or --trust (TrustListError is one)
        raise _usage(str(error)) from None
    expect = Expectations(recipient=recipient, challenge=challenge, domain=domain)
    reports: list[VerificationReport] = []
    with verifier:
        if stack:
            from verifier.stack_cli import RuleUnusable, run_stack

            try:
                reports.append(
                    run_stack(
                        inputs,
                        verifier,
                        rule=rule,
                        read=lambda arg: _read_input(arg, verifier, now),
                        now=now,
                        expect=expect,
                    )
                )
            except RuleUnusable as error:
                raise _usage(str(error)) from None
        else:
            for arg in inputs:
                reports.extend(_verify_input(arg, verifier, now=now, expect=expect))
    if as_json:
        payload: Any = (
            reports[0].to_json()
            if stack or (len(inputs) == 1 and len(reports) == 1)
            else [r.to_json() for r in reports]
        )
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=False, emoji=False)
        for index, report in enumerate(reports):
            if index:
                console.print()
            render(report, console)
            if stack:
                from verifier.stack_cli import render_checklist

                render_checklist(report, console)
    raise typer.Exit(exit_status(reports))


def register(app: typer.Typer) -> None:
    """Attach ``verify`` to the ``microcred`` command."""
    app.command("verify", no_args_is_help=True)(verify_command)
