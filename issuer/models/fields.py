"""What callers send and get back (HTTP bodies, CLI input, CSV rows): pydantic models.

The same models validate the HTTP API, the CLI and every CSV row, so a bad value gets the same
message wherever it comes from, and the message names the field (pydantic's ``loc``).
Unknown fields are refused (``extra="forbid"``): a misspelt ``recipient_emial`` must not be
silently dropped from a signed credential.

Naming: the achievement payload uses OB 3.0's own member names (``achievementType``,
``resultDescription``, ...), so a catalog written for OB reads naturally; awards are our own
concept and use snake_case, which is also what the CSV columns are called.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from issuer.models import DidMethod, Scope

# ------------------------------------------------------------------------------ value types

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s<>(),;:\"\[\]]+@{_LABEL}(?:\.{_LABEL})+$")
_DID = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-])(?:#[A-Za-z0-9._~%:-]+)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    # Control characters are where Python and JavaScript canonicalizers disagree (see the
    # RDFC-1.0 escaping notes in schemas/rdfc.py): refuse them at the door.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value.lower()


def _did(value: str) -> str:
    value = value.strip()
    if len(value) > 2048 or not _DID.match(value):
        raise ValueError("is not a DID (did:method:identifier)")
    return value


def _http_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value) or len(value) > 2048:
        raise ValueError("is not an absolute http(s) URL")
    return value


def _image(value: str) -> str:
    value = value.strip()
    if value.startswith("data:image/"):
        if len(value) > 200_000:
            raise ValueError("data: image is larger than 200 kB; host it and give its URL")
        return value
    return _http_url(value)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. 2026-09-30T00:00:00Z")
    return value


def _scalar_text(value: Any) -> Any:
    """Accept a JSON number where OB wants a string (``"85"``), refusing booleans and NaN."""
    if isinstance(value, bool):
        raise ValueError("must be a number or a string, not true/false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int | float | Decimal):
        return format(Decimal(str(value)).normalize(), "f")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_characters),
]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Email = Annotated[str, AfterValidator(_email)]
Did = Annotated[str, AfterValidator(_did)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
ImageRef = Annotated[str, AfterValidator(_image)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
ScalarText = Annotated[
    str,
    BeforeValidator(_scalar_text),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_characters),
]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ------------------------------------------------------------------------------ issuers


class IdentifierEntryIn(_Input):
    """Another identifier of the organization, e.g. an NCES district id."""

    identifier: Text
    identifierType: Text = Field(description="an OB identityType or an 'ext:' value")


class IssuerProfileIn(_Input):
    """The editable part of an issuer's OB Profile."""

    name: Text
    url: HttpUrl | None = None
    email: Email | None = None
    phone: Text | None = None
    description: LongText | None = None
    image: ImageRef | None = None
    parent: Slug | None = Field(default=None, description="slug of the parent organization")
    other_identifiers: list[IdentifierEntryIn] = Field(default_factory=list, max_length=20)


class IssuerCreate(IssuerProfileIn):
    slug: Slug
    did_method: DidMethod | None = Field(
        default=None, description="default: web on an https base URL, key otherwise"
    )
    jwt_key_type: str = Field(default="P-256", pattern="^(P-256|RSA)$")


class KeyPublic(BaseModel):
    id: str
    purpose: str
    key_type: str
    public_jwk: dict[str, Any]
    created: datetime
    retired: datetime | None


class IssuerPublic(BaseModel):
    slug: str
    name: str
    did: str
    did_method: str
    profile_url: str
    profile: dict[str, Any]
    keys: list[KeyPublic]


# ------------------------------------------------------------------------------ catalog


class CriteriaIn(_Input):
    id: HttpUrl | None = None
    narrative: LongText | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CriteriaIn:
        if self.id is None and self.narrative is None:
            raise ValueError("criteria needs a narrative or an id")
        return self


class ImageIn(_Input):
    id: ImageRef
    caption: Text | None = None


class AlignmentIn(_Input):
    targetName: Text
    targetUrl: HttpUrl
    targetType: Text | None = None
    targetCode: Text | None = None
    targetFramework: Text | None = None
    targetDescription: LongText | None = None


