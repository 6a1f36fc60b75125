"""The verifier over HTTP: ``POST /verify``, ``GET /verify?url=``, and the page at ``/verify``.

API (JSON, the contract's report shape; an array when one input holds several credentials):

* ``POST /verify`` with a JSON credential or presentation (``application/json``,
  ``application/vc+ld+json``, ``application/ld+json``), a JWS (``text/plain``,
  ``application/jwt``, ``application/vc+jwt``), a baked image (``image/png``,
  ``image/svg+xml``), or ``multipart/form-data`` with a ``file`` (any of those) or a
  ``credential`` text field. Query (or form) parameters: ``recipient``, ``challenge``,
  ``domain``, ``at``.
* ``GET /verify?url=<badge link>``: the link is fetched through the guarded fetcher, asking for
  ``application/vc+ld+json``.
* ``POST /verify/stack``: a stack-completion claim (stack credential and/or components, a rule,
  a recipient), one report with a ``stack`` check (:mod:`verifier.stack_http`). The page shows
  any stack credential it is given as a checklist.

A verdict, whatever it is, is ``200``: the report is the answer. Unusable input is ``400`` with
``{"detail": ...}``, an unsupported content type ``415``, a body over the limit ``413`` (enforced
while reading, so a huge body is never held in memory), a badge link that is refused ``400``
and one that cannot be retrieved ``502``.

The page: browsers (``Accept`` preferring ``text/html`` to JSON, see
:mod:`verifier.negotiation`) get an HTML page at the same URL, where a person
pastes a credential, uploads a file or baked image, or gives a badge link, using ordinary form
posts (no JavaScript), and sees the verdict and every check in plain words.

Configuration is a :class:`~verifier.settings.VerifierSettings` (``MICROCRED_VERIFIER_*``)
turned into one :class:`~verifier.service.Verifier` per app, supplied by the
:func:`get_verifier` dependency (tests, and the issuer, override it).
:func:`create_verifier_app` builds a stand-alone app (``microcred serve --verifier-only``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData, UploadFile

from keys.errors import FetchBlocked, FetchError
from microcred.i18n import Pages, add_vary
from microcred.messages import Message
from verifier.api_docs import install_docs
from verifier.inputs import MAX_PRESENTATION_CREDENTIALS
from verifier.negotiation import prefers_page
from verifier.report import (
    CHECK_LABELS,
    CheckId,
    Outcome,
    Verdict,
    VerificationReport,
    headline,
)
from verifier.safe_links import register_safe_url
from verifier.security_headers import SecurityHeadersMiddleware
from verifier.service import Expectations, Verifier, VerifierBusy
from verifier.settings import VerifierSettings, get_verifier_settings
from verifier.stack import StackInput
from verifier.stack_http import (
    STACK_BODY_DOC,
    StackClaim,
    StackRequestError,
    claim_from_form,
    claim_from_json,
    looks_like_stack,
    run_claim,
)

__all__ = [
    "BUSY",
    "ErrorModel",
    "Responses",
    "VerifierDep",
    "create_verifier_app",
    "error_response",
    "get_verifier",
    "install_busy_handler",
    "read_body",
    "request_media_type",
    "router",
]

_JSON_TYPES = frozenset({"application/json", "application/vc+ld+json", "application/ld+json"})
_JWS_TYPES = frozenset({"text/plain", "application/jwt", "application/vc+jwt"})
_IMAGE_TYPES = frozenset({"image/png", "image/svg+xml"})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
#: The page, in the reader's language (microcred.i18n); rule ids and credential URLs become
#: links only if http(s).
_PAGES = Pages(Path(__file__).parent / "templates", configure=register_safe_url)


# --------------------------------------------------------------------------- the verifier


def get_verifier(
    request: Request, settings: Annotated[VerifierSettings, Depends(get_verifier_settings)]
) -> Verifier:
    """The app's :class:`Verifier`, built on first use from the settings dependency.

    Kept on ``app.state`` (per app, not per module), so two apps in one process (tests, the
    issuer service mounting this router) do not share a fetcher or trust lists.
    """
    state = request.app.state
    cached = getattr(state, "microcred_verifier", None)
    if cached is None or cached[0] is not settings:
        cached = (settings, Verifier.from_settings(settings))
        state.microcred_verifier = cached
    return cached[1]


VerifierDep = Annotated[Verifier, Depends(get_verifier)]


# --------------------------------------------------------------------------- response models


class CheckModel(BaseModel):
    id: CheckId
    outcome: Outcome
    message: str
    details: dict[str, Any]


class IssuerModel(BaseModel):
    id: str | None
    name: str | None


class AchievementModel(BaseModel):
    id: str | None
    name: str | None
    achievementType: str | None


class CredentialModel(BaseModel):
    id: str | None
    types: list[str]
    format: str | None = Field(description='"ldp" (embedded proof) or "jwt" (VC-JWT)')
    name: str | None = None
    issuer: IssuerModel
    subject: dict[str, Any]
    achievement: AchievementModel
    validFrom: str | None
    validUntil: str | None


class TrustModel(BaseModel):
    """Whether a trust list the verifier relies on recognises the issuer, and which."""

    status: Literal["established", "not-established"]
    list: str | None = Field(description="The first list that recognises the issuer")
    entry: dict[str, Any] | None = Field(description='Its entry there: {"id", "name"}')
    reason: str


class ReportModel(BaseModel):
    """One credential's verification report (``shared/docs/architecture.md``)."""

    verdict: Verdict
    credential: CredentialModel
    checks: list[CheckModel]
    source: str
    checkedAt: str | None
    trust: TrustModel


