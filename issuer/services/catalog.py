"""The catalog: achievements as immutable, numbered versions.

An achievement's id is ``{base}/achievements/{slug}/v{n}``. Editing it adds version n+1 and
moves the "current" flag; version n stays stored and served unchanged, so a credential that
embeds it keeps meaning what it said when it was signed. Slugs are unique across the service
(the URL has no issuer in it).

The OB document of a version is built here from :class:`issuer.models.catalog.AchievementContent`:
ids for criteria, result descriptions and rubric levels are minted as fragments of the
achievement's own URL (so each resolves to its section of the achievement page), and the
document is checked twice before it is stored — by the OB pydantic model (vocabularies) and by
the OB JSON Schema inside a probe credential — so a catalog entry that would make invalid
credentials is refused with the field named, instead of failing at the first award.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    AchievementContent,
    AchievementCreate,
    CatalogAchievement,
    Issuer,
    ResultDescriptionIn,
)
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, InvalidInput, NotFound, not_found
from issuer.urls import Urls
from schemas.models import (
    JSON_SCHEMA_VALIDATOR_TYPE,
    OB_ACHIEVEMENT_SCHEMA_ID,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC2_CONTEXT,
    Achievement,
)
from schemas.validation import validate_credential

__all__ = [
    "NUMERIC_RESULT_TYPES",
    "SOURCE_LANGUAGE",
    "achievement_document",
    "create_achievement",
    "create_achievement_version",
    "get_achievement",
    "list_achievements",
    "list_versions",
    "translation_documents",
    "translation_for",
]

#: Result types whose values are numbers, so a pass mark is a numeric comparison.
NUMERIC_RESULT_TYPES = frozenset(
    {"Percent", "RawScore", "ScaledScore", "GradePointAverage", "PredictedScore", "RubricScore"}
)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "result"


def _decimal(value: str | None, loc: tuple[str | int, ...]) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidInput(loc, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidInput(loc, f"{value!r} is not a finite number")
    return number


def _check_numbers(index: int, rd: ResultDescriptionIn) -> None:
    loc = ("resultDescription", index)
    if rd.resultType not in NUMERIC_RESULT_TYPES:
        return
    low = _decimal(rd.valueMin, (*loc, "valueMin"))
    high = _decimal(rd.valueMax, (*loc, "valueMax"))
    required = _decimal(rd.requiredValue, (*loc, "requiredValue"))
    if low is not None and high is not None and low > high:
        raise InvalidInput((*loc, "valueMax"), "valueMax is below valueMin")
    if required is not None and (
        (low is not None and required < low) or (high is not None and required > high)
    ):
        raise InvalidInput((*loc, "requiredValue"), "requiredValue is outside valueMin..valueMax")


def _result_description(
    achievement_id: str, index: int, rd: ResultDescriptionIn, used: set[str]
) -> dict[str, Any]:
    loc = ("resultDescription", index)
    key = rd.key or _key(rd.name)
    if key in used:
        raise InvalidInput((*loc, "key"), f"two result descriptions are both keyed {key!r}")
    used.add(key)
    _check_numbers(index, rd)
    if rd.allowedValue and rd.requiredValue is not None and rd.requiredValue not in rd.allowedValue:
        raise InvalidInput((*loc, "requiredValue"), "requiredValue is not one of allowedValue")
    rd_id = f"{achievement_id}#result-{key}"
    levels: list[dict[str, Any]] = []
    level_ids: dict[str, str] = {}
    for level_index, level in enumerate(rd.rubricCriterionLevel):
        level_key = level.key or _key(level.name)
        if level_key in level_ids:
            raise InvalidInput(
                (*loc, "rubricCriterionLevel", level_index, "key"),
                f"two rubric levels are both keyed {level_key!r}",
            )
        level_ids[level_key] = f"{rd_id}-level-{level_key}"
        levels.append(
            {
                "id": level_ids[level_key],
                "type": ["RubricCriterionLevel"],
                "name": level.name,
                "description": level.description,
                "level": level.level,
                "points": level.points,
            }
        )
    required_level = None
    if rd.requiredLevel is not None:
        if rd.requiredLevel not in level_ids:
            raise InvalidInput(
                (*loc, "requiredLevel"),
                f"{rd.requiredLevel!r} is not the key of one of its rubricCriterionLevel entries"
                f" ({', '.join(level_ids) or 'none'})",
            )
        required_level = level_ids[rd.requiredLevel]
    return {
        "id": rd_id,
        "type": ["ResultDescription"],
        "name": rd.name,
        "resultType": rd.resultType,
        "requiredValue": rd.requiredValue,
        "requiredLevel": required_level,
        "valueMin": rd.valueMin,
        "valueMax": rd.valueMax,
        "allowedValue": list(rd.allowedValue),
        "rubricCriterionLevel": levels,
    }


def _probe_issues(document: dict[str, Any]) -> None:
    """Validate the achievement inside a throwaway credential against the OB JSON Schema."""
    probe = {
        "@context": [VC2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:example:probe", "type": ["Profile"]},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:example:subject",
            "achievement": document,
        },
        "credentialSchema": [{"id": OB_ACHIEVEMENT_SCHEMA_ID, "type": JSON_SCHEMA_VALIDATOR_TYPE}],
    }
    prefix = "$.credentialSubject.achievement"
    for issue in validate_credential(probe):
        if issue.path.startswith(prefix):
            path = issue.path[len(prefix) :].lstrip(".")
            loc = tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", path) if p)
            raise InvalidInput(loc or ("achievement",), issue.message)
        raise InvalidInput(("achievement",), issue.message)


#: The language of an achievement's own words when it has translations and does not say.
SOURCE_LANGUAGE = "en"


def _related(urls: Urls, slug: str, version: int, languages: Sequence[str]) -> list[dict[str, Any]]:
    """``related`` entries pointing at the version's translations (OB 3.0 ``Related``)."""
    return [
        {
            "id": urls.achievement_translation(slug, version, code),
            "type": ["Related"],
            "inLanguage": code,
        }
        for code in languages
    ]


