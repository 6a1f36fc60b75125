"""VC-API exchanges: one claim of an award by the Learner Credential Wallet, single use.

An exchange is minted per visit of the claim page and lives a few minutes
(``MICROCRED_WALLET_LINK_MINUTES``). Its id is in the interaction URL and the deep link, and
whoever holds it can complete the exchange with a DID of their own: it is a bearer secret, so
only its SHA-256 (``id_hash``) is stored and looked up. The challenge is stored as it is: it is
answered to anyone holding the id (``POST {}``), it is useless without the id, and a presented
challenge is compared with it in constant time. ``state`` goes ``pending`` → ``completed``
once, by a conditional ``UPDATE`` (:mod:`issuer.services.exchanges`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.models.fields import timestamp
from schemas.dates import utcnow

__all__ = ["Exchange", "ExchangeState"]


class ExchangeState(StrEnum):
    pending = "pending"
    completed = "completed"


class Exchange(SQLModel, table=True):
    """A pending or completed wallet exchange for one award."""

    __tablename__ = "exchange"

    #: SHA-256 (hex) of the exchange id that is in its URLs; the id itself is never stored.
    id_hash: str = Field(primary_key=True, max_length=64)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    #: 128-bit random, base64url: the nonce the holder's presentation must be signed over.
    challenge: str = Field(max_length=64)
    state: str = Field(default=ExchangeState.pending, max_length=16)
    created: datetime = timestamp(default_factory=utcnow)
    expires: datetime = timestamp()
    completed: datetime | None = timestamp(default=None, nullable=True)
    #: Which path completed it (``vcapi`` or ``dccrequest``), and the copy it produced. No
    #: foreign key: the exchange is marked completed in the copy's transaction before the copy
    #: is signed, so before its row exists (nothing is signed for a spent exchange).
    protocol: str | None = Field(default=None, max_length=16)
    copy_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid(), nullable=True))
