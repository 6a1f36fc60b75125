"""Stacks: achievements earned by holding others, issued automatically, exactly once.

**A stack is an achievement version plus its rule.** :func:`create_stack` writes, in one
transaction, the OB Achievement (``criteria.id`` = ``{achievement id}/rule.json``, the rule's
URL; ``criteria.narrative`` = the rule in words) and a :class:`StackRuleRecord` holding the rule
(:mod:`schemas.stack_rule`) exactly as it is served. Both are immutable: a changed rule is a new
version (:func:`create_stack_version`), and credentials already issued keep pointing at theirs.

**Issuing.** After every award is committed, :func:`after_award` (a post-award hook that
:func:`issuer.runtime.start` installs) looks for current stack versions whose rule mentions what
was just awarded and evaluates them (:func:`schemas.stack_eval.evaluate`, the same function the
verifier uses) over the educator's components: their awards on this service that are
``active`` (a revoked or suspended one does not count), and the credentials from elsewhere
submitted for them and verified (:func:`submit_components`). When a rule is met the stack
credential is issued through :func:`issuer.services.awards.award` like any other award, with
one ``evidence`` entry per component used and, from the pre-sign hook
:func:`add_rule_digest`, a VC 2.0 ``relatedResource`` pinning the rule's digest.

**Exactly once.** The stack award's idempotency key is ``stack:<slug>:v<n>:<educator hash>``
and ``(issuer_id, idempotency_key)`` is unique: when two last components are awarded at the
same moment, both evaluations may find the rule met, but only one insert wins; the other reads
the winner's row back (:func:`issue_stack`). An educator who already holds an active
credential for any version of the stack gets no other.

**Never lost, never at the component's expense.** The component is committed first and marked
as owing its post-award work; a failure here (or a process killed here) leaves the mark, and a
retry of the component's request, a rerun of its batch or the next start evaluates again
(:mod:`issuer.services.awards`, ``post_award_done_at``). Evaluating again is harmless: the
educator already holding the stack, or its key being taken, issues nothing.
``microcred stacks check`` or the next award or submission for the educator also tries again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    AchievementContent,
    Award,
    AwardCreate,
    AwardStatus,
    CatalogAchievement,
    Issuer,
    StackContent,
    StackCreate,
    StackPublic,
    StackRuleRecord,
    StackSubmission,
    StatusAction,
    StatusEvent,
    SubmissionPublic,
    public_view,
)
from issuer.services.awards import award
from issuer.services.batch import describe_validation_error
from issuer.services.catalog import achievement_document, get_achievement
from issuer.services.context import PostAwardContext, Runtime, SigningContext
from issuer.services.errors import Conflict, InvalidInput, NotFound, not_found
from schemas.dates import as_utc, parse_datetime, utcnow
from schemas.stack_eval import (
    ComponentEvidence,
    ComponentState,
    StackEvaluation,
    component_from_credential,
    evaluate,
)
from schemas.stack_rule import (
    RULE_MEDIA_TYPE,
    AllRequirement,
    ChooseRequirement,
    Requirement,
    StackRequirement,
    StackRule,
    canonical_rule_bytes,
    parse_rule,
    rule_digest,
    rule_narrative,
)

if TYPE_CHECKING:
    from verifier.inputs import ParsedInput
    from verifier.report import VerificationReport
    from verifier.service import Expectations

__all__ = [
    "ComponentVerifier",
    "StackVersion",
    "Submitted",
    "add_rule_digest",
    "after_award",
    "create_stack",
    "create_stack_version",
    "counted_components",
    "educator_components",
    "evaluate_for",
    "get_stack",
    "issue_completed_stacks",
    "issue_stack",
    "list_stacks",
    "list_submissions",
    "progress",
    "rule_url",
    "stack_rule_url",
    "stack_idempotency_key",
    "stack_version_of",
    "stack_public",
    "submission_public",
    "submit_components",
]

log = logging.getLogger("microcred.issuer.stacks")


def rule_url(achievement_id: str) -> str:
    """Where a stack version's rule is served: ``{achievement id}/rule.json``."""
    return f"{achievement_id}/rule.json"


