"""The OB 3.0 API's Host: the credentials educators' apps upserted, and each educator's Profile.

* **Stored byte for byte.** ``body`` is the request body as it came (a credential's JSON text
  or a compact JWS), served back unchanged by ``GET /credentials``: the specification's
  "Provider (Write)" test reads back exactly what it wrote, and a JSON column could reorder
  or renumber it (PostgreSQL ``jsonb`` does).
* **One row per credential identity.** The specification's equality rule makes two
  credentials the same when their issuer ids and ids are equal after percent-decoding and
  trimming; ``identity`` is the SHA-256 of that pair, unique per educator, so two concurrent
  upserts of one credential cannot both insert (the loser finds the winner's row). The pair
  itself is kept (``issuer_key``, ``credential_key``) to be read by people.
* **A Profile is the educator's own.** ``body`` is the JSON the educator's app last PUT (none
  until then: the default is derived from the account, :mod:`issuer.services.ob_host`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.models.fields import timestamp
from schemas.dates import utcnow

__all__ = [
    "GetOpenBadgeCredentialsResponse",
    "HostedCredential",
    "HostedProfile",
    "ImsxCodeMinor",
    "ImsxCodeMinorField",
    "ImsxStatusInfo",
]


class HostedCredential(SQLModel, table=True):
    """A credential an app upserted into an educator's Host (``POST /ims/ob/v3p0/credentials``)."""

    __tablename__ = "ob_host_credential"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "identity", name="uq_ob_host_credential_identity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(foreign_key="learner.id", index=True)
    #: The OAuth client (app) that last wrote it.
    client_id: str = Field(max_length=200)
    #: ``ldp`` (a JSON credential with an embedded proof) or ``jwt`` (a compact JWS).
    format: str = Field(max_length=8)
    #: SHA-256 (hex) of the normalised issuer id and credential id: the equality rule's key.
    identity: str = Field(max_length=64)
    issuer_key: str = Field(sa_type=sa.Text)
    credential_key: str = Field(sa_type=sa.Text)
    #: For the educator's page: the credential's and its issuer's names, if it gives them.
    name: str | None = Field(default=None, sa_type=sa.Text)
    issuer_name: str | None = Field(default=None, sa_type=sa.Text)
    valid_from: datetime = timestamp()
    #: The request body, exactly.
    body: str = Field(sa_type=sa.Text)
    #: SHA-256 (hex) of ``body``: an upsert of the very same bytes changes nothing.
    body_digest: str = Field(max_length=64)
    created: datetime = timestamp(default_factory=utcnow)
    #: When the body was last written; ``since`` and the list's order read it.
    updated: datetime = timestamp(default_factory=utcnow, index=True)


class HostedProfile(SQLModel, table=True):
    """The OB 3.0 Profile an educator's app last PUT (``PUT /ims/ob/v3p0/profile``)."""

    __tablename__ = "ob_host_profile"

    learner_id: int = Field(foreign_key="learner.id", primary_key=True)
    #: The Profile JSON as it was PUT.
    body: str = Field(sa_type=sa.Text)
    updated: datetime = timestamp(default_factory=utcnow)


# ------------------------------------------------------------------------------ API shapes
# For /openapi.json: the OB 3.0 API's bodies are written by the routes themselves (credentials
# spliced in byte for byte), so these models document them; names follow the specification.


class ImsxCodeMinorField(BaseModel):
    """One code-minor status code (``imsx_codeMinorFieldName`` is ``TargetEndSystem``)."""

    model_config = ConfigDict(title="Imsx_CodeMinorField", extra="forbid")

    imsx_codeMinorFieldName: str
    imsx_codeMinorFieldValue: str


class ImsxCodeMinor(BaseModel):
    model_config = ConfigDict(title="Imsx_CodeMinor", extra="forbid")

    imsx_codeMinorField: list[ImsxCodeMinorField] = InputField(min_length=1)


class ImsxStatusInfo(BaseModel):
    """Every refusal of the OB 3.0 API (``imsx_codeMajor`` "failure", ``imsx_severity``
    "error"); see :mod:`issuer.api.imsx`."""

    model_config = ConfigDict(title="Imsx_StatusInfo", extra="forbid")

    imsx_codeMajor: str
    imsx_severity: str
    imsx_description: str | None = None
    imsx_codeMinor: ImsxCodeMinor | None = None


class GetOpenBadgeCredentialsResponse(BaseModel):
    """A page of ``GET /ims/ob/v3p0/credentials``: Data Integrity credentials as JSON in
    ``credential``, VC-JWT ones as compact JWS strings in ``compactJwsString``."""

    model_config = ConfigDict(extra="forbid")

    credential: list[dict[str, Any]] = InputField(default_factory=list)
    compactJwsString: list[str] = InputField(default_factory=list)
