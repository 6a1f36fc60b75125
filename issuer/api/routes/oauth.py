"""The OAuth 2.0 endpoints of the OB 3.0 API (Authlib underneath, :mod:`issuer.api.oauth_server`).

* ``GET /.well-known/oauth-authorization-server``: RFC 8414 metadata.
* ``POST /oauth/register``: RFC 7591 dynamic registration, open (no initial access token, as
  the OB 3.0 API requires), rate-limited per client address.
* ``GET /oauth/authorize``: a signed-in educator's consent page (else ``/sign-in?next=…``).
  A request naming an unknown client or a redirect URI not registered exactly is an error
  *page*, never a redirect (RFC 6749 §4.1.2.1: the server must not send the browser to an
  unchecked address); other errors go back to the client's redirect URI.
* ``POST /oauth/authorize``: the consent form (CSRF-checked): Allow issues a code, Deny
  answers ``access_denied``; ``state`` is passed back either way.
* ``POST /oauth/token``: ``authorization_code`` (PKCE S256 verifier required) and
  ``refresh_token`` (rotated), ``client_secret_basic`` only; ``Cache-Control: no-store``.
* ``POST /oauth/revoke``: RFC 7009.

The routes read the request, hand Authlib its parts, and commit what it wrote when it
succeeded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from issuer.api.csrf import CSRF_FIELD, check_csrf, csrf_token
from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.learner_auth import LearnerPageDep
from issuer.api.oauth_server import OAuthServer, RawRequest, oauth_server, server_metadata
from issuer.api.pages import html_page
from issuer.api.rate_limit import TOO_MANY_REQUESTS, Rate, limit_per_client
from issuer.api.responses import TOO_LARGE
from issuer.models.oauth import OAuthClient
from issuer.runtime import Runtime
from issuer.services import oauth_clients
from issuer.services.oauth_tokens import SCOPE_PREFIX
from verifier.security_headers import page_csp

__all__ = ["AUTHORIZE_FIELDS", "router"]

#: The authorization request's parameters, carried from the consent page to its form POST.
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)

router = APIRouter(tags=["oauth"])

_OAUTH_ERROR: dict[str, Any] = {
    "description": "An OAuth 2.0 error (RFC 6749 §5.2): `error` and `error_description`",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                },
                "required": ["error"],
            }
        }
    },
}
_JSON_OBJECT: dict[str, Any] = {"content": {"application/json": {"schema": {"type": "object"}}}}


def _server(session: Session, runtime: Runtime) -> OAuthServer:
    settings = runtime.settings
    return oauth_server(
        session,
        now=runtime.clock(),
        base=runtime.urls.base,
        refresh_days=settings.oauth_refresh_token_days,
        allow_http_localhost=settings.oauth_allow_http_localhost,
    )


def _uri(request: Request, runtime: Runtime) -> str:
    """The request's URL on the public base (what Authlib's https check sees)."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{runtime.urls.base}{request.url.path}{query}"


async def _raw(request: Request, runtime: Runtime, *, form: bool) -> RawRequest:
    pairs: list[tuple[str, str]] = []
    if form:
        data = await request.form()
        pairs = [(name, value) for name, value in data.multi_items() if isinstance(value, str)]
    return RawRequest(
        method=request.method,
        uri=_uri(request, runtime),
        headers=request.headers,
        query=list(request.query_params.multi_items()),
        form=pairs,
    )


def _finish(session: Session, response: Response) -> Response:
    """Commit what Authlib wrote when it succeeded; drop it otherwise."""
    if response.status_code < 400 and "error=" not in response.headers.get("location", ""):
        session.commit()
    else:
        session.rollback()
    return response


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth 2.0 authorization server metadata (RFC 8414)",
    responses={200: _JSON_OBJECT},
)
def metadata(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(server_metadata(runtime.urls.base))


def _registration_rate(request: Request, runtime: RuntimeDep) -> None:
    limit = runtime.settings.oauth_registrations_per_hour
    limit_per_client(
        request,
        Rate("oauth-register", limit, 3600.0, "too many client registrations; try again later"),
    )


#: The registration body as the OB 3.0 API's security section requires it (RFC 7591 metadata);
#: what a schema cannot say (https on the client_uri's host, the four OB scopes) is
#: issuer.services.oauth_clients' to check, answered 400 invalid_client_metadata.
_REGISTRATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(oauth_clients.REQUIRED_FIELDS),
    "properties": {
        **{
            name: {"type": "string", "minLength": 1}
            for name in oauth_clients.REQUIRED_FIELDS
            if name != "redirect_uris"
        },
        "redirect_uris": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "token_endpoint_auth_method": {"type": "string", "enum": [oauth_clients.AUTH_METHOD]},
        "grant_types": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(oauth_clients.GRANT_TYPES)},
        },
        "response_types": {"type": "array", "items": {"type": "string", "enum": ["code"]}},
        "contacts": {"type": "array", "items": {"type": "string"}},
    },
}


