"""Public documents: credentials, achievements, issuer profiles, DID documents, JWKS.

No authentication, and nothing beyond what a credential itself says: the email only as the
salted hash already inside the credential, evidence only as published in it, no assessor.
Each URL here is one an id we signed points to (see :mod:`issuer.urls`), so these paths are a
contract with every credential already issued.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlmodel import select

from issuer.api.badge_page import credential_page
from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.errors import database_unavailable
from issuer.api.pages import badge_svg, criteria_links, html_page
from issuer.api.responses import NOT_ACCEPTABLE, NOT_FOUND, OBJECT, TEXT, served
from issuer.db import ping
from issuer.models import CatalogAchievement, DidMethod, Issuer
from issuer.services import catalog, issuers
from issuer.services.awards import get_award
from issuer.services.errors import NotFound
from issuer.services.favicon import favicon_ico, favicon_svg
from microcred.i18n import add_vary, choose_language
from verifier.negotiation import best_match

router = APIRouter(tags=["public"])

_CREDENTIAL_OFFERS = (
    "text/html",
    "application/vc+ld+json",
    "application/ld+json",
    "application/json",
    "application/vc+jwt",
    "application/jwt",
    "text/plain",
)
_JSON_OFFERS = ("text/html", "application/ld+json", "application/json")
_JWT_TYPES = {"application/vc+jwt", "application/jwt", "text/plain"}
_VERSION = re.compile(r"^v([1-9][0-9]{0,5})(\.json)?$")
_CACHE_KEYS = {"Cache-Control": "public, max-age=300"}
#: Achievement versions and issuer profiles: OB JSON, or the page.
_JSON_OR_PAGE = {
    "text/html": TEXT,
    "application/ld+json": OBJECT,
    "application/json": OBJECT,
}


def _split_suffix(ref: str) -> tuple[str, str | None]:
    for suffix in (".json", ".jwt"):
        if ref.endswith(suffix):
            return ref[: -len(suffix)], suffix
    return ref, None


def _not_acceptable() -> HTTPException:
    return HTTPException(status.HTTP_406_NOT_ACCEPTABLE, "no acceptable representation")


def _json(document: dict[str, Any], media_type: str = "application/json") -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, media_type=media_type)


def _document_or_page(
    request: Request, document: dict[str, Any], page: Callable[[], Response], *, as_json: bool
) -> Response:
    """``document`` as JSON (a ``.json`` URL, or an ``Accept`` that prefers it) or ``page()``;
    406 when ``Accept`` takes neither. Both answers chosen by ``Accept`` say so (``Vary``): a
    cache must not give a browser the JSON, nor a client the page, kept for the other."""
    if as_json:
        return _json(document)
    chosen = best_match(request.headers.get("accept"), _JSON_OFFERS)
    if chosen is None:
        raise _not_acceptable()
    response = page() if chosen == "text/html" else _json(document, chosen)
    add_vary(response, "Accept")
    return response


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Liveness: the process answers requests. It does not ask the database, on purpose — a
    restart would not bring that back; whether requests can be served is ``/readyz``."""
    return {"status": "ok"}


#: Seconds ``/readyz`` waits for the database's answer before saying it is not ready.
READY_TIMEOUT_S = 2.0


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database answers a query within :data:`READY_TIMEOUT_S`, else
    503 with ``Retry-After`` — the probe a load balancer should use. One check at a time: a
    check stuck waiting for a pooled connection is not joined by more of them."""
    state = request.app.state
    if getattr(state, "readiness", None) is None:
        state.readiness = anyio.CapacityLimiter(1)
    try:
        with anyio.fail_after(READY_TIMEOUT_S):
            await anyio.to_thread.run_sync(
                ping, state.engine, limiter=state.readiness, abandon_on_cancel=True
            )
    except TimeoutError:
        timeout = TimeoutError(f"no answer within {READY_TIMEOUT_S:g} s")
        raise database_unavailable(timeout, "GET /readyz") from None
    # (A database that answers with an error is the app's 503 handler's: issuer.api.errors.)
    return JSONResponse({"status": "ready", "database": "ok"})


def _listed(request: Request, rows: Sequence[CatalogAchievement]) -> list[dict[str, Any]]:
    """Achievements as the home and issuer pages list them: each document, and what the page
    shows of it (``shown``: its issuer's translation into the reader's language, if any)."""
    code = choose_language(request).code
    return [
        {"document": r.document, "shown": catalog.translation_for(r.translations or {}, code)}
        for r in rows
    ]


@router.get("/", include_in_schema=False)
def index(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The home page: each issuer with its achievements (current versions), and the way to
    the verify page."""
    listed = [
        {
            "name": row.name,
            "did": row.did,
            "url": runtime.urls.issuer(row.slug),
            "achievements": _listed(request, catalog.list_achievements(session, issuer=row)),
        }
        for row in issuers.list_issuers(session)
    ]
    return html_page(request, "index.html", issuers=listed)


