"""The issuer's fixed choices (enumerations) and defaults, importable for nearly nothing.

The ``microcred`` commands take these as option types and defaults, and Typer reads a
command's signature to build even ``microcred --help``; defined beside their tables in
:mod:`issuer.models` they would cost SQLModel and pydantic (about a second) before any help
is printed. So they live here, standard library only, and :mod:`issuer.models` re-exports
them (``from issuer.models import DidMethod`` keeps working).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DEFAULT_ISSUER_NAME",
    "AwardStatus",
    "CopyFormat",
    "CopyProtocol",
    "DidMethod",
    "Scope",
    "StatusAction",
]

#: The first issuer's name when ``microcred init`` / ``serve`` is not given one.
DEFAULT_ISSUER_NAME = "Demo Education Office"


class DidMethod(StrEnum):
    web = "web"
    key = "key"


class Scope(StrEnum):
    """What an API key may do. ``admin`` includes the others."""

    catalog = "catalog"
    issue = "issue"
    revoke = "revoke"
    admin = "admin"


class AwardStatus(StrEnum):
    """What the status lists say of a credential (:mod:`issuer.services.status` keeps it so).

    ``revoked`` is final; ``suspended`` can return to ``active``.
    """

    active = "active"
    revoked = "revoked"
    suspended = "suspended"


class StatusAction(StrEnum):
    """What an entry of the status audit log did."""

    revoke = "revoke"
    suspend = "suspend"
    unsuspend = "unsuspend"


class CopyProtocol(StrEnum):
    """How a wallet copy of an award reached the holder's wallet."""

    #: The VC-API exchange (VCALM interaction URL, ``POST`` to the exchange).
    vcapi = "vcapi"
    #: The Learner Credential Wallet's legacy ``dccrequest://request`` deep link.
    dccrequest = "dccrequest"
    #: OpenID for Verifiable Credential Issuance 1.0.
    oid4vci = "oid4vci"


class CopyFormat(StrEnum):
    """The form a wallet copy was delivered in (the OID4VCI format identifiers)."""

    #: A JSON-LD credential with a Data Integrity proof (eddsa-rdfc-2022).
    ldp_vc = "ldp_vc"
    #: The same credential secured as a VC-JWT (OB 3.0's JWT form).
    jwt_vc_json = "jwt_vc_json"