def stack_rule_url(document: Mapping[str, Any]) -> str | None:
    """The rule's URL if the OB Achievement ``document`` is a stack's (its ``criteria.id`` is
    its :func:`rule_url`), else None."""
    criteria = document.get("criteria")
    found = criteria.get("id") if isinstance(criteria, Mapping) else None
    return found if found is not None and found == rule_url(str(document.get("id"))) else None


@dataclass(frozen=True)
class StackVersion:
    """A stack version: its achievement row, its stored rule, and the rule parsed."""

    achievement: CatalogAchievement
    record: StackRuleRecord
    rule: StackRule


@lru_cache(maxsize=256)
def _parsed(text: str) -> StackRule:
    """Rules are immutable rows: parse each once per process (keyed by the text itself)."""
    return parse_rule(text)


def _version(achievement: CatalogAchievement, record: StackRuleRecord) -> StackVersion:
    return StackVersion(achievement, record, _parsed(record.rule))


# ------------------------------------------------------------------------------ defining


#: StackRule's members that StackContent names otherwise.
_CONTENT_NAMES = {"description": "rule_description"}


def _refused(error: ValidationError, what: str) -> InvalidInput:
    """A request whose rule or criteria the models refuse, as the 422 naming its member; a
    rule-wide problem (ids not unique, nesting too deep) is the requirements'."""
    first = error.errors()[0]["loc"]
    field = _CONTENT_NAMES.get(str(first[0]), str(first[0])) if first else "requirements"
    return InvalidInput((field,), f"{what}: {describe_validation_error(error)}")


def _build(
    urls_achievement_id: str, version: int, content: StackContent
) -> tuple[StackRule, AchievementContent]:
    """The rule and the achievement a stack version is. Their models check more than the
    request's (unique requirement ids, the criteria in words): what they refuse is a 422, not
    an error of ours (it was a 500)."""
    try:
        rule = StackRule(
            id=rule_url(urls_achievement_id),
            achievement=urls_achievement_id,
            version=version,
            name=content.name,
            description=content.rule_description,
            requirements=content.requirements,
            within=content.within,
            order=content.order,
        )
    except ValidationError as error:
        raise _refused(error, "is not a stack rule") from None
    try:
        achievement = AchievementContent.model_validate(
            {
                "name": content.name,
                "description": content.description,
                "achievementType": content.achievementType,
                # The rule in words, made of the requirements' names.
                "criteria": {"id": rule.id, "narrative": rule_narrative(rule)},
                "image": content.image.model_dump() if content.image else None,
                "alignment": [a.model_dump() for a in content.alignment],
                "tag": list(content.tag),
                "fieldOfStudy": content.fieldOfStudy,
                "humanCode": content.humanCode,
                "inLanguage": content.inLanguage,
            }
        )
    except ValidationError as error:
        raise InvalidInput(
            ("requirements",),
            f"cannot be an achievement's criteria in words: {describe_validation_error(error)}",
        ) from None
    return rule, achievement


def _insert(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    slug: str,
    version: int,
    content: StackContent,
) -> StackVersion:
    """The achievement version and its rule, added to the (open) write transaction."""
    achievement_id = runtime.urls.achievement(slug, version)
    rule, achievement_content = _build(achievement_id, version, content)
    document = achievement_document(runtime.urls, slug, version, achievement_content)
    text = canonical_rule_bytes(rule).decode("utf-8")
    row = CatalogAchievement(
        issuer_id=issuer.id or 0, slug=slug, version=version, is_current=True, document=document
    )
    session.add(row)
    session.flush()
    record = StackRuleRecord(
        achievement_id=row.id or 0,
        issuer_id=issuer.id or 0,
        slug=slug,
        version=version,
        rule=text,
        digest=rule_digest(rule),
    )
    session.add(record)
    return StackVersion(row, record, rule)


def create_stack(
    *, session: Session, runtime: Runtime, issuer: Issuer, data: StackCreate
) -> StackVersion:
    """Version 1 of a new stack: its achievement and rule, in one transaction. 409 if the slug
    is taken."""
    begin_write(session)
    if session.exec(
        select(CatalogAchievement.id).where(CatalogAchievement.slug == data.slug)
    ).first():
        raise Conflict(f"achievement {data.slug!r} already exists; edit it to make a new version")
    content = StackContent.model_validate(data.model_dump(exclude={"slug"}))
    _insert(session, runtime, issuer, data.slug, 1, content)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"achievement {data.slug!r} already exists") from None
    log.info("created stack %s v1 for %s", data.slug, issuer.slug)
    return get_stack(session, data.slug, 1)


