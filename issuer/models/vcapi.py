"""Credentials issued through the W3C VC-API: the stored rows, their audit log, and the documented
request and response bodies of ``/credentials/issue`` and ``/credentials/status``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.models.fields import NO_CONTROL_PATTERN, timestamp
from issuer.models.status import MAX_REASON, AwardStatus, StackEffectPublic, StatusEventBase
from schemas.dates import utcnow

__all__ = [
    "ErrorResponse",
    "IssueRequest",
    "IssueResponse",
    "StatusRequest",
    "StatusResponse",
    "VcApiCredential",
    "VcApiStatusEvent",
]


class VcApiCredential(SQLModel, table=True):
    """A credential issued through the VC-API: any VC 1.1 or 2.0 credential, not a catalog award.

    Kept as signed (text), so ``POST /credentials/status`` finds it by its ``id`` and the service
    serves it at that id when the id is one of its own URLs (``{base}/vc-api/credentials/...``).
    Its status entries are ordinary :class:`StatusAllocation` rows keyed by this row's ``id``.
    """

    __tablename__ = "vcapi_credential"

    #: Also the uuid of the credential's ``urn:uuid:`` id when the service assigned it.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    #: The credential's ``id``: how DCC's status requests name it, so one issuer at most.
    credential_id: str = Field(unique=True, index=True, max_length=512)
    #: The signed credential as returned (compact JSON); a re-issue of the same id replaces it.
    credential: str = Field(sa_type=sa.Text)
    signed_by: str
    #: ``api:<key prefix>`` of the token that issued it last.
    issued_by: str = Field(max_length=64)
    status: str = Field(default=AwardStatus.active, max_length=16)
    created: datetime = timestamp(default_factory=utcnow)
    updated: datetime = timestamp(default_factory=utcnow)


class VcApiStatusEvent(StatusEventBase, table=True):
    """The audit log of status changes made to VC-API credentials."""

    __tablename__ = "vcapi_status_event"

    id: int | None = Field(default=None, primary_key=True)
    credential_uuid: uuid.UUID = Field(foreign_key="vcapi_credential.id", index=True)


class IssueRequest(BaseModel):
    """``POST /credentials/issue``."""

    credential: dict[str, Any] = InputField(
        description="An unsigned VC 1.1 or 2.0 credential. `issuer` (or `issuer.id`) must be "
        "the DID of an issuer of this service that the token may issue for."
    )
    options: dict[str, Any] | None = InputField(
        default=None,
        description='Optional. `credentialStatus`: `true` or `{"type": '
        '"BitstringStatusListEntry", "statusPurpose"?: "revocation"|"suspension"}` (or an '
        "array) adds status entries; `cryptosuite`: `eddsa-rdfc-2022` (default) or "
        "`Ed25519Signature2020`; `created`: the proof's date-time.",
    )


class IssueResponse(BaseModel):
    verifiableCredential: dict[str, Any]
    warnings: list[dict[str, Any]] | None = InputField(
        default=None,
        description="Present when an Open Badge does not follow the OB 3.0 schema: it is "
        "signed as given (as DCC does), but verifiers will report these.",
    )


class ErrorResponse(BaseModel):
    """A refused request: ``name`` is stable, ``field`` names the member at fault."""

    code: int
    name: str
    message: str
    field: str | None = None


#: One status change as :func:`issuer.services.vcapi.parse_status_request` reads it.
_STATUS_ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "type": {"enum": ["BitstringStatusListCredential", "BitstringStatusListEntry"]},
        "status": {"enum": ["revoked", "suspended", "unsuspended"]},
    },
}


class StatusRequest(BaseModel):
    """DCC's status update (``credentialStatus`` may also be a single object)."""

    credentialId: str = InputField(
        description="The credential's `id` as issued.", min_length=1, pattern=r"\S"
    )
    credentialStatus: list[dict[str, Any]] | dict[str, Any] = InputField(
        description='`[{"type": "BitstringStatusListCredential", "status": "revoked" | '
        '"suspended" | "unsuspended"}]` (`type` may be left out)',
        json_schema_extra={
            "anyOf": [
                _STATUS_ITEM,
                {"type": "array", "items": _STATUS_ITEM, "minItems": 1, "maxItems": 1},
            ]
        },
    )
    reason: str | None = InputField(
        default=None,
        max_length=MAX_REASON,
        pattern=NO_CONTROL_PATTERN,
        description="Kept in the audit log (optional; no control characters).",
    )


class StatusResponse(BaseModel):
    code: int
    message: str
    credentialId: str
    status: str
    previousStatus: str
    changed: bool
    statusLists: list[str]
    #: For an award: the stack credentials that counted it and what happened to each.
    stacks: list[StackEffectPublic] = []
