"""The Open Badges 3.0 and VC identifiers and vocabularies: context URLs, schema ids, types,
the extensible value lists, and the tests on them that need no model.

Standard library only: the verifier's checks, the proof suites and the JSON Schema selection
use these names on every verification, and importing them from :mod:`schemas.models` (which
builds every pydantic model when imported) cost ``microcred verify`` a tenth of a second.
:mod:`schemas.models` re-exports every name, so ``from schemas.models import VC2_CONTEXT``
keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from schemas.json_values import type_names

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "CREDENTIAL_REFRESH_TYPE",
    "EXTENSION_VALUE",
    "HASH_ALGORITHMS",
    "IDENTITY_TYPES",
    "JSON_SCHEMA_VALIDATOR_TYPE",
    "OB_ACHIEVEMENT_SCHEMA_ID",
    "OB_CONTEXT",
    "OB_CONTEXT_PATTERN",
    "OB_CREDENTIAL_TYPES",
    "OB_ENDORSEMENT_SCHEMA_ID",
    "OB_EXTENSIONS_CONTEXT",
    "OB_PROFILE_SCHEMA_ID",
    "OB_SCHEMA_BASE",
    "RESULT_STATUS",
    "RESULT_TYPES",
    "REVOCATION_LIST_TYPE",
    "STATUS_PURPOSES",
    "VC11_CONTEXT",
    "VC2_CONTEXT",
    "is_open_badge",
    "is_vocabulary_value",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC11_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: Defines 1EdTechJsonSchemaValidator2019, 1EdTechRevocationList and 1EdTechCredentialRefresh:
#: without it those types do not survive JSON-LD expansion.
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB_CONTEXT_PATTERN = re.compile(
    r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$"
)

OB_SCHEMA_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
OB_ACHIEVEMENT_SCHEMA_ID = OB_SCHEMA_BASE + "ob_v3p0_achievementcredential_schema.json"
OB_ENDORSEMENT_SCHEMA_ID = OB_SCHEMA_BASE + "ob_v3p0_endorsementcredential_schema.json"
OB_PROFILE_SCHEMA_ID = OB_SCHEMA_BASE + "ob_v3p0_profile_schema.json"
JSON_SCHEMA_VALIDATOR_TYPE = "1EdTechJsonSchemaValidator2019"
REVOCATION_LIST_TYPE = "1EdTechRevocationList"
CREDENTIAL_REFRESH_TYPE = "1EdTechCredentialRefresh"
#: Types that make a document an Open Badges credential (AchievementCredential is an alias).
OB_CREDENTIAL_TYPES = frozenset(
    {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"}
)


def is_open_badge(document: Mapping[str, Any]) -> bool:
    """Whether the Open Badges 3.0 profile applies: the credential is typed
    OpenBadgeCredential, AchievementCredential or EndorsementCredential, or it uses the OB 3.0
    context (it claims OB's vocabulary, so a mistyped Open Badge is judged as one and fails
    its schema rather than passing as some other VC)."""
    if not OB_CREDENTIAL_TYPES.isdisjoint(type_names(document)):
        return True
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and OB_CONTEXT_PATTERN.match(c) for c in contexts)


ACHIEVEMENT_TYPES: tuple[str, ...] = (
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion",
    "Certification", "CommunityService", "Competency", "Course", "CoCurricular", "Degree",
    "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership",
    "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
    "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
)  # fmt: skip
RESULT_TYPES: tuple[str, ...] = (
    "GradePointAverage", "LetterGrade", "Percent", "PerformanceLevel", "PredictedScore",
    "RawScore", "Result", "RubricCriterion", "RubricCriterionLevel", "RubricScore",
    "ScaledScore", "Status",
)  # fmt: skip
RESULT_STATUS: tuple[str, ...] = (
    "Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew",
)  # fmt: skip
IDENTITY_TYPES: tuple[str, ...] = (
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId",
    "sisSourcedId", "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId",
    "ltiUserId", "identifier",
)  # fmt: skip
ALIGNMENT_TARGET_TYPES: tuple[str, ...] = (
    "ceasn:Competency", "ceterms:Credential", "CFItem", "CFRubric", "CFRubricCriterion",
    "CFRubricCriterionLevel", "CTDL",
)  # fmt: skip
#: OB's extension convention for the extensible vocabularies above. 1EdTech's schema writes
#: ``(ext:)[a-z|A-Z|0-9|.|-|_]+`` unanchored; we anchor it and read the evident intent.
EXTENSION_VALUE = re.compile(r"^ext:[A-Za-z0-9._-]+$")
STATUS_PURPOSES: tuple[str, ...] = ("revocation", "suspension", "refresh", "message")
HASH_ALGORITHMS: tuple[str, ...] = ("md5", "sha256")


def is_vocabulary_value(value: str, vocabulary: tuple[str, ...]) -> bool:
    """True for a listed value or an ``ext:`` extension value."""
    return value in vocabulary or EXTENSION_VALUE.match(value) is not None
