"""``microcred push``: send a credential to the educator's own OB 3.0 Host ("backpack").

``microcred push ID --host URL`` starts a push (:func:`issuer.services.ob_consumer.start_push`:
discovery, registration with the Host once, a PKCE authorization request) and prints the
authorization URL on stdout: give it to the educator, who opens it, signs in at their Host and
allows it. The Host then sends their browser to this service's ``/ob-api/callback``, which
completes the push — so the service must be running at its base URL. The URL works once, for
10 minutes. ``microcred push ID --status`` lists the credential's pushes and how each ended.

Requests to the Host go through the guarded fetcher under the verifier's address policy
(``MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST``, ``MICROCRED_VERIFIER_ALLOWED_PRIVATE_HOSTS``).

Exit statuses: 0 done; 1 refused (no such credential, a revoked one, the Host refused or could
not be reached: the ``error:`` line says which); 64 neither ``--host`` nor ``--status``; 69 no
usable data directory or database.
"""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.cli.common import CredentialId, JsonOption, echo_json, fail, handle_errors, open_service
from microcred.exit_codes import EXIT_USAGE

__all__ = ["push", "register"]


@handle_errors
def push(
    credential_id: CredentialId,
    host: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="The educator's Host: its site, its /ims/ob/v3p0 API base or discovery URL.",
        ),
    ] = None,
    jwt: Annotated[
        bool, typer.Option("--jwt", help="Send the VC-JWT (text/plain), not the JSON credential.")
    ] = False,
    status: Annotated[
        bool, typer.Option("--status", help="List this credential's pushes instead.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Send a credential to the educator's own OB 3.0 Host (their backpack).

    Prints the Host's consent URL for the educator; the service's callback completes it.
    """
    if status == (host is not None):
        raise fail("give either --host URL (start a push) or --status (list pushes)", EXIT_USAGE)
    from issuer.models.ob_consumer import PushFormat
    from issuer.services import ob_consumer
    from issuer.services.status import find_award
    from keys.fetch import GuardedFetcher
    from schemas.dates import format_datetime
    from verifier.settings import VerifierSettings

    with open_service() as (session, runtime):
        row = find_award(session, credential_id)
        if status:
            pushes = [
                {
                    "host": api_url,
                    "status": item.status,
                    "format": item.format,
                    "answer_status": item.answer_status,
                    "answer": item.answer_description,
                    "created": format_datetime(item.created),
                    "finished": format_datetime(item.finished_at) if item.finished_at else None,
                }
                for item, api_url in ob_consumer.pushes_of(session, award_id=row.id)
            ]
            if as_json:
                echo_json(pushes)
                return
            if not pushes:
                typer.echo(f"credential {row.id} was never pushed", err=True)
            for entry in pushes:
                said = f" {entry['answer_status'] or ''} {entry['answer'] or ''}".rstrip()
                typer.echo(f"{entry['created']}  {entry['status']:<7}  {entry['host']}{said}")
            return
        assert host is not None
        settings = VerifierSettings()  # read now: the environment of this run
        with GuardedFetcher(
            allow_http_localhost=settings.allow_http_localhost,
            allowed_private_hosts=settings.allowed_private_hosts,
        ) as fetcher:
            url = ob_consumer.start_push(
                session,
                runtime,
                award=row,
                host_url=host,
                now=runtime.clock(),
                fetcher=fetcher,
                format=PushFormat.jwt if jwt else PushFormat.json,
            )
        if as_json:
            echo_json({"authorization_url": url, "callback": ob_consumer.callback_url(runtime)})
            return
        typer.echo(url)
        typer.echo(
            "give this URL to the educator: they sign in at their Host and allow it, and "
            f"{ob_consumer.callback_url(runtime)} completes the push (within 10 minutes; the "
            "service must be running there)",
            err=True,
        )


def register(app: typer.Typer) -> None:
    """Attach ``push`` to the ``microcred`` command."""
    app.command("push")(push)
