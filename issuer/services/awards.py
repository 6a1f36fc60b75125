"""Awards: check, build, sign and store one OB 3.0 credential, exactly once per request.

The sequence of :func:`award`:

1. find the issuer and the *current* version of the achievement (the credential embeds that
   version's snapshot);
2. with an idempotency key: if it was used before, return that award (a retry) or refuse with
   :class:`Conflict` (the same key for a different request);
3. check the score and rubric level against the pass rule (:mod:`issuer.services.results`);
4. build the unsigned credential, run the pre-sign hooks the runtime carries
   (:mod:`issuer.services.context`; :func:`issuer.runtime.start` chooses them),
   validate it against the OB JSON Schema — we never sign a credential we would reject;
5. sign it with the issuer's current Ed25519 key (DataIntegrityProof / eddsa-rdfc-2022), then
   wrap the signed credential as a VC-JWT (OB 3.0 adds the LD proof before the JWT), both
   through :mod:`issuer.services.signing`;
6. insert. If a concurrent retry inserted the same idempotency key first, the unique
   constraint refuses ours and we return theirs: one row, one credential, whoever wins;
7. once committed, the post-award hooks (stack credentials the award completes).

Both forms are made at issue time (the JWT costs well under a millisecond) so they are signed by
keys current at the same moment and a public GET never has to sign anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardCreate,
    AwardPublic,
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
    "AwardOutcome",
    "award",
    "award_public",
    "build_credential",
    "get_award",
    "list_awards",
    "request_hash",
]

log = logging.getLogger("microcred.issuer.awards")

#: How far in the future an awarded date may be (clock skew between an LMS and us).
MAX_FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class AwardOutcome:
    """The stored award, and whether this call created it (False: an idempotent replay)."""

    award: Award
    created: bool


def request_hash(request: AwardCreate) -> str:
    """A fingerprint of what was asked, without the idempotency key itself."""
    body = request.model_dump(mode="json", exclude={"idempotency_key"})
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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


def _replay(existing: Award, fingerprint: str) -> AwardOutcome:
    if existing.request_hash != fingerprint:
        raise Conflict(
            f"idempotency key {existing.idempotency_key!r} was already used for a different "
            f"award ({existing.id}); use a new key for a new award"
        )
    return AwardOutcome(existing, created=False)


def award(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer | str,
    request: AwardCreate,
    batch_id: str | None = None,
) -> AwardOutcome:
    """Issue ``request`` as a signed credential, or return the award an earlier identical
    request (same idempotency key) made. See the module docstring for the steps."""
    issuer = get_issuer(session, issuer) if isinstance(issuer, str) else issuer
    try:
        achievement = get_achievement(session, request.achievement)
    except NotFound:
        achievement = None
    if achievement is None or achievement.issuer_id != issuer.id:
        message = f"no achievement {request.achievement!r} in the catalog of {issuer.slug}"
        raise InvalidInput(("achievement",), message)
    fingerprint = request_hash(request)
    key = request.idempotency_key
    if key is not None and (existing := _existing(session, issuer, key)) is not None:
        return _replay(existing, fingerprint)

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
    if key is not None and (existing := _existing(session, issuer, key)) is not None:
        session.commit()  # nothing written: just release the write lock
        return _replay(existing, fingerprint)
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
        session.commit()
    except IntegrityError:
        session.rollback()
        if key is not None and (existing := _existing(session, issuer, key)) is not None:
            return _replay(existing, fingerprint)
        raise
    session.refresh(row)
    log.info(
        "issued credential %s (%s v%s) by %s",
        row.id,
        achievement.slug,
        achievement.version,
        issuer.slug,
    )
    post = PostAwardContext(
        session=session, runtime=runtime, issuer=issuer, achievement=achievement
    )
    for post_hook in runtime.post_award_hooks:
        post_hook(row, post)
    return AwardOutcome(row, created=True)


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


def list_awards(
    session: Session,
    *,
    issuer: Issuer | None = None,
    recipient_email: str | None = None,
    achievement: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> Sequence[Award]:
    """Awards, oldest first, filtered by issuer, recipient email and achievement slug."""
    query = select(Award)
    if issuer is not None:
        query = query.where(Award.issuer_id == issuer.id)
    if recipient_email is not None:
        query = query.where(Award.recipient_email == recipient_email.strip().lower())
    if achievement is not None:
        query = query.where(Award.achievement_slug == achievement)
    query = query.order_by(col(Award.created), col(Award.id)).offset(offset).limit(limit)
    return session.exec(query).all()


def award_public(session: Session, row: Award, *, with_documents: bool = False) -> AwardPublic:
    """The admin view of an award (``credentials list --json`` prints these)."""
    issuer = session.get(Issuer, row.issuer_id)
    achievement = session.get(CatalogAchievement, row.achievement_id)
    assert issuer is not None and achievement is not None  # foreign keys
    credential = json.loads(row.credential)
    return public_view(
        AwardPublic,
        row,
        url=credential["id"],
        issuer=issuer.slug,
        achievement=row.achievement_slug,
        achievement_version=achievement.version,
        awarded=as_utc(row.awarded),
        credential=credential if with_documents else None,
        jwt=row.credential_jwt if with_documents else None,
    )
