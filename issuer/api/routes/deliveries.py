"""Admin API: an award's emails, and "resend" (a new claim link to the educator)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from issuer.api.deps import IssueIssuer, ReadIssuer, RuntimeDep, SessionDep
from issuer.api.responses import ADMIN, CONFLICT
from issuer.models import Award, DeliveryPublic, public_view
from issuer.services import deliveries
from issuer.services.errors import Conflict, NotFound, Unavailable

router = APIRouter(prefix="/api/issuers/{issuer_slug}", tags=["deliveries"], responses=ADMIN)


def _award(
    session: SessionDep, issuer_id: int | None, slug: str, credential_id: uuid.UUID
) -> Award:
    row = session.get(Award, credential_id)
    if row is None or row.issuer_id != issuer_id:
        raise NotFound(f"no credential {credential_id} issued by {slug}")
    return row


@router.get("/awards/{credential_id}/deliveries", response_model=list[DeliveryPublic])
def list_deliveries(
    credential_id: uuid.UUID, issuer: ReadIssuer, session: SessionDep
) -> list[DeliveryPublic]:
    """The award's emails, oldest first: what each was, whether it was sent, and the SMTP
    server's reply to the last failed attempt."""
    _award(session, issuer.id, issuer.slug, credential_id)
    return deliveries.deliveries_for(session, credential_id)


@router.post(
    "/awards/{credential_id}/deliver",
    response_model=DeliveryPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=CONFLICT,
)
def resend(
    credential_id: uuid.UUID,
    issuer: IssueIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
    withdraw_links: Annotated[
        bool,
        Query(
            description="Withdraw the award's earlier claim links first (an email to a "
            "mistyped address, or forwarded): they stop working now"
        ),
    ] = False,
) -> DeliveryPublic:
    """Email the educator a new claim link (202: queued; a worker sends it). 409 when the
    award is revoked or suspended, or when the service has no SMTP server configured (the
    detail says which settings to set)."""
    _award(session, issuer.id, issuer.slug, credential_id)
    session.commit()
    try:
        [row] = deliveries.request_deliveries(
            session=session,
            runtime=runtime,
            award_ids=[credential_id],
            withdraw_links=withdraw_links,
        )
    except Unavailable as error:
        raise Conflict(str(error)) from None
    return public_view(DeliveryPublic, row)
