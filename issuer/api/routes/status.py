"""Credential status over HTTP: the published lists, and the admin API to change a status.

Public (no authentication):

* ``GET /status/{list_id}``: a signed BitstringStatusListCredential, re-signed on the way out
  if it changed since it was last signed (see :mod:`issuer.services.status`), with a strong
  ``ETag`` (``If-None-Match`` gives 304) and ``Cache-Control: public, max-age=<ttl>``;
* ``GET /issuers/{slug}/revocations.json``: the 1EdTech revocation list, without reasons, only
  if ``MICROCRED_STATUS_PUBLISH_REVOCATION_LIST`` is on (it names revoked credentials).

Admin (``revoke`` scope): ``POST /api/issuers/{slug}/credentials/{id}/revoke|suspend|unsuspend``
with ``{"reason": ...}``; ``POST /api/issuers/{slug}/status/changes`` with ``{"action",
"credentials": [...], "reason"}`` for many at once (one transaction, all or none);
``GET /api/issuers/{slug}/status/events`` (the audit log),
``GET /api/issuers/{slug}/status/revocations`` (the 1EdTech export, with reasons) and
``GET /api/issuers/{slug}/status/lists``. Each change lists, in ``stacks``, the stack
credentials that counted the credential and what happened to each (revoked, suspended or
unsuspended with it, or kept: see :mod:`issuer.services.stack_status`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from issuer.api.deps import ApiKeyDep, RuntimeDep, SessionDep, require_scope
from issuer.api.paging import ListLimit, ListOffset
from issuer.api.responses import ADMIN, JSON_BODY, NOT_FOUND, OBJECT, merged, served
from issuer.models import (
    Issuer,
    Scope,
    StackEffectPublic,
    StatusAction,
    StatusChangePublic,
    StatusChangeRequest,
    StatusChangesRequest,
    StatusEventPublic,
    StatusListPublic,
    public_view,
)
from issuer.services import status as status_service
from issuer.services.errors import NotFound
from issuer.services.issuers import get_issuer
from verifier.http import error_response

__all__ = ["router"]

router = APIRouter()
RevokeIssuer = Annotated[Issuer, Depends(require_scope(Scope.revoke))]

#: What the Bitstring Status List spec and our verifier accept for a list credential.
LIST_MEDIA_TYPE = "application/vc+ld+json"


# ------------------------------------------------------------------------------ public


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


@router.get(
    "/status/{list_id}",
    tags=["public"],
    response_class=Response,
    responses=served(
        "The signed BitstringStatusListCredential",
        {LIST_MEDIA_TYPE: OBJECT},
        {304: {"description": "Not modified since the ETag given in If-None-Match"}},
        NOT_FOUND,
    ),
)
def status_list(
    list_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """A signed Bitstring Status List credential (re-signed first if it changed)."""
    published = status_service.published_list(session, runtime, list_id)
    headers = {
        "Cache-Control": f"public, max-age={published.max_age}",
        "ETag": published.etag,
    }
    if _etag_matches(request.headers.get("if-none-match"), published.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(published.body, media_type=LIST_MEDIA_TYPE, headers=headers)


@router.get(
    "/issuers/{slug}/revocations.json",
    tags=["public"],
    response_class=Response,
    responses=served("The 1EdTechRevocationList", {"application/json": OBJECT}, NOT_FOUND),
)
def public_revocation_list(slug: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The 1EdTech revocation list, when the operator chose to publish it (no reasons)."""
    if not runtime.settings.status_publish_revocation_list:
        raise NotFound("this service does not publish a 1EdTech revocation list")
    document = status_service.export_revocation_list(
        session, runtime, get_issuer(session, slug), include_reasons=False
    )
    headers = {"Cache-Control": f"public, max-age={runtime.settings.status_ttl_seconds}"}
    return Response(_dumps(document), media_type="application/json", headers=headers)


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------------------ admin


def _public(change: status_service.StatusChange) -> StatusChangePublic:
    return public_view(
        StatusChangePublic,
        change,
        id=change.award_id,
        previous_status=change.previous_status.value,
        status=change.status.value,
        status_lists=list(change.status_lists),
        stacks=[StackEffectPublic.model_validate(s.to_json()) for s in change.stacks],
    )