class ErrorModel(BaseModel):
    """Every refusal of the verify endpoints, and of the issuer's API but a validation error."""

    detail: str


#: A route's ``responses=`` for the OpenAPI document: status -> FastAPI's response declaration.
Responses = dict[int | str, dict[str, Any]]

_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "string"}}
}


def error_response(
    description: str, *, headers: Mapping[str, Any] | None = None, retry_after: bool = False
) -> dict[str, Any]:
    """One documented refusal: an :class:`ErrorModel` body (``{"detail": "..."}``), with the
    headers it carries (``retry_after``: the ``Retry-After`` every 503 here sends)."""
    declared: dict[str, Any] = {**(headers or {}), **(_RETRY_AFTER if retry_after else {})}
    response: dict[str, Any] = {"model": ErrorModel, "description": description}
    if declared:
        response["headers"] = declared
    return response


#: :class:`VerifierBusy`: no verification slot freed in time (:func:`install_busy_handler`).
BUSY: Responses = {
    503: error_response(
        "Every verification slot is busy: retry after `Retry-After` seconds", retry_after=True
    )
}
_ERRORS: Responses = {
    400: error_response("Unusable input: not a credential in any form"),
    413: error_response("Request body over the size limit"),
    415: error_response("Unsupported content type"),
    **BUSY,
}
#: The page, for browsers (content negotiation: :func:`_wants_html`).
_PAGE = {"schema": {"type": "string"}}
#: ``GET /verify``'s ``url`` as API clients must send it (blank is the same as none).
_URL_PARAMETER = {
    "name": "url",
    "in": "query",
    "required": True,
    "description": "A badge link (https). Browsers asking for the page (Accept: text/html) "
    "may leave it out and get the form.",
    "schema": {"type": "string", "pattern": r"\S"},
}
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/vc+ld+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
            "text/plain": {"schema": {"type": "string", "description": "A compact JWS"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/svg+xml": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "JSON, JWS, or a baked PNG/SVG",
                        },
                        "credential": {"type": "string", "description": "Pasted JSON or JWS"},
                        "recipient": {"type": "string"},
                    },
                }
            },
        },
    }
}


# --------------------------------------------------------------------------- helpers


def _wants_html(request: Request) -> bool:
    """Does the client prefer the page to the JSON report (which wins ties: ``*/*``)?"""
    return prefers_page(request.headers.get("accept"))


