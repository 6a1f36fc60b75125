"""``microcred qr``, ``microcred bake`` and ``microcred unbake``: sharing from the command line.

``qr`` and ``bake`` (with a credential id) read the data directory like the other issuing
commands (:mod:`issuer.cli.common`); ``bake`` with a credential file and ``unbake`` need no data
directory at all — an office can bake or read any issuer's badge with them. Output for scripts
(the unbaked credential) goes to stdout, notices to stderr.

Exit statuses: 0 done; 1 the image carries no credential / the credential does not exist;
64 unusable input or arguments (not a PNG or SVG, corrupt image, not a credential), as for
``microcred verify``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from issuer.cli.common import CredentialId, fail, handle_errors, open_service, read_bytes
from microcred.exit_codes import EXIT_USAGE
from schemas.baking import MAX_INPUT_BYTES, PNG_SIGNATURE, BakingError, bake_png, bake_svg, unbake

__all__ = ["bake", "qr", "register", "unbake_command"]


class Payload(StrEnum):
    json = "json"
    jwt = "jwt"


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise fail(f"{path}: the output must be a .png or .svg file", EXIT_USAGE)
    return suffix[1:]


def _read(path: Path, what: str) -> bytes:
    """An image or credential file, refused above the size baking accepts."""
    return read_bytes(path, limit=MAX_INPUT_BYTES, what=what)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise fail(f"cannot write {path}: {error.strerror or error}", EXIT_USAGE) from None


def _stored(reference: str) -> tuple[str, str, str]:
    """``(badge link, credential JSON, VC-JWT)`` of a credential this service issued."""
    from issuer.services.status import find_award  # the database: only for a stored credential

    with open_service() as (session, _):
        row = find_award(session, reference)
        return str(json.loads(row.credential)["id"]), row.credential, row.credential_jwt


@handle_errors
def qr(
    credential_id: CredentialId,
    out: Annotated[Path, typer.Option("--out", "-o", help="FILE.png or FILE.svg to write.")],
    box_size: Annotated[
        int, typer.Option(help="PNG pixels per module (10 prints at 2.5 cm or more).", min=4)
    ] = 10,
) -> None:
    """Write a QR code of a credential's badge link, as a PNG or SVG file.

    Error correction level Q, with a 4-module quiet border.
    """
    from issuer.services.sharing import qr_png, qr_svg  # qrcode and PIL: only here

    kind = _kind(out)
    link, _, _ = _stored(credential_id)
    _write(out, qr_png(link, box_size=box_size) if kind == "png" else qr_svg(link))
    typer.echo(f"wrote {out}: QR code of {link}", err=True)


def _credential_text(credential: str, payload: Payload) -> str:
    """The credential to bake: a .json / .jwt file's text, or a stored credential by id."""
    path = Path(credential)
    if path.is_file():
        text = _read(path, "credential").decode("utf-8-sig", "replace").strip()
        if payload is Payload.jwt and text.startswith("{"):
            raise fail(
                f"{path} holds JSON; --format jwt bakes a stored credential's JWT", EXIT_USAGE
            )
        return text
    if path.suffix.lower() in (".json", ".jwt", ".jws", ".txt"):
        raise fail(f"no such file: {path}", EXIT_USAGE)
    _, document, token = _stored(credential)
    return token if payload is Payload.jwt else document


@handle_errors
def bake(
    image: Annotated[Path, typer.Argument(help="The badge image: a PNG or SVG file.")],
    credential: Annotated[
        str,
        typer.Argument(help="A .json or .jwt credential file, or the id of a stored credential."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the baked image.")],
    payload: Annotated[
        Payload, typer.Option("--format", help="For a stored credential: bake its JSON or JWT.")
    ] = Payload.json,
) -> None:
    """Bake a credential into a badge image (replacing one already baked in it)."""
    data = _read(image, "image")
    text = _credential_text(credential, payload)
    try:
        if data.startswith(PNG_SIGNATURE):
            baked, kind = bake_png(data, text), "png"
        else:
            baked, kind = bake_svg(data, text).encode("utf-8"), "svg"
    except BakingError as error:
        raise fail(f"cannot bake into {image}: {error}", EXIT_USAGE) from None
    if out.suffix.lower() not in ("", f".{kind}"):
        typer.echo(f"note: {image} is a {kind.upper()}; writing it to {out} anyway", err=True)
    _write(out, baked)
    typer.echo(f"wrote {out}: {image.name} with the credential baked in", err=True)


def unbake_command(
    image: Annotated[Path, typer.Argument(help="A baked PNG or SVG badge image.")],
) -> None:
    """Print the credential baked into a badge image (JSON or compact JWS, as baked)."""
    data = _read(image, "image")
    try:
        found = unbake(data)
    except BakingError as error:
        raise fail(f"{image}: {error}", EXIT_USAGE) from None
    if found is None:
        if not data.startswith(PNG_SIGNATURE) and b"<svg" not in data[:4096]:
            raise fail(f"{image} is neither a PNG nor an SVG image", EXIT_USAGE)
        raise fail(f"{image} carries no Open Badges credential")
    typer.echo(found[1])


def register(app: typer.Typer) -> None:
    """Attach ``qr``, ``bake`` and ``unbake`` to the ``microcred`` command."""
    app.command("qr")(qr)
    app.command("bake")(bake)
    app.command("unbake")(unbake_command)
