"""Pre-sign hooks: the seam where later features add to a credential before it is signed.

:func:`issuer.services.awards.award` builds the unsigned credential, passes it through each
hook in order, validates the result against the OB schema, then signs. A hook runs inside the
award's database transaction (``context.session``), so what it allocates (a status-list index,
say) is committed together with the award or not at all.

The status-list issue adds its hook (``credentialStatus`` entries) to
:data:`DEFAULT_PRE_SIGN_HOOKS`; the HTTP API, the CLI and bulk awards all use that tuple through
:class:`issuer.runtime.Runtime`.

Post-award hooks run after a *new* award is committed (not for an idempotent replay), in the
same session: stacks use one to issue the stack credentials an award completes. A post-award
hook must not raise for the award's sake: the award is already stored.
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

__all__ = [
    "DEFAULT_POST_AWARD_HOOKS",
    "DEFAULT_PRE_SIGN_HOOKS",
    "PostAwardContext",
    "PostAwardHook",
    "PreSignHook",
    "SigningContext",
]


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


def add_stack_rule_digest(credential: dict[str, Any], context: SigningContext) -> dict[str, Any]:
    """A stack credential's ``relatedResource`` pinning its rule (:mod:`issuer.services.stacks`,
    imported here lazily: it builds on the award service that imports this module)."""
    from issuer.services.stacks import add_rule_digest

    return add_rule_digest(credential, context)


#: The hooks every award runs, in order: ``credentialStatus`` (a revocation and a suspension
#: entry, allocated in the award's transaction; see :mod:`issuer.services.status`), then a stack
#: credential's rule digest.
DEFAULT_PRE_SIGN_HOOKS: tuple[PreSignHook, ...] = (add_credential_status, add_stack_rule_digest)


@dataclass(frozen=True)
class PostAwardContext:
    """What a post-award hook may use: the session (its award committed) and the setting."""

    session: Session
    runtime: Runtime
    issuer: Issuer
    achievement: CatalogAchievement


#: Called with the committed award.
PostAwardHook = Callable[[Award, PostAwardContext], None]


def issue_completed_stacks(award: Award, context: PostAwardContext) -> None:
    """The stack credentials this award completes (:func:`issuer.services.stacks.after_award`)."""
    from issuer.services.stacks import after_award

    after_award(award, context)


#: The hooks every new award runs after it is committed: stack credentials it completes.
DEFAULT_POST_AWARD_HOOKS: tuple[PostAwardHook, ...] = (issue_completed_stacks,)