#: The icon never changes within a release; a day's cache, like the QR codes.
_ICON_CACHE = {"Cache-Control": "public, max-age=86400"}


@router.get("/favicon.svg", include_in_schema=False)
def favicon_svg_file() -> Response:
    """The service's icon (linked from every page)."""
    return Response(favicon_svg(), media_type="image/svg+xml", headers=_ICON_CACHE)


@router.get("/favicon.ico", include_in_schema=False)
def favicon_ico_file() -> Response:
    """The same icon for browsers and link previews that ask for ``/favicon.ico`` itself."""
    return Response(favicon_ico(), media_type="image/vnd.microsoft.icon", headers=_ICON_CACHE)


# ------------------------------------------------------------------------------ credentials


@router.get(
    "/credentials/{credential_ref}",
    response_class=Response,
    responses=served(
        "The signed credential (JSON or VC-JWT) or its badge page",
        {
            "text/html": TEXT,
            "application/vc+ld+json": OBJECT,
            "application/ld+json": OBJECT,
            "application/json": OBJECT,
            "application/vc+jwt": TEXT,
            "application/jwt": TEXT,
            "text/plain": TEXT,
        },
        NOT_FOUND,
        NOT_ACCEPTABLE,
    ),
)
def credential(
    credential_ref: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The credential as JSON (``.json``), VC-JWT (``.jwt``) or a page, by suffix or Accept.

    The page is the badge page (:mod:`issuer.api.badge_page`), verified live.
    """
    ref, suffix = _split_suffix(credential_ref)
    try:
        row = get_award(session, uuid.UUID(ref))
    except ValueError:
        raise NotFound(f"no credential {credential_ref!r}") from None
    chosen: str | None
    if suffix == ".json":
        chosen = "application/json"
    elif suffix == ".jwt":
        chosen = "text/plain"
    else:
        chosen = best_match(request.headers.get("accept"), _CREDENTIAL_OFFERS)
    if chosen is None:
        raise _not_acceptable()
    vary = {} if suffix else {"Vary": "Accept"}
    if chosen in _JWT_TYPES:
        return PlainTextResponse(row.credential_jwt, media_type=chosen, headers=vary)
    if chosen != "text/html":
        return Response(row.credential, media_type=chosen, headers=vary)
    return credential_page(request, runtime, request.app.state.verifier, row, session=session)


# ------------------------------------------------------------------------------ achievements


@router.get(
    "/achievements/{slug}",
    response_class=Response,
    responses={
        302: {
            "description": "The current version's URL (versions are the stable ids)",
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        },
        **NOT_FOUND,
    },
)
def current_achievement(slug: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The current version (a redirect: versions are the stable ids)."""
    row = catalog.get_achievement(session, slug)
    return RedirectResponse(row.document["id"], status_code=status.HTTP_302_FOUND)


def _version(session: SessionDep, slug: str, version_ref: str) -> tuple[Any, bool]:
    match = _VERSION.match(version_ref)
    if match is None:
        raise NotFound(f"no achievement version {version_ref!r}")
    return catalog.get_achievement(session, slug, int(match.group(1))), bool(match.group(2))


@router.get(
    "/achievements/{slug}/{version_ref}",
    response_class=Response,
    responses=served("The OB Achievement, or its page", _JSON_OR_PAGE, NOT_FOUND, NOT_ACCEPTABLE),
)
def achievement(
    slug: str, version_ref: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """An achievement version as OB JSON (``.json`` or Accept) or a page."""
    row, as_json = _version(session, slug, version_ref)
    return _document_or_page(
        request,
        row.document,
        lambda: _achievement_page(request, session, runtime, row, row.document),
        as_json=as_json,
    )


def _achievement_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    row: CatalogAchievement,
    document: dict[str, Any],
) -> Response:
    """The page of an achievement version (``document``: the original or a translation), with
    links to the same version in its other languages."""
    owner = session.get(Issuer, row.issuer_id)
    assert owner is not None
    current = row if row.is_current else catalog.get_achievement(session, row.slug)
    return html_page(
        request,
        "achievement.html",
        a=document,
        original=row.document if document is not row.document else None,
        version=row.version,
        current=row.is_current,
        current_url=current.document["id"],
        issuer_name=owner.name,
        issuer_url=runtime.urls.issuer(owner.slug),
        credit_type=row.credit_type,
        **criteria_links(document),
    )


_TRANSLATION = re.compile(r"^([a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*)(\.json)?$")


@router.get(
    "/achievements/{slug}/{version_ref}/translations/{language_ref}",
    response_class=Response,
    responses=served(
        "The OB Achievement in that language, or its page", _JSON_OR_PAGE, NOT_FOUND, NOT_ACCEPTABLE
    ),
)
def achievement_translation(
    slug: str,
    version_ref: str,
    language_ref: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """An achievement version in another language, as its issuer published it: an OB
    Achievement (``inLanguage``, ``related`` back to the original) as JSON (``.json`` or
    Accept), or its page."""
    row, _ = _version(session, slug, version_ref)
    match = _TRANSLATION.match(language_ref)
    document = (row.translations or {}).get(match.group(1)) if match else None
    if match is None or document is None:
        raise NotFound(f"no translation {language_ref!r} of {row.document['id']}")
    return _document_or_page(
        request,
        document,
        lambda: _achievement_page(request, session, runtime, row, document),
        as_json=bool(match.group(2)),
    )


@router.get(
    "/achievements/{slug}/{version_ref}/image.svg",
    response_class=Response,
    responses=served("The badge image", {"image/svg+xml": TEXT}, NOT_FOUND),
)
def achievement_image(slug: str, version_ref: str, session: SessionDep) -> Response:
    row, _ = _version(session, slug, version_ref)
    return badge_svg(row.document)


# ------------------------------------------------------------------------------ issuers


def _issuer(session: SessionDep, slug: str) -> Issuer:
    row = session.exec(select(Issuer).where(Issuer.slug == slug)).first()
    if row is None:
        raise NotFound(f"no issuer {slug!r}")
    return row


@router.get(
    "/issuers/{slug}",
    response_class=Response,
    responses=served(
        "The issuer's OB Profile, or its page", _JSON_OR_PAGE, NOT_FOUND, NOT_ACCEPTABLE
    ),
)
def issuer_profile(
    slug: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The issuer's OB Profile as JSON, or its page."""
    row = _issuer(session, slug)
    profile = issuers.profile_for(session, runtime, row)

    def page() -> Response:
        return html_page(
            request,
            "issuer.html",
            profile=profile,
            did_document_url=(
                runtime.urls.did_document(slug) if row.did_method == DidMethod.web else None
            ),
            jwks_url=runtime.urls.jwks(slug),
            achievements=_listed(request, catalog.list_achievements(session, issuer=row)),
        )

    return _document_or_page(request, profile, page, as_json=False)


# The summary and operationId FastAPI derived from this handler's former name (``did_document``,
# now keys.did's alone), kept so that the OpenAPI document does not change.
@router.get(
    "/issuers/{slug}/did.json",
    summary="Did Document",
    operation_id="did_document_issuers__slug__did_json_get",
    response_class=Response,
    responses=served("The DID document", {"application/did+json": OBJECT}, NOT_FOUND),
)
def get_did_document(slug: str, session: SessionDep) -> JSONResponse:
    """The did:web DID document: current keys first, retired keys still listed."""
    document = issuers.did_document_for(session, _issuer(session, slug))
    return JSONResponse(document, media_type="application/did+json", headers=_CACHE_KEYS)


@router.get(
    "/issuers/{slug}/jwks.json",
    response_class=Response,
    responses=served("The JWK Set", {"application/jwk-set+json": OBJECT}, NOT_FOUND),
)
def jwks(slug: str, session: SessionDep) -> JSONResponse:
    """Every public key of the issuer (current and retired) as a JWK Set."""
    document = issuers.jwks_for(session, _issuer(session, slug))
    return JSONResponse(document, media_type="application/jwk-set+json", headers=_CACHE_KEYS)
