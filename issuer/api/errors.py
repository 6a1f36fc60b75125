"""Service errors as HTTP responses, in FastAPI's own error shapes.

``InvalidInput`` becomes a 422 shaped exactly like FastAPI's request-validation errors
(``{"detail": [{"loc": ["body", "score"], "msg": ..., "type": ...}]}``), so a client handles a
refused score and a malformed email the same way.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from issuer.services.errors import Conflict, InvalidInput, IssuanceFailed, NotFound

__all__ = ["install_error_handlers"]

log = logging.getLogger("microcred.issuer.api")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, error: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, error: InvalidInput) -> JSONResponse:
        detail = [{"loc": ["body", *error.loc], "msg": error.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(IssuanceFailed)
    async def _failed(_: Request, error: IssuanceFailed) -> JSONResponse:
        log.error("issuance failed: %s", error)
        return JSONResponse(
            {"detail": f"the credential could not be issued: {error}"},
            status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