def _checked(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` built by the OB model (vocabularies enforced) and validated by the OB JSON
    Schema inside a probe credential; raises :class:`InvalidInput` naming the field."""
    try:
        built = Achievement(**document)  # built, not read: vocabularies are enforced
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(
            tuple(first["loc"]), first["msg"].removeprefix("Value error, ")
        ) from None
    result = built.model_dump_ob()
    _probe_issues(result)
    return result


def achievement_document(
    urls: Urls, slug: str, version: int, content: AchievementContent
) -> dict[str, Any]:
    """The OB Achievement JSON of ``slug`` version ``version``; raises :class:`InvalidInput`.

    With translations it says its own language (``inLanguage``, :data:`SOURCE_LANGUAGE` unless
    given) and names each translation in ``related`` (:func:`translation_documents`)."""
    achievement_id = urls.achievement(slug, version)
    language = content.inLanguage
    if content.translations:
        language = language or SOURCE_LANGUAGE
        for code in content.translations:
            if code.lower() == language.lower():
                raise InvalidInput(
                    ("translations", code), f"the achievement itself is in {language!r}"
                )
    used: set[str] = set()
    document: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": content.achievementType,
        "name": content.name,
        "description": content.description,
        "criteria": {
            "id": content.criteria.id or f"{achievement_id}#criteria",
            "narrative": content.criteria.narrative,
        },
        "image": (
            {"id": content.image.id, "type": "Image", "caption": content.image.caption}
            if content.image
            else None
        ),
        "alignment": [{"type": ["Alignment"], **a.model_dump()} for a in content.alignment],
        "resultDescription": [
            _result_description(achievement_id, i, rd, used)
            for i, rd in enumerate(content.resultDescription)
        ],
        "creditsAvailable": content.creditsAvailable,
        "tag": list(content.tag),
        "fieldOfStudy": content.fieldOfStudy,
        "humanCode": content.humanCode,
        "inLanguage": language,
        "specialization": content.specialization,
        "related": _related(urls, slug, version, list(content.translations)),
        "version": str(version),
    }
    return _checked(document)


def translation_for(
    translations: Mapping[str, Mapping[str, Any]], language: str
) -> Mapping[str, Any] | None:
    """Which of a version's published ``translations`` a reader of ``language`` (a page's
    language, ``es``) is shown: the one tagged with it, else one in a regional form of it
    (``es-MX``), else None. The tags are the issuer's own (BCP 47: any case, any region)."""
    wanted = language.lower()
    regional = None
    for tag, document in translations.items():
        if tag.lower() == wanted:
            return document
        if regional is None and tag.lower().split("-")[0] == wanted.split("-")[0]:
            regional = document
    return regional


def translation_documents(
    urls: Urls, slug: str, version: int, document: dict[str, Any], content: AchievementContent
) -> dict[str, dict[str, Any]]:
    """The version ``document`` in each language of ``content.translations``: an Achievement
    at its own URL with the translated name, description and criteria (without criteria, the
    original's criteria by id), the original's results, alignments and image, ``inLanguage``,
    and ``related`` back to the original and the other translations. Each is checked as the
    original is; raises :class:`InvalidInput`."""
    original = {
        "id": document["id"],
        "type": ["Related"],
        "inLanguage": document.get("inLanguage") or SOURCE_LANGUAGE,
    }
    published: dict[str, dict[str, Any]] = {}
    for code, words in content.translations.items():
        own_id = urls.achievement_translation(slug, version, code)
        criteria = document["criteria"]
        if words.criteria is not None:
            shared = criteria.get("id") != f"{document['id']}#criteria"
            criteria = {
                "id": criteria["id"] if shared else f"{own_id}#criteria",
                "narrative": words.criteria.narrative,
            }
        elif "id" in criteria:
            criteria = {"id": criteria["id"]}
        image = document.get("image")
        others = [c for c in content.translations if c != code]
        translated = {
            **document,
            "id": own_id,
            "name": words.name,
            "description": words.description,
            "criteria": criteria,
            # the caption is in the original's language; the picture is the same
            "image": {k: v for k, v in image.items() if k != "caption"} if image else None,
            "inLanguage": code,
            "related": [original, *_related(urls, slug, version, others)],
        }
        try:
            published[code] = _checked(translated)
        except InvalidInput as error:
            raise InvalidInput(("translations", code, *error.loc), error.message) from None
    return published


# ------------------------------------------------------------------------------ reads


def get_achievement(session: Session, slug: str, version: int | None = None) -> CatalogAchievement:
    """The current version of ``slug``, or the given version."""
    query = select(CatalogAchievement).where(CatalogAchievement.slug == slug)
    if version is None:
        query = query.where(col(CatalogAchievement.is_current))
    else:
        query = query.where(CatalogAchievement.version == version)
    row = session.exec(query).first()
    if row is None and version is not None:
        raise NotFound(f"no version {version} of achievement {slug!r}")
    if row is None:
        current = select(CatalogAchievement.slug).where(col(CatalogAchievement.is_current))
        raise not_found("achievement", slug, session.exec(current).all())
    return row


def list_achievements(
    session: Session, *, issuer: Issuer | None = None
) -> Sequence[CatalogAchievement]:
    """Current versions, by slug."""
    query = select(CatalogAchievement).where(col(CatalogAchievement.is_current))
    if issuer is not None:
        query = query.where(CatalogAchievement.issuer_id == issuer.id)
    return session.exec(query.order_by(col(CatalogAchievement.slug))).all()


def list_versions(session: Session, slug: str) -> Sequence[CatalogAchievement]:
    return session.exec(
        select(CatalogAchievement)
        .where(CatalogAchievement.slug == slug)
        .order_by(col(CatalogAchievement.version))
    ).all()


# ------------------------------------------------------------------------------ writes


def create_achievement(
    *, session: Session, runtime: Runtime, issuer: Issuer, data: AchievementCreate
) -> CatalogAchievement:
    """Version 1 of a new achievement. 409 if the slug is taken (by any issuer)."""
    begin_write(session)
    if session.exec(
        select(CatalogAchievement.id).where(CatalogAchievement.slug == data.slug)
    ).first():
        raise Conflict(f"achievement {data.slug!r} already exists; edit it to make a new version")
    content = AchievementContent.model_validate(data.model_dump(exclude={"slug"}))
    document = achievement_document(runtime.urls, data.slug, 1, content)
    row = CatalogAchievement(
        issuer_id=issuer.id or 0,
        slug=data.slug,
        version=1,
        is_current=True,
        document=document,
        credit_type=content.creditType,
        translations=translation_documents(runtime.urls, data.slug, 1, document, content),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"achievement {data.slug!r} already exists") from None
    session.refresh(row)
    return row


def create_achievement_version(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    slug: str,
    content: AchievementContent,
) -> CatalogAchievement:
    """Version n+1 of ``slug``, now current. Earlier versions are kept as they are."""
    begin_write(session)
    current = get_achievement(session, slug)
    if current.issuer_id != issuer.id:
        raise NotFound(f"no achievement {slug!r} in the catalog of {issuer.slug}")
    version = current.version + 1
    document = achievement_document(runtime.urls, slug, version, content)
    translations = translation_documents(runtime.urls, slug, version, document, content)
    current.is_current = False
    session.add(current)
    session.flush()  # the partial unique index allows one current row per slug
    row = CatalogAchievement(
        issuer_id=issuer.id or 0,
        slug=slug,
        version=version,
        is_current=True,
        document=document,
        credit_type=content.creditType,
        translations=translations,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"achievement {slug!r} was edited at the same time; retry") from None
    session.refresh(row)
    return row