def create_stack_version(
    *, session: Session, runtime: Runtime, issuer: Issuer, slug: str, content: StackContent
) -> StackVersion:
    """Version n+1 of a stack, now current: a new rule never changes an old one."""
    begin_write(session)
    current = get_achievement(session, slug)
    if current.issuer_id != issuer.id:
        raise NotFound(f"no achievement {slug!r} in the catalog of {issuer.slug}")
    if session.get(StackRuleRecord, current.id) is None:
        raise InvalidInput(("slug",), f"{slug!r} is an achievement, not a stack")
    current.is_current = False
    session.add(current)
    session.flush()
    version = current.version + 1
    _insert(session, runtime, issuer, slug, version, content)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"stack {slug!r} was edited at the same time; retry") from None
    return get_stack(session, slug, version)


# ------------------------------------------------------------------------------ reading


def get_stack(session: Session, slug: str, version: int | None = None) -> StackVersion:
    """The current version of stack ``slug`` (or the given version); a misspelled slug's
    error suggests the stacks it is close to."""
    try:
        row = get_achievement(session, slug, version)
    except NotFound:
        if version is not None:
            raise
        raise not_found("stack", slug, [s.achievement.slug for s in list_stacks(session)]) from None
    record = session.get(StackRuleRecord, row.id)
    if record is None:
        raise NotFound(f"{slug!r} is not a stack")
    return _version(row, record)


def list_stacks(session: Session, *, issuer: Issuer | None = None) -> list[StackVersion]:
    """Current stack versions, by slug."""
    query = (
        select(CatalogAchievement, StackRuleRecord)
        .join(StackRuleRecord, col(StackRuleRecord.achievement_id) == col(CatalogAchievement.id))
        .where(col(CatalogAchievement.is_current))
    )
    if issuer is not None:
        query = query.where(CatalogAchievement.issuer_id == issuer.id)
    rows = session.exec(query.order_by(col(CatalogAchievement.slug))).all()
    return [_version(a, r) for a, r in rows]


def stack_public(session: Session, stack: StackVersion) -> StackPublic:
    owner = session.get(Issuer, stack.achievement.issuer_id)
    assert owner is not None
    return public_view(
        StackPublic,
        stack.achievement,
        current=stack.achievement.is_current,
        issuer=owner.slug,
        id=stack.achievement.document["id"],
        achievement=stack.achievement.document,
        rule=json.loads(stack.record.rule),
        rule_url=stack.rule.id,
        rule_digest=stack.record.digest,
    )


# ------------------------------------------------------------------------------ components


def _expired(document: dict[str, Any], now: datetime) -> bool:
    until = document.get("validUntil") or document.get("expirationDate")
    if not isinstance(until, str):
        return False
    moment = parse_datetime(until)
    return moment is None or moment <= now  # unreadable: do not count it


def _award_component(
    row: Award, now: datetime, *, count_suspended: bool = False
) -> ComponentEvidence:
    document = json.loads(row.credential)
    state, problem = ComponentState.VALID, None
    counted = (
        (AwardStatus.active, AwardStatus.suspended) if count_suspended else (AwardStatus.active,)
    )
    if row.status not in counted:
        state, problem = ComponentState.INVALID, f"it is {row.status}"
    elif _expired(document, now):
        state, problem = ComponentState.INVALID, "it has expired"
    # This service's own issuers are the office's own: trusted for "any trusted issuer".
    return component_from_credential(document, state=state, problem=problem, trusted=True)


def _submission_component(row: StackSubmission, now: datetime) -> ComponentEvidence:
    document = json.loads(row.document)
    expired = _expired(document, now)
    return component_from_credential(
        document,
        ref=row.credential_id or f"urn:uuid:{row.id}",
        state=ComponentState.INVALID if expired else ComponentState.VALID,
        problem="it has expired" if expired else None,
        trusted=row.trusted,
    )


