"""Wallet copies: an award signed again for one holder's wallet, bound to the holder's DID.

An award is stored once (:class:`~issuer.models.Award`, the *hosted* copy behind the badge page,
the downloads and LinkedIn). Each time the educator puts it in a wallet (the VC-API exchange,
the Learner Credential Wallet's legacy deep link, OID4VCI) a *wallet copy* is signed: the same
achievement, ``awardedDate`` and hashed-email ``identifier``, with ``credentialSubject.id`` =
the holder's DID and status entries of its own (:class:`~issuer.models.StatusAllocation` rows
keyed by the copy's ``id``). The copy follows its award's status: revoking or suspending the
award flips the same bit of every copy in the same transaction
(:func:`issuer.services.status_machine.apply_transitions`).

**The copy's id is ``urn:uuid:{id}``, not a URL of the service.** A copy names the holder's DID,
which is personal data the educator gave one wallet; publishing the copy at a URL (as awards
are at ``{base}/credentials/{id}``) would hand that binding to anyone holding the id. So nothing
dereferences a copy: the badge page, the downloads and LinkedIn stay on the award, and a copy is
found through its award (the admin API, ``microcred credentials show``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from issuer.choices import AwardStatus, CopyFormat, CopyProtocol
from issuer.models.fields import UtcDatetime, timestamp
from schemas.dates import utcnow

__all__ = ["CopyFormat", "CopyProtocol", "WalletCopy", "WalletCopyPublic"]


class WalletCopy(SQLModel, table=True):
    """One signed copy of an award in one holder's wallet."""

    __tablename__ = "wallet_copy"

    #: The copy's credential id is ``urn:uuid:{id}``; its status allocations are keyed by it.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    #: The award's issuer (status changes and their checks go by issuer).
    issuer_id: int = Field(foreign_key="issuer.id")
    #: ``credentialSubject.id`` of the copy: the DID the holder proved control of.
    holder_did: str = Field(max_length=2048)
    protocol: str = Field(max_length=16)
    format: str = Field(max_length=16)
    #: The signed credential (compact JSON text, as signed: eddsa-rdfc-2022).
    credential: str = Field(sa_type=sa.Text)
    #: The VC-JWT of the signed credential, for a ``jwt_vc_json`` copy; None for ``ldp_vc``.
    credential_jwt: str | None = Field(default=None, sa_type=sa.Text)
    signed_by: str
    #: Always the award's status (the award's changes flip the copy's bits with it).
    status: str = Field(default=AwardStatus.active, max_length=16)
    created: datetime = timestamp(default_factory=utcnow)

    @property
    def credential_id(self) -> str:
        """The copy's ``id`` as signed."""
        return self.id.urn

    @property
    def delivered(self) -> str:
        """What the wallet received, as text: the VC-JWT of a ``jwt_vc_json`` copy, else the
        JSON credential."""
        if self.format == CopyFormat.jwt_vc_json and self.credential_jwt:
            return self.credential_jwt
        return self.credential


class WalletCopyPublic(BaseModel):
    """A wallet copy as the admin API and the CLI show it (the document itself is not shown:
    it went to the holder's wallet)."""

    id: uuid.UUID
    credential_id: str
    protocol: CopyProtocol
    format: CopyFormat
    holder_did: str
    status: AwardStatus
    created: UtcDatetime
