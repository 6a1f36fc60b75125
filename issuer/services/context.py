"""What every service function is handed besides a session: the :class:`Runtime`, and the hooks.

The runtime is a plain value (settings, URLs, the KEK, the JSON-LD loader, the clock and the
hooks). It is *built* by :func:`issuer.runtime.start`, which is also where the hooks are chosen;
this module only says what they look like, so services can take a runtime without importing
the start-up code or each other's hooks (and so without an import cycle).

Pre-sign hooks are the seam where later features add to a credential before it is signed.
:func:`issuer.services.awards.award` builds the unsigned credential, passes it through each hook
in order, validates the result against the OB schema, then signs. A hook runs inside the award's
database transaction (``context.session``), so what it allocates (a status-list index, say) is
committed together with the award or not at all.

Post-award hooks run after a new award is committed, in the same session: stacks use one to
issue the stack credentials an award completes. Their work is owed durably
(``Award.post_award_done_at`` stays NULL until every hook has run), so a hook runs again when
an earlier run did not finish — a crash, an outage, an error — on an idempotent replay of the
award or at the next start (:func:`issuer.services.awards.finish_owed_work`): a post-award hook
must be idempotent. One that raises is logged by the award service and never fails the award,
which is already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from issuer.crypto_at_rest import KeyEncryptionKey
from issuer.models import Award, CatalogAchievement, Issuer
from issuer.settings import Settings
from issuer.urls import Urls
from schemas.dates import Clock, system_clock
from schemas.loader import DocumentLoader

__all__ = [
    "AfterCommit",
    "JobQueue",
    "PostAwardContext",
    "PostAwardHook",
    "PreSignHook",
    "Runtime",
    "SigningContext",
    "StatusChangeContext",
    "StatusHook",
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


@dataclass(frozen=True)
class PostAwardContext:
    """What a post-award hook may use: the session (its award committed) and the setting."""

    session: Session
    runtime: Runtime
    issuer: Issuer
    achievement: CatalogAchievement


#: Called with the committed award (detached from the session, every column loaded); returns
#: the credentials it issued (the stack credentials the award completed), so the caller can
#: name them.
PostAwardHook = Callable[[Award, PostAwardContext], Sequence[Award]]


class JobQueue(Protocol):
    """Where services hand background work (:mod:`issuer.jobs` implements it with huey).

    Only ids travel: the rows are the truth, so a job lost (a queue that was down, a worker
    killed) is found again by the sweep, and a job run twice finds its row taken.
    """

    def deliver(self, delivery_ids: Sequence[int], *, eta: datetime | None = None) -> None:
        """Send these deliveries (at ``eta``, when given: a retry's back-off)."""
        ...

    def sign_in(self, link_ids: Sequence[int], *, eta: datetime | None = None) -> None:
        """Email these sign-in links (:mod:`issuer.services.sign_in`; at ``eta``: a retry)."""
        ...


@dataclass(frozen=True)
class StatusChangeContext:
    """What a status hook sees, inside the change's transaction (nothing committed yet): the
    awards whose state changed, the action (``revoke``, ``suspend``, ``unsuspend``) and, for
    each award, the id of its audit event."""

    session: Session
    runtime: Runtime
    action: str
    awards: Sequence[Award]
    event_ids: Sequence[int]


#: Run after the transaction that called for it committed (a job to hand to the queue).
AfterCommit = Callable[[], None]
#: Adds its rows to the change's transaction (committed with it or not at all), and may
#: return what to do once it has committed.
StatusHook = Callable[[StatusChangeContext], AfterCommit | None]


@dataclass(frozen=True)
class Runtime:
    """Everything service functions need besides a session.

    ``clock`` is the one source of "now" for every issuer service (awarded dates, status-list
    validity, audit times), so tests pin it instead of rewriting stored rows. The hooks default
    to none: :func:`issuer.runtime.start` installs the service's own (status entries, stack
    rule digests, stack credentials).
    """

    settings: Settings
    urls: Urls
    kek: KeyEncryptionKey
    loader: DocumentLoader
    pre_sign_hooks: tuple[PreSignHook, ...] = ()
    #: Run after each new award is committed (stack credentials it completes), and again
    #: for an award whose earlier run did not finish.
    post_award_hooks: tuple[PostAwardHook, ...] = ()
    clock: Clock = system_clock
    #: Run inside every revoke / suspend / unsuspend transaction (the notice emails).
    status_hooks: tuple[StatusHook, ...] = ()
    #: The background job queue; None: nothing is handed to workers (rows wait for a sweep).
    jobs: JobQueue | None = None