def _negotiated_json(payload: Any, status_code: int = 200) -> JSONResponse:
    """A JSON answer of ``/verify``: ``Vary: Accept``, since a browser gets the page at the same
    URL and a cache must not give one the other's."""
    response = JSONResponse(payload, status_code=status_code)
    add_vary(response, "Accept")
    return response


def _site_path(request: Request, name: str) -> str | None:
    """A page of the service the verify page links when it has one: ``app.state.favicon``
    (its icon) and ``app.state.home`` (its home page), which the issuer sets. The stand-alone
    verifier has neither, and a link to a 404 would cost every page view a failed request or
    send a reader nowhere."""
    path = getattr(request.app.state, name, None)
    return path if isinstance(path, str) else None


def request_media_type(request: Request) -> str:
    """The request's ``Content-Type`` without parameters, lower-cased (``""`` if none)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _too_large(limit: int) -> Message:
    return Message("the request body is larger than %(limit)s bytes", limit=limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` (the
    verify endpoints: ``/verify`` and the VC-API's, with the verifier's ``max_body_bytes``)."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, _too_large(limit))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, _too_large(limit))
    return bytes(body)


async def _form(request: Request, body: bytes, limit: int, max_files: int = 1) -> FormData:
    """Parse a form body already read (with its limit) by replaying it to Starlette."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    replay = Request(request.scope, receive)
    return await replay.form(max_files=max_files, max_fields=16, max_part_size=limit)


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _page(
    request: Request,
    *,
    reports: list[VerificationReport] | None = None,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    stack: VerificationReport | None = None,
) -> HTMLResponse:
    """The verify page in the reader's language (``?lang=``, the ``lang`` cookie,
    ``Accept-Language``); the JSON answers at the same URL stay English. ``Vary: Accept,
    Accept-Language, Cookie``: the page depends on all three."""
    response = _PAGES.render(
        request,
        "verify.html",
        {
            "stack": stack.to_json() if stack is not None and not stack.unusable else None,
            "reports": [r.to_json() for r in reports or []],
            # The words every surface shows (verifier.report.headline), one per report.
            "headlines": [headline(r) for r in reports or []],
            "error": error,
            "form": dict(form or {}),
            "labels": {str(k): v for k, v in CHECK_LABELS.items()},
            "favicon": _site_path(request, "favicon"),
            "home": _site_path(request, "home"),
        },
        status_code=status_code,
    )
    add_vary(response, "Accept")
    return response


def _respond(
    request: Request,
    reports: list[VerificationReport],
    form: Mapping[str, Any] | None = None,
    stack: VerificationReport | None = None,
) -> Response:
    """200 with the report(s), or 400 when the input held no readable credential."""
    unusable = len(reports) == 1 and reports[0].unusable
    if _wants_html(request):
        if unusable:
            return _page(request, error=reports[0].checks[0].message, status_code=400, form=form)
        return _page(request, reports=reports, form=form, stack=stack)
    if unusable:
        return _negotiated_json({"detail": reports[0].checks[0].message}, status_code=400)
    payload = reports[0].to_json() if len(reports) == 1 else [r.to_json() for r in reports]
    return _negotiated_json(payload)


def _detail(error: HTTPException) -> str:
    """An HTTPException's detail as the sentence it was raised with (a message stays one)."""
    return error.detail if isinstance(error.detail, str) else str(error.detail)


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_html(request):
        return _page(request, error=message, status_code=status)
    return _negotiated_json({"detail": message}, status_code=status)


async def _verify_link(
    request: Request,
    verifier: Verifier,
    url: str,
    *,
    now: datetime | None,
    recipient: str | None,
) -> Response:
    try:
        body = await verifier.run(verifier.fetch_badge, url)
    except FetchBlocked as error:
        return _error(request, 400, Message("The badge link was refused: %(why)s", why=str(error)))
    except FetchError as error:
        return _error(
            request, 502, Message("The badge link could not be retrieved: %(why)s", why=str(error))
        )
    expect = Expectations(recipient=recipient)
    reports = await verifier.run(verifier.verify_many, body, source=url, now=now, expect=expect)
    stack = await _stack_for_page(request, verifier, body, url, at=now, expect=expect)
    return _respond(request, reports, {"url": url, "recipient": recipient}, stack)


