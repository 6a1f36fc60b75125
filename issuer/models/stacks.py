"""Stacks and submitted components: the stored rules and submissions, and what callers send.

Same conventions as the catalog (unknown fields refused, OB member names for what ends up in an
achievement). Requirements use the rule format itself (:mod:`schemas.stack_rule`): an office
writes the same JSON it will find published, minus what the service mints (the rule's ``id``,
``achievement`` and ``version``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.models.catalog import AlignmentIn, ImageIn
from issuer.models.fields import (
    Email,
    InputModel,
    LanguageTag,
    LongText,
    Slug,
    Text,
    UtcDatetime,
    given,
    timestamp,
)
from schemas.dates import utcnow
from schemas.stack_rule import MAX_DESCRIPTION, Requirement, Window

#: What a rule's ``description`` may be (the same bound as the rule itself).
RuleDescription = Annotated[LongText, StringConstraints(max_length=MAX_DESCRIPTION)]

__all__ = [
    "StackContent",
    "StackCreate",
    "StackPublic",
    "StackRuleRecord",
    "StackSubmission",
    "SubmissionCreate",
    "SubmissionPublic",
    "SubmissionResult",
]


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
    created: datetime = timestamp(default_factory=utcnow)


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
    created: datetime = timestamp(default_factory=utcnow)


class StackContent(InputModel):
    """A stack version: the achievement's content and its rule's requirements.

    ``criteria`` is not given: its ``id`` is the rule's URL and its ``narrative`` the rule in
    words, both made by the service.
    """

    name: Text
    description: LongText
    achievementType: Text = "Certificate"
    image: ImageIn | None = None
    alignment: list[AlignmentIn] = InputField(default_factory=list, max_length=50)
    tag: list[Text] = InputField(default_factory=list, max_length=50)
    fieldOfStudy: Text | None = None
    humanCode: Text | None = None
    inLanguage: LanguageTag | None = None
    requirements: list[Requirement] = InputField(min_length=1, max_length=200)
    within: Window | None = None
    order: bool = False
    #: A rule's description is held to the rule's own bound (``schemas.stack_rule.StackRule``).
    rule_description: RuleDescription | None = InputField(
        default=None, description="more words about the rule, published in the rule"
    )


class StackCreate(StackContent):
    slug: Slug


class StackPublic(BaseModel):
    """A stack version as the admin API shows it."""

    slug: str
    version: int
    current: bool
    issuer: str
    id: str
    achievement: dict[str, Any]
    rule: dict[str, Any]
    rule_url: str
    rule_digest: str


class SubmissionCreate(InputModel):
    """A component credential issued elsewhere, for an educator: give exactly one of
    ``credential`` (a JSON credential, or a compact JWS as a string), ``presentation`` (a
    VerifiablePresentation: each credential in it) or ``url`` (a badge link, fetched)."""

    model_config = ConfigDict(
        json_schema_extra=given("credential", "presentation", "url", exactly_one=True)
    )

    recipient_email: Email
    recipient_name: Text | None = None
    credential: dict[str, Any] | str | None = None
    presentation: dict[str, Any] | None = None
    url: str | None = InputField(default=None, max_length=2048)


class SubmissionPublic(BaseModel):
    id: uuid.UUID
    recipient_email: str
    credential_id: str | None
    achievement_id: str | None
    achievement_name: str | None
    achievement_type: str | None
    component_issuer: str | None
    trusted: bool | None
    created: UtcDatetime


class SubmissionResult(BaseModel):
    """What a submission did: the credentials stored, those refused (with the verification
    report saying why), and the stack credentials it completed."""

    accepted: list[SubmissionPublic]
    rejected: list[dict[str, Any]]
    stacks_issued: list[str]