class RubricLevelIn(_Input):
    """One level of a rubric, best first in its list."""

    key: Slug | None = Field(default=None, description="default: from the name")
    name: Text
    description: LongText | None = None
    level: Text | None = None
    points: ScalarText | None = None


class ResultDescriptionIn(_Input):
    """How a result is reported, and the pass rule (``requiredValue`` / ``requiredLevel``)."""

    key: Slug | None = Field(default=None, description="default: from the name")
    name: Text
    resultType: Text
    requiredValue: ScalarText | None = None
    requiredLevel: Slug | None = Field(default=None, description="key of a rubric level")
    valueMin: ScalarText | None = None
    valueMax: ScalarText | None = None
    allowedValue: list[Text] = Field(default_factory=list, max_length=100)
    rubricCriterionLevel: list[RubricLevelIn] = Field(default_factory=list, max_length=20)


class AchievementContent(_Input):
    """An achievement version's content (everything but the slug)."""

    name: Text
    description: LongText
    achievementType: Text = "MicroCredential"
    criteria: CriteriaIn
    image: ImageIn | None = None
    alignment: list[AlignmentIn] = Field(default_factory=list, max_length=50)
    resultDescription: list[ResultDescriptionIn] = Field(default_factory=list, max_length=10)
    creditsAvailable: float | None = Field(default=None, ge=0, le=1000)
    tag: list[Text] = Field(default_factory=list, max_length=50)
    fieldOfStudy: Text | None = None
    humanCode: Text | None = None
    inLanguage: LanguageTag | None = None
    specialization: Text | None = None


class AchievementCreate(AchievementContent):
    slug: Slug


class AchievementPublic(BaseModel):
    slug: str
    version: int
    current: bool
    issuer: str
    id: str
    achievement: dict[str, Any]
    created: datetime


# ------------------------------------------------------------------------------ awards


class EvidenceIn(_Input):
    """Evidence of the work. Items that may hold student data are kept but never published."""

    url: HttpUrl | None = None
    name: Text | None = None
    narrative: LongText | None = None
    description: LongText | None = None
    genre: Text | None = None
    audience: Text | None = None
    contains_student_data: bool = False

    @model_validator(mode="after")
    def _something(self) -> EvidenceIn:
        if not (self.url or self.name or self.narrative or self.description):
            raise ValueError("evidence needs a url, a name, a narrative or a description")
        return self


class AwardCreate(_Input):
    """One award: who earned which achievement, with what result and evidence."""

    achievement: Slug
    recipient_name: Text
    recipient_email: Email
    recipient_did: Did | None = None
    score: ScalarText | None = None
    rubric_level: Text | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)
    assessor: Text | None = None
    awarded_date: AwareDatetime | None = None
    activity_start_date: AwareDatetime | None = None
    activity_end_date: AwareDatetime | None = None
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _activity_order(self) -> AwardCreate:
        start, end = self.activity_start_date, self.activity_end_date
        if start is not None and end is not None and end < start:
            raise ValueError("activity_end_date is before activity_start_date")
        return self


class AwardPublic(BaseModel):
    """An award as the admin API and ``credentials list --json`` show it."""

    id: uuid.UUID
    url: str
    issuer: str
    achievement: str
    achievement_version: int
    status: str
    recipient_name: str
    recipient_email: str
    awarded: datetime
    idempotency_key: str | None
    signed_by: str
    credential: dict[str, Any] | None = None
    jwt: str | None = None


class BatchRequest(_Input):
    """A bulk award. Each row is validated on its own, so one bad row fails alone."""

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)
    batch_id: IdempotencyKey | None = Field(
        default=None, description="names the batch; a rerun with the same id skips done rows"
    )


class BatchRowResult(BaseModel):
    row: int
    ok: bool
    credential_id: uuid.UUID | None = None
    url: str | None = None
    replayed: bool = False
    error: str | None = None


class BatchResult(BaseModel):
    batch_id: str
    rows: int
    ok: int
    failed: int
    issued: int
    results: list[BatchRowResult]


# ------------------------------------------------------------------------------ API keys


class ApiKeyCreate(_Input):
    name: Text
    scopes: list[Scope] = Field(min_length=1)


class ApiKeyCreated(BaseModel):
    """The only time the token is shown: it is stored hashed."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    issuer: str | None
    token: str
