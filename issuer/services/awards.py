"""Awards: check, build, sign and store one OB 3.0 credential, exactly once per request.

The sequence of :func:`award`:

1. find the issuer and the *current* version of the achievement (the credential embeds that
   version's snapshot);
2. settle the request's idempotency key: the caller's (``Idempotency-Key``, a batch row's), or
   one derived from the request's content (below). If the key was used before, return that
   award (a retry) or refuse with :class:`Conflict` (the same key for a different request);
3. check the score and rubric level against the pass rule (:mod:`issuer.services.results`);
4. build the unsigned credential, run the pre-sign hooks the runtime carries
   (:mod:`issuer.services.context`; :func:`issuer.runtime.start` chooses them),
   validate it against the OB JSON Schema — we never sign a credential we would reject;
5. sign it with the issuer's current Ed25519 key (DataIntegrityProof / eddsa-rdfc-2022), then
   wrap the signed credential as a VC-JWT (OB 3.0 adds the LD proof before the JWT), both
   through :mod:`issuer.services.signing`;
6. insert and commit. If a concurrent retry inserted the same idempotency key first, the unique
   constraint refuses ours and we return theirs: one row, one credential, whoever wins;
7. once committed, the post-award hooks (stack credentials the award completes), then the
   award is marked done (``post_award_done_at``).

Both forms are made at issue time (the JWT costs well under a millisecond) so they are signed by
keys current at the same moment and a public GET never has to sign anything.

**The answer is what was committed, from memory.** The new row is detached from the session
before the commit, so the commit does not expire it, and :class:`AwardOutcome` carries the
issuer's slug and the achievement's version read before it: nothing after the commit reads the
database to answer (:meth:`AwardOutcome.public`). A database that goes away right after the
commit (an outage: the post-commit refresh used to fail, and a committed award was reported as
an error) no longer turns a stored credential into a failed request.

**Post-award work is owed until done, durably.** Step 7 runs after the commit; a process killed
there (or a hook that fails: the database gone, a bug) used to lose the stack credential the
award completed, and a batch rerun found the row issued and never ran the hook again. Now the
row is inserted with ``post_award_done_at`` NULL and stamped only when every hook has run, so
the work is found again: an idempotent replay of the award (a retried request, a rerun batch)
runs the hooks of a row still owing them, and :func:`finish_owed_work` (called by
:func:`issuer.runtime.start`, so every start of the service or of a CLI command) does it for
any left. Hooks are therefore idempotent (stack credentials have a unique key per educator and
stack version). A hook failure is logged; it never fails the award, which is stored.

Evaluating stacks *inside* the award's transaction instead (atomic with the component) was
rejected: on PostgreSQL (read committed) two last components awarded at the same moment each
evaluate without seeing the other's uncommitted row and neither issues the stack, unless every
award took a per-educator lock; and a stack that cannot be signed would then refuse the
component. The post-commit evaluation sees every committed component (the last committer sees
them all), and the marker makes it survive crashes, on SQLite and PostgreSQL alike.

**Retries without a key are safe.** A request without its own idempotency key gets one derived
from its content: ``auto:`` + SHA-256 of the issuer, the achievement and its current version,
and :func:`request_hash` (recipient, result, evidence, assessor, dates) — as the batch path
derives its rows' keys. An identical request is a retry of the award it made *while that award
is in force*: a retry after a timeout or a 503 returns the same credential (200) instead of a
second one. Once that award is revoked or suspended, the same content is a new award (the
educator earned it again) and takes the next key of the series, ``…:r1``, ``…:r2``: retries of
*that* request return it in turn. A new version of the achievement is a new award too. To issue
a second identical award on purpose while the first is in force, give it a different
``awarded_date`` or an ``Idempotency-Key`` of its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardCreate,
    AwardPublic,
    AwardStatus,
    CatalogAchievement,
    Issuer,
    KeyPurpose,
    public_view,
)
from issuer.services.catalog import get_achievement
from issuer.services.context import PostAwardContext, Runtime, SigningContext
from issuer.services.errors import Conflict, InvalidInput, IssuanceFailed, NotFound
from issuer.services.issuers import get_issuer, profile_for
from issuer.services.results import results_for
from issuer.services.signing import sign_credential, signer_for
from schemas.dates import as_utc, format_datetime
from schemas.models import (
    JSON_SCHEMA_VALIDATOR_TYPE,
    OB_ACHIEVEMENT_SCHEMA_ID,
    OB_CONTEXT,
    OB_EXTENSIONS_CONTEXT,
    VC2_CONTEXT,
    IdentityObject,
)
from schemas.validation import validate_credential

__all__ = [
    "DERIVED_KEY_PREFIX",
    "AwardFilter",
    "AwardOutcome",
    "award",
    "award_public",
    "build_credential",
    "count_awards",
    "derived_key",
    "finish_owed_work",
    "get_award",
    "list_awards",
    "public_award",
    "request_hash",
]

log = logging.getLogger("microcred.issuer.awards")

#: How far in the future an awarded date may be (clock skew between an LMS and us).
MAX_FUTURE_SKEW = timedelta(minutes=5)
#: How a key derived from a request's content begins (a request without a key of its own).
DERIVED_KEY_PREFIX = "auto:"


@dataclass(frozen=True)
class AwardOutcome:
    """The stored award, and whether this call created it (False: an idempotent replay).

    ``award`` is detached from the session with every column loaded, and the two values its
    admin view needs from other tables come with it: reading the outcome never touches the
    database (see the module docstring). ``stacks_issued`` are the credentials this call's
    post-award work issued (the stack credentials the award completed, and any stack those
    completed in turn): empty when there were none, the work was done before (a replay), or
    it failed and is owed.
    """

    award: Award
    created: bool
    issuer_slug: str
    achievement_version: int
    stacks_issued: tuple[Award, ...] = ()

    def public(self, *, with_documents: bool = False) -> AwardPublic:
        """The award's admin view, from memory."""
        return public_award(
            self.award,
            issuer_slug=self.issuer_slug,
            achievement_version=self.achievement_version,
            with_documents=with_documents,
        )