def educator_components(
    session: Session,
    recipient_email: str,
    *,
    issuer: Issuer,
    now: datetime | None = None,
    count_suspended: bool = False,
) -> tuple[list[ComponentEvidence], list[Award], list[StackSubmission]]:
    """Everything that may count toward ``issuer``'s stacks for an educator: their awards on
    this service (any state: revoked ones are there to be reported, and do not count) and the
    credentials submitted to ``issuer`` for them.

    ``count_suspended`` counts suspended awards as if active: whether a rule *could* be met
    once the suspensions are lifted (:mod:`issuer.services.stack_status` asks, to suspend
    rather than revoke a stack credential that waits on a suspended component)."""
    now = now or utcnow()
    email = recipient_email.strip().lower()
    awards = session.exec(
        select(Award)
        .where(Award.recipient_email == email)
        .order_by(col(Award.created), col(Award.id))
    ).all()
    submissions = session.exec(
        select(StackSubmission)
        .where(StackSubmission.issuer_id == issuer.id)
        .where(StackSubmission.recipient_email == email)
        .order_by(col(StackSubmission.created))
    ).all()
    components = [_award_component(a, now, count_suspended=count_suspended) for a in awards]
    components += [_submission_component(s, now) for s in submissions]
    return components, list(awards), list(submissions)


def evaluate_for(
    session: Session,
    stack: StackVersion,
    recipient_email: str,
    *,
    now: datetime | None = None,
    count_suspended: bool = False,
) -> tuple[StackEvaluation, list[ComponentEvidence]]:
    """The stack's rule evaluated over the educator's components as they stand now (in this
    session's transaction), and those components (the stack's own credential never counts).
    ``count_suspended``: see :func:`educator_components`."""
    owner = session.get(Issuer, stack.achievement.issuer_id)
    assert owner is not None
    components, _, _ = educator_components(
        session, recipient_email, issuer=owner, now=now, count_suspended=count_suspended
    )
    own = stack.achievement.document["id"]
    counted = [c for c in components if c.achievement_id != own]
    return evaluate(stack.rule, counted), counted


def progress(
    session: Session, stack: StackVersion, recipient_email: str, *, now: datetime | None = None
) -> StackEvaluation:
    """How far an educator is along a stack (the rule evaluated, nothing issued)."""
    return evaluate_for(session, stack, recipient_email, now=now)[0]


def stack_version_of(session: Session, row: Award) -> StackVersion | None:
    """The stack version ``row`` was issued for, or None when ``row`` is not a stack
    credential."""
    record = session.get(StackRuleRecord, row.achievement_id)
    if record is None:
        return None
    achievement = session.get(CatalogAchievement, row.achievement_id)
    assert achievement is not None
    return _version(achievement, record)


def counted_components(row: Award) -> list[str]:
    """The id URLs of the components a stack credential counted: its stored evidence, one
    entry per component (:func:`issue_stack`), written once with the credential."""
    return [e["url"] for e in row.evidence if isinstance(e, dict) and e.get("url")]


# ------------------------------------------------------------------------------ issuing


def stack_idempotency_key(stack: StackVersion, recipient_email: str, revoked: int = 0) -> str:
    """``stack:<slug>:v<n>:<hash of the educator's email>``: one stack credential per stack
    version and educator, whoever tries to issue it.

    ``revoked`` counts the educator's credentials of this version revoked *with a component*
    (:mod:`issuer.services.stack_status`); each such revocation opens a new key (``…:r1``,
    ``…:r2``), so the educator who earns the component again earns the stack again, still
    exactly once. A stack credential an operator revoked keeps its key taken: no other.
    """
    digest = hashlib.sha256(recipient_email.strip().lower().encode("utf-8")).hexdigest()[:32]
    key = f"stack:{stack.achievement.slug}:v{stack.achievement.version}:{digest}"
    return f"{key}:r{revoked}" if revoked else key


