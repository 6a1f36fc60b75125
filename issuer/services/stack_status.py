"""What a component's status change does to the stack credentials that counted it.

A stack credential says its rule was met by the components in its ``evidence``; its own
criteria say each counted component must be valid. So when a component is revoked or
suspended, :func:`follow_components` — called by :func:`issuer.services.status.change_statuses`
inside the same transaction, after the components' own transitions — finds every stack
credential of that educator whose stored evidence lists the component (the award's
``evidence`` column, written once with the credential: :func:`issuer.services.stacks.
counted_components`), and evaluates the stack version's rule again over the educator's
components as they now stand (:func:`issuer.services.stacks.evaluate_for`):

* still met (an elective replaced by another): the stack credential is **kept**;
* not met: it is **revoked** with a revoked component, **suspended** with a suspended one —
  or with a revoked one when the rule would be met again once the suspended components it
  waits on are unsuspended (a suspension is not a verdict) — through the same state machine
  (:mod:`issuer.services.status_machine`): its bit flips, its list is re-signed at the next
  fetch, and its audit row's reason names the component
  (``component <id> (<achievement>) revoked: <reason>``) and its ``cause_award_id`` is that
  component. A revoked stack credential stays revoked.

Unsuspending a component lifts a stack credential's suspension only if that suspension was a
component's doing (its latest ``suspend`` audit row has a ``cause_award_id``) and the rule is
met again; a stack credential an operator suspended stays suspended. A stack credential that
changed is itself a component and is followed in turn (a stack that counted a stack).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from issuer.models import Award, AwardStatus, StackRuleRecord, StatusAction, StatusEvent
from issuer.services.context import Runtime
from issuer.services.stacks import counted_components, evaluate_for, stack_version_of
from issuer.services.status_machine import (
    apply_transitions,
    award_audit,
    chunks,
    copies_of,
    load_allocations,
)
from schemas.json_values import objects

__all__ = ["StackEffect", "follow_components"]

#: What a component's action does to a stack credential whose rule is no longer met.
_VERB = {
    StatusAction.revoke: "revoked",
    StatusAction.suspend: "suspended",
    StatusAction.unsuspend: "unsuspended",
}


@dataclass(frozen=True)
class StackEffect:
    """What one component change did to one stack credential that counted the component."""

    award_id: uuid.UUID
    credential_id: str
    #: ``<slug> v<version>``.
    stack: str
    #: ``revoked``, ``suspended``, ``unsuspended``, ``kept`` or ``unchanged``.
    outcome: str
    previous_status: AwardStatus
    status: AwardStatus
    detail: str
    #: The stack credential's audit row, when it changed.
    event_id: int | None

    @property
    def changed(self) -> bool:
        return self.status is not self.previous_status

    def to_json(self) -> dict[str, Any]:
        return {
            "credential_id": self.credential_id,
            "id": str(self.award_id),
            "stack": self.stack,
            "outcome": self.outcome,
            "previous_status": self.previous_status.value,
            "status": self.status.value,
            "detail": self.detail,
            "event_id": self.event_id,
        }


@dataclass(frozen=True)
class _Request:
    """The request being followed: one action, its reason and who asked, at one moment."""

    runtime: Runtime
    action: StatusAction
    reason: str
    actor: str
    now: datetime


def follow_components(
    session: Session,
    runtime: Runtime,
    changed: Sequence[Award],
    action: StatusAction,
    reason: str,
    actor: str,
) -> dict[uuid.UUID, list[StackEffect]]:
    """Re-evaluate the stack credentials that counted the ``changed`` components (their new
    status flushed, in the caller's open transaction) and revoke, suspend or unsuspend them
    as their rules now say. Returns, by component award id, the effect on each stack
    credential that counted it (or, for a stack credential changed here, that counted it in
    turn). The caller commits or rolls back everything together.
    """
    request = _Request(runtime, action, reason, actor, runtime.clock())
    effects: dict[uuid.UUID, list[StackEffect]] = {}
    handled = {award.id for award in changed}  # asked for directly: their own change stands
    queue: list[tuple[Award, tuple[uuid.UUID, ...]]] = [(a, (a.id,)) for a in changed]
    while queue:
        found = _counting(session, runtime, queue)
        queue = []
        for row, causes in found:
            if row.id in handled:
                continue
            handled.add(row.id)
            effect = _follow(session, request, row, [c for c, _ in causes])
            if effect is None:
                continue
            roots = tuple(dict.fromkeys(r for _, rs in causes for r in rs))
            for root in roots:
                effects.setdefault(root, []).append(effect)
            if effect.changed:
                queue.append((row, roots))
    return effects


def _counting(
    session: Session, runtime: Runtime, components: Sequence[tuple[Award, tuple[uuid.UUID, ...]]]
) -> list[tuple[Award, list[tuple[Award, tuple[uuid.UUID, ...]]]]]:
    """The stack credentials (locked, in id order) whose evidence lists any of ``components``,
    each with the components it counted. One query per few hundred educators, whatever the
    size of a bulk request."""
    by_email: dict[str, dict[str, tuple[Award, tuple[uuid.UUID, ...]]]] = {}
    for component, roots in components:
        by_url = by_email.setdefault(component.recipient_email, {})
        by_url[runtime.urls.credential(component.id)] = (component, roots)
    rows: dict[uuid.UUID, Award] = {}
    for emails in chunks(sorted(by_email)):
        query = (
            select(Award)
            .join(StackRuleRecord, col(StackRuleRecord.achievement_id) == col(Award.achievement_id))
            .where(col(Award.recipient_email).in_(emails))
            .order_by(col(Award.id))
            .with_for_update(of=Award)
            .execution_options(populate_existing=True)
        )
        rows.update((row.id, row) for row in session.exec(query))
    found = []
    for _, row in sorted(rows.items()):
        by_url = by_email[row.recipient_email]
        causes = [by_url[url] for url in counted_components(row) if url in by_url]
        if causes:
            found.append((row, causes))
    return found


def _achievement_name(component: Award) -> str:
    document = json.loads(component.credential)
    for subject in objects(document.get("credentialSubject")):
        achievement = subject.get("achievement")
        if isinstance(achievement, dict) and isinstance(achievement.get("name"), str):
            return str(achievement["name"])
    return component.achievement_slug


def _named(runtime: Runtime, causes: Sequence[Award]) -> str:
    """``component <id> (<achievement>)``, or ``components <id> (<a>), <id> (<b>)``."""
    names = ", ".join(f"{runtime.urls.credential(c.id)} ({_achievement_name(c)})" for c in causes)
    return f"{'component' if len(causes) == 1 else 'components'} {names}"


def _suspended_by_a_component(session: Session, row: Award) -> bool:
    """Whether the latest request to suspend ``row`` came from a component (not an operator)."""
    latest = session.exec(
        select(StatusEvent)
        .where(StatusEvent.award_id == row.id)
        .where(StatusEvent.action == StatusAction.suspend.value)
        .order_by(col(StatusEvent.id).desc())
    ).first()
    return latest is not None and latest.cause_award_id is not None


def _follow(
    session: Session, request: _Request, row: Award, causes: Sequence[Award]
) -> StackEffect | None:
    """Decide, and apply, what the components' change does to the stack credential ``row``."""
    stack = stack_version_of(session, row)
    assert stack is not None  # found through its StackRuleRecord
    label = f"{stack.achievement.slug} v{stack.achievement.version}"
    current = AwardStatus(row.status)

    def effect(outcome: str, detail: str) -> StackEffect:
        return StackEffect(
            row.id,
            request.runtime.urls.credential(row.id),
            label,
            outcome,
            current,
            current,
            detail,
            None,
        )

    if request.action is StatusAction.unsuspend:
        if current is not AwardStatus.suspended:
            return None  # active (nothing to lift) or revoked (for good): not affected
        if not _suspended_by_a_component(session, row):
            return effect("unchanged", "suspended for its own reasons: stays suspended")
    elif current is AwardStatus.revoked:
        return effect("unchanged", "already revoked")
    evaluation, components = evaluate_for(session, stack, row.recipient_email, now=request.now)
    if request.action is StatusAction.unsuspend:
        if not evaluation.met:
            unmet = "; ".join(r.reason for r in evaluation.requirements if not r.met)
            return effect("unchanged", f"stays suspended: its rule is not met ({unmet})")
        return _apply(session, request, row, causes, label, current, StatusAction.unsuspend)
    if evaluation.met:
        by_ref = {c.ref: c for c in components}
        used = ", ".join(
            by_ref[ref].achievement_name or ref if ref in by_ref else ref for ref in evaluation.used
        )
        return effect("kept", f"kept: rule still met by {used}")
    action = request.action
    if action is StatusAction.revoke:
        # Revoked for good only if no suspended component could make the rule met again: a
        # stack credential that waits on a component under review is suspended instead.
        waiting, _ = evaluate_for(
            session, stack, row.recipient_email, now=request.now, count_suspended=True
        )
        if waiting.met:
            action = StatusAction.suspend
    if action is StatusAction.suspend and current is AwardStatus.suspended:
        return effect("unchanged", "already suspended")
    return _apply(session, request, row, causes, label, current, action)


def _apply(
    session: Session,
    request: _Request,
    row: Award,
    causes: Sequence[Award],
    label: str,
    current: AwardStatus,
    action: StatusAction,
) -> StackEffect:
    """``action`` on the stack credential, its audit row naming the components and what was
    done to them (``request.action``: a component revoked may suspend a stack credential)."""
    verb = _VERB[request.action]
    reason = f"{_named(request.runtime, causes)} {verb}: {request.reason}"

    audit = award_audit(action, reason, request.actor, cause_award_id=causes[0].id)

    [transition] = apply_transitions(
        session,
        [row],
        action,
        allocations=load_allocations(session, [row.id]),
        audit=audit,
        now=request.now,
        name=lambda holder: str(holder.id),
        runtime=request.runtime,
        followers=copies_of(session, [row.id]),
    )
    return StackEffect(
        row.id,
        request.runtime.urls.credential(row.id),
        label,
        _VERB[action],
        current,
        transition.status,
        reason,
        transition.audit.id,
    )