def request_hash(request: AwardCreate) -> str:
    """A fingerprint of what was asked, without the idempotency key itself."""
    body = request.model_dump(mode="json", exclude={"idempotency_key"})
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def derived_key(issuer: Issuer, achievement: CatalogAchievement, fingerprint: str) -> str:
    """The first key of the series a request without a key of its own is issued under:
    ``auto:`` + a digest of the issuer, the achievement version and :func:`request_hash`."""
    content = f"{issuer.slug}\n{achievement.slug}\nv{achievement.version}\n{fingerprint}"
    return DERIVED_KEY_PREFIX + hashlib.sha256(content.encode("utf-8")).hexdigest()[:48]


def _public_evidence(request: AwardCreate) -> list[dict[str, Any]]:
    """Evidence the credential may carry: never an item that may hold student data."""
    items = []
    for item in request.evidence:
        if item.contains_student_data:
            continue
        items.append(
            {
                "id": item.url,
                "type": ["Evidence"],
                "name": item.name,
                "narrative": item.narrative,
                "description": item.description,
                "genre": item.genre,
                "audience": item.audience,
            }
        )
    return [{k: v for k, v in item.items() if v is not None} for item in items]


def build_credential(
    *,
    runtime: Runtime,
    row: Award,
    issuer_profile: dict[str, Any],
    achievement: dict[str, Any],
    request: AwardCreate,
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    """The unsigned OB 3.0 AchievementCredential for an award row."""
    awarded = format_datetime(row.awarded)
    identity = IdentityObject.hashed_email(row.recipient_email, row.identity_salt).model_dump_ob()
    subject: dict[str, Any] = {
        "id": row.recipient_did,
        "type": ["AchievementSubject"],
        "name": row.recipient_name,
        "identifier": [identity],
        "achievement": achievement,
        "result": results,
        "creditsEarned": achievement.get("creditsAvailable"),
        "activityStartDate": format_datetime(row.activity_start) if row.activity_start else None,
        "activityEndDate": format_datetime(row.activity_end) if row.activity_end else None,
    }
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": runtime.urls.credential(row.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer_profile,
        "validFrom": awarded,
        "awardedDate": awarded,
        "credentialSubject": {k: v for k, v in subject.items() if v not in (None, [])},
        "evidence": _public_evidence(request),
        "credentialSchema": [{"id": OB_ACHIEVEMENT_SCHEMA_ID, "type": JSON_SCHEMA_VALIDATOR_TYPE}],
    }
    return {k: v for k, v in credential.items() if v not in (None, [])}


