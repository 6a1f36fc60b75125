"""The W3C VC-API, and the DCC issuer-coordinator's paths, over :mod:`issuer.services.vcapi`.

Issuing and status (``Authorization: Bearer <API key>``, the issuer-coordinator's tenant
tokens): ``POST /credentials/issue`` (``issue`` scope), ``POST /credentials/status``
(``revoke`` scope), and the same under ``/instance/{tenant}/`` where the tenant is an issuer's
slug. Verifying is open: ``POST /credentials/verify``, ``POST /presentations/verify``.

Status codes, in the order they are decided:

* **401** no usable token (missing, malformed, unknown, revoked) — decided before the body is
  read, so a malformed body is never answered 401 and a missing token never 400;
* **403** the token lacks the scope, or is bound to another issuer than the path's tenant;
* **400** a malformed body: not JSON, not an object, ``credential`` missing, a required member
  missing or of the wrong type (null, a number, an array, a string…). The W3C VC-API test
  suites require 400 here;
* **422** a well-formed request that cannot be carried out: a term the ``@context`` does not
  define (named), a context this service does not carry, an issuer the token may not use;
* **409** a credential id another issuer already used; a status change on a revoked
  credential; **404** an unknown tenant, or a status request for an unknown credential.

Issue answers **201** ``{"verifiableCredential": ...}``. On ``/instance/{tenant}/…`` a body that
is a bare credential (DCC's shape) is answered as DCC does: 200 with the signed credential
itself. Verification answers **200** when verified and **400** when not, with the same body.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from issuer.api.deps import ApiKeyDep, RuntimeDep, SessionDep
from issuer.api.responses import (
    FORBIDDEN,
    NOT_FOUND,
    OBJECT,
    TOO_LARGE,
    UNAUTHORIZED,
    merged,
    served,
)
from issuer.models import (
    ApiKey,
    ErrorResponse,
    Issuer,
    IssueRequest,
    IssueResponse,
    Scope,
    StackEffectPublic,
    StatusRequest,
    StatusResponse,
)
from issuer.runtime import Runtime
from issuer.services import vcapi
from issuer.services.apikeys import has_scope
from schemas.json_values import parse_json
from verifier import vcapi as vcapi_verify
from verifier.http import BUSY, ErrorModel, VerifierDep, error_response, read_body
from verifier.negotiation import best_match

__all__ = ["router"]

router = APIRouter(tags=["vc-api"])


# ------------------------------------------------------------------------------ documentation


class VerifyCredentialRequest(BaseModel):
    verifiableCredential: dict[str, Any] | str = Field(
        description="A credential with an embedded proof, or a VC-JWT."
    )
    options: dict[str, Any] | None = Field(
        default=None,
        description="`checks`: the checks that must pass (default: every one that applies): "
        + ", ".join(vcapi_verify.CHECK_NAMES)
        + ". Aliases: credentialStatus, expiration, valid_signature, issuer.",
    )


class VerifyPresentationRequest(BaseModel):
    verifiablePresentation: dict[str, Any]
    options: dict[str, Any] | None = Field(
        default=None,
        description="`challenge` and `domain` the holder's authentication proof must carry; "
        "`checks` for the credentials, as for /credentials/verify.",
    )


class VerifyResponse(BaseModel):
    verified: bool
    checks: list[str]
    warnings: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class PresentationVerifyResponse(VerifyResponse):
    presentationResult: dict[str, Any]
    credentialResults: list[dict[str, Any]]


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The request body as documentation only: the body is read and checked by hand, so the
    status code and message for each malformed case are ours, not FastAPI's generic 422."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


_AUTH_ERRORS = merged(
    UNAUTHORIZED,
    FORBIDDEN,
    TOO_LARGE,
    {
        400: {"model": ErrorResponse, "description": "Malformed body (names the field)"},
        422: {"model": ErrorResponse, "description": "Undefined term, unknown context, issuer"},
    },
)
_ISSUE_RESPONSES = merged(
    _AUTH_ERRORS,
    {409: {"model": ErrorResponse, "description": "The id was issued by another issuer"}},
)
#: The tenant paths: an unknown tenant is 404 ``{"detail"}``, as any unknown object here.
_NO_TENANT = error_response("No such tenant")
#: Both verify endpoints: the verdict's own 400, a body over the verifier's limit, no slot.
_VERIFY_RESPONSES = merged(
    {400: {"model": VerifyResponse, "description": "Not verified, or bad input"}},
    TOO_LARGE,
    BUSY,
)


# ------------------------------------------------------------------------------ helpers


class _NotJson:
    """A body that did not parse: reported as 400 once the token has been checked."""

    def __init__(self, message: str) -> None:
        self.message = message


def _parsed(body: bytes) -> Any:
    """The JSON ``body`` holds, or a :class:`_NotJson` (never an exception: authentication,
    declared before the body dependencies, must decide first)."""
    if not body.strip():
        return _NotJson("the request body is empty: send a JSON object")
    try:
        return parse_json(body)
    except ValueError as error:  # JSONDecodeError (JsonTooDeep too), NaN, UnicodeDecodeError
        return _NotJson(f"the request body is not JSON: {error}")


async def read_json(request: Request) -> Any:
    """An issue or status request's JSON body (see :func:`_parsed`). Its size is capped ahead
    of the route, as every admin body's (:mod:`issuer.api.body_limit`)."""
    return _parsed(await request.body())


