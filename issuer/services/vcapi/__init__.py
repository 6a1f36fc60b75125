"""The W3C VC-API issuer side, in three parts.

* :mod:`~issuer.services.vcapi.parsing`: the issue and status requests, checked field by field;
* :mod:`~issuer.services.vcapi.issuing`: sign a caller's credential as one of our issuers, keep it;
* :mod:`~issuer.services.vcapi.status`: revoke, suspend or unsuspend it (the awards' state machine);
* :mod:`~issuer.services.vcapi.errors`: what a refusal looks like to a VC-API client.

The names the routes use are re-exported here.
"""

from issuer.services.vcapi.errors import (
    CredentialNotFound,
    IdTaken,
    MalformedRequest,
    StatusConflict,
    Unprocessable,
    VcApiError,
)
from issuer.services.vcapi.issuing import (
    STATUS_CONTEXT,
    IssueOutcome,
    context_loader,
    get_credential,
    issue_credential,
    resolve_issuer,
    set_issuer,
)
from issuer.services.vcapi.parsing import (
    CREDENTIAL_PATH,
    SUITES,
    IssueOptions,
    StatusUpdate,
    issuer_did_of,
    parse_issue_request,
    parse_status_request,
)
from issuer.services.vcapi.status import StatusChanged, change_status

__all__ = [
    "CREDENTIAL_PATH",
    "STATUS_CONTEXT",
    "SUITES",
    "CredentialNotFound",
    "IdTaken",
    "IssueOptions",
    "IssueOutcome",
    "MalformedRequest",
    "StatusChanged",
    "StatusConflict",
    "StatusUpdate",
    "Unprocessable",
    "VcApiError",
    "change_status",
    "context_loader",
    "get_credential",
    "issue_credential",
    "issuer_did_of",
    "parse_issue_request",
    "parse_status_request",
    "resolve_issuer",
    "set_issuer",
]