def _existing(session: Session, issuer: Issuer, key: str) -> Award | None:
    return session.exec(
        select(Award).where(Award.issuer_id == issuer.id).where(Award.idempotency_key == key)
    ).first()


def _settle_key(
    session: Session,
    issuer: Issuer,
    achievement: CatalogAchievement,
    request: AwardCreate,
    fingerprint: str,
) -> tuple[str, Award | None]:
    """The key to issue ``request`` under, and the award already holding it (a replay).

    The caller's key names one request, whatever became of its award. A derived key's series
    is walked until an award in force or a free key: revoked and suspended awards are passed
    over (see the module docstring). Each step is one lookup on the unique index.
    """
    if request.idempotency_key is not None:
        return request.idempotency_key, _existing(session, issuer, request.idempotency_key)
    base = derived_key(issuer, achievement, fingerprint)
    generation = 0
    while True:
        key = f"{base}:r{generation}" if generation else base
        existing = _existing(session, issuer, key)
        if existing is None or existing.status == AwardStatus.active:
            return key, existing
        generation += 1


def _detached(
    session: Session, row: Award, *, created: bool, issuer: Issuer
) -> tuple[AwardOutcome, CatalogAchievement]:
    """``row`` as an outcome readable without the database, and its achievement version.
    Call before the transaction ends (while ``row`` is loaded)."""
    achievement = session.get(CatalogAchievement, row.achievement_id)
    assert achievement is not None  # foreign key
    outcome = AwardOutcome(row, created, issuer.slug, achievement.version)
    session.expunge(row)
    return outcome, achievement


def _replay(
    session: Session, runtime: Runtime, existing: Award, fingerprint: str, issuer: Issuer
) -> AwardOutcome:
    """The award an earlier identical request made, its owed post-award work done now."""
    if existing.request_hash != fingerprint:
        raise Conflict(
            f"idempotency key {existing.idempotency_key!r} was already used for a different "
            f"award ({existing.id}); use a new key for a new award"
        )
    outcome, achievement = _detached(session, existing, created=False, issuer=issuer)
    session.commit()  # nothing written: ends the read (or releases the write lock)
    issued = _follow_up(session, runtime, outcome.award, issuer=issuer, achievement=achievement)
    return dataclasses.replace(outcome, stacks_issued=tuple(issued or ()))


def _rollback_quietly(session: Session) -> None:
    """Roll back after a failed post-commit step; the database may be the thing that failed."""
    try:
        session.rollback()
    except SQLAlchemyError:
        log.debug("rollback after a failed post-award step failed too", exc_info=True)


def _follow_up(
    session: Session,
    runtime: Runtime,
    row: Award,
    *,
    issuer: Issuer,
    achievement: CatalogAchievement,
) -> list[Award] | None:
    """Run ``row``'s post-award hooks if they are owed, then mark them done; the credentials
    they issued. None when a hook or the mark failed: the work stays owed (a replay or
    :func:`finish_owed_work` does it)."""
    if row.post_award_done_at is not None or not runtime.post_award_hooks:
        return []  # done, or nothing this runtime could do (the work stays owed)
    context = PostAwardContext(
        session=session, runtime=runtime, issuer=issuer, achievement=achievement
    )
    issued: list[Award] = []
    try:
        for hook in runtime.post_award_hooks:
            issued.extend(hook(row, context) or ())
        done = runtime.clock()
        begin_write(session)
        session.connection().execute(
            update(Award).where(col(Award.id) == row.id).values(post_award_done_at=done)
        )
        session.commit()
    except Exception:  # noqa: BLE001 - the award is committed and must stand; the work is owed
        _rollback_quietly(session)
        log.exception(
            "credential %s is issued, but its post-award work (stack credentials) failed; a "
            "retry of the request, a rerun of its batch or the next start does it",
            row.id,
        )
        return None
    row.post_award_done_at = done
    return issued