async def read_verify_json(request: Request, verifier: VerifierDep) -> Any:
    """A verify request's JSON body (see :func:`_parsed`), within the verifier's
    ``max_body_bytes`` as ``POST /verify``'s is (413 beyond)."""
    return _parsed(await read_body(request, verifier.limits.max_body_bytes))


JsonBody = Annotated[Any, Depends(read_json)]
VerifyJsonBody = Annotated[Any, Depends(read_verify_json)]


def _error_response(error: vcapi.VcApiError) -> JSONResponse:
    """A VC-API error as its JSON body, with the HTTP status it names."""
    return JSONResponse({"code": error.status_code, **error.to_json()}, error.status_code)


def _require(key: ApiKey, scope: Scope) -> None:
    if not has_scope(key, scope):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"this API key lacks the '{scope.value}' scope"
        )


def _tenant(session: Session, key: ApiKey, slug: str) -> Issuer:
    """The issuer named by the path, as :func:`issuer.api.deps.require_scope` finds it."""
    issuer = session.exec(select(Issuer).where(Issuer.slug == slug)).first()
    if key.issuer_id is not None and (issuer is None or issuer.id != key.issuer_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this API key is for another issuer")
    if issuer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Tenant {slug!r} doesn't exist.")
    return issuer


def _actor(key: ApiKey) -> str:
    return f"api:{key.prefix}"


def _checked_body(body: Any) -> Any:
    if isinstance(body, _NotJson):
        raise vcapi.MalformedRequest("invalid_request", body.message)
    return body


def _issue(
    session: Session,
    runtime: Runtime,
    key: ApiKey,
    body: Any,
    tenant: Issuer | None,
) -> tuple[vcapi.IssueOutcome, bool]:
    """Issue from a VC-API body; ``(outcome, wrapped)`` where ``wrapped`` is False when the body
    was a bare credential (DCC's shape, accepted on the tenant path only)."""
    body = _checked_body(body)
    wrapped = not (
        tenant is not None
        and isinstance(body, dict)
        and "@context" in body
        and "credential" not in body
    )
    if not wrapped:
        body = {"credential": body}
    if tenant is not None and isinstance(body, dict) and isinstance(body.get("credential"), dict):
        credential = body["credential"]
        if isinstance(credential.get("issuer"), dict | str):
            # DCC's signing service sets the issuer to the tenant's DID: do the same.
            body = {**body, "credential": vcapi.set_issuer(credential, tenant.did)}
    credential, options = vcapi.parse_issue_request(body, runtime.urls)
    issuer = tenant or vcapi.resolve_issuer(session, credential, key)
    outcome = vcapi.issue_credential(
        session=session,
        runtime=runtime,
        issuer=issuer,
        credential=credential,
        options=options,
        actor=_actor(key),
    )
    return outcome, wrapped


def _issue_response(outcome: vcapi.IssueOutcome, wrapped: bool) -> JSONResponse:
    if not wrapped:
        return JSONResponse(outcome.credential, status.HTTP_200_OK)
    body: dict[str, Any] = {"verifiableCredential": outcome.credential}
    if outcome.warnings:
        body["warnings"] = list(outcome.warnings)
    return JSONResponse(body, status.HTTP_201_CREATED)


# ------------------------------------------------------------------------------ issue


@router.post(
    "/credentials/issue",
    summary="Issue a credential (W3C VC-API)",
    status_code=status.HTTP_201_CREATED,
    response_model=IssueResponse,
    responses=_ISSUE_RESPONSES,
    openapi_extra=_body_doc(IssueRequest),
)
def issue(key: ApiKeyDep, session: SessionDep, runtime: RuntimeDep, body: JsonBody) -> Response:
    """Sign any VC 1.1 or 2.0 credential with the key of the issuer whose DID is
    `credential.issuer` (or `issuer.id`). Adds an `id` (`urn:uuid:`) and a `validFrom` /
    `issuanceDate` when missing, the data-integrity context a VC 1.1 credential needs, and
    BitstringStatusListEntry status when asked (`options.credentialStatus`) or configured
    (`MICROCRED_VCAPI_STATUS_ISSUERS`)."""
    _require(key, Scope.issue)
    try:
        outcome, wrapped = _issue(session, runtime, key, body, None)
    except vcapi.VcApiError as error:
        return _error_response(error)
    return _issue_response(outcome, wrapped)


@router.post(
    "/instance/{tenant}/credentials/issue",
    summary="Issue a credential as a tenant (DCC issuer-coordinator path)",
    status_code=status.HTTP_201_CREATED,
    response_model=IssueResponse,
    responses={
        **_ISSUE_RESPONSES,
        200: {
            "description": "A bare credential was posted (DCC's shape): the signed credential",
            "content": {"application/json": {"schema": OBJECT}},
        },
        404: _NO_TENANT,
    },
    openapi_extra=_body_doc(IssueRequest),
)
def issue_as_tenant(
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: JsonBody,
    tenant: Annotated[str, Path(description="The issuer's slug")],
) -> Response:
    """The issuer-coordinator's `POST /instance/:tenant/credentials/issue`: the tenant (an
    issuer's slug) signs, and the credential's issuer id is set to the tenant's DID, as DCC's
    signing service does. The body is a bare unsigned credential (DCC), answered 200 with the
    signed credential, or a VC-API `{"credential", "options"}` body, answered 201."""
    _require(key, Scope.issue)
    issuer = _tenant(session, key, tenant)
    try:
        outcome, wrapped = _issue(session, runtime, key, body, issuer)
    except vcapi.VcApiError as error:
        return _error_response(error)
    return _issue_response(outcome, wrapped)


# ------------------------------------------------------------------------------ status

_STATUS_MESSAGES = {
    "revoked": "Credential successfully revoked.",
    "suspended": "Credential successfully suspended.",
    "unsuspended": "Credential successfully unsuspended.",
}


def _status(
    session: Session, runtime: Runtime, key: ApiKey, body: Any, tenant: Issuer | None
) -> Response:
    try:
        update = vcapi.parse_status_request(_checked_body(body))
        change = vcapi.change_status(
            session=session,
            runtime=runtime,
            key=key,
            update_request=update,
            actor=_actor(key),
            tenant=tenant,
        )
        result = StatusResponse(
            code=200,
            message=_STATUS_MESSAGES[update.status],
            credentialId=change.credential_id,
            status=change.status.value,
            previousStatus=change.previous_status.value,
            changed=change.changed,
            statusLists=list(change.status_lists),
            stacks=[StackEffectPublic.model_validate(s.to_json()) for s in change.stacks],
        )
    except vcapi.VcApiError as error:
        return _error_response(error)
    return JSONResponse(result.model_dump(mode="json"))


_STATUS_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_AUTH_ERRORS,
    404: {
        "model": ErrorResponse | ErrorModel,
        "description": "No such credential (for this token), or no such tenant",
    },
    409: {"model": ErrorResponse, "description": "Revoked (permanent), or issued without status"},
}


