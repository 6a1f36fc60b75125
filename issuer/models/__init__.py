"""The issuer's data, one module per concern: each entity's table and the shapes callers send
and get back for it, side by side.

* :mod:`~issuer.models.issuers`: issuers, their keys, API keys, the installation;
* :mod:`~issuer.models.catalog`: achievement versions and their content;
* :mod:`~issuer.models.awards`: awards and bulk awards;
* :mod:`~issuer.models.status`: status lists, allocations and the audit log;
* :mod:`~issuer.models.stacks`: stack rules and submitted components;
* :mod:`~issuer.models.vcapi`: credentials issued through the VC-API;
* :mod:`~issuer.models.wallet_copies`: awards signed again for a holder's wallet;
* :mod:`~issuer.models.exchanges`: the wallet exchanges that deliver them;
* :mod:`~issuer.models.oid4vci`: OpenID4VCI offers, grants, issuances and nonces;
* :mod:`~issuer.models.ob_consumer`: the OB 3.0 Hosts awards are pushed to, and each push;
* :mod:`~issuer.models.delivery`: emails owed to educators and their claim tokens;
* :mod:`~issuer.models.learners`: educators who sign in, their sessions and sign-in links;
* :mod:`~issuer.models.oauth`: the OB 3.0 API's OAuth clients, authorization codes and tokens;
* :mod:`~issuer.models.ob_host`: the OB 3.0 API's Host: upserted credentials, Profiles;
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
    BatchStackIssued,
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
from issuer.models.delivery import (
    ClaimToken,
    Delivery,
    DeliveryKind,
    DeliveryPublic,
    DeliveryStatus,
)
from issuer.models.exchanges import Exchange, ExchangeState
from issuer.models.fields import (
    BATCH_ID_PATTERN,
    SLUG_PATTERN,
    AwareDatetime,
    BatchId,
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
    UtcDatetime,
    given,
    has_control_characters,
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
from issuer.models.learners import Learner, LearnerSession, SignInLink
from issuer.models.oauth import OAuthClient, OAuthCode, OAuthToken
from issuer.models.ob_consumer import HostPush, PushFormat, PushStatus, RemoteHost
from issuer.models.ob_host import HostedCredential, HostedProfile
from issuer.models.oid4vci import Oid4vciGrant, Oid4vciIssuance, Oid4vciNonce
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
    StackEffectPublic,
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
from issuer.models.wallet_copies import CopyFormat, CopyProtocol, WalletCopy, WalletCopyPublic

__all__ = [
    "BATCH_ID_PATTERN",
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
    "BatchId",
    "BatchRequest",
    "BatchResult",
    "BatchRow",
    "BatchRowResult",
    "BatchStackIssued",
    "CatalogAchievement",
    "CopyFormat",
    "CopyProtocol",
    "ClaimToken",
    "CriteriaIn",
    "Delivery",
    "DeliveryKind",
    "DeliveryPublic",
    "DeliveryStatus",
    "Did",
    "DidMethod",
    "Email",
    "ErrorResponse",
    "Exchange",
    "ExchangeState",
    "EvidenceIn",
    "HostPush",
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
    "PushFormat",
    "PushStatus",
    "RemoteHost",
    "IssuerCreate",
    "IssuerKey",
    "IssuerProfileIn",
    "IssuerPublic",
    "KeyPublic",
    "KeyPurpose",
    "LanguageTag",
    "HostedCredential",
    "HostedProfile",
    "Learner",
    "LearnerSession",
    "LongText",
    "OAuthClient",
    "OAuthCode",
    "OAuthToken",
    "Oid4vciGrant",
    "Oid4vciIssuance",
    "Oid4vciNonce",
    "ResultDescriptionIn",
    "RubricLevelIn",
    "ScalarText",
    "SignInLink",
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
    "StackEffectPublic",
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
    "UtcDatetime",
    "VcApiCredential",
    "VcApiStatusEvent",
    "WalletCopy",
    "WalletCopyPublic",
    "given",
    "has_control_characters",
    "public_view",
    "timestamp",
]
