"""The service's tables (SQLModel). Request and response shapes live in :mod:`issuer.payloads`.

What is stored, and why in that form:

* **Signed documents as text.** A credential is stored exactly as it was signed and served as
  those bytes; a JSON column type could reorder or renumber it (PostgreSQL ``jsonb`` does).
* **Achievement versions are immutable rows.** Editing an achievement adds a version; an award
  points at the version it was issued under, and its credential embeds that version's snapshot.
* **Private keys only sealed** (AES-256-GCM under the key-encryption key, the row id as
  associated data, see :mod:`issuer.crypto_at_rest`), **API keys only hashed**.
* **Idempotency in the schema.** ``(issuer_id, idempotency_key)`` is unique, so two concurrent
  retries cannot both insert: the loser reads the winner's row.

Timestamps are UTC, ``timezone=True`` columns (SQLite hands them back naive; readers use
:func:`as_utc`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = [
    "ApiKey",
    "Award",
    "AwardStatus",
    "Batch",
    "BatchRow",
    "CatalogAchievement",
    "DidMethod",
    "Instance",
    "Issuer",
    "IssuerKey",
    "KeyPurpose",
    "Scope",
    "StackRuleRecord",
    "StackSubmission",
    "StatusAction",
    "StatusAllocation",
    "StatusEvent",
    "StatusList",
    "StatusPurpose",
    "VcApiCredential",
    "VcApiStatusEvent",
    "as_utc",
    "utcnow",
]


def utcnow() -> datetime:
    """Now, in UTC, to the second: what a credential's DateTimeZ can say."""
    return datetime.now(UTC).replace(microsecond=0)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite returns naive ones)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _timestamp(**kwargs: Any) -> Any:
    return Field(sa_type=sa.DateTime(timezone=True), **kwargs)


class DidMethod(StrEnum):
    web = "web"
    key = "key"


class KeyPurpose(StrEnum):
    """What a key signs: Data Integrity proofs (Ed25519) or VC-JWTs (P-256 / RSA)."""

    ldp = "ldp"
    jwt = "jwt"


class Scope(StrEnum):
    """What an API key may do. ``admin`` includes the others."""

    catalog = "catalog"
    issue = "issue"
    revoke = "revoke"
    admin = "admin"


class AwardStatus(StrEnum):
    """What the status lists say of a credential (:mod:`issuer.services.status` keeps it so).

    ``revoked`` is final; ``suspended`` can return to ``active``.
    """

    active = "active"
    revoked = "revoked"
    suspended = "suspended"


class StatusPurpose(StrEnum):
    """The ``statusPurpose`` of a Bitstring Status List: every credential is on one of each."""

    revocation = "revocation"
    suspension = "suspension"


class StatusAction(StrEnum):
    """What an entry of the status audit log did."""

    revoke = "revoke"
    suspend = "suspend"
    unsuspend = "unsuspend"


class Instance(SQLModel, table=True):
    """Facts about this installation decided once, at ``microcred init``."""

    __tablename__ = "instance"

    id: int = Field(default=1, primary_key=True)
    #: The base URL ids were built on; the ``MICROCRED_BASE_URL`` setting overrides it.
    base_url: str
    created: datetime = _timestamp(default_factory=utcnow)


class Issuer(SQLModel, table=True):
    """An issuing organization (OB Profile): a state office, a district, a provider."""

    __tablename__ = "issuer"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    name: str
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    image: str | None = None
    parent_id: int | None = Field(default=None, foreign_key="issuer.id")
    #: OB IdentifierEntry objects, ``[{"identifier", "identifierType"}]``.
    other_identifiers: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    did_method: str = Field(max_length=8)
    #: The DID credentials are issued under now. For did:key it changes with each rotation.
    did: str
    created: datetime = _timestamp(default_factory=utcnow)


class IssuerKey(SQLModel, table=True):
    """One key pair of an issuer. Retired keys stay: credentials they signed must verify."""

    __tablename__ = "issuer_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    purpose: str = Field(max_length=8)
    key_type: str = Field(max_length=16)
    public_jwk: dict[str, Any] = Field(sa_type=sa.JSON)
    #: The private JWK sealed with the KEK (see :mod:`issuer.crypto_at_rest`).
    sealed_private_jwk: str = Field(sa_type=sa.Text)
    kek_id: str = Field(max_length=32)
    #: Absolute verification method id, e.g. ``did:web:…#z6Mk…``.
    verification_method: str
    #: The DID that controls the key (the issuer's DID when the key was made).
    controller: str
    created: datetime = _timestamp(default_factory=utcnow)
    retired: datetime | None = _timestamp(default=None, nullable=True)