@router.post(
    "/credentials/status",
    summary="Revoke, suspend or unsuspend a credential (VC-API / DCC)",
    response_model=StatusResponse,
    responses=_STATUS_RESPONSES,
    openapi_extra=_body_doc(StatusRequest),
)
def update_status(
    key: ApiKeyDep, session: SessionDep, runtime: RuntimeDep, body: JsonBody
) -> Response:
    """DCC's status update: `{"credentialId", "credentialStatus": [{"type":
    "BitstringStatusListCredential", "status": "revoked"|"suspended"|"unsuspended"}]}`. The
    credential is found by its `id` among those issued through the VC-API (or, for
    `{base}/credentials/{uuid}`, among awards). Revocation is permanent; asking for the current
    state succeeds and changes nothing. The lists say so at their next fetch (re-signed then)."""
    _require(key, Scope.revoke)
    return _status(session, runtime, key, body, None)


@router.post(
    "/instance/{tenant}/credentials/status",
    summary="Change a credential's status as a tenant (DCC issuer-coordinator path)",
    response_model=StatusResponse,
    responses=_STATUS_RESPONSES,
    openapi_extra=_body_doc(StatusRequest),
)
def update_status_as_tenant(
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: JsonBody,
    tenant: Annotated[str, Path(description="The issuer's slug")],
) -> Response:
    """As `POST /credentials/status`, for the tenant's credentials only."""
    _require(key, Scope.revoke)
    issuer = _tenant(session, key, tenant)
    return _status(session, runtime, key, body, issuer)


