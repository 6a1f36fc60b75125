"""FastAPI dependencies: the runtime, a session per request, and API-key authorization.

Authorization errors are deliberately two: **401** when there is no usable token (missing,
malformed, unknown, revoked — the caller must authenticate), **403** when the token is good but
may not do this (wrong scope, or bound to another issuer). A key bound to one issuer gets 403,
not 404, for an issuer that does not exist: it must not learn which issuers do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from sqlmodel import Session, select

from issuer.log_redaction import redact_path
from issuer.models import ApiKey, Issuer, Scope
from issuer.runtime import Runtime
from issuer.services.apikeys import authenticate, has_scope
from issuer.settings import Settings

__all__ = [
    "API_KEY_STATE",
    "ApiKeyDep",
    "CatalogIssuer",
    "IssueIssuer",
    "AdminIssuer",
    "ReadIssuer",
    "RuntimeDep",
    "SessionDep",
    "SettingsDep",
    "api_key_of_header",
    "release_connection",
    "require_scope",
]

log = logging.getLogger("microcred.issuer.api")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def get_app_settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request, closed after the response has been sent.

    Closing rolls back what was not committed and gives the connection back; if the database
    went away meanwhile, that can fail — and an exception then, with the response already
    sent, would make the server drop the client's keep-alive connection. So a failure to
    close is logged, never raised (the pool discards a connection it could not reset).
    """
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        try:
            session.close()
        except Exception as error:  # noqa: BLE001 - after the response: the log is all we have
            log.warning(
                "closing the database session of %s %s failed: %s: %s",
                request.method,
                redact_path(request.url.path),
                type(error).__name__,
                " ".join(str(getattr(error, "orig", None) or error).split()),
            )


def release_connection(session: Session) -> None:
    """Give the session's connection back to the pool before a verification.

    A verification fetches this service's own documents (status lists, DID documents, badge
    links) in process, and each of those requests takes a pooled connection of its own: a
    request that kept one meanwhile needs two at once, and enough of them at once starve the
    pool (every database access then waits out the pool's timeout).

    The open read transaction is committed without expiring what it loaded: reading a loaded
    row afterwards must not take a connection again (an expired attribute reloads, inside a
    new transaction, which would then be held through the verification). The session stays
    usable; its next query takes a connection anew.
    """
    if not session.in_transaction():
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


#: Where :mod:`issuer.api.body_limit` leaves the key it authenticated a write with
#: (``request.state``), so that the request asks the database for it once.
API_KEY_STATE = "api_key"


def get_api_key(request: Request, session: SessionDep) -> ApiKey:
    """The live API key of the ``Authorization: Bearer`` header, or 401: the one
    :mod:`issuer.api.body_limit` already found for a write (its columns loaded; the key has
    no relationships to load later), else looked up here."""
    checked: ApiKey | None = getattr(request.state, API_KEY_STATE, None)
    if checked is not None:
        return checked
    return api_key_of_header(session, request.headers.get("authorization"))


def api_key_of_header(session: Session, header: str | None) -> ApiKey:
    """The live API key an ``Authorization`` header value names; 401 (``HTTPException``)
    otherwise. Shared by the dependency and :mod:`issuer.api.body_limit`, which asks before a
    request body is read."""
    if not header:
        raise _unauthorized("an API key is required: Authorization: Bearer <key>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be 'Bearer <key>'")
    key = authenticate(session, token.strip())
    if key is None:
        raise _unauthorized("the API key is not valid (unknown, malformed or revoked)")
    return key


ApiKeyDep = Annotated[ApiKey, Depends(get_api_key)]


def require_scope(scope: Scope | None) -> Callable[..., Issuer]:
    """A dependency returning the path's issuer if the key may act on it with ``scope``
    (``None``: any scope, for reads)."""

    def dependency(
        key: ApiKeyDep,
        session: SessionDep,
        issuer_slug: Annotated[str, Path(max_length=64)],
    ) -> Issuer:
        issuer = session.exec(select(Issuer).where(Issuer.slug == issuer_slug)).first()
        if key.issuer_id is not None and (issuer is None or issuer.id != key.issuer_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this API key is for another issuer")
        if scope is not None and not has_scope(key, scope):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this API key lacks the '{scope.value}' scope"
            )
        if issuer is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no issuer {issuer_slug!r}")
        return issuer

    return dependency


ReadIssuer = Annotated[Issuer, Depends(require_scope(None))]
CatalogIssuer = Annotated[Issuer, Depends(require_scope(Scope.catalog))]
IssueIssuer = Annotated[Issuer, Depends(require_scope(Scope.issue))]
AdminIssuer = Annotated[Issuer, Depends(require_scope(Scope.admin))]
