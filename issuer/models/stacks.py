"""What callers send and get back for stacks and submitted components (pydantic models).

Kept beside :mod:`issuer.payloads` (same conventions: unknown fields refused, OB member names
for what ends up in an achievement) in a module of its own, so the stack feature's shapes are
read in one place. Requirements use the rule format itself (:mod:`schemas.stack_rule`): an
office writes the same JSON it will find published, minus what the service mints (the rule's
``id``, ``achievement`` and ``version``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from issuer.payloads import (
    AlignmentIn,
    Email,
    ImageIn,
    LanguageTag,
    LongText,
    Slug,
    Text,
    _Input,
)
from schemas.stack_rule import Requirement, Window

__all__ = [
    "StackContent",
    "StackCreate",
    "StackPublic",
    "SubmissionCreate",
    "SubmissionPublic",
    "SubmissionResult",
]


class StackContent(_Input):
    """A stack version: the achievement's content and its rule's requirements.

    ``criteria`` is not given: its ``id`` is the rule's URL and its ``narrative`` the rule in
    words, both made by the service.
    """

    name: Text
    description: LongText
    achievementType: Text = "Certificate"
    image: ImageIn | None = None
    alignment: list[AlignmentIn] = Field(default_factory=list, max_length=50)
    tag: list[Text] = Field(default_factory=list, max_length=50)
    fieldOfStudy: Text | None = None
    humanCode: Text | None = None
    inLanguage: LanguageTag | None = None
    requirements: list[Requirement] = Field(min_length=1, max_length=200)
    within: Window | None = None
    order: bool = False
    rule_description: LongText | None = Field(
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


class SubmissionCreate(_Input):
    """A component credential issued elsewhere, for an educator: give exactly one of
    ``credential`` (a JSON credential, or a compact JWS as a string), ``presentation`` (a
    VerifiablePresentation: each credential in it) or ``url`` (a badge link, fetched)."""

    recipient_email: Email
    recipient_name: Text | None = None
    credential: dict[str, Any] | str | None = None
    presentation: dict[str, Any] | None = None
    url: str | None = Field(default=None, max_length=2048)


class SubmissionPublic(BaseModel):
    id: uuid.UUID
    recipient_email: str
    credential_id: str | None
    achievement_id: str | None
    achievement_name: str | None
    achievement_type: str | None
    component_issuer: str | None
    trusted: bool | None
    created: datetime


class SubmissionResult(BaseModel):
    """What a submission did: the credentials stored, those refused (with the verification
    report saying why), and the stack credentials it completed."""

    accepted: list[SubmissionPublic]
    rejected: list[dict[str, Any]]
    stacks_issued: list[str]