# ------------------------------------------------------------------------------ verify


def _now() -> datetime:
    return datetime.now(UTC)


def _invalid(error: vcapi_verify.InvalidVerifyRequest) -> JSONResponse:
    return JSONResponse(
        {
            "verified": False,
            "checks": [],
            "warnings": [],
            "errors": [{"name": error.name, "message": error.message}],
        },
        status.HTTP_400_BAD_REQUEST,
    )


@router.post(
    "/credentials/verify",
    # as derived from the handler's former name, verify_credential (now verifier.vcapi's alone)
    operation_id="verify_credential_credentials_verify_post",
    summary="Verify a credential (W3C VC-API)",
    response_model=VerifyResponse,
    responses=_VERIFY_RESPONSES,
    openapi_extra=_body_doc(VerifyCredentialRequest),
)
async def post_credentials_verify(
    verifier: VerifierDep, runtime: RuntimeDep, body: VerifyJsonBody
) -> Response:
    """200 `{"verified": true, "checks": [...], "warnings": [], "errors": []}` when every
    required check passes; 400 with `verified: false` and the failed checks in `errors`
    (`{"name", "message", "check"}`) when not. Data Integrity proofs (eddsa-rdfc-2022,
    `previousProof` chains), Ed25519Signature2020 and VC-JWT; status, validity, issuer key."""
    if isinstance(body, _NotJson):
        return _invalid(vcapi_verify.InvalidVerifyRequest(body.message))
    try:
        result = await verifier.run(
            vcapi_verify.verify_credential,
            verifier.with_loader(vcapi.context_loader(runtime, verifier.loader)),
            body,
            now=_now(),
        )
    except vcapi_verify.InvalidVerifyRequest as error:
        return _invalid(error)
    return JSONResponse(result.to_json(), 200 if result.verified else 400)


@router.post(
    "/presentations/verify",
    # as derived from the handler's former name, verify_presentation (now verifier.vcapi's alone)
    operation_id="verify_presentation_presentations_verify_post",
    summary="Verify a presentation and its credentials (W3C VC-API)",
    response_model=PresentationVerifyResponse,
    responses=_VERIFY_RESPONSES,
    openapi_extra=_body_doc(VerifyPresentationRequest),
)
async def post_presentations_verify(
    verifier: VerifierDep, runtime: RuntimeDep, body: VerifyJsonBody
) -> Response:
    """The holder's `authentication` proof (with `options.challenge` / `options.domain` when
    given; a presentation without one is not verified), then every credential in it, each
    reported in `credentialResults`. 200 when all verify, 400 otherwise."""
    if isinstance(body, _NotJson):
        return _invalid(vcapi_verify.InvalidVerifyRequest(body.message))
    try:
        result = await verifier.run(
            vcapi_verify.verify_presentation,
            verifier.with_loader(vcapi.context_loader(runtime, verifier.loader)),
            body,
            now=_now(),
        )
    except vcapi_verify.InvalidVerifyRequest as error:
        return _invalid(error)
    return JSONResponse(result.to_json(), 200 if result.verified else 400)


# ------------------------------------------------------------------------------ serving


@router.get(
    vcapi.CREDENTIAL_PATH + "{name}",
    summary="A credential issued through the VC-API with an id under this service's URL",
    response_class=Response,
    responses=served(
        "The credential as signed",
        {"application/json": OBJECT, "application/vc+ld+json": OBJECT},
        NOT_FOUND,
    ),
)
def issued_credential(
    name: Annotated[str, Path(max_length=128)],
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """Served at its id, as signed. Credentials with `urn:uuid:` ids (the default) have no URL."""
    row = vcapi.get_credential(session, runtime, name)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no credential {name!r}")
    # Either type is the same bytes; ties (and no preference) keep application/json.
    offers = ("application/json", "application/vc+ld+json")
    media = best_match(request.headers.get("accept"), offers) or offers[0]
    return Response(row.credential, media_type=media)
