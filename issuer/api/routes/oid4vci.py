"""OpenID4VCI 1.0, pre-authorized code flow, over :mod:`issuer.services.oid4vci`.

* ``GET /.well-known/openid-credential-issuer{path}``: an issuer's credential issuer metadata,
  found by path insertion (OID4VCI 1.0 §12.2.2: the identifier ``{base}/issuers/{slug}``);
* ``GET /.well-known/oauth-authorization-server{path}``: its RFC 8414 metadata;
* ``GET /oid4vci/offers/{offer_id}``: a credential offer by reference (404 unknown, 410 used or
  expired);
* ``POST /oid4vci/token``: form-encoded, RFC 6749 errors (``{"error", "error_description"}``);
* ``POST /oid4vci/nonce``: a ``c_nonce``;
* ``POST /oid4vci/credential``: ``Authorization: Bearer`` + JSON; 401 with ``WWW-Authenticate``
  for a bad token (RFC 6750), 400 with OID4VCI's error codes for a bad request.

Every answer that carries a secret or a nonce is ``Cache-Control: no-store``. The routes only
read the request and shape the answer; everything else is the service's.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.rate_limit import TOO_MANY_REQUESTS, Rate, limit_per_client
from issuer.api.responses import NOT_FOUND, OBJECT, TOO_LARGE, merged, served
from issuer.services import oid4vci
from schemas.json_values import parse_json
from verifier.http import Responses, error_response, read_body, request_media_type

__all__ = ["router"]

router = APIRouter(tags=["oid4vci"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: A token, nonce or credential request is small; a bigger body is refused before it is read.
_MAX_BODY = 64 * 1024

_OAUTH_ERROR: dict[str, Any] = {
    "description": "Refused: `{error, error_description}` (RFC 6749 §5.2 / OID4VCI 1.0 §8.3.1)",
    "content": {"application/json": {"schema": OBJECT}},
}
_GONE: Responses = {410: error_response("The offer has been used or has expired")}


def _oauth_response(error: oid4vci.OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    challenge = error.www_authenticate()
    if challenge is not None:
        headers["WWW-Authenticate"] = challenge
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


#: A well-known metadata document of one issuer (404 for a path that names none).
_METADATA = served("The metadata", {"application/json": OBJECT}, NOT_FOUND)


@router.get(
    "/.well-known/openid-credential-issuer/{identifier_path:path}",
    summary="OID4VCI credential issuer metadata of one issuer",
    responses=_METADATA,
)
def credential_issuer_metadata(
    identifier_path: str, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    issuer = oid4vci.issuer_of_path(session, runtime, identifier_path)
    return JSONResponse(oid4vci.issuer_metadata(session, runtime, issuer=issuer))


@router.get(
    "/.well-known/oauth-authorization-server/{identifier_path:path}",
    summary="OAuth 2.0 authorization server metadata (RFC 8414) of one issuer",
    responses=_METADATA,
)
def authorization_server_metadata(
    identifier_path: str, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    issuer = oid4vci.issuer_of_path(session, runtime, identifier_path)
    return JSONResponse(oid4vci.authorization_server_metadata(runtime, issuer=issuer))


@router.get(
    "/oid4vci/offers/{offer_id}",
    summary="A credential offer, by reference",
    responses=served("The credential offer object", {"application/json": OBJECT}, NOT_FOUND, _GONE),
)
def credential_offer(offer_id: str, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    try:
        document = oid4vci.offer_document(session, runtime, offer_id=offer_id, now=runtime.clock())
    except oid4vci.Gone as error:
        raise HTTPException(status.HTTP_410_GONE, str(error)) from None
    return JSONResponse(document, headers=_NO_STORE)


async def _small_body(request: Request) -> bytes:
    return await read_body(request, _MAX_BODY)


RequestBody = Annotated[bytes, Depends(_small_body)]


@router.post(
    "/oid4vci/token",
    summary="Token endpoint: a pre-authorized code (and tx_code) for an access token",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "pre-authorized_code"],
                        "properties": {
                            "grant_type": {"const": oid4vci.PRE_AUTHORIZED_GRANT},
                            "pre-authorized_code": {"type": "string"},
                            "tx_code": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
    responses=merged(
        served("`{access_token, token_type, expires_in}`", {"application/json": OBJECT}),
        {400: _OAUTH_ERROR, 401: _OAUTH_ERROR},
        TOO_LARGE,
    ),
)
def token(
    request: Request, body: RequestBody, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    try:
        if request_media_type(request) != "application/x-www-form-urlencoded":
            raise oid4vci.OAuthError(
                "invalid_request", "the body must be application/x-www-form-urlencoded"
            )
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise oid4vci.OAuthError("invalid_request", "the body is not UTF-8") from None
        grant = oid4vci.redeem_code(session, runtime, form=form, now=runtime.clock())
    except oid4vci.OAuthError as error:
        return _oauth_response(error)
    return JSONResponse(grant.body(), headers=_NO_STORE)


#: Nonces per client address per minute: each is a row, and the endpoint answers anyone (a
#: wallet asks for one per credential).
NONCE_RATE = Rate("oid4vci_nonce", 60, 60.0, "too many nonce requests; wait a minute")


@router.post(
    "/oid4vci/nonce",
    summary="Nonce endpoint: a fresh c_nonce for one key proof",
    responses=served("`{c_nonce}`", {"application/json": OBJECT}, TOO_MANY_REQUESTS),
)
def nonce(request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    limit_per_client(request, NONCE_RATE)
    fresh = oid4vci.new_nonce(session, runtime, now=runtime.clock())
    return JSONResponse({"c_nonce": fresh.c_nonce}, headers=_NO_STORE)


_BEARER_REFUSAL: dict[str, Any] = {
    **_OAUTH_ERROR,
    "headers": {
        "WWW-Authenticate": {"description": "`Bearer` (RFC 6750 §3)", "schema": {"type": "string"}}
    },
}


@router.post(
    "/oid4vci/credential",
    summary="Credential endpoint: the award's copy bound to the key of a jwt key proof",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["credential_configuration_id", "proofs"],
                        "properties": {
                            "credential_configuration_id": {
                                "enum": list(oid4vci.CONFIGURATION_IDS)
                            },
                            "proofs": {
                                "type": "object",
                                "required": ["jwt"],
                                "properties": {
                                    "jwt": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                        "minItems": 1,
                                        "maxItems": 1,
                                    }
                                },
                            },
                        },
                    }
                }
            },
        }
    },
    responses=merged(
        served("`{credentials: [{credential}]}`", {"application/json": OBJECT}),
        {400: _OAUTH_ERROR, 401: _BEARER_REFUSAL, 403: _BEARER_REFUSAL},
        TOO_LARGE,
    ),
)
def credential(
    request: Request, body: RequestBody, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    try:
        authorization = request.headers.get("authorization")
        if request_media_type(request) != "application/json":
            # The token is judged first even so (RFC 6750: no token, no other answer).
            oid4vci.require_bearer(session, authorization, now=runtime.clock())
            raise oid4vci.OAuthError(
                "invalid_credential_request", "the body must be application/json"
            )
        try:
            parsed = parse_json(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            oid4vci.require_bearer(session, authorization, now=runtime.clock())
            raise oid4vci.OAuthError(
                "invalid_credential_request", "the body is not UTF-8 JSON"
            ) from None
        issued = oid4vci.issue_credential(
            session, runtime, authorization=authorization, body=parsed, now=runtime.clock()
        )
    except oid4vci.OAuthError as error:
        return _oauth_response(error)
    return JSONResponse(issued, headers=_NO_STORE)