def _revoked_with_components(session: Session, stack: StackVersion, recipient_email: str) -> int:
    """The educator's credentials of this stack version revoked because a component was."""
    return len(
        session.exec(
            select(Award.id)
            .join(StatusEvent, col(StatusEvent.award_id) == col(Award.id))
            .where(Award.achievement_id == stack.achievement.id)
            .where(Award.recipient_email == recipient_email.strip().lower())
            .where(Award.status == AwardStatus.revoked)
            .where(StatusEvent.action == StatusAction.revoke.value)
            .where(StatusEvent.new_status == AwardStatus.revoked.value)
            .where(StatusEvent.previous_status != AwardStatus.revoked.value)
            .where(col(StatusEvent.cause_award_id).is_not(None))
            .distinct()
        ).all()
    )


def _holds(session: Session, stack: StackVersion, recipient_email: str) -> Award | None:
    """An active credential of any version of the stack the educator already holds."""
    return session.exec(
        select(Award)
        .where(Award.achievement_slug == stack.achievement.slug)
        .where(Award.recipient_email == recipient_email.strip().lower())
        .where(Award.status == AwardStatus.active)
    ).first()


_HTTP = re.compile(r"^https?://", re.IGNORECASE)


def _evidence(component: ComponentEvidence) -> dict[str, Any]:
    """One evidence entry: the component's id URL, its name, and its achievement (name and id)
    in the description, as ``<achievement name> (<achievement id>)``."""
    achievement = component.achievement_name or "An achievement"
    entry: dict[str, Any] = {
        "name": (component.name or achievement)[:200],
        "description": f"{achievement} ({component.achievement_id})",
    }
    if _HTTP.match(component.ref):
        entry["url"] = component.ref
    else:  # e.g. a urn:uuid: id: not a link, but still named
        entry["narrative"] = f"Component credential {component.ref}"
    return entry


def _recipient(
    awards: Sequence[Award], submissions: Sequence[StackSubmission], used: set[str]
) -> tuple[str, str | None]:
    """The educator's name and DID for the stack credential: the same identity as the
    components (the DID only when every award used carries the same one)."""
    used_awards = [a for a in awards if json.loads(a.credential).get("id") in used]
    source = used_awards or list(awards)
    name = source[-1].recipient_name if source else None
    if name is None:
        named = [s.recipient_name for s in submissions if s.recipient_name]
        name = named[-1] if named else None
    dids = {a.recipient_did for a in used_awards}
    did = dids.pop() if len(dids) == 1 else None
    return name or "Educator", did


def issue_stack(
    *,
    session: Session,
    runtime: Runtime,
    stack: StackVersion,
    recipient_email: str,
    evaluation: StackEvaluation,
    components: Sequence[ComponentEvidence],
    awards: Sequence[Award],
    submissions: Sequence[StackSubmission],
) -> tuple[Award, ...]:
    """Issue the stack credential for a met ``evaluation``; what this call issued: the
    credential (unless it was there already), then any stack it completed in turn.

    Goes through :func:`issuer.services.awards.award`, so it is signed, status-listed and
    validated like every credential, and its idempotency key makes it exactly once.
    """
    assert evaluation.met
    issuer = session.get(Issuer, stack.achievement.issuer_id)
    assert issuer is not None
    by_ref = {c.ref: c for c in components}
    used = [by_ref[ref] for ref in evaluation.used]
    name, did = _recipient(awards, submissions, set(evaluation.used))
    key = stack_idempotency_key(
        stack, recipient_email, _revoked_with_components(session, stack, recipient_email)
    )
    request = AwardCreate.model_validate(
        {
            "achievement": stack.achievement.slug,
            "recipient_name": name,
            "recipient_email": recipient_email,
            "recipient_did": did,
            "evidence": [_evidence(c) for c in used],
            "idempotency_key": key,
        }
    )
    try:
        outcome = award(session=session, runtime=runtime, issuer=issuer, request=request)
    except Conflict:
        # A concurrent evaluation issued it first from a different set of components: the
        # key is taken, and that credential is the stack credential.
        session.rollback()
        return ()
    if not outcome.created:
        return outcome.stacks_issued
    log.info(
        "issued stack credential %s (%s v%s) to an educator: %d components",
        outcome.award.id,
        stack.achievement.slug,
        stack.achievement.version,
        len(evaluation.used),
    )
    return (outcome.award, *outcome.stacks_issued)


