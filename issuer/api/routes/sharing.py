"""Sharing a credential: baked badge images, QR codes, the printable certificate, and baking.

Public, like the badge link itself (:mod:`issuer.api.routes.public`), and nothing here reveals
more than the credential already does: a baked image carries the credential as signed.

* ``GET /credentials/{id}/badge.png`` and ``/badge.svg``: the achievement's image with the
  credential baked in (OB 3.0 §5.3), JSON by default, the VC-JWT with ``?format=jwt``; served
  as a download (``Content-Disposition: attachment``).
* ``GET /credentials/{id}/qr.png`` and ``/qr.svg``: the QR code of the badge link.
* ``GET /credentials/{id}/certificate``: one printable page with the QR code.

A revoked or suspended credential (:data:`issuer.services.sharing.WITHHELD`) has no
certificate (410 for revoked, 409 for suspended, each a page saying why) and its badge images
are greyscale, marked with its state; they are revalidated on every use (``no-cache``), since a
credential's state can change after the image was first fetched.
* ``POST /api/bake``: bake any credential (JSON or JWS) into any PNG or SVG (multipart ``image``
  and ``credential``); the counterpart of ``microcred bake`` for scripts that have no CLI.
  The result is an attachment; an SVG with script, event handlers, ``javascript:`` URLs,
  ``<foreignObject>`` or external references is refused with 422 (``schemas.svg_safety``).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response

from issuer.api.badge_page import certificate_page
from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.responses import BINARY, NOT_FOUND, TEXT, TOO_LARGE, served, validation_error
from issuer.models import Award
from issuer.services.awards import get_award
from issuer.services.errors import InvalidInput, NotFound
from issuer.services.sharing import ImageKind, baked_badge, download_name, qr_png, qr_svg
from schemas.baking import MAX_INPUT_BYTES, PNG_SIGNATURE, BakingError, bake_png, bake_svg

__all__ = ["router"]

router = APIRouter(tags=["sharing"])

#: A credential never changes once issued, so neither do its QR codes.
_IMMUTABLE = {"Cache-Control": "public, max-age=86400"}
#: Its badge images do, when it is revoked or suspended: caches ask again every time.
_REVALIDATE = {"Cache-Control": "no-cache"}
_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


def _award(session: SessionDep, credential_id: str) -> Award:
    try:
        return get_award(session, uuid.UUID(credential_id))
    except ValueError:
        raise NotFound(f"no credential {credential_id!r}") from None


def _image(kind: ImageKind, description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of an image route: the image, or 404 for an unknown credential."""
    return served(description, {_MEDIA[kind]: BINARY}, NOT_FOUND)


PayloadQuery = Annotated[
    Literal["json", "jwt"],
    Query(alias="format", description="Bake the JSON credential (default) or its VC-JWT"),
]
DownloadQuery = Annotated[bool, Query(description="Serve the QR code as an attachment")]


def _badge(session: SessionDep, credential_id: str, kind: ImageKind, payload: str) -> Response:
    row = _award(session, credential_id)
    body = baked_badge(row, kind, "jwt" if payload == "jwt" else "json")
    name = download_name(row, kind if payload == "json" else f"jwt.{kind}")
    headers = {**_REVALIDATE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=_MEDIA[kind], headers=headers)


@router.get(
    "/credentials/{credential_id}/badge.png",
    summary="The badge image (PNG) with the credential baked in",
    response_class=Response,
    responses=_image("png", "The PNG, as a download"),
)
def badge_png(credential_id: str, session: SessionDep, payload: PayloadQuery = "json") -> Response:
    """The achievement's image with this credential in an ``iTXt`` chunk, as a download."""
    return _badge(session, credential_id, "png", payload)


@router.get(
    "/credentials/{credential_id}/badge.svg",
    summary="The badge image (SVG) with the credential baked in",
    response_class=Response,
    responses=_image("svg", "The SVG, as a download"),
)
def badge_svg(credential_id: str, session: SessionDep, payload: PayloadQuery = "json") -> Response:
    """The achievement's image with this credential in ``<openbadges:credential>``."""
    return _badge(session, credential_id, "svg", payload)


def _qr(session: SessionDep, credential_id: str, kind: ImageKind, download: bool) -> Response:
    row = _award(session, credential_id)
    link = str(json.loads(row.credential)["id"])
    body = qr_png(link) if kind == "png" else qr_svg(link)
    headers = dict(_IMMUTABLE)
    if download:
        name = download_name(row, f"qr.{kind}")
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, media_type=_MEDIA[kind], headers=headers)