def award(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer | str,
    request: AwardCreate,
    batch_id: str | None = None,
) -> AwardOutcome:
    """Issue ``request`` as a signed credential, or return the award an earlier identical
    request (same idempotency key, given or derived) made. See the module docstring."""
    issuer = get_issuer(session, issuer) if isinstance(issuer, str) else issuer
    try:
        achievement = get_achievement(session, request.achievement)
    except NotFound:
        achievement = None
    if achievement is None or achievement.issuer_id != issuer.id:
        message = f"no achievement {request.achievement!r} in the catalog of {issuer.slug}"
        raise InvalidInput(("achievement",), message)
    fingerprint = request_hash(request)
    key, existing = _settle_key(session, issuer, achievement, request, fingerprint)
    if existing is not None:
        return _replay(session, runtime, existing, fingerprint, issuer)

    now = runtime.clock()
    awarded = request.awarded_date or now
    if awarded > now + MAX_FUTURE_SKEW:
        raise InvalidInput(("awarded_date",), "is in the future")
    results = results_for(
        achievement.document, score=request.score, rubric_level=request.rubric_level
    )
    # Everything above only read. From here on one write transaction: on SQLite it holds the
    # write lock, so the idempotency check, the hooks' allocations and the insert are atomic.
    begin_write(session)
    key, existing = _settle_key(session, issuer, achievement, request, fingerprint)
    if existing is not None:
        return _replay(session, runtime, existing, fingerprint, issuer)
    # The award owns this transaction: if anything below fails (a hook, the schema, signing),
    # undo what the hooks allocated and release the write lock, so a caller that goes on
    # with the same session (a batch) never commits a failed row's status indexes.
    try:
        row = Award(
            issuer_id=issuer.id or 0,
            achievement_id=achievement.id or 0,
            achievement_slug=achievement.slug,
            recipient_name=request.recipient_name,
            recipient_email=request.recipient_email,
            recipient_did=request.recipient_did,
            identity_salt=secrets.token_hex(16),
            score=results[0].get("value") if results and "value" in results[0] else None,
            rubric_level=next((r["achievedLevel"] for r in results if "achievedLevel" in r), None),
            evidence=[e.model_dump(mode="json") for e in request.evidence],
            assessor=request.assessor,
            awarded=awarded.replace(microsecond=0),
            activity_start=request.activity_start_date,
            activity_end=request.activity_end_date,
            idempotency_key=key,
            request_hash=fingerprint,
            batch_id=batch_id,
            credential="",
            credential_jwt="",
            signed_by="",
            # Nothing is owed when the runtime runs no post-award hooks.
            post_award_done_at=None if runtime.post_award_hooks else now,
        )
        unsigned = build_credential(
            runtime=runtime,
            row=row,
            issuer_profile=profile_for(session, runtime, issuer),
            achievement=achievement.document,
            request=request,
            results=results,
        )
        context = SigningContext(
            session=session, runtime=runtime, issuer=issuer, achievement=achievement, award=row
        )
        for hook in runtime.pre_sign_hooks:
            unsigned = hook(unsigned, context)
        issues = validate_credential(unsigned)
        if issues:
            raise IssuanceFailed(
                "the credential would not pass the OB 3.0 schema, so it was not signed: "
                + "; ".join(issue.message for issue in issues)
            )
        formats = (KeyPurpose.ldp, KeyPurpose.jwt)
        signed = sign_credential(
            unsigned,
            signer=signer_for(session, runtime, issuer, formats=formats),
            formats=formats,
            loader=runtime.loader,
            now=now,
        )
        row.credential = json.dumps(signed.credential, ensure_ascii=False, separators=(",", ":"))
        row.credential_jwt = signed.jwt or ""
        row.signed_by = signed.verification_method
    except BaseException:
        session.rollback()
        raise
    session.add(row)
    try:
        session.flush()  # the insert: a concurrent retry's key is refused here
        outcome, _ = _detached(session, row, created=True, issuer=issuer)
        session.commit()
    except IntegrityError:
        session.rollback()
        if (existing := _existing(session, issuer, key)) is not None:
            return _replay(session, runtime, existing, fingerprint, issuer)
        raise
    log.info(
        "issued credential %s (%s v%s) by %s",
        row.id,
        row.achievement_slug,
        outcome.achievement_version,
        outcome.issuer_slug,
    )
    issued = _follow_up(session, runtime, row, issuer=issuer, achievement=achievement)
    return dataclasses.replace(outcome, stacks_issued=tuple(issued or ()))


