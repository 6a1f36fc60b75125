"""Request bodies: authenticated before they are read, and capped (413) while they are read.

Why a middleware: FastAPI reads and parses a ``Body``/``Form`` parameter *before* it runs the
dependencies that check the API key, and Starlette reads a body whole. So an unauthenticated
500 MB ``POST /api/issuers/{i}/awards`` used to be held in memory before its 401. Here, ahead of
every route:

* a request whose ``Content-Length`` exceeds its path's limit (:func:`body_limit_for`) is
  answered 413 at once, unread; a body without one (chunked) is counted as it streams and the
  request is answered 413 as soon as it passes the limit;
* a write to the admin API (``/api/…``, except the keyless :data:`KEYLESS_API`) must carry a
  live API key — checked from the headers (:func:`issuer.api.deps.api_key_of_header`) — before
  a byte of its body is read; the key found is the request's (``request.state.api_key``, which
  :func:`issuer.api.deps.get_api_key` takes rather than asking the database again); scopes are
  still the routes' dependencies' business.

Limits (documented in ``issuer/VC_API.md``): :data:`DEFAULT_BODY_LIMIT` (2 MB, the VC-API's
promise, and every admin JSON body), :data:`BATCH_BODY_LIMIT` for ``…/batches`` (JSON or CSV),
:data:`EXCHANGE_BODY_LIMIT` for the wallet exchanges (``/exchanges/…``), the verifier's own
``max_body_bytes`` for the verify endpoints and two baked-image sizes for
``/api/bake`` (each plus :data:`FORM_OVERHEAD` for multipart framing; the routes check exactly).
"""

from __future__ import annotations

import re

import anyio
from fastapi import HTTPException
from fastapi.exception_handlers import http_exception_handler
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.api.deps import API_KEY_STATE, api_key_of_header
from issuer.api.errors import database_unavailable
from issuer.api.imsx import imsx_response, in_ob_api
from issuer.db import is_unavailable
from issuer.models import ApiKey
from schemas.baking import MAX_INPUT_BYTES as MAX_BAKE_BYTES
from verifier.inputs import MAX_INPUT_BYTES

__all__ = [
    "BATCH_BODY_LIMIT",
    "DEFAULT_BODY_LIMIT",
    "EXCHANGE_BODY_LIMIT",
    "FORM_OVERHEAD",
    "KEYLESS_API",
    "BodyLimitMiddleware",
    "body_limit_for",
]

#: Any body not named below: VC-API requests and admin JSON.
DEFAULT_BODY_LIMIT = 2 * 1024 * 1024
#: ``POST /api/issuers/{issuer}/batches`` (JSON or CSV): thousands of rows.
BATCH_BODY_LIMIT = 20 * 1024 * 1024
#: ``POST /exchanges/…``: a wallet's DID-authentication presentation (about 1 KB, no credential).
EXCHANGE_BODY_LIMIT = 64 * 1024
#: Room for multipart boundaries and small form fields around an upload.
FORM_OVERHEAD = 64 * 1024
#: ``/api/`` paths that take no API key (their bodies are still capped).
KEYLESS_API = ("/api/bake",)

_BATCHES = re.compile(r"/api/issuers/[^/]+/batches/?")
#: The verify endpoints, exactly (a suffix match would give any ``…/verify`` path their limit).
_VERIFY = frozenset({"/verify", "/verify/stack", "/credentials/verify", "/presentations/verify"})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit_for(path: str, verify_limit: int = MAX_INPUT_BYTES) -> int:
    """The largest body accepted on ``path`` (the verify endpoints take ``verify_limit``)."""
    if _BATCHES.fullmatch(path):
        return BATCH_BODY_LIMIT
    if path == "/api/bake":
        return 2 * MAX_BAKE_BYTES + FORM_OVERHEAD
    if path.rstrip("/") in _VERIFY:
        return verify_limit + FORM_OVERHEAD
    if path.startswith("/exchanges/"):
        return EXCHANGE_BODY_LIMIT
    return DEFAULT_BODY_LIMIT


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """See the module docstring. ``verify_limit``: the verifier's ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, verify_limit: int = MAX_INPUT_BYTES) -> None:
        self.app = app
        self.verify_limit = verify_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = body_limit_for(path, self.verify_limit)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        too_large = HTTPException(413, f"the request body is larger than {limit} bytes")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _reply(scope, receive, send, too_large)
            return
        if (
            scope["method"] in _WRITES
            and path.startswith("/api/")
            and path.rstrip("/") not in KEYLESS_API
        ):
            checked = await _check_key(scope, headers.get("authorization"))
            if isinstance(checked, HTTPException):
                await _reply(scope, receive, send, checked)
                return
            scope.setdefault("state", {})[API_KEY_STATE] = checked

        received = 0
        started = tripped = False

        async def counting_receive() -> Message:
            nonlocal received, tripped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    raise _TooLarge(too_large.detail)
            return message

        async def guarded_send(message: Message) -> None:
            # Once the limit tripped, whatever the app makes of it (FastAPI answers a failed
            # body read with 400) is replaced by the 413.
            nonlocal started
            if tripped:
                if not started:
                    started = True
                    await _reply(scope, receive, send, too_large)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not tripped:
                raise
        if tripped and not started:
            await _reply(scope, receive, send, too_large)


async def _check_key(scope: Scope, header: str | None) -> ApiKey | HTTPException:
    """The live key the header names, or the 401 for a missing or dead one, asked of the
    database in a worker thread; the 503 when the database cannot be asked."""
    engine = scope["app"].state.engine

    def check() -> ApiKey | HTTPException:
        try:
            with Session(engine) as session:
                return api_key_of_header(session, header)
        except HTTPException as error:
            return error
        except SQLAlchemyError as error:
            if not is_unavailable(error):
                raise
            return database_unavailable(error, f"{scope['method']} {scope['path']}")

    return await anyio.to_thread.run_sync(check)


async def _reply(scope: Scope, receive: Receive, send: Send, refusal: HTTPException) -> None:
    """Answer ``refusal`` as the app answers a raised ``HTTPException`` (FastAPI's handler:
    ``{"detail": ...}`` with its headers; under the OB 3.0 API an ``Imsx_StatusInfo``,
    :mod:`issuer.api.imsx`), though no route ran."""
    if in_ob_api(scope["path"]):
        response: Response = imsx_response(
            refusal.status_code, str(refusal.detail), headers=refusal.headers
        )
    else:
        response = await http_exception_handler(Request(scope), refusal)
    await response(scope, receive, send)
