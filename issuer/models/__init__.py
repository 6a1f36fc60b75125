"""The issuer's data, one module per concern: each entity's table and the shapes callers send
and get back for it, side by side.

* :mod:`~issuer.models.issuers`: issuers, their keys, API keys, the installation;
* :mod:`~issuer.models.catalog`: achievement versions and their content;
* :mod:`~issuer.models.awards`: awards and bulk awards;
* :mod:`~issuer.models.status`: status lists, allocations and the audit log;
* :mod:`~issuer.models.stacks`: stack rules and submitted components;
* :mod:`~issuer.models.vcapi`: credentials issued through the VC-API;
* :mod:`~issuer.models.fields`: the checked value types and helpers they share.

Public views (``...Public``) are built from rows with :func:`~issuer.models.fields.public_view`
(``model_validate``), not by copying fields one by one. Every name is re-exported here, so
``from issuer.models import Award, AwardCreate`` works whatever module holds it.
"""

from __future__ import annotations

from issuer.models.awards import (
    Award,
    AwardCreate,
    AwardPublic,
    Batch,
    BatchRequest,
    BatchResult,
    BatchRow,
    BatchRowResult,
    EvidenceIn,
)
from issuer.models.catalog import (
    AchievementContent,
    AchievementCreate,
    AchievementPublic,
    AlignmentIn,
    CatalogAchievement,
    CriteriaIn,
    ImageIn,
    ResultDescriptionIn,
    RubricLevelIn,
)
from issuer.models.fields import (
    SLUG_PATTERN,
    AwareDatetime,
    Did,
    Email,
    HttpUrl,
    IdempotencyKey,
    ImageRef,
    InputModel,
    LanguageTag,
    LongText,
    ScalarText,
    Slug,
    Text,
    public_view,
    timestamp,
)
from issuer.models.issuers import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    DidMethod,
    IdentifierEntryIn,
    Instance,
    Issuer,
    IssuerCreate,
    IssuerKey,
    IssuerProfileIn,
    IssuerPublic,
    KeyPublic,
    KeyPurpose,
    Scope,
)
from issuer.models.stacks import (
    StackContent,
    StackCreate,
    StackPublic,
    StackRuleRecord,
    StackSubmission,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionResult,
)
from issuer.models.status import (
    MAX_BULK,
    MAX_REASON,
    AwardStatus,
    StatusAction,
    StatusAllocation,
    StatusChangePublic,
    StatusChangeRequest,
    StatusChangesRequest,
    StatusEvent,
    StatusEventPublic,
    StatusList,
    StatusListPublic,
    StatusPurpose,
)
from issuer.models.vcapi import (
    ErrorResponse,
    IssueRequest,
    IssueResponse,
    StatusRequest,
    StatusResponse,
    VcApiCredential,
    VcApiStatusEvent,
)

# Until the CLI imports them from schemas.dates (the CLI is being moved on another branch).
from schemas.dates import as_utc, utcnow  # noqa: E402

__all__ = [
    "MAX_BULK",
    "MAX_REASON",
    "SLUG_PATTERN",
    "AchievementContent",
    "AchievementCreate",
    "AchievementPublic",
    "AlignmentIn",
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "Award",
    "AwardCreate",
    "AwardPublic",
    "AwardStatus",
    "AwareDatetime",
    "Batch",
    "BatchRequest",
    "BatchResult",
    "BatchRow",
    "BatchRowResult",
    "CatalogAchievement",
    "CriteriaIn",
    "Did",
    "DidMethod",
    "Email",
    "ErrorResponse",
    "EvidenceIn",
    "HttpUrl",
    "IdempotencyKey",
    "IdentifierEntryIn",
    "ImageIn",
    "ImageRef",
    "InputModel",
    "Instance",
    "IssueRequest",
    "IssueResponse",
    "Issuer",
    "IssuerCreate",
    "IssuerKey",
    "IssuerProfileIn",
    "IssuerPublic",
    "KeyPublic",
    "KeyPurpose",
    "LanguageTag",
    "LongText",
    "ResultDescriptionIn",
    "RubricLevelIn",
    "ScalarText",
    "Scope",
    "Slug",
    "StackContent",
    "StackCreate",
    "StackPublic",
    "StackRuleRecord",
    "StackSubmission",
    "StatusAction",
    "StatusAllocation",
    "StatusChangePublic",
    "StatusChangeRequest",
    "StatusChangesRequest",
    "StatusEvent",
    "StatusEventPublic",
    "StatusList",
    "StatusListPublic",
    "StatusPurpose",
    "StatusRequest",
    "StatusResponse",
    "SubmissionCreate",
    "SubmissionPublic",
    "SubmissionResult",
    "Text",
    "VcApiCredential",
    "VcApiStatusEvent",
    "as_utc",
    "public_view",
    "timestamp",
    "utcnow",
]
