"""Admin API: an issuer's catalog of achievements, and their versions."""

from __future__ import annotations

from fastapi import APIRouter, status

from issuer.api.deps import CatalogIssuer, ReadIssuer, RuntimeDep, SessionDep
from issuer.api.responses import ADMIN, CONFLICT, JSON_BODY, merged
from issuer.models import (
    AchievementContent,
    AchievementCreate,
    AchievementPublic,
    CatalogAchievement,
    Issuer,
    public_view,
)
from issuer.services import catalog
from issuer.services.errors import NotFound

router = APIRouter(
    prefix="/api/issuers/{issuer_slug}/achievements", tags=["catalog"], responses=ADMIN
)


def _public(row: CatalogAchievement, issuer: Issuer) -> AchievementPublic:
    return public_view(
        AchievementPublic,
        row,
        current=row.is_current,
        issuer=issuer.slug,
        id=row.document["id"],
        achievement=row.document,
    )


def _owned(session: SessionDep, issuer: Issuer, slug: str) -> CatalogAchievement:
    row = catalog.get_achievement(session, slug)
    if row.issuer_id != issuer.id:
        raise NotFound(f"no achievement {slug!r} in the catalog of {issuer.slug}")
    return row


@router.get("", response_model=list[AchievementPublic])
def list_achievements(issuer: ReadIssuer, session: SessionDep) -> list[AchievementPublic]:
    """Current versions, by slug."""
    return [_public(r, issuer) for r in catalog.list_achievements(session, issuer=issuer)]


@router.post(
    "",
    response_model=AchievementPublic,
    status_code=status.HTTP_201_CREATED,
    responses=merged(JSON_BODY, CONFLICT),
)
def create_achievement(
    data: AchievementCreate, issuer: CatalogIssuer, session: SessionDep, runtime: RuntimeDep
) -> AchievementPublic:
    row = catalog.create_achievement(session=session, runtime=runtime, issuer=issuer, data=data)
    return _public(row, issuer)


@router.get("/{slug}", response_model=AchievementPublic)
def get_achievement(slug: str, issuer: ReadIssuer, session: SessionDep) -> AchievementPublic:
    return _public(_owned(session, issuer, slug), issuer)


@router.get("/{slug}/versions", response_model=list[AchievementPublic])
def list_versions(slug: str, issuer: ReadIssuer, session: SessionDep) -> list[AchievementPublic]:
    _owned(session, issuer, slug)
    return [_public(r, issuer) for r in catalog.list_versions(session, slug)]


@router.put(
    "/{slug}",
    response_model=AchievementPublic,
    status_code=status.HTTP_201_CREATED,
    responses=merged(JSON_BODY, CONFLICT),
)
def edit_achievement(
    slug: str,
    content: AchievementContent,
    issuer: CatalogIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AchievementPublic:
    """Make a new version (201). Credentials already issued keep the version they embed."""
    row = catalog.create_achievement_version(
        session=session, runtime=runtime, issuer=issuer, slug=slug, content=content
    )
    return _public(row, issuer)
