"""OpenID4VCI 1.0 (pre-authorized code flow): the state the protocol keeps between requests.

Every secret of the flow is stored only as a digest, so a copy of the database redeems nothing:

* the **offer id** (the path of the ``credential_offer_uri``) as SHA-256;
* the **pre-authorized code** as SHA-256. It is not random but derived from the offer id
  (HMAC, :mod:`issuer.services.oid4vci`), so the offer can be served again without the code
  being stored in clear;
* the **transaction code** (6 digits: low entropy) as an HMAC keyed by the pre-authorized code,
  so the digest cannot be brute-forced without the code itself;
* the **access token** as SHA-256;
* each **c_nonce** as SHA-256.

A grant is used once: ``redeemed`` goes from NULL to a time in one conditional UPDATE, and each
offered credential configuration is issued once (the primary key of
:class:`Oid4vciIssuance`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.models.fields import timestamp
from schemas.dates import utcnow

__all__ = ["Oid4vciGrant", "Oid4vciIssuance", "Oid4vciNonce"]


class Oid4vciGrant(SQLModel, table=True):
    """One credential offer for one award: its pre-authorized code and, once redeemed, the
    access token it was exchanged for."""

    __tablename__ = "oid4vci_grant"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    issuer_id: int = Field(foreign_key="issuer.id")
    #: The credential configurations offered (``OpenBadgeCredential_ldp_vc`` …).
    configuration_ids: list[str] = Field(sa_type=sa.JSON)
    #: SHA-256 (hex) of the offer id in the ``credential_offer_uri``.
    offer_hash: str = Field(unique=True, index=True, max_length=64)
    #: SHA-256 (hex) of the pre-authorized code.
    code_hash: str = Field(unique=True, index=True, max_length=64)
    #: HMAC-SHA-256 (hex) of the transaction code keyed by the pre-authorized code; None when
    #: the offer asks for none.
    tx_code_mac: str | None = Field(default=None, max_length=64)
    #: Token requests made with a transaction code (right or wrong); capped by
    #: ``MICROCRED_OID4VCI_TX_CODE_ATTEMPTS``, after which the code is dead.
    tx_code_attempts: int = 0
    created: datetime = timestamp(default_factory=utcnow)
    #: When the offer and its pre-authorized code stop working (``MICROCRED_WALLET_LINK_MINUTES``).
    expires: datetime = timestamp()
    #: When the pre-authorized code was exchanged for an access token (once).
    redeemed: datetime | None = timestamp(default=None, nullable=True)
    #: SHA-256 (hex) of that access token.
    access_token_hash: str | None = Field(default=None, unique=True, index=True, max_length=64)
    access_expires: datetime | None = timestamp(default=None, nullable=True)


class Oid4vciIssuance(SQLModel, table=True):
    """A credential issued under a grant: one per offered configuration, ever."""

    __tablename__ = "oid4vci_issuance"

    grant_id: uuid.UUID = Field(foreign_key="oid4vci_grant.id", primary_key=True)
    configuration_id: str = Field(primary_key=True, max_length=64)
    #: The DID the copy was bound to (the key proof's key).
    holder_did: str
    #: The :class:`~issuer.models.wallet_copies.WalletCopy` signed (no foreign key: this row is
    #: written first, in the copy's own transaction, as its single-use mark).
    copy_id: uuid.UUID
    issued: datetime = timestamp(default_factory=utcnow)


class Oid4vciNonce(SQLModel, table=True):
    """A ``c_nonce`` handed out by the nonce endpoint and not used yet (deleted when used)."""

    __tablename__ = "oid4vci_nonce"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    expires: datetime = timestamp(index=True)
