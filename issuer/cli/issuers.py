"""``microcred issuer create|list|rotate-keys``: the organizations that issue, and their keys."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from issuer.choices import DidMethod
from issuer.cli.common import JsonOption, echo_json, fail, handle_errors, open_service
from microcred.exit_codes import EXIT_USAGE

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).

__all__ = ["issuer_app", "register"]

issuer_app = typer.Typer(help="Issuers and their keys.", no_args_is_help=True)


class JwtKeyChoice(StrEnum):
    p256 = "P-256"
    rsa = "RSA"


@issuer_app.command("create")
@handle_errors
def issuer_create(
    slug: Annotated[
        str, typer.Option(metavar="SLUG", help="URL slug, e.g. albuquerque-public-schools.")
    ],
    name: Annotated[str, typer.Option(help="The organization's name.")],
    url: Annotated[str | None, typer.Option(metavar="URL", help="Its web site.")] = None,
    email: Annotated[str | None, typer.Option(metavar="EMAIL", help="Contact email.")] = None,
    phone: Annotated[str | None, typer.Option(help="Contact phone.")] = None,
    description: Annotated[str | None, typer.Option(help="A description.")] = None,
    image: Annotated[
        str | None, typer.Option(metavar="URL", help="Logo URL (https or data:).")
    ] = None,
    parent: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Slug of the parent organization.")
    ] = None,
    other_identifier: Annotated[
        list[str] | None,
        typer.Option(metavar="TYPE=VALUE", help="e.g. ext:NCESDistrictID=3500060 (repeatable)."),
    ] = None,
    did_method: Annotated[DidMethod | None, typer.Option(help="web or key.")] = None,
    jwt_key: Annotated[
        JwtKeyChoice, typer.Option(help="VC-JWT key type: P-256 or RSA.")
    ] = JwtKeyChoice.p256,
    json_output: JsonOption = False,
) -> None:
    """Create an issuer with its DID and keys."""
    from issuer.models import IssuerCreate
    from issuer.services import issuers

    identifiers = []
    for entry in other_identifier or []:
        kind, sep, value = entry.partition("=")
        if not sep:
            raise fail(f"--other-identifier {entry!r} is not TYPE=VALUE", EXIT_USAGE)
        identifiers.append({"identifierType": kind, "identifier": value})
    data = IssuerCreate.model_validate(
        {
            "slug": slug,
            "name": name,
            "url": url,
            "email": email,
            "phone": phone,
            "description": description,
            "image": image,
            "parent": parent,
            "other_identifiers": identifiers,
            "did_method": did_method,
            "jwt_key_type": jwt_key.value,
        }
    )
    with open_service() as (session, runtime):
        row = issuers.create_issuer(session=session, runtime=runtime, data=data)
        view = issuers.issuer_public(session, runtime, row)
    if json_output:
        typer.echo(view.model_dump_json(indent=2))
    else:
        typer.echo(f"{view.slug}  {view.did}")


@issuer_app.command("list")
@handle_errors
def issuer_list(json_output: JsonOption = False) -> None:
    """Every issuer with its DID."""
    from issuer.services import issuers

    with open_service() as (session, runtime):
        views = [issuers.issuer_public(session, runtime, r) for r in issuers.list_issuers(session)]
    if json_output:
        echo_json([v.model_dump(mode="json") for v in views])
        return
    for view in views:
        typer.echo(f"{view.slug:40} {view.did}")


@issuer_app.command("rotate-keys")
@handle_errors
def issuer_rotate_keys(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="The issuer's slug.")],
) -> None:
    """Sign with new keys from now on; old credentials still verify.

    The old public keys stay published, so credentials they signed keep verifying.
    """
    from issuer.services import issuers

    with open_service() as (session, runtime):
        rows = issuers.rotate_keys(session=session, runtime=runtime, slug=slug)
        did = issuers.get_issuer(session, slug).did
    typer.echo(f"issuer {slug} now signs as {did} with:", err=True)
    for row in rows:
        typer.echo(f"{row.purpose:4} {row.key_type:8} {row.verification_method}")


def register(app: typer.Typer) -> None:
    """Attach ``issuer`` to the ``microcred`` command."""
    app.add_typer(issuer_app, name="issuer")
