"""Pre-sign hooks: the seam where later features add to a credential before it is signed.

:func:`issuer.services.awards.award` builds the unsigned credential, passes it through each
hook in order, validates the result against the OB schema, then signs. A hook runs inside the
award's database transaction (``context.session``), so what it allocates (a status-list index,
say) is committed together with the award or not at all.

The status-list issue adds its hook (``credentialStatus`` entries) to
:data:`DEFAULT_PRE_SIGN_HOOKS`; the HTTP API, the CLI and bulk awards all use that tuple through
:class:`issuer.runtime.Runtime`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from issuer.models import Award, CatalogAchievement, Issuer
from issuer.services.status import add_credential_status

if TYPE_CHECKING:
    from issuer.runtime import Runtime

__all__ = ["DEFAULT_PRE_SIGN_HOOKS", "PreSignHook", "SigningContext"]


@dataclass(frozen=True)
class SigningContext:
    """What a hook may look at: the award being issued (not yet committed) and its setting."""

    session: Session
    runtime: Runtime
    issuer: Issuer
    achievement: CatalogAchievement
    award: Award


#: Takes the unsigned credential and returns it (a new dict or the same one, amended).
PreSignHook = Callable[[dict[str, Any], SigningContext], dict[str, Any]]

#: The hooks every award runs, in order: ``credentialStatus`` (a revocation and a suspension
#: entry, allocated in the award's transaction; see :mod:`issuer.services.status`).
DEFAULT_PRE_SIGN_HOOKS: tuple[PreSignHook, ...] = (add_credential_status,)
