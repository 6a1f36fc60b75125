"""What a running service holds besides its database: URLs, the KEK, the document loader.

:func:`start` is the one start-up sequence shared by ``microcred serve``, ``microcred init``,
every CLI command that works on the data directory, and the tests:

1. load the key-encryption key first, so production without a KEK stops before touching data;
2. check a SQLite file's integrity (:func:`issuer.db.check_integrity`): a damaged file stops
   the start before anything is written into it;
3. under the start-up lock (:func:`issuer.db.startup_lock`: two processes starting on one
   PostgreSQL database take turns), migrate the database to the newest schema and settle the
   public base URL: ``MICROCRED_BASE_URL`` if set, else the one recorded in the database by
   the first start or ``microcred init --base-url``;
4. refuse a KEK that did not seal the issuers' current keys (:func:`check_sealed_keys`): a
   development KEK file that went missing would otherwise be regenerated silently, and every
   signature — awards, status lists — fail from then on;
5. assemble the hooks every award runs (:data:`PRE_SIGN_HOOKS`, :data:`POST_AWARD_HOOKS`), the
   hooks of every status change (:data:`STATUS_HOOKS`) and the job queue (:mod:`issuer.jobs`);
6. finish the post-award work a crash or an outage left owed
   (:func:`issuer.services.awards.finish_owed_work`: the stack credentials of components whose
   process died between their commit and their stack evaluation).

The hooks are chosen here, where the service starts, and not in the services: the award service
runs whatever hooks its :class:`Runtime` carries, so it never imports the status or stack
services that use it (that was an import cycle).
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from issuer.crypto_at_rest import KekError, KeyEncryptionKey, discard_generated, load_kek
from issuer.db import begin_write, check_integrity, migrate, startup_lock
from issuer.jobs import Jobs
from issuer.models import Instance, Issuer, IssuerKey
from issuer.services.awards import finish_owed_work
from issuer.services.context import PostAwardHook, PreSignHook, Runtime, StatusHook
from issuer.services.deliveries import queue_claim_after_award, queue_status_notices
from issuer.services.errors import Conflict
from issuer.services.stacks import add_rule_digest, after_award
from issuer.services.status import add_credential_status
from issuer.settings import Settings, normalize_base_url
from issuer.urls import Urls
from schemas.dates import Clock, system_clock
from schemas.loader import bundled_loader

__all__ = [
    "POST_AWARD_HOOKS",
    "PRE_SIGN_HOOKS",
    "STATUS_HOOKS",
    "Runtime",
    "check_sealed_keys",
    "record_base_url",
    "start",
]

log = logging.getLogger("microcred.issuer")

#: The hooks every award runs before signing, in order: ``credentialStatus`` (a revocation and
#: a suspension entry, allocated in the award's transaction; :mod:`issuer.services.status`),
#: then a stack credential's rule digest (:mod:`issuer.services.stacks`).
PRE_SIGN_HOOKS: tuple[PreSignHook, ...] = (add_credential_status, add_rule_digest)
#: The hooks every new award runs after it is committed: the stack credentials it completes,
#: then its claim email (:mod:`issuer.services.deliveries`).
POST_AWARD_HOOKS: tuple[PostAwardHook, ...] = (after_award, queue_claim_after_award)
#: The hooks every revoke / suspend / unsuspend runs in its transaction: the notice emails.
STATUS_HOOKS: tuple[StatusHook, ...] = (queue_status_notices,)


def _base_url(session: Session, settings: Settings, default: str | None) -> str:
    begin_write(session)
    instance = session.get(Instance, 1)
    if instance is None:
        first = settings.base_url if settings.base_url_explicit or default is None else default
        first = normalize_base_url(first)
        session.add(Instance(base_url=first))
        session.commit()
        return first
    if settings.base_url_explicit and settings.base_url != instance.base_url:
        log.warning(
            "MICROCRED_BASE_URL is %s but this data directory was initialized with %s: new ids "
            "use %s; credentials issued before keep their ids",
            settings.base_url,
            instance.base_url,
            settings.base_url,
        )
        return settings.base_url
    return instance.base_url


def start(
    settings: Settings,
    engine: Engine,
    *,
    migrate_schema: bool = True,
    default_base_url: str | None = None,
    clock: Clock = system_clock,
) -> Runtime:
    """Load the KEK, check, migrate, settle the base URL, finish owed post-award work (see the
    module docstring).

    ``default_base_url`` is recorded on first start when ``MICROCRED_BASE_URL`` is not set:
    ``microcred serve --port 9000`` makes ids on the address it actually serves.
    Raises :class:`~issuer.crypto_at_rest.KekError` (no usable KEK, or not the one that sealed
    the keys) and :class:`~issuer.db.DatabaseDamaged`.
    """
    kek = load_kek(settings)
    with startup_lock(engine):
        # Inside the lock: this is the process's first connection, and on a new SQLite file
        # that connection switches it to WAL, which needs the file to itself — outside, it
        # raced the other first start's migrations ("database is locked", 1 run in ~50).
        check_integrity(engine)
        if migrate_schema:
            migrate(engine)
        with Session(engine) as session:
            base = _base_url(session, settings, default_base_url)
            try:
                check_sealed_keys(session, kek)
            except KekError:
                # Made for this start, it opens nothing: the next start must find the file
                # missing again (and say so), not read this one.
                discard_generated(kek)
                raise
    runtime = Runtime(
        settings=settings,
        urls=Urls(base),
        kek=kek,
        loader=bundled_loader(),
        pre_sign_hooks=PRE_SIGN_HOOKS,
        post_award_hooks=POST_AWARD_HOOKS,
        clock=clock,
        status_hooks=STATUS_HOOKS,
        # Made now, opened on first use: the queue a delivery's job goes to, in this
        # database's storage, where the service's (or a `microcred worker`'s) worker runs it.
        jobs=Jobs(settings),
    )
    with Session(engine) as session:
        finish_owed_work(session=session, runtime=runtime)
    return runtime


def check_sealed_keys(session: Session, kek: KeyEncryptionKey) -> None:
    """Raise :class:`KekError` unless ``kek`` sealed every current issuer key.

    Each key row records the id of the KEK that sealed it. A KEK that sealed none of them
    opens none of them: every award and every status list would fail to sign (and revocations
    could not be published), so the service must not start with it. Retired keys are never
    opened, so they do not count.
    """
    sealed_with = sorted(
        set(
            session.exec(
                select(IssuerKey.kek_id).where(col(IssuerKey.retired).is_(None)).distinct()
            )
        )
        - {kek.key_id}
    )
    if not sealed_with:
        return
    if kek.generated is not None:
        where = (
            f"the development key-encryption key file {kek.generated} was missing (a new one "
            "was about to be made, which opens none of them)"
        )
    else:
        where = f"the configured one is {kek.key_id} (from {kek.source})"
    raise KekError(
        "the issuers' private keys in this database were sealed with key-encryption key "
        f"{', '.join(sealed_with)}, but {where}. Nothing could be signed: not a credential, "
        "not a status list. Restore the key-encryption key they were sealed with "
        "(MICROCRED_KEY_ENCRYPTION_KEY, MICROCRED_KEK_FILE, or the development file in the "
        "data directory)"
    )


def record_base_url(session: Session, base_url: str) -> str:
    """Record the base URL ``microcred init --base-url`` was given.

    Refused once an issuer exists: its did:web DID and every id already issued are built on the
    old URL, and changing it would orphan them.
    """
    base_url = normalize_base_url(base_url)
    begin_write(session)
    instance = session.get(Instance, 1)
    if instance is None:
        session.add(Instance(base_url=base_url))
    elif instance.base_url != base_url:
        if session.exec(select(Issuer.id).limit(1)).first() is not None:
            raise Conflict(
                f"this data directory already issues under {instance.base_url}; its issuers' "
                "DIDs and credential ids are built on it, so it cannot change"
            )
        instance.base_url = base_url
        session.add(instance)
    session.commit()
    return base_url