def _mentions(requirements: Iterable[Requirement], achievement_id: str, kind: str | None) -> bool:
    for requirement in requirements:
        if isinstance(requirement, ChooseRequirement | AllRequirement):
            if _mentions(requirement.of, achievement_id, kind):
                return True
            continue
        if requirement.matches_achievement(achievement_id, kind):
            return True
        if (
            isinstance(requirement, StackRequirement)
            and requirement.rule is not None
            and _mentions(requirement.rule.requirements, achievement_id, kind)
        ):
            return True
    return False


def issue_completed_stacks(
    *,
    session: Session,
    runtime: Runtime,
    recipient_email: str,
    trigger: dict[str, Any] | None = None,
) -> list[Award]:
    """Issue every stack credential the educator has now earned and does not hold yet.

    ``trigger`` (the achievement just awarded) limits the work to stacks whose rule mentions
    it; without it every current stack is evaluated (after a submission, or a manual check).
    Returns the stack credentials this call created (with those they completed in turn).
    """
    issued: list[Award] = []
    trigger_id = trigger.get("id") if trigger else None
    trigger_type = trigger.get("achievementType") if trigger else None
    for stack in list_stacks(session):
        if trigger is not None and not _mentions(
            stack.rule.requirements, trigger_id or "", trigger_type
        ):
            continue
        if _holds(session, stack, recipient_email) is not None:
            continue
        owner = session.get(Issuer, stack.achievement.issuer_id)
        assert owner is not None
        components, awards, submissions = educator_components(
            session, recipient_email, issuer=owner, now=runtime.clock()
        )
        own = stack.achievement.document["id"]
        components = [c for c in components if c.achievement_id != own]
        evaluation = evaluate(stack.rule, components)
        if not evaluation.met:
            continue
        issued += issue_stack(
            session=session,
            runtime=runtime,
            stack=stack,
            recipient_email=recipient_email,
            evaluation=evaluation,
            components=components,
            awards=awards,
            submissions=submissions,
        )
    return issued


def after_award(award: Award, context: PostAwardContext) -> list[Award]:
    """Post-award hook: issue the stacks this award completes, and return them. Idempotent,
    as a post-award hook must be; an error is raised to :func:`issuer.services.awards.award`,
    which logs it and leaves the work owed (the component award stands)."""
    return issue_completed_stacks(
        session=context.session,
        runtime=context.runtime,
        recipient_email=award.recipient_email,
        trigger=context.achievement.document,
    )


def add_rule_digest(credential: dict[str, Any], context: SigningContext) -> dict[str, Any]:
    """Pre-sign hook: a stack credential pins its rule with VC 2.0 ``relatedResource``.

    ``{"id": <criteria.id, the rule's URL>, "digestSRI": "sha384-…", "mediaType":
    "application/json"}``: a W3C term from the VC 2.0 context every OB 3.0 credential already
    has, made for exactly this (VC Data Model 2.0, "Integrity of Related Resources"), so other
    verifiers read the credential unchanged and any verifier can tell a rule document that
    changed after issuance.
    """
    url = stack_rule_url(context.achievement.document)
    if url is None:  # not a stack: no query for it
        return credential
    record = context.session.get(StackRuleRecord, context.achievement.id)
    if record is None:
        return credential
    entry = {"id": url, "digestSRI": record.digest}
    entry["mediaType"] = RULE_MEDIA_TYPE
    related = [r for r in credential.get("relatedResource", []) if r.get("id") != entry["id"]]
    return {**credential, "relatedResource": [*related, entry]}


# ------------------------------------------------------------------------------ submissions


class ComponentVerifier(Protocol):
    """What :func:`submit_components` needs of the verifier (``verifier.service.Verifier``
    fits): verify an input against expectations (the recipient), and fetch a badge link."""

    def verify_many(
        self, data: bytes | str | ParsedInput, *, source: str, expect: Expectations
    ) -> list[VerificationReport]: ...

    def fetch_badge(self, url: str) -> bytes: ...


@dataclass(frozen=True)
class Submitted:
    """What a submission did (see :class:`issuer.models.stacks.SubmissionResult`)."""

    accepted: list[StackSubmission]
    rejected: list[dict[str, Any]]
    stacks_issued: list[Award]


