"""The OB 3.0 API's error shape, ``Imsx_StatusInfo``, and the one place HTTP errors become it.

The 1EdTech API answers every failure with an ``Imsx_StatusInfo`` body
(``imsx_codeMajor`` "failure", ``imsx_severity`` "error", a human ``imsx_description`` and an
``imsx_codeMinor`` whose one field, ``TargetEndSystem``, carries a value of the specification's
code-minor vocabulary). The rest of the service answers ``{"detail": ...}``, which clients of
the admin API and the VC-API expect; so the handlers installed here answer the Imsx shape only
for paths under :data:`OB_API_PREFIX` and hand every other request to the handler that was
there before (:func:`install_imsx_handlers` runs after :func:`issuer.api.errors.
install_error_handlers` and :func:`verifier.http.install_busy_handler`).

Routes and dependencies of the API raise :class:`ImsxError`; FastAPI's own refusals (an unknown
path or method under the prefix, a body it cannot parse), a database that cannot be used
(503), a verifier with no free slot (503) and an unexpected exception (500) are mapped here
too, so a client of the API never meets another shape. The 413 of
:mod:`issuer.api.body_limit`, answered before any route, asks :func:`imsx_response` as well.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.api.errors import database_unavailable
from issuer.db import UNAVAILABLE_ERRORS, is_unavailable
from issuer.log_redaction import redact_path
from verifier.service import VerifierBusy

__all__ = [
    "OB_API_PREFIX",
    "CodeMinor",
    "ImsxError",
    "imsx_response",
    "in_ob_api",
    "install_imsx_handlers",
    "status_info",
]

log = logging.getLogger("microcred.issuer.api")

#: Where the 1EdTech OB 3.0 API lives; every error under it is an ``Imsx_StatusInfo``.
OB_API_PREFIX = "/ims/ob/v3p0"

#: ``imsx_codeMinorFieldName``: the specification's one name, the system that reports the code.
TARGET_END_SYSTEM = "TargetEndSystem"


class CodeMinor(StrEnum):
    """The specification's ``imsx_codeMinorFieldValue`` vocabulary (as the OpenAPI spells it:
    ``unauthorizedrequest``, with a z)."""

    forbidden = "forbidden"
    fullsuccess = "fullsuccess"
    internal_server_error = "internal_server_error"
    invalid_data = "invalid_data"
    invalid_query_parameter = "invalid_query_parameter"
    misdirected_request = "misdirected_request"
    not_acceptable = "not_acceptable"
    not_allowed = "not_allowed"
    not_found = "not_found"
    not_modified = "not_modified"
    server_busy = "server_busy"
    unauthorizedrequest = "unauthorizedrequest"
    unknown = "unknown"


#: The code minor of an HTTP status when the raiser did not say (FastAPI's own refusals).
_MINOR_OF_STATUS: Mapping[int, CodeMinor] = {
    400: CodeMinor.invalid_data,
    401: CodeMinor.unauthorizedrequest,
    403: CodeMinor.forbidden,
    404: CodeMinor.not_found,
    405: CodeMinor.not_allowed,
    406: CodeMinor.not_acceptable,
    413: CodeMinor.invalid_data,
    415: CodeMinor.invalid_data,
    422: CodeMinor.invalid_data,
    500: CodeMinor.internal_server_error,
    503: CodeMinor.server_busy,
}


class ImsxError(Exception):
    """A refusal of the OB 3.0 API: answered ``status_code`` with an ``Imsx_StatusInfo``."""

    def __init__(
        self,
        status_code: int,
        description: str,
        code_minor: CodeMinor | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.description = description
        self.code_minor = code_minor or _MINOR_OF_STATUS.get(status_code, CodeMinor.unknown)
        self.headers = dict(headers or {})


def status_info(
    description: str,
    code_minor: CodeMinor,
    *,
    code_major: str = "failure",
    severity: str = "error",
) -> dict[str, Any]:
    """An ``Imsx_StatusInfo`` document."""
    return {
        "imsx_codeMajor": code_major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": TARGET_END_SYSTEM,
                    "imsx_codeMinorFieldValue": str(code_minor),
                }
            ]
        },
    }


def imsx_response(
    status_code: int,
    description: str,
    code_minor: CodeMinor | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The response for a refusal of the API (``code_minor`` by default from the status)."""
    minor = code_minor or _MINOR_OF_STATUS.get(status_code, CodeMinor.unknown)
    return JSONResponse(
        status_info(description, minor), status_code=status_code, headers=dict(headers or {})
    )


def in_ob_api(path: str) -> bool:
    """Whether ``path`` is the OB 3.0 API's (and so answers errors as ``Imsx_StatusInfo``)."""
    return path == OB_API_PREFIX or path.startswith(OB_API_PREFIX + "/")


Handler = Callable[[Request, Any], Awaitable[Response] | Response]


def _previous(app: FastAPI, key: type[BaseException]) -> Handler | None:
    return app.exception_handlers.get(key)


async def _delegate(handler: Handler | None, request: Request, error: Exception) -> Response:
    if handler is None:
        raise error
    answer = handler(request, error)
    return await answer if isinstance(answer, Awaitable) else answer


def install_imsx_handlers(app: FastAPI) -> None:
    """Answer errors under :data:`OB_API_PREFIX` as ``Imsx_StatusInfo``; leave every other
    path to the handlers installed before (see the module docstring)."""
    before_http = _previous(app, StarletteHTTPException)
    before_validation = _previous(app, RequestValidationError)
    before_busy = _previous(app, VerifierBusy)
    before_database = {kind: _previous(app, kind) for kind in UNAVAILABLE_ERRORS}

    @app.exception_handler(ImsxError)
    async def _imsx(_: Request, error: ImsxError) -> Response:
        return imsx_response(error.status_code, error.description, error.code_minor, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if not in_ob_api(request.url.path):
            return await _delegate(before_http, request, error)
        return imsx_response(error.status_code, str(error.detail), headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        if not in_ob_api(request.url.path):
            return await _delegate(before_validation, request, error)
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg', '')}"
            for item in error.errors()
        )
        return imsx_response(400, f"the request is not valid: {reasons}")

    @app.exception_handler(VerifierBusy)
    async def _busy(request: Request, error: VerifierBusy) -> Response:
        if not in_ob_api(request.url.path):
            return await _delegate(before_busy, request, error)
        return imsx_response(
            503, str(error), headers={"Retry-After": str(max(1, round(error.waited)))}
        )

    def database(kind: type[Exception]) -> Handler:
        async def _database(request: Request, error: Exception) -> Response:
            if not in_ob_api(request.url.path) or not is_unavailable(error):
                return await _delegate(before_database[kind], request, error)
            refusal = database_unavailable(
                error, f"{request.method} {redact_path(request.url.path)}"
            )
            return imsx_response(503, str(refusal.detail), headers=refusal.headers)

        return _database

    for kind in UNAVAILABLE_ERRORS:
        app.add_exception_handler(kind, database(kind))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        # Starlette's ServerErrorMiddleware calls this for any exception no other handler
        # took, logs it and re-raises it after the response; elsewhere its own plain 500.
        if not in_ob_api(request.url.path):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return imsx_response(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            "the service failed to answer this request; the operator will find why in its log",
        )
