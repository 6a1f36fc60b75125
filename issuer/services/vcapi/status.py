"""Status changes of credentials issued through the VC-API (``POST /credentials/status``).

They go through the same state machine as awards (:mod:`issuer.services.status_machine`):
revocation is permanent, asking for the current state changes nothing, the same allocation bits
flip and the lists are marked for re-signing; each request is a :class:`VcApiStatusEvent` in the
audit log. What differs is how a refusal is told (:mod:`issuer.services.vcapi.errors`, the
shapes DCC's clients read) and who may ask: only a key for the credential's issuer.

A request naming one of our *awards* (``{base}/credentials/{uuid}``) is passed to
:func:`issuer.services.status.change_status`, so DCC clients can revoke those too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from issuer.db import begin_write
from issuer.models import (
    ApiKey,
    AwardStatus,
    Issuer,
    VcApiCredential,
    VcApiStatusEvent,
)
from issuer.services import status as award_status
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, InvalidInput, NotFound
from issuer.services.stack_status import StackEffect
from issuer.services.status_machine import (
    STATUS_BITS,
    RevokedForGood,
    StatusHolder,
    apply_transitions,
    load_allocations,
    next_status,
)
from issuer.services.vcapi.errors import CredentialNotFound, MalformedRequest, StatusConflict
from issuer.services.vcapi.parsing import StatusUpdate

__all__ = ["StatusChanged", "change_status"]

log = logging.getLogger("microcred.issuer.vcapi")


@dataclass(frozen=True)
class StatusChanged:
    """The outcome of a status request on a VC-API credential."""

    credential_id: str
    previous_status: AwardStatus
    status: AwardStatus
    changed: bool
    status_lists: tuple[str, ...]
    #: For an award, the stack credentials that counted it (``StatusChange.stacks``).
    stacks: tuple[StackEffect, ...] = ()


def _revoked(error: RevokedForGood) -> StatusConflict:
    return StatusConflict(
        "credential_revoked",
        f"credential {error.credential} is revoked, and revocation is permanent",
        "credentialStatus.status",
    )


def _change_award(
    session: Session,
    runtime: Runtime,
    key: ApiKey,
    update_request: StatusUpdate,
    actor: str,
    tenant: Issuer | None,
) -> StatusChanged:
    """A status request naming an award, through the awards' status service."""
    owner = tenant
    if owner is None and key.issuer_id is not None:
        owner = session.get(Issuer, key.issuer_id)
    try:
        change = award_status.change_status(
            session,
            runtime,
            update_request.credential_id,
            update_request.action,
            update_request.reason,
            actor,
            issuer=owner,
        )
    except NotFound:
        raise CredentialNotFound(
            "credential_not_found",
            f"Credential ID {update_request.credential_id!r} not found",
            "credentialId",
        ) from None
    except Conflict as error:
        raise StatusConflict("credential_revoked", str(error), "credentialId") from None
    except InvalidInput as error:
        raise MalformedRequest("invalid_request", error.message, "reason") from None
    return StatusChanged(
        credential_id=update_request.credential_id,
        previous_status=change.previous_status,
        status=change.status,
        changed=change.changed,
        status_lists=change.status_lists,
        stacks=change.stacks,
    )


def change_status(
    *,
    session: Session,
    runtime: Runtime,
    key: ApiKey,
    update_request: StatusUpdate,
    actor: str,
    tenant: Issuer | None = None,
) -> StatusChanged:
    """Revoke, suspend or unsuspend a credential issued through the VC-API, by its id.

    The credential must have been issued by ``tenant`` (when given) and by an issuer ``key`` is
    for; otherwise it is reported as not found, which tells a caller nothing about others'
    credentials. A credential issued without status entries cannot change status (409).
    """
    if update_request.credential_id.startswith(f"{runtime.urls.base}/credentials/"):
        return _change_award(session, runtime, key, update_request, actor, tenant)
    credential_id = update_request.credential_id
    action = update_request.action
    begin_write(session)
    try:
        row = session.exec(
            select(VcApiCredential)
            .where(VcApiCredential.credential_id == credential_id)
            .with_for_update()
        ).first()
        allowed = row is not None and (key.issuer_id is None or row.issuer_id == key.issuer_id)
        if row is None or not allowed or (tenant is not None and row.issuer_id != tenant.id):
            raise CredentialNotFound(
                "credential_not_found",
                f"Credential ID {credential_id!r} not found: no credential issued through this "
                "service's VC-API has that id (for this token)",
                "credentialId",
            )
        allocations = load_allocations(session, [row.id])
        held = allocations.get(row.id, [])
        if not held:
            raise StatusConflict(
                "no_status",
                f"credential {credential_id} was issued without status entries, so no list can "
                "say it is revoked or suspended (issue with options.credentialStatus)",
                "credentialId",
            )
        previous = AwardStatus(row.status)
        try:
            changes = next_status(action, previous, credential_id) is not previous
        except RevokedForGood as error:
            raise _revoked(error) from None
        purpose, _ = STATUS_BITS[action]
        if changes and not any(a.purpose == purpose.value for a, _ in held):
            raise StatusConflict(
                "no_status",
                f"credential {credential_id} has no {purpose.value} entry, so it cannot be "
                f"{update_request.status}",
                "credentialStatus.status",
            )

        def audit(
            holder: StatusHolder,
            previous: AwardStatus,
            status: AwardStatus,
            at: datetime,
            copies: int,  # VC-API credentials have no wallet copies: always 0
        ) -> VcApiStatusEvent:
            return VcApiStatusEvent(
                credential_uuid=holder.id,
                issuer_id=holder.issuer_id,
                action=action.value,
                reason=update_request.reason,
                actor=actor,
                previous_status=previous.value,
                new_status=status.value,
                at=at,
            )

        now = runtime.clock()
        [transition] = apply_transitions(
            session,
            [row],
            action,
            allocations=allocations,
            audit=audit,
            now=now,
            name=lambda _: credential_id,
            runtime=runtime,
        )
        if transition.changed:
            row.updated = now
            session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info(
        "VC-API: %s credential %s by %s%s",
        action.value,
        credential_id,
        actor,
        "" if transition.changed else " (no change)",
    )
    return StatusChanged(
        credential_id=credential_id,
        previous_status=transition.previous,
        status=transition.status,
        changed=transition.changed,
        status_lists=tuple(sorted({runtime.urls.status_list(p) for _, p in held})),
    )