def finish_owed_work(*, session: Session, runtime: Runtime) -> int:
    """Run the post-award hooks every award still owes (its process died, or its database went
    away, between its commit and the end of its hooks), oldest first; how many were finished.

    :func:`issuer.runtime.start` calls it, so any start of the service or a CLI command is the
    worker that completes what a crash left. Awards another process is finishing at the same
    moment are harmless: the hooks are idempotent.
    """
    if not runtime.post_award_hooks:
        return 0
    owed = session.exec(
        select(Award.id)
        .where(col(Award.post_award_done_at).is_(None))
        .order_by(col(Award.created), col(Award.id))
    ).all()
    finished = 0
    for award_id in owed:
        row = session.get(Award, award_id)
        if row is None or row.post_award_done_at is not None:
            continue
        issuer = session.get(Issuer, row.issuer_id)
        assert issuer is not None  # foreign key
        outcome, achievement = _detached(session, row, created=False, issuer=issuer)
        session.commit()
        finished += (
            _follow_up(session, runtime, outcome.award, issuer=issuer, achievement=achievement)
            is not None
        )
    if finished:
        log.info("finished the post-award work of %d award(s) a crash or outage left", finished)
    return finished


# ------------------------------------------------------------------------------ reads


def _parse_id(credential_id: str | uuid.UUID) -> uuid.UUID:
    if isinstance(credential_id, uuid.UUID):
        return credential_id
    text = credential_id.strip().rstrip("/").rsplit("/", 1)[-1]
    text = text.removesuffix(".json").removesuffix(".jwt")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no credential {credential_id!r}") from None


def get_award(session: Session, credential_id: str | uuid.UUID) -> Award:
    """An award by its uuid or its credential URL."""
    row = session.get(Award, _parse_id(credential_id))
    if row is None:
        raise NotFound(f"no credential {credential_id!s}")
    return row


@dataclass(frozen=True)
class AwardFilter:
    """Which awards a listing shows: by issuer, recipient email, achievement slug, status."""

    issuer: Issuer | None = None
    recipient_email: str | None = None
    achievement: str | None = None
    status: AwardStatus | None = None

    def apply(self, query: Any) -> Any:
        """``query`` (a ``select`` over :class:`Award`) narrowed to these awards."""
        if self.issuer is not None:
            query = query.where(Award.issuer_id == self.issuer.id)
        if self.recipient_email is not None:
            query = query.where(Award.recipient_email == self.recipient_email.strip().lower())
        if self.achievement is not None:
            query = query.where(Award.achievement_slug == self.achievement)
        if self.status is not None:
            query = query.where(Award.status == self.status)
        return query


def list_awards(
    session: Session, which: AwardFilter, *, limit: int = 1000, offset: int = 0
) -> Sequence[Award]:
    """The awards ``which`` selects, oldest first (to the second, then by id)."""
    query = which.apply(select(Award))
    query = query.order_by(col(Award.created), col(Award.id)).offset(offset).limit(limit)
    return session.exec(query).all()


def count_awards(session: Session, which: AwardFilter) -> int:
    """How many awards :func:`list_awards` would list with these filters and no limit."""
    return session.exec(which.apply(select(func.count()).select_from(Award))).one()


def award_public(session: Session, row: Award, *, with_documents: bool = False) -> AwardPublic:
    """The admin view of an award (``credentials list --json`` prints these)."""
    issuer = session.get(Issuer, row.issuer_id)
    achievement = session.get(CatalogAchievement, row.achievement_id)
    assert issuer is not None and achievement is not None  # foreign keys
    return public_award(
        row,
        issuer_slug=issuer.slug,
        achievement_version=achievement.version,
        with_documents=with_documents,
    )


def public_award(
    row: Award, *, issuer_slug: str, achievement_version: int, with_documents: bool = False
) -> AwardPublic:
    """The admin view of an award from the row and the two values it does not hold."""
    credential = json.loads(row.credential)
    return public_view(
        AwardPublic,
        row,
        url=credential["id"],
        issuer=issuer_slug,
        achievement=row.achievement_slug,
        achievement_version=achievement_version,
        awarded=as_utc(row.awarded),
        credential=credential if with_documents else None,
        jwt=row.credential_jwt if with_documents else None,
    )