async def _stack_for_page(
    request: Request,
    verifier: Verifier,
    data: bytes | str,
    source: str,
    *,
    at: datetime | None,
    expect: Expectations,
) -> VerificationReport | None:
    """For people (HTML) given a stack credential: the stack claim's report, for the checklist."""
    if not _wants_html(request) or not looks_like_stack(data):
        return None
    claim = StackClaim(inputs=[StackInput(data, source)], at=at, expect=expect)
    try:
        return await verifier.run(run_claim, verifier, claim)
    except StackRequestError:
        return None


# --------------------------------------------------------------------------- routes

router = APIRouter(tags=["verify"])


@router.post(
    "/verify",
    summary="Verify a credential, presentation, JWS or baked badge",
    response_model=ReportModel | list[ReportModel],
    responses={
        **_ERRORS,
        200: {"content": {"text/html": _PAGE}},
        502: error_response("The badge link (form field url) could not be retrieved"),
    },
    openapi_extra=_BODY_DOC,
)
async def post_verify(
    request: Request,
    verifier: VerifierDep,
    recipient: Annotated[str | None, Query(description="Email to match the recipient")] = None,
    challenge: Annotated[str | None, Query(description="Expected presentation challenge")] = None,
    domain: Annotated[str | None, Query(description="Expected presentation domain")] = None,
    at: Annotated[datetime | None, Query(description="Verify as of this instant")] = None,
) -> Response:
    """Verify what the body holds; the verdict is in the report, the status is 200."""
    try:
        body = await read_body(request, verifier.limits.max_body_bytes)
    except HTTPException as error:
        return _error(request, error.status_code, _detail(error))
    media_type = request_media_type(request)
    form_values: dict[str, Any] = {}
    data: bytes | str
    if media_type in _FORM_TYPES:
        form = await _form(request, body, verifier.limits.max_body_bytes)
        recipient = _field(form, "recipient") or recipient
        challenge = _field(form, "challenge") or challenge
        domain = _field(form, "domain") or domain
        form_values["recipient"] = recipient
        upload = form.get("file")
        pasted = _field(form, "credential")
        link = _field(form, "url")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            source = upload.filename
        elif pasted is not None:
            data, source = pasted, "pasted credential"
            form_values["credential"] = pasted
        elif link is not None:
            return await _verify_link(request, verifier, link, now=at, recipient=recipient)
        else:
            return _error(
                request, 400, Message("Paste a credential, choose a file, or give a badge link.")
            )
    elif media_type in _JSON_TYPES or media_type in _IMAGE_TYPES:
        data, source = body, "request body"
    elif media_type in _JWS_TYPES:
        data, source = body.decode("utf-8", "replace"), "request body"
    else:
        return _error(
            request,
            415,
            Message(
                "Unsupported content type %(type)s: send JSON (application/vc+ld+json), a JWS "
                "(text/plain), an image, or a multipart upload.",
                type=media_type or "(none)",
            ),
        )
    expect = Expectations(recipient=recipient, challenge=challenge, domain=domain)
    reports = await verifier.run(verifier.verify_many, data, source=source, now=at, expect=expect)
    stack = await _stack_for_page(request, verifier, data, source, at=at, expect=expect)
    return _respond(request, reports, form_values, stack)


