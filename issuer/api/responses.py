"""What each operation may answer besides success, declared once for the OpenAPI document.

Clients are generated from ``/openapi.json``, so every status an operation can answer is in it,
with the body it carries. Each answer is made in one place, and declared here next to it:

* **400** a body that cannot be read at all (not UTF-8, FastAPI's "error parsing the body");
* **401** no usable API key (:func:`issuer.api.deps.api_key_of_header`; for writes already in
  :mod:`issuer.api.body_limit`, before the body is read), with ``WWW-Authenticate``;
* **403** a key without the scope, or bound to another issuer
  (:func:`~issuer.api.deps.require_scope`);
* **404** an issuer, achievement, credential, batch, list… that does not exist
  (:class:`issuer.services.errors.NotFound`), as a page for a client that prefers HTML;
* **406** no representation the ``Accept`` header allows (public documents);
* **409** a conflict with what is stored (:class:`issuer.services.errors.Conflict`);
* **413** a body over its path's limit (:mod:`issuer.api.body_limit`);
* **415** a body of a media type the operation does not read;
* **422** a request that parsed but is not valid: FastAPI's validation-error shape, also when a
  service refuses it (:mod:`issuer.api.errors`); FastAPI declares it by itself on every
  operation with parameters or a body, and :func:`validation_error` where an operation says
  more (a submission that counted nothing answers its own result; the VC-API its own body);
* **503** the database (or, for the verify endpoints, a verification slot) could not be had in
  time: ``{"detail"}`` with ``Retry-After``. Every operation reads the database, so
  :func:`issuer.app.create_app` includes every router with :data:`SERVICE`.

Routers take the set that applies to all their routes (``APIRouter(responses=...)``); a route
adds what is its own (``responses=...`` on the decorator). The shapes are
:class:`verifier.http.ErrorModel` (``{"detail": "..."}``) and FastAPI's ``HTTPValidationError``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from verifier.http import Responses, error_response

__all__ = [
    "ADMIN",
    "BAD_BODY",
    "BINARY",
    "CONFLICT",
    "FORBIDDEN",
    "JSON_BODY",
    "NOT_ACCEPTABLE",
    "NOT_FOUND",
    "OBJECT",
    "SERVICE",
    "TEXT",
    "TOO_LARGE",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "merged",
    "served",
    "validation_error",
]

#: FastAPI's name for its validation-error body (``{"detail": [{"loc", "msg", "type"}]}``).
_VALIDATION = "HTTPValidationError"
_WWW_AUTHENTICATE: dict[str, Any] = {
    "WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}
}

BAD_BODY: Responses = {400: error_response("The body could not be read (not UTF-8, not JSON)")}
UNAUTHORIZED: Responses = {
    401: error_response(
        "No usable API key (missing, malformed, unknown or revoked): `Authorization: Bearer <key>`",
        headers=_WWW_AUTHENTICATE,
    )
}
FORBIDDEN: Responses = {
    403: error_response("The API key lacks the scope, or is bound to another issuer")
}
#: A browser (a client preferring HTML) gets the page with the way home instead of the JSON
#: (:mod:`issuer.api.errors`).
NOT_FOUND: Responses = {
    404: {
        **error_response("No such object (the detail names it); for a browser, a page"),
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}
NOT_ACCEPTABLE: Responses = {406: error_response("No representation the Accept header allows")}
CONFLICT: Responses = {409: error_response("In conflict with what is stored (the detail says how)")}
TOO_LARGE: Responses = {413: error_response("The body is larger than this path accepts")}
UNSUPPORTED_MEDIA_TYPE: Responses = {
    415: error_response("A body of a media type this operation does not read")
}
#: The database could not be had in time (a restart, a fail-over, every connection busy).
SERVICE: Responses = {
    503: error_response(
        "The database is unavailable or busy: retry after `Retry-After` seconds",
        retry_after=True,
    )
}


def validation_error(description: str, *others: type[BaseModel]) -> dict[str, Any]:
    """A 422 in FastAPI's validation-error shape (or in one of ``others``, an operation's own
    refusal), described. FastAPI writes its own 422 only where none is declared, so a route
    that says more writes the shape out; both are components of every document (FastAPI adds
    its own, and ``others`` are operations' response models)."""
    names = [_VALIDATION, *(model.__name__ for model in others)]
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: Schemas of documents served as they are (not a response model): JSON, text, bytes.
OBJECT: dict[str, Any] = {"type": "object"}
TEXT: dict[str, Any] = {"type": "string"}
BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


def served(description: str, content: dict[str, dict[str, Any]], *others: Responses) -> Responses:
    """``responses=`` of a route that returns a ``Response`` itself: its 200 in each media type
    it may be served as (``media type -> schema``), then ``others``."""
    media = {name: {"schema": schema} for name, schema in content.items()}
    return merged({200: {"description": description, "content": media}}, *others)


def merged(*parts: Responses) -> Responses:
    """One ``responses=`` mapping from several (later ones win for the same status)."""
    result: Responses = {}
    for part in parts:
        result.update(part)
    return result


#: Every admin-API operation on one issuer (``/api/issuers/{issuer_slug}/…``).
ADMIN = merged(UNAUTHORIZED, FORBIDDEN, NOT_FOUND)
#: Operations that read a JSON body.
JSON_BODY = merged(BAD_BODY, TOO_LARGE)