class CatalogAchievement(SQLModel, table=True):
    """One version of an achievement: its OB JSON as published at its id URL."""

    __tablename__ = "achievement"
    __table_args__ = (
        sa.UniqueConstraint("slug", "version", name="uq_achievement_slug_version"),
        # At most one current version per slug, on both databases (partial unique index).
        sa.Index(
            "uq_achievement_current",
            "slug",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    slug: str = Field(index=True, max_length=64)
    version: int
    is_current: bool = True
    #: The OB Achievement JSON of this version (immutable once written).
    document: dict[str, Any] = Field(sa_type=sa.JSON)
    created: datetime = _timestamp(default_factory=utcnow)


class Award(SQLModel, table=True):
    """An educator earned an achievement; the signed credential that says so."""

    __tablename__ = "award"
    __table_args__ = (
        sa.UniqueConstraint("issuer_id", "idempotency_key", name="uq_award_idempotency"),
    )

    #: The credential's uuid: its id is ``{base}/credentials/{id}``.
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    achievement_id: int = Field(foreign_key="achievement.id")
    achievement_slug: str = Field(index=True, max_length=64)
    recipient_name: str
    #: Normalized (stripped, lower-cased); in the credential only as a salted hash.
    recipient_email: str = Field(index=True)
    recipient_did: str | None = None
    identity_salt: str = Field(max_length=64)
    score: str | None = None
    rubric_level: str | None = None
    #: Every evidence item, including those withheld from the credential (student data).
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    assessor: str | None = None
    awarded: datetime = _timestamp()
    activity_start: datetime | None = _timestamp(default=None, nullable=True)
    activity_end: datetime | None = _timestamp(default=None, nullable=True)
    idempotency_key: str | None = Field(default=None, max_length=200)
    #: SHA-256 of the request, to tell a retry from a different request reusing a key.
    request_hash: str = Field(max_length=64)
    batch_id: str | None = Field(default=None, max_length=200)
    credential: str = Field(sa_type=sa.Text)
    credential_jwt: str = Field(sa_type=sa.Text)
    signed_by: str
    status: str = Field(default=AwardStatus.active, max_length=16)
    created: datetime = _timestamp(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """A bearer key for the admin API. Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    #: The public part of the token, used to find the row; not a secret.
    prefix: str = Field(unique=True, index=True, max_length=32)
    secret_hash: str = Field(max_length=64)
    name: str
    scopes: list[str] = Field(sa_type=sa.JSON)
    #: ``None``: every issuer (the first admin key); otherwise that issuer only.
    issuer_id: int | None = Field(default=None, foreign_key="issuer.id", index=True)
    created: datetime = _timestamp(default_factory=utcnow)
    revoked: datetime | None = _timestamp(default=None, nullable=True)


class Batch(SQLModel, table=True):
    """A bulk award request, so its outcome can be read back and a rerun reported."""

    __tablename__ = "batch"
    __table_args__ = (sa.UniqueConstraint("issuer_id", "batch_key", name="uq_batch_key"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    batch_key: str = Field(max_length=200)
    created: datetime = _timestamp(default_factory=utcnow)
    updated: datetime = _timestamp(default_factory=utcnow)


class BatchRow(SQLModel, table=True):
    """The latest outcome of one row of a batch."""

    __tablename__ = "batch_row"

    batch_id: int = Field(foreign_key="batch.id", primary_key=True)
    row: int = Field(primary_key=True)
    idempotency_key: str = Field(max_length=200)
    ok: bool
    award_id: uuid.UUID | None = Field(default=None, foreign_key="award.id")
    error: str | None = None


class StatusList(SQLModel, table=True):
    """One published Bitstring Status List of an issuer, for one purpose.

    Its bits are not stored here: they are derived from :class:`StatusAllocation` rows
    (``is_set``), so a status change is a one-row update that cannot lose a concurrent one.
    ``version`` counts changes; the signed credential is current while ``signed_version``
    equals it (see :mod:`issuer.services.status` for the lazy re-signing this allows).
    """

    __tablename__ = "status_list"
    __table_args__ = (
        # At most one list per issuer and purpose takes new credentials (the open one).
        sa.Index(
            "uq_status_list_open",
            "issuer_id",
            "purpose",
            unique=True,
            sqlite_where=sa.text("NOT is_full"),
            postgresql_where=sa.text("NOT is_full"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: Random, in the list's URL (``{base}/status/{public_id}``): says nothing about order.
    public_id: str = Field(unique=True, index=True, max_length=32)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    purpose: str = Field(max_length=16)
    #: Entries (bits) in the list; at least ``schemas.bitstring.MIN_LIST_ENTRIES``.
    size: int
    #: Indexes handed out so far (may over-count by awards that rolled back, never under).
    allocated: int = 0
    #: Takes no new credentials (filled to the rollover threshold); still published.
    is_full: bool = False
    version: int = 0
    signed_version: int = -1
    #: The signed BitstringStatusListCredential as served (compact JSON text).
    signed_credential: str | None = Field(default=None, sa_type=sa.Text)
    etag: str | None = Field(default=None, max_length=80)
    signed_at: datetime | None = _timestamp(default=None, nullable=True)
    valid_until: datetime | None = _timestamp(default=None, nullable=True)
    created: datetime = _timestamp(default_factory=utcnow)


class StatusAllocation(SQLModel, table=True):
    """An index of a status list given to one credential; its bit is ``is_set``.

    The primary key ``(list_id, status_index)`` is what makes allocation safe across
    processes: two credentials can never hold the same index of the same list.
    """

    __tablename__ = "status_allocation"

    list_id: int = Field(foreign_key="status_list.id", primary_key=True)
    status_index: int = Field(primary_key=True)
    #: The credential's uuid: an award's (``award.id``) or a VC-API credential's
    #: (``vcapi_credential.id``). No foreign key, since it may be either (revision 0004).
    award_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False, index=True))
    purpose: str = Field(max_length=16)
    is_set: bool = False


class StatusEvent(SQLModel, table=True):
    """The audit log of status changes: who did what to which credential, when and why."""

    __tablename__ = "status_event"

    id: int | None = Field(default=None, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="award.id", index=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    action: str = Field(max_length=16)
    reason: str
    #: ``api:<key prefix>`` or ``cli:<user>``.
    actor: str
    #: Equal to ``new_status`` when the request changed nothing (revoking twice).
    previous_status: str = Field(max_length=16)
    new_status: str = Field(max_length=16)
    at: datetime = _timestamp(default_factory=utcnow)


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
    created: datetime = _timestamp(default_factory=utcnow)
    updated: datetime = _timestamp(default_factory=utcnow)


class VcApiStatusEvent(SQLModel, table=True):
    """The audit log of status changes made to VC-API credentials (cf. :class:`StatusEvent`)."""

    __tablename__ = "vcapi_status_event"

    id: int | None = Field(default=None, primary_key=True)
    credential_uuid: uuid.UUID = Field(foreign_key="vcapi_credential.id", index=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    action: str = Field(max_length=16)
    reason: str
    actor: str
    previous_status: str = Field(max_length=16)
    new_status: str = Field(max_length=16)
    at: datetime = _timestamp(default_factory=utcnow)


class StackRuleRecord(SQLModel, table=True):
    """The rule of one stack achievement version (:mod:`schemas.stack_rule`), as served.

    Part of the version's immutable snapshot: one row per stack version, written with it and
    never updated; a new rule is a new version. ``rule`` holds the canonical JSON exactly as
    published at the achievement's ``criteria.id``, so ``digest`` (what stack credentials pin
    in ``relatedResource``) stays true of the served bytes.
    """

    __tablename__ = "stack_rule"

    achievement_id: int = Field(foreign_key="achievement.id", primary_key=True)
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    slug: str = Field(index=True, max_length=64)
    version: int
    rule: str = Field(sa_type=sa.Text)
    #: Subresource Integrity string over ``rule`` (``sha384-…``).
    digest: str = Field(max_length=120)
    created: datetime = _timestamp(default_factory=utcnow)


class StackSubmission(SQLModel, table=True):
    """A component credential issued elsewhere, submitted for an educator and verified.

    Only credentials that verified (and were issued to the educator) are stored; they count
    toward that issuer's stacks like its own awards. ``(issuer_id, recipient_email,
    content_hash)`` is unique, so submitting the same credential twice stores it once.
    """

    __tablename__ = "stack_submission"
    __table_args__ = (
        sa.UniqueConstraint(
            "issuer_id", "recipient_email", "content_hash", name="uq_stack_submission_content"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    #: The issuer (office) it was submitted to, whose stacks it counts toward.
    issuer_id: int = Field(foreign_key="issuer.id", index=True)
    #: Normalized like :attr:`Award.recipient_email`.
    recipient_email: str = Field(index=True)
    #: For a stack credential when the educator has no award here to take the name from.
    recipient_name: str | None = None
    credential_id: str | None = None
    achievement_id: str | None = None
    achievement_type: str | None = Field(default=None, max_length=64)
    achievement_name: str | None = None
    #: The component's issuer id (``issuer.id``).
    component_issuer: str | None = None
    #: ``ldp`` or ``jwt``.
    format: str = Field(max_length=8)
    #: As submitted: JSON text, or the compact JWS.
    credential: str = Field(sa_type=sa.Text)
    #: The credential JSON as verified (for a JWT, what the verified token established).
    document: str = Field(sa_type=sa.Text)
    #: SHA-256 of ``credential``.
    content_hash: str = Field(max_length=64)
    #: On the verifier's trust lists (True), or not judged (None: no lists configured).
    trusted: bool | None = None
    #: The verification report at submission (``VerificationReport.to_json()``).
    report: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    #: ``api:<key prefix>`` or ``cli:<user>``.
    submitted_by: str
    created: datetime = _timestamp(default_factory=utcnow)
