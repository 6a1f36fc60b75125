"""Who is calling the OB 3.0 API, and may they: ``require_scope(scope)``.

The API is an OAuth 2.0 resource server (RFC 6750): the client sends ``Authorization: Bearer
<access token>``, the token store (:func:`issuer.services.oauth_tokens.grant_for_bearer`) says
which educator and client it was granted to and with which scopes. Refusals are
``Imsx_StatusInfo`` (:mod:`issuer.api.imsx`) with RFC 6750's ``WWW-Authenticate`` challenge:

* **401** no token, a malformed header, or a token that is unknown, expired or revoked
  (``error="invalid_token"`` when one was sent; none when none was, as RFC 6750 §3.1 asks);
* **403** a live token without the operation's scope (``error="insufficient_scope"`` and the
  ``scope`` needed).

The token never appears in a message or a log line.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.imsx import CodeMinor, ImsxError
from issuer.services.oauth_tokens import AccessGrant, grant_for_bearer

__all__ = ["require_scope"]

#: The realm of every challenge.
REALM = "microcred OB 3.0 API"


def _challenge(**params: str) -> dict[str, str]:
    parts = [f'realm="{REALM}"', *(f'{name}="{value}"' for name, value in params.items())]
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def require_scope(scope: str) -> Callable[..., AccessGrant]:
    """A dependency answering the caller's :class:`AccessGrant` if its token carries ``scope``
    (one of the four OB 3.0 scopes); 401 or 403 ``Imsx_StatusInfo`` otherwise."""

    def dependency(request: Request, session: SessionDep, runtime: RuntimeDep) -> AccessGrant:
        header = request.headers.get("authorization")
        if not header:
            raise ImsxError(
                401,
                "an access token is required: Authorization: Bearer <token>",
                CodeMinor.unauthorizedrequest,
                headers=_challenge(),
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ImsxError(
                401,
                "the Authorization header must be 'Bearer <access token>'",
                CodeMinor.unauthorizedrequest,
                headers=_challenge(error="invalid_request"),
            )
        grant = grant_for_bearer(session, token.strip(), now=runtime.clock())
        if grant is None:
            raise ImsxError(
                401,
                "the access token is not valid (unknown, expired or revoked)",
                CodeMinor.unauthorizedrequest,
                headers=_challenge(error="invalid_token"),
            )
        if scope not in grant.scopes:
            raise ImsxError(
                403,
                f"the access token was not granted the scope this operation needs: {scope}",
                CodeMinor.forbidden,
                headers=_challenge(error="insufficient_scope", scope=scope),
            )
        return grant

    return dependency
