"""The catalog: achievement versions as stored, and the content callers send for them.

**Achievement versions are immutable rows.** Editing an achievement adds a version; an award
points at the version it was issued under, and its credential embeds that version's snapshot.
The content uses OB 3.0's own member names (``achievementType``, ``resultDescription``, ...), so
a catalog written for OB reads naturally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from issuer.models.fields import (
    HttpUrl,
    ImageRef,
    InputModel,
    LanguageTag,
    LongText,
    ScalarText,
    Slug,
    Text,
    UtcDatetime,
    given,
    timestamp,
)
from schemas.dates import utcnow

#: Longest credit type ("professional development hours" fits with room to spare).
MAX_CREDIT_TYPE = 64
CreditType = Annotated[Text, StringConstraints(max_length=MAX_CREDIT_TYPE)]

__all__ = [
    "MAX_CREDIT_TYPE",
    "AchievementContent",
    "AchievementCreate",
    "AchievementPublic",
    "AchievementTranslationIn",
    "AlignmentIn",
    "CatalogAchievement",
    "CriteriaIn",
    "ImageIn",
    "ResultDescriptionIn",
    "RubricLevelIn",
]


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
    #: What one of its ``creditsAvailable`` is ("renewal hours", "CEUs"): OB 3.0 has no member
    #: for it, so the catalog keeps it beside the document and the pages show it.
    credit_type: str | None = Field(default=None, max_length=MAX_CREDIT_TYPE)
    #: The same version in other languages, each an OB Achievement published at its own URL
    #: (``…/v{n}/translations/{lang}``), keyed by language tag: OB 3.0 has no language map for
    #: strings, so a translation is a related Achievement (``related`` / ``inLanguage``) that
    #: the document above points to. Immutable with the version.
    translations: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created: datetime = timestamp(default_factory=utcnow)


class CriteriaIn(InputModel):
    model_config = ConfigDict(json_schema_extra=given("id", "narrative"))

    id: HttpUrl | None = None
    narrative: LongText | None = None

    @model_validator(mode="after")
    def _one_of(self) -> CriteriaIn:
        if self.id is None and self.narrative is None:
            raise ValueError("criteria needs a narrative or an id")
        return self


class ImageIn(InputModel):
    id: ImageRef
    caption: Text | None = None


class AlignmentIn(InputModel):
    targetName: Text
    targetUrl: HttpUrl
    targetType: Text | None = None
    targetCode: Text | None = None
    targetFramework: Text | None = None
    targetDescription: LongText | None = None


class RubricLevelIn(InputModel):
    """One level of a rubric, best first in its list."""

    key: Slug | None = InputField(default=None, description="default: from the name")
    name: Text
    description: LongText | None = None
    level: Text | None = None
    points: ScalarText | None = None


class ResultDescriptionIn(InputModel):
    """How a result is reported, and the pass rule (``requiredValue`` / ``requiredLevel``)."""

    key: Slug | None = InputField(default=None, description="default: from the name")
    name: Text
    resultType: Text
    requiredValue: ScalarText | None = None
    requiredLevel: Slug | None = InputField(default=None, description="key of a rubric level")
    valueMin: ScalarText | None = None
    valueMax: ScalarText | None = None
    allowedValue: list[Text] = InputField(default_factory=list, max_length=100)
    rubricCriterionLevel: list[RubricLevelIn] = InputField(default_factory=list, max_length=20)


class TranslatedCriteriaIn(InputModel):
    narrative: LongText


class AchievementTranslationIn(InputModel):
    """An achievement's words in another language: published as its own Achievement document,
    which the signed one names in ``related`` (the rest — results, alignments, image — is the
    original's)."""

    name: Text
    description: LongText
    criteria: TranslatedCriteriaIn | None = InputField(
        default=None, description="without it, the translation points to the original criteria"
    )


#: Languages a version may be translated into at once.
MAX_TRANSLATIONS = 20


class AchievementContent(InputModel):
    """An achievement version's content (everything but the slug)."""

    name: Text
    description: LongText
    achievementType: Text = "MicroCredential"
    criteria: CriteriaIn
    image: ImageIn | None = None
    alignment: list[AlignmentIn] = InputField(default_factory=list, max_length=50)
    resultDescription: list[ResultDescriptionIn] = InputField(default_factory=list, max_length=10)
    creditsAvailable: float | None = InputField(default=None, ge=0, le=1000)
    creditType: CreditType | None = InputField(
        default=None,
        description=(
            'what one credit is, plural ("renewal hours", "CEUs", "graduate credits"); kept '
            "in the catalog and shown on the pages, not in the signed credential (OB 3.0 has "
            "no member for it)"
        ),
    )
    tag: list[Text] = InputField(default_factory=list, max_length=50)
    fieldOfStudy: Text | None = None
    humanCode: Text | None = None
    inLanguage: LanguageTag | None = InputField(
        default=None,
        description='the language of the words above (BCP 47); "en" when translations are given',
    )
    specialization: Text | None = None
    translations: dict[LanguageTag, AchievementTranslationIn] = InputField(
        default_factory=dict,
        max_length=MAX_TRANSLATIONS,
        description=(
            'the name, description and criteria in other languages, by language tag ({"es": '
            '{"name": …, "description": …, "criteria": {"narrative": …}}}); each is published '
            "as a related Achievement, not in the signed credential's own strings"
        ),
    )


class AchievementCreate(AchievementContent):
    slug: Slug


class AchievementPublic(BaseModel):
    slug: str
    version: int
    current: bool
    issuer: str
    id: str
    achievement: dict[str, Any]
    #: The published translations (language → Achievement document).
    translations: dict[str, Any] = InputField(default_factory=dict)
    created: UtcDatetime