def submit_components(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    recipient_email: str,
    data: bytes | str | dict[str, Any],
    verifier: ComponentVerifier,
    actor: str,
    recipient_name: str | None = None,
    source: str = "submission",
) -> Submitted:
    """Verify credentials issued elsewhere for an educator; store those that count; issue the
    stacks they complete.

    A credential counts when the verifier pipeline finds it ``valid`` (proof, issuer key,
    dates, status, and trust when the verifier has trust lists) *and* issued to this educator
    (the ``recipient`` check for the email passes). Whether a stack accepts its issuer is the
    rule's business, judged when the stack is evaluated. ``data`` is what the verifier reads:
    a JSON credential or presentation, a compact JWS, or a baked image.
    """
    from verifier.inputs import UnusableInput, parse_input
    from verifier.report import Outcome, Verdict
    from verifier.service import Expectations

    email = recipient_email.strip().lower()
    raw: bytes | str = json.dumps(data, ensure_ascii=False) if isinstance(data, dict) else data
    try:
        parsed = parse_input(raw, source=source)
    except UnusableInput as error:
        raise InvalidInput(("credential",), error.message) from None
    reports = verifier.verify_many(parsed, source=source, expect=Expectations(recipient=email))
    accepted: list[StackSubmission] = []
    rejected: list[dict[str, Any]] = []
    pending: list[StackSubmission] = []
    for item, report in zip(parsed.credentials, reports, strict=True):
        label = item.label
        recipient = report.check("recipient")
        named = recipient is not None and recipient.outcome is Outcome.PASSED
        if report.verdict is not Verdict.VALID or not named:
            if not named:
                reason = "it was not issued to this educator"
            elif report.verdict is Verdict.INVALID:
                reason = "it is not valid"
            else:
                reason = "it could not be fully verified"
            rejected.append(
                {
                    "source": label,
                    "reason": f"The credential does not count: {reason}.",
                    "problems": report.problems(),
                    "report": report.to_json(),
                }
            )
            continue
        document = item.document
        text = (
            item.jwt_token
            if item.kind == "jwt"
            else json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        )
        assert text is not None
        summary = report.credential
        trust = report.check("trust")
        pending.append(
            StackSubmission(
                issuer_id=issuer.id or 0,
                recipient_email=email,
                recipient_name=recipient_name,
                credential_id=summary.get("id"),
                achievement_id=summary["achievement"].get("id"),
                achievement_type=summary["achievement"].get("achievementType"),
                achievement_name=summary["achievement"].get("name"),
                component_issuer=summary["issuer"].get("id"),
                format=item.kind,
                credential=text,
                document=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                trusted=None
                if trust is None or trust.outcome is Outcome.SKIPPED
                else (trust.outcome is Outcome.PASSED),
                report=report.to_json(),
                submitted_by=actor,
            )
        )
    for row in pending:
        begin_write(session)
        existing = session.exec(
            select(StackSubmission)
            .where(StackSubmission.issuer_id == row.issuer_id)
            .where(StackSubmission.recipient_email == row.recipient_email)
            .where(StackSubmission.content_hash == row.content_hash)
        ).first()
        if existing is not None:
            session.commit()
            accepted.append(existing)
            continue
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # the same credential submitted concurrently
            session.rollback()
            row = session.exec(
                select(StackSubmission)
                .where(StackSubmission.issuer_id == row.issuer_id)
                .where(StackSubmission.recipient_email == row.recipient_email)
                .where(StackSubmission.content_hash == row.content_hash)
            ).one()
        session.refresh(row)
        accepted.append(row)
    issued = (
        issue_completed_stacks(session=session, runtime=runtime, recipient_email=email)
        if accepted
        else []
    )
    return Submitted(accepted, rejected, issued)


def list_submissions(
    session: Session, *, issuer: Issuer, recipient_email: str | None = None
) -> Sequence[StackSubmission]:
    query = select(StackSubmission).where(StackSubmission.issuer_id == issuer.id)
    if recipient_email is not None:
        query = query.where(StackSubmission.recipient_email == recipient_email.strip().lower())
    return session.exec(query.order_by(col(StackSubmission.created))).all()


def submission_public(row: StackSubmission) -> SubmissionPublic:
    return public_view(SubmissionPublic, row, created=as_utc(row.created))
