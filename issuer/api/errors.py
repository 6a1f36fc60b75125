"""Service errors as HTTP responses, in FastAPI's own error shapes.

``InvalidInput`` becomes a 422 shaped exactly like FastAPI's request-validation errors
(``{"detail": [{"loc": ["body", "score"], "msg": ..., "type": ...}]}``), so a client handles a
refused score and a malformed email the same way.

A database that cannot be used just now (:func:`issuer.db.is_unavailable`: unreachable,
restarting, out of pooled connections, locked, damaged) is a **503** ``{"detail": ...}`` with
``Retry-After``, never a bare 500: answered by a handler, the response leaves the keep-alive
connection open, where an unhandled exception makes the server drop it (and the client's next
request on it is reset). The driver's words go to the log only: they name hosts and users.

A **404** — a missing credential, achievement or issuer (``NotFound``), or a path no route has —
is a page with the way home for a client that prefers HTML (a browser following a mistyped
badge link); every other client (``curl``'s ``*/*``, ``application/json``) keeps the JSON
``{"detail"}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.api.pages import html_page
from issuer.db import UNAVAILABLE_ERRORS, is_unavailable
from issuer.log_redaction import redact_path
from issuer.services.errors import (
    Conflict,
    Gone,
    InvalidInput,
    IssuanceFailed,
    NotFound,
)
from issuer.services.status_machine import CannotPublish
from microcred.i18n import add_vary
from verifier.negotiation import prefers_page

__all__ = [
    "DATABASE_RETRY_AFTER_S",
    "DATABASE_UNAVAILABLE",
    "database_unavailable",
    "install_error_handlers",
]

log = logging.getLogger("microcred.issuer.api")

#: Seconds a client is asked to wait after a 503 for the database (a restart, a fail-over).
DATABASE_RETRY_AFTER_S = 5
#: The detail of that 503.
DATABASE_UNAVAILABLE = (
    "the service cannot use its database just now; try again in a few seconds "
    "(if this persists, the operator will find why in the service's log)"
)


def database_unavailable(error: BaseException, where: str) -> HTTPException:
    """The 503 for a database that cannot be used (``where``: the request, for the log)."""
    cause = getattr(error, "orig", None) or error
    log.warning(
        "database unavailable (%s): %s: %s",
        where,
        type(cause).__name__,
        " ".join(str(cause).split()),
    )
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        DATABASE_UNAVAILABLE,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


def _not_found_response(request: Request, detail: str) -> Response:
    if prefers_page(request.headers.get("accept")) and request.method in ("GET", "HEAD"):
        page = html_page(
            request,
            "not_found.html",
            status.HTTP_404_NOT_FOUND,
            path=redact_path(request.url.path),  # a page may be saved or shared: no token
        )
        add_vary(page, "Accept")
        return page
    return JSONResponse(
        {"detail": detail}, status_code=status.HTTP_404_NOT_FOUND, headers={"Vary": "Accept"}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> Response:
        return _not_found_response(request, str(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == status.HTTP_404_NOT_FOUND:
            return _not_found_response(request, str(error.detail))
        return await http_exception_handler(request, error)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(Gone)
    async def _gone(_: Request, error: Gone) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_410_GONE)

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, error: InvalidInput) -> JSONResponse:
        detail = [{"loc": ["body", *error.loc], "msg": error.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(IssuanceFailed)
    async def _failed(_: Request, error: IssuanceFailed) -> JSONResponse:
        log.error("issuance failed: %s", error)
        # A status list that cannot be signed says so in its own words: no credential was
        # being issued.
        detail = (
            str(error)
            if isinstance(error, CannotPublish)
            else f"the credential could not be issued: {error}"
        )
        return JSONResponse({"detail": detail}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR)

    async def _database(request: Request, error: Exception) -> Response:
        if not is_unavailable(error):
            raise error  # a mistake in our own SQL: a bug, with its traceback
        refusal = database_unavailable(error, f"{request.method} {redact_path(request.url.path)}")
        return await http_exception_handler(request, refusal)

    for error_type in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_type, _database)