@router.post(
    "/oauth/register",
    summary="Register a client (RFC 7591; OB 3.0 API: no initial access token)",
    status_code=201,
    dependencies=[Depends(_registration_rate)],
    responses={201: _JSON_OBJECT, 400: _OAUTH_ERROR, **TOO_MANY_REQUESTS, **TOO_LARGE},
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": _REGISTRATION_SCHEMA}}}
    },
)
async def register(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    raw = RawRequest(
        method="POST",
        uri=_uri(request, runtime),
        headers=request.headers,
        body=await request.body(),
    )
    response = _server(session, runtime).create_endpoint_response("client_registration", raw)
    return _finish(session, response)


#: The token and revocation endpoints: a form posted by a client authenticated with HTTP
#: Basic, answered with JSON or an OAuth error.
_CLIENT_FORM_ENDPOINT: dict[str, Any] = {
    "responses": {200: _JSON_OBJECT, 400: _OAUTH_ERROR, 401: _OAUTH_ERROR, **TOO_LARGE},
    "openapi_extra": {
        "requestBody": {
            "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
        }
    },
}


@router.post(
    "/oauth/token",
    summary="Exchange a code or a refresh token for tokens (client_secret_basic)",
    **_CLIENT_FORM_ENDPOINT,
)
async def token(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    raw = await _raw(request, runtime, form=True)
    return _finish(session, _server(session, runtime).create_token_response(raw))


@router.post(
    "/oauth/revoke",
    summary="Revoke an access or refresh token (RFC 7009, client_secret_basic)",
    **_CLIENT_FORM_ENDPOINT,
)
async def revoke(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    raw = await _raw(request, runtime, form=True)
    return _finish(session, _server(session, runtime).create_endpoint_response("revocation", raw))


def _scope_names(scope: str) -> list[str]:
    """The scopes' short names (``credential.readonly``), which the page words by name."""
    return [name.removeprefix(SCOPE_PREFIX) for name in sorted(set(scope.split()))]


def _error_page(request: Request, error: OAuth2Error) -> HTMLResponse:
    return html_page(
        request,
        "oauth_error.html",
        400,
        error=error.error,
        description=error.get_error_description(),
    )


@router.get("/oauth/authorize", include_in_schema=False)
async def authorize_page(
    request: Request, learner: LearnerPageDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    server = _server(session, runtime)
    raw = await _raw(request, runtime, form=False)
    try:
        grant = server.get_consent_grant(raw, end_user=learner)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(None, error)
        return _error_page(request, error)
    client: OAuthClient = grant.client.row
    data = grant.request.payload.data
    response = html_page(
        request,
        "oauth_consent.html",
        client=client,
        client_host=urlsplit(client.client_uri).netloc,
        scopes=_scope_names(grant.request.scope),
        fields={name: data[name] for name in AUTHORIZE_FIELDS if data.get(name)},
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        learner=learner,
    )
    # Allow and Deny answer with a redirect to the app's (registered, just checked) redirect
    # URI: the page's form-action must name its origin or the browser stops there.
    target = urlsplit(str(data["redirect_uri"]))
    response.headers["Content-Security-Policy"] = page_csp(f"{target.scheme}://{target.netloc}")
    return response


@router.post("/oauth/authorize", include_in_schema=False)
async def authorize_decision(
    request: Request, learner: LearnerPageDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    server = _server(session, runtime)
    # Only the authorization request's own parameters go to Authlib (not the CSRF token).
    pairs = [
        (name, value)
        for name, value in form.multi_items()
        if name in AUTHORIZE_FIELDS and isinstance(value, str)
    ]
    raw = RawRequest(method="POST", uri=_uri(request, runtime), headers=request.headers, form=pairs)
    try:
        grant = server.get_consent_grant(raw, end_user=learner)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(None, error)
        return _error_page(request, error)
    allowed = form.get("decision") == "allow"
    response = server.create_authorization_response(
        grant.request, grant_user=learner if allowed else None, grant=grant
    )
    response.status_code = 303  # after a form POST, the browser GETs the redirect URI
    return _finish(session, response)