@router.get(
    "/credentials/{credential_id}/qr.png",
    summary="A QR code (PNG) of the badge link",
    response_class=Response,
    responses=_image("png", "The QR code"),
)
def qr_code_png(
    credential_id: str, session: SessionDep, download: DownloadQuery = False
) -> Response:
    """The QR code of the credential's badge link (its id URL): 10 px modules, level Q."""
    return _qr(session, credential_id, "png", download)


@router.get(
    "/credentials/{credential_id}/qr.svg",
    summary="A QR code (SVG) of the badge link",
    response_class=Response,
    responses=_image("svg", "The QR code"),
)
def qr_code_svg(
    credential_id: str, session: SessionDep, download: DownloadQuery = False
) -> Response:
    """The QR code of the credential's badge link, 1 mm per module when printed."""
    return _qr(session, credential_id, "svg", download)


@router.get(
    "/credentials/{credential_id}/certificate",
    summary="A printable one-page certificate with the QR code",
    response_class=Response,
    responses=served(
        "The page",
        {"text/html": TEXT},
        NOT_FOUND,
        {
            409: {
                "description": "The credential is suspended: no certificate while it is",
                "content": {"text/html": {"schema": TEXT}},
            },
            410: {
                "description": "The credential is revoked: no certificate",
                "content": {"text/html": {"schema": TEXT}},
            },
        },
    ),
)
def certificate(
    credential_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """One page for offices that file paper: the verdict as of now, and the QR to recheck."""
    row = _award(session, credential_id)
    return certificate_page(request, runtime, request.app.state.verifier, row, session=session)


#: The certificate's Print button. A file of this origin, not an inline ``onclick``: the pages'
#: CSP (verifier.security_headers) runs no inline script.
_PRINT_JS = (
    "document.querySelectorAll('[data-print]')"
    ".forEach(b => b.addEventListener('click', () => window.print()));\n"
)


@router.get("/assets/print.js", include_in_schema=False)
def print_script() -> Response:
    """The certificate page's one script: its Print button."""
    return Response(_PRINT_JS, media_type="text/javascript", headers=_IMMUTABLE)


async def _read_upload(upload: UploadFile, what: str) -> bytes:
    """An uploaded file's bytes; 413 when it is larger than a baked badge may be."""
    data = await upload.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"{what} is larger than {MAX_INPUT_BYTES}"
        )
    return data


@router.post(
    "/api/bake",
    summary="Bake a credential into a PNG or SVG image",
    response_class=Response,
    responses={
        **served(
            "The image with the credential baked in, as a download",
            {media: BINARY for media in _MEDIA.values()},
            TOO_LARGE,
        ),
        422: validation_error(
            "Not a PNG or SVG, an SVG with script, event handlers or external references, or "
            "not a credential (JSON object or JWS)"
        ),
    },
)
async def bake(
    image: Annotated[UploadFile, File(description="A PNG or SVG image")],
    credential: Annotated[
        str | None, Form(description="The credential: JSON text or a compact JWS")
    ] = None,
    credential_file: Annotated[
        UploadFile | None, File(description="The credential as a file (instead of the field)")
    ] = None,
) -> Response:
    """The image with the credential in it; re-baking replaces a credential already there."""
    data = await _read_upload(image, "the image")
    if credential_file is not None:
        text = (await _read_upload(credential_file, "the credential")).decode("utf-8", "replace")
    elif credential is not None:
        text = credential
    else:
        raise InvalidInput(("credential",), "give the credential as the 'credential' field or file")
    text = text.strip()
    kind: ImageKind = "png" if data.startswith(PNG_SIGNATURE) else "svg"
    try:
        baked = bake_png(data, text) if kind == "png" else bake_svg(data, text).encode("utf-8")
    except BakingError as error:
        raise InvalidInput(("image",), f"cannot bake: {error}") from None
    # A download, never a page: the SVG is the caller's (the security-headers middleware adds
    # nosniff and a CSP that forbids script; bake_svg refused script and external references).
    headers = {"Content-Disposition": f'attachment; filename="baked.{kind}"'}
    return Response(baked, media_type=_MEDIA[kind], headers=headers)
