"""Admin API: issuers, their keys and their API keys."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from issuer.api.deps import AdminIssuer, ApiKeyDep, ReadIssuer, RuntimeDep, SessionDep
from issuer.api.responses import (
    CONFLICT,
    FORBIDDEN,
    JSON_BODY,
    NOT_FOUND,
    UNAUTHORIZED,
    merged,
)
from issuer.models import (
    ApiKeyCreate,
    ApiKeyCreated,
    IssuerCreate,
    IssuerProfileIn,
    IssuerPublic,
    Scope,
)
from issuer.services import apikeys, issuers

#: Every route needs a key; those on one issuer may also be 403 (scope, binding) or 404.
router = APIRouter(prefix="/api/issuers", tags=["issuers"], responses=UNAUTHORIZED)
_ONE_ISSUER = merged(FORBIDDEN, NOT_FOUND)


@router.get("", response_model=list[IssuerPublic])
def list_issuers(key: ApiKeyDep, session: SessionDep, runtime: RuntimeDep) -> list[IssuerPublic]:
    """The issuers this key may act for."""
    rows = issuers.list_issuers(session)
    visible = [r for r in rows if key.issuer_id is None or r.id == key.issuer_id]
    return [issuers.issuer_public(session, runtime, r) for r in visible]


@router.post(
    "",
    response_model=IssuerPublic,
    status_code=status.HTTP_201_CREATED,
    responses=merged(JSON_BODY, FORBIDDEN, CONFLICT),
)
def create_issuer(
    data: IssuerCreate, key: ApiKeyDep, session: SessionDep, runtime: RuntimeDep
) -> IssuerPublic:
    """A new issuer with its DID and keys. Needs an admin key that is not bound to an issuer."""
    if key.issuer_id is not None or not apikeys.has_scope(key, Scope.admin):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "creating issuers needs an admin key for every issuer"
        )
    row = issuers.create_issuer(session=session, runtime=runtime, data=data)
    return issuers.issuer_public(session, runtime, row)


@router.get("/{issuer_slug}", response_model=IssuerPublic, responses=_ONE_ISSUER)
def get_issuer(issuer: ReadIssuer, session: SessionDep, runtime: RuntimeDep) -> IssuerPublic:
    return issuers.issuer_public(session, runtime, issuer)


@router.put("/{issuer_slug}", response_model=IssuerPublic, responses=merged(_ONE_ISSUER, JSON_BODY))
def update_issuer(
    data: IssuerProfileIn, issuer: AdminIssuer, session: SessionDep, runtime: RuntimeDep
) -> IssuerPublic:
    """Replace the profile. Credentials already issued keep the profile they were signed with."""
    row = issuers.update_issuer(session=session, slug=issuer.slug, data=data)
    return issuers.issuer_public(session, runtime, row)


@router.post("/{issuer_slug}/rotate-keys", response_model=IssuerPublic, responses=_ONE_ISSUER)
def rotate_keys(issuer: AdminIssuer, session: SessionDep, runtime: RuntimeDep) -> IssuerPublic:
    """New signing keys from now on; the old ones stay published so old credentials verify."""
    issuers.rotate_keys(session=session, runtime=runtime, slug=issuer.slug)
    session.refresh(issuer)
    return issuers.issuer_public(session, runtime, issuer)


@router.post(
    "/{issuer_slug}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=merged(_ONE_ISSUER, JSON_BODY),
)
def create_api_key(data: ApiKeyCreate, issuer: AdminIssuer, session: SessionDep) -> ApiKeyCreated:
    """A key for this issuer. The token is in this response only; it is stored hashed."""
    row, token = apikeys.create_api_key(
        session=session, name=data.name, scopes=data.scopes, issuer=issuer
    )
    return apikeys.created_view(row, token, issuer)
