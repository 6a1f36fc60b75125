"""Issuers, their keys and API keys: the tables, and what callers send and get back.

**Private keys only sealed** (AES-256-GCM under the key-encryption key, the row id as
associated data, see :mod:`issuer.crypto_at_rest`), **API keys only hashed**.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.choices import DidMethod, Scope
from issuer.models.fields import (
    Email,
    HttpUrl,
    ImageRef,
    InputModel,
    LongText,
    Slug,
    Text,
    UtcDatetime,
    timestamp,
)
from schemas.dates import utcnow
from schemas.models import EXTENSION_VALUE, IDENTITY_TYPES

__all__ = [
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "DidMethod",
    "IdentifierEntryIn",
    "Instance",
    "Issuer",
    "IssuerCreate",
    "IssuerKey",
    "IssuerProfileIn",
    "IssuerPublic",
    "KeyPublic",
    "KeyPurpose",
    "Scope",
]


class KeyPurpose(StrEnum):
    """What a key signs: Data Integrity proofs (Ed25519) or VC-JWTs (P-256 / RSA)."""

    ldp = "ldp"
    jwt = "jwt"


class Instance(SQLModel, table=True):
    """Facts about this installation decided once, at ``microcred init``."""

    __tablename__ = "instance"

    id: int = Field(default=1, primary_key=True)
    #: The base URL ids were built on; the ``MICROCRED_BASE_URL`` setting overrides it.
    base_url: str
    created: datetime = timestamp(default_factory=utcnow)


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
    created: datetime = timestamp(default_factory=utcnow)


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
    created: datetime = timestamp(default_factory=utcnow)
    retired: datetime | None = timestamp(default=None, nullable=True)


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
    created: datetime = timestamp(default_factory=utcnow)
    revoked: datetime | None = timestamp(default=None, nullable=True)


class IdentifierEntryIn(InputModel):
    """Another identifier of the organization, e.g. an NCES district id."""

    identifier: Text
    identifierType: Text = InputField(
        description="an OB identityType or an 'ext:' value",
        json_schema_extra={
            "anyOf": [{"enum": list(IDENTITY_TYPES)}, {"pattern": EXTENSION_VALUE.pattern}]
        },
    )


class IssuerProfileIn(InputModel):
    """The editable part of an issuer's OB Profile."""

    name: Text
    url: HttpUrl | None = None
    email: Email | None = None
    phone: Text | None = None
    description: LongText | None = None
    image: ImageRef | None = None
    parent: Slug | None = InputField(default=None, description="slug of the parent organization")
    other_identifiers: list[IdentifierEntryIn] = InputField(default_factory=list, max_length=20)


class IssuerCreate(IssuerProfileIn):
    slug: Slug
    did_method: DidMethod | None = InputField(
        default=None, description="default: web on an https base URL, key otherwise"
    )
    jwt_key_type: str = InputField(default="P-256", pattern="^(P-256|RSA)$")


class KeyPublic(BaseModel):
    id: str
    purpose: str
    key_type: str
    public_jwk: dict[str, Any]
    created: UtcDatetime
    retired: UtcDatetime | None


class IssuerPublic(BaseModel):
    slug: str
    name: str
    did: str
    did_method: str
    profile_url: str
    profile: dict[str, Any]
    keys: list[KeyPublic]


class ApiKeyCreate(InputModel):
    name: Text
    scopes: list[Scope] = InputField(min_length=1)


class ApiKeyCreated(BaseModel):
    """The only time the token is shown: it is stored hashed."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    issuer: str | None
    token: str