def _change(
    action: StatusAction,
    credential_id: str,
    body: StatusChangeRequest,
    issuer: Issuer,
    key: Any,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StatusChangePublic:
    change = status_service.change_status(
        session, runtime, credential_id, action, body.reason, f"api:{key.prefix}", issuer=issuer
    )
    return _public(change)


_ADMIN = "/api/issuers/{issuer_slug}"
_RESPONSES = merged(
    ADMIN,
    JSON_BODY,
    {
        404: error_response("No such issuer, or no such credential of this issuer"),
        409: error_response("The credential is revoked, which is permanent"),
    },
)


@router.post(
    _ADMIN + "/credentials/{credential_id}/revoke",
    response_model=StatusChangePublic,
    tags=["status"],
    responses=_RESPONSES,
)
def revoke(
    credential_id: str,
    body: StatusChangeRequest,
    issuer: RevokeIssuer,
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StatusChangePublic:
    """Revoke for good. Revoking a revoked credential succeeds and changes nothing.
    ``credential_id``: the credential's uuid, or at least 8 leading characters of it."""
    return _change(StatusAction.revoke, credential_id, body, issuer, key, session, runtime)


@router.post(
    _ADMIN + "/credentials/{credential_id}/suspend",
    response_model=StatusChangePublic,
    tags=["status"],
    responses=_RESPONSES,
)
def suspend(
    credential_id: str,
    body: StatusChangeRequest,
    issuer: RevokeIssuer,
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StatusChangePublic:
    """Suspend until unsuspended (409 for a revoked credential)."""
    return _change(StatusAction.suspend, credential_id, body, issuer, key, session, runtime)


@router.post(
    _ADMIN + "/credentials/{credential_id}/unsuspend",
    response_model=StatusChangePublic,
    tags=["status"],
    responses=_RESPONSES,
)
def unsuspend(
    credential_id: str,
    body: StatusChangeRequest,
    issuer: RevokeIssuer,
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StatusChangePublic:
    """Lift a suspension (409 for a revoked credential)."""
    return _change(StatusAction.unsuspend, credential_id, body, issuer, key, session, runtime)


@router.post(
    _ADMIN + "/status/changes",
    response_model=list[StatusChangePublic],
    tags=["status"],
    responses=_RESPONSES,
)
def bulk_change(
    body: StatusChangesRequest,
    issuer: RevokeIssuer,
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> list[StatusChangePublic]:
    """Revoke, suspend or unsuspend many credentials in one transaction: every one of them,
    or (404 for an unknown one, 409 for a revoked one to suspend or unsuspend) none."""
    changes = status_service.change_statuses(
        session,
        runtime,
        body.credentials,
        body.action,
        body.reason,
        f"api:{key.prefix}",
        issuer=issuer,
    )
    return [_public(c) for c in changes]


@router.get(
    _ADMIN + "/status/events",
    response_model=list[StatusEventPublic],
    tags=["status"],
    responses=ADMIN,
)
def status_events(
    issuer: RevokeIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
    credential: Annotated[
        str | None, Query(max_length=200, description="Only this credential's (id or prefix).")
    ] = None,
    limit: ListLimit = 100,
    offset: ListOffset = 0,
) -> list[StatusEventPublic]:
    """The audit log of status changes, oldest first: who, when, why, before and after."""
    award = status_service.find_award(session, credential, issuer) if credential else None
    rows = status_service.events(session, issuer=issuer, award=award, limit=limit, offset=offset)
    return [status_service.event_view(runtime, r) for r in rows]


@router.get(
    _ADMIN + "/status/revocations",
    tags=["status"],
    response_class=Response,
    responses=served("The 1EdTechRevocationList", {"application/json": OBJECT}, ADMIN),
)
def revocation_export(issuer: RevokeIssuer, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The issuer's revocations as a 1EdTechRevocationList document, reasons included."""
    document = status_service.export_revocation_list(session, runtime, issuer)
    return Response(_dumps(document), media_type="application/json")


@router.get(
    _ADMIN + "/status/lists",
    response_model=list[StatusListPublic],
    tags=["status"],
    responses=ADMIN,
)
def status_lists(
    issuer: RevokeIssuer, session: SessionDep, runtime: RuntimeDep
) -> list[StatusListPublic]:
    """The issuer's status lists: fill, set bits, when signed (never which index is whose)."""
    return status_service.list_summaries(session, runtime, issuer=issuer)