@router.get(
    "/verify",
    summary="Verify a badge link; browsers get the verification page",
    response_model=ReportModel | list[ReportModel],
    responses={
        200: {"content": {"text/html": _PAGE}, "description": "The report, or the page"},
        400: error_response("The badge link was refused"),
        502: error_response("The badge link could not be retrieved"),
        **BUSY,
    },
    # ``url`` is required of API clients, but browsers asking for the page leave it out: the
    # route takes it as optional and the document says what API clients must send.
    openapi_extra={"parameters": [_URL_PARAMETER]},
)
async def get_verify(
    request: Request,
    verifier: VerifierDep,
    url: Annotated[str | None, Query(include_in_schema=False)] = None,
    recipient: Annotated[str | None, Query(description="Email to match the recipient")] = None,
    at: Annotated[datetime | None, Query(description="Verify as of this instant")] = None,
) -> Response:
    """With ``url``: fetch that badge link and verify it. Without: the page (browsers)."""
    url = url.strip() if url else None
    # The page's link form always sends recipient=, empty when no email was typed.
    recipient = recipient.strip() if recipient and recipient.strip() else None
    if not url:
        if _wants_html(request):
            return _page(request)
        # As FastAPI answers a missing required parameter (the document requires it).
        raise RequestValidationError(
            [{"type": "missing", "loc": ("query", "url"), "msg": "give the badge link as ?url="}]
        )
    return await _verify_link(request, verifier, url, now=at, recipient=recipient)


@router.post(
    "/verify/stack",
    summary="Verify a stack-completion claim: a stack credential and/or its components",
    response_model=ReportModel,
    responses={
        **_ERRORS,
        200: {"content": {"text/html": _PAGE}},
        502: error_response("A rule URL or badge link could not be retrieved"),
    },
    openapi_extra=STACK_BODY_DOC,
)
async def post_verify_stack(request: Request, verifier: VerifierDep) -> Response:
    """One report: the stack credential's checks and a ``stack`` check listing each
    requirement (see :mod:`verifier.stack_http` for the body)."""
    try:
        body = await read_body(request, verifier.limits.max_body_bytes)
    except HTTPException as error:
        return _error(request, error.status_code, _detail(error))
    media_type = request_media_type(request)
    try:
        if media_type in _FORM_TYPES:
            form = await _form(
                request, body, verifier.limits.max_body_bytes, MAX_PRESENTATION_CREDENTIALS
            )
            uploads = [
                (item.filename or "file", await item.read())
                for item in form.getlist("file")
                if isinstance(item, UploadFile) and item.filename
            ]
            claim = await claim_from_form(form, uploads)
        elif media_type in _JSON_TYPES:
            claim = claim_from_json(body)
        else:
            return _error(
                request, 415, Message("Send the claim as JSON (application/json) or a form.")
            )
        report = await verifier.run(run_claim, verifier, claim)
    except StackRequestError as error:
        return _error(request, error.status, error.message)
    if report.unusable:
        return _error(request, 400, report.checks[0].message)
    if _wants_html(request):
        return _page(request, form={"recipient": claim.expect.recipient}, stack=report)
    return _negotiated_json(report.to_json())


# --------------------------------------------------------------------------- stand-alone app


def install_busy_handler(app: FastAPI) -> None:
    """Answer :class:`VerifierBusy` (no verification slot freed in time) with 503 JSON and
    ``Retry-After``, on every route that verifies (the apps include this router elsewhere too)."""

    @app.exception_handler(VerifierBusy)
    async def _busy(_: Request, error: VerifierBusy) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)},
            status_code=503,
            headers={"Retry-After": str(max(1, round(error.waited)))},
        )


def create_verifier_app(settings: VerifierSettings | None = None) -> FastAPI:
    """The verifier as an app of its own (``microcred serve --verifier-only``).

    Settings default to the environment. Trust lists and preloads are read here, so a broken
    configuration stops start-up instead of the first request.
    """
    settings = settings if settings is not None else VerifierSettings()
    verifier = Verifier.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        verifier.close()

    app = FastAPI(
        title="microcred verifier",
        summary="Verify Open Badges 3.0 credentials and see every check.",
        lifespan=lifespan,
        docs_url=None,  # served offline below (verifier.api_docs), not from a CDN
        redoc_url=None,
    )
    app.include_router(router)
    install_docs(app)
    app.add_middleware(SecurityHeadersMiddleware)  # CSP, nosniff, no framing; no CORS here
    install_busy_handler(app)
    app.dependency_overrides[get_verifier] = lambda: verifier

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/verify")

    return app
