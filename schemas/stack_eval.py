"""Does a set of credentials complete a stack? One pure function, for the issuer and verifier.

:func:`evaluate` takes a :class:`schemas.stack_rule.StackRule` and the educator's components
(:class:`ComponentEvidence`) and says, for each requirement, *met*, *unmet* or
*indeterminate*, with the reason in words and the credentials it used.

Why it lives in ``schemas``: both the issuer (issuing a stack credential automatically) and the
verifier (checking a stack-completion claim) must reach the same answer from the same rule, and
the two packages never import each other; ``schemas`` is the layer both build on. It fits
there because it does no I/O and holds no keys: whether each credential is genuine (proof,
status, trust) is established by the caller — the issuer from its own records, the verifier
through its pipeline — and handed in as :attr:`ComponentEvidence.state` and ``trusted``. What
is decided here is only what the documents *say*: which achievement, from whom, with which
results, issued when.

Rules of evaluation (documented for people in ``schemas/STACK_RULES.md``):

* a credential counts toward at most one requirement; requirements take credentials in the
  order the rule lists them (put required components before electives that could overlap);
* a component requirement takes the best credential that matches: a fully valid one before one
  that could not be fully verified; among equals the newest (or, with ``order``, the earliest);
* ``minResult``: every result of that ``resultType`` must be at least the value (New Mexico:
  85% on *each* mastery component); a credential with no such result does not meet it;
* ``issuers: null`` accepts a credential whose issuer the caller judged trusted; if nobody
  judged it (no trust lists), the requirement is indeterminate, never met;
* ``within``: some window of that length, ending at the newest credential used, must hold every
  credential used; ``order``: each requirement's credentials are issued no earlier than the
  previous requirement's. When these constraints are what fails, the report says so in a
  requirement of its own (``within`` / ``order``), and the others show what the credentials do
  meet.

Tri-state, fail closed: *met* needs credentials that are valid and fully judged; anything that
would be met only if something unknown turned out well is *indeterminate*.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from schemas.dates import parse_datetime
from schemas.json_values import as_list, objects
from schemas.stack_rule import (
    AllRequirement,
    ChooseRequirement,
    ComponentRequirement,
    Requirement,
    StackRequirement,
    StackRule,
    Window,
    requirement_words,
)

__all__ = [
    "ComponentEvidence",
    "ComponentState",
    "RequirementResult",
    "ScoredResult",
    "StackEvaluation",
    "Status",
    "component_from_credential",
    "evaluate",
    "window_start",
]


class ComponentState(StrEnum):
    """What the caller established about a credential: it fully verifies, it does not (proof,
    status, dates, recipient...), or it could not be checked completely."""

    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"


class Status(StrEnum):
    MET = "met"
    UNMET = "unmet"
    INDETERMINATE = "indeterminate"


_GRADE = {Status.UNMET: 0, Status.INDETERMINATE: 1, Status.MET: 2}
_BY_GRADE = {grade: status for status, grade in _GRADE.items()}


@dataclass(frozen=True)
class ScoredResult:
    """One ``result[]`` entry of a credential, with its ``resultType`` from the achievement's
    ``resultDescription`` (joined by id)."""

    result_type: str | None
    value: str | None
    name: str | None = None


@dataclass(frozen=True)
class ComponentEvidence:
    """A credential offered toward a stack, as the evaluator sees it.

    ``ref`` names it in results (its id, or a label when it has none) and must be unique among
    the components evaluated together.
    """

    ref: str
    achievement_id: str | None
    achievement_type: str | None = None
    achievement_name: str | None = None
    name: str | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    issued: datetime | None = None
    results: tuple[ScoredResult, ...] = ()
    state: ComponentState = ComponentState.VALID
    #: Why it is not valid, or what could not be checked.
    problem: str | None = None
    #: On the caller's trust lists (True/False), or not judged (None: no lists).
    trusted: bool | None = None

    @property
    def label(self) -> str:
        """For sentences: the achievement's name, and the credential's id."""
        return f"{self.achievement_name or self.name or 'A credential'} ({self.ref})"


# --------------------------------------------------------------------------- reading documents


def _non_empty_string(value: Any) -> str | None:
    """A member that says something: a string with at least one character, else ``None``."""
    return value if isinstance(value, str) and value else None


def _results(
    subject: Mapping[str, Any], achievement: Mapping[str, Any]
) -> tuple[ScoredResult, ...]:
    descriptions = {
        d["id"]: d
        for d in as_list(achievement.get("resultDescription"))
        if isinstance(d, Mapping) and isinstance(d.get("id"), str)
    }
    read = []
    for entry in as_list(subject.get("result")):
        if not isinstance(entry, Mapping) or _non_empty_string(entry.get("value")) is None:
            continue
        description = descriptions.get(entry.get("resultDescription"), {})
        read.append(
            ScoredResult(
                result_type=_non_empty_string(description.get("resultType")),
                value=entry["value"],
                name=_non_empty_string(description.get("name")),
            )
        )
    return tuple(read)


def component_from_credential(
    document: Mapping[str, Any],
    *,
    ref: str | None = None,
    state: ComponentState = ComponentState.VALID,
    problem: str | None = None,
    trusted: bool | None = None,
) -> ComponentEvidence:
    """What the evaluator needs from an OB credential (read defensively: any JSON will do).

    ``ref`` defaults to the credential's ``id``, or a digest of its content when it has none.
    """
    subjects = objects(document.get("credentialSubject"))
    subject = subjects[0] if subjects else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = document.get("issuer")
    issuer_id = (
        _non_empty_string(issuer.get("id"))
        if isinstance(issuer, Mapping)
        else _non_empty_string(issuer)
    )
    issuer_name = _non_empty_string(issuer.get("name")) if isinstance(issuer, Mapping) else None
    if ref is None:
        ref = (
            _non_empty_string(document.get("id"))
            or "urn:sha256:"
            + hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
        )
    issued = (
        parse_datetime(document.get("validFrom"))
        or parse_datetime(document.get("issuanceDate"))
        or parse_datetime(document.get("awardedDate"))
    )
    return ComponentEvidence(
        ref=ref,
        achievement_id=_non_empty_string(achievement.get("id")),
        achievement_type=_non_empty_string(achievement.get("achievementType")),
        achievement_name=_non_empty_string(achievement.get("name")),
        name=_non_empty_string(document.get("name")),
        issuer_id=issuer_id,
        issuer_name=issuer_name,
        issued=issued,
        results=_results(subject, achievement),
        state=state,
        problem=problem,
        trusted=trusted,
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RequirementResult:
    """One requirement, judged: its status, why, and the credentials (refs) it used."""

    id: str
    type: str
    name: str
    description: str
    status: Status
    reason: str
    used: tuple[str, ...] = ()
    children: tuple[RequirementResult, ...] = ()
    #: The newest issue date among ``used`` (what ``order`` compares).
    latest: datetime | None = field(default=None, compare=False, repr=False)

    @property
    def met(self) -> bool:
        return self.status is Status.MET

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "description": self.description,
            "status": str(self.status),
            "met": self.met,
            "reason": self.reason,
            "used": list(self.used),
        }
        if self.children:
            data["children"] = [c.to_json() for c in self.children]
        return data


@dataclass(frozen=True)
class StackEvaluation:
    """The whole rule, judged. ``requirements`` are the rule's top-level requirements, plus a
    ``within`` / ``order`` entry when the rule has that constraint."""

    rule_id: str
    status: Status
    requirements: tuple[RequirementResult, ...]

    @property
    def met(self) -> bool:
        return self.status is Status.MET

    @property
    def used(self) -> tuple[str, ...]:
        """Every credential used, in requirement order."""
        seen: dict[str, None] = {}
        for result in self.requirements:
            seen.update(dict.fromkeys(result.used))
        return tuple(seen)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "status": str(self.status),
            "met": self.met,
            "requirements": [r.to_json() for r in self.requirements],
            "used": list(self.used),
        }


# --------------------------------------------------------------------------- evaluation


def window_start(end: datetime, window: Window) -> datetime:
    """``end`` minus the window (calendar years and months, the day clamped to the month)."""
    months = end.month - 1 - window.months - 12 * window.years
    year, month = end.year + months // 12, months % 12 + 1
    day = end.day
    while True:
        try:
            moved = end.replace(year=year, month=month, day=day)
            break
        except ValueError:  # 29-31 in a shorter month
            day -= 1
    return moved - timedelta(days=window.days)


def _number(value: str | None) -> Decimal | None:
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _shown(value: str, result_type: str) -> str:
    return f"{value}%" if result_type == "Percent" else f"{value} ({result_type})"


@dataclass
class _Run:
    """One evaluation pass over a pool of components, consuming them as requirements use them."""

    pool: Sequence[ComponentEvidence]
    ordered: bool
    used: set[str] = field(default_factory=set)

    # -- one credential against a requirement

    def _grade(
        self,
        requirement: ComponentRequirement | StackRequirement,
        component: ComponentEvidence,
        not_before: datetime | None,
    ) -> tuple[int, str]:
        """2 eligible, 1 eligible if something unknown turns out well, 0 not; and why."""
        label = component.label
        findings: list[tuple[int, str]] = []
        if component.state is ComponentState.INVALID:
            findings.append((0, f"{label} is not valid: {component.problem or 'it failed'}"))
        if not_before is not None and (component.issued is None or component.issued < not_before):
            findings.append(
                (
                    0,
                    f"{label} was issued before the previous requirement was met (the rule "
                    "requires the order listed)",
                )
            )
        accepted = requirement.accepts_issuer(component.issuer_id)
        issuer = component.issuer_name or component.issuer_id or "an unnamed issuer"
        if accepted is False:
            findings.append(
                (0, f"{label} was issued by {issuer}, an issuer this requirement does not accept")
            )
        elif accepted is None and component.trusted is False:
            findings.append((0, f"{label} was issued by {issuer}, which is not on the trust lists"))
        elif accepted is None and component.trusted is None:
            findings.append(
                (
                    1,
                    f"{label} was issued by {issuer}; whether it is an approved issuer could not "
                    "be judged (no trust list was given)",
                )
            )
        if isinstance(requirement, ComponentRequirement) and requirement.minResult is not None:
            findings.append(self._min_result(requirement, component))
        if component.state is ComponentState.INDETERMINATE:
            findings.append(
                (1, f"{label} could not be fully verified: {component.problem or 'unknown'}")
            )
        if not findings:
            return 2, ""
        worst = min(grade for grade, _ in findings)
        if worst == 2:
            return 2, ""
        return worst, "; ".join(text for grade, text in findings if grade == worst)

    @staticmethod
    def _min_result(
        requirement: ComponentRequirement, component: ComponentEvidence
    ) -> tuple[int, str]:
        minimum = requirement.minResult
        assert minimum is not None
        wanted = Decimal(minimum.value)
        scored = [r for r in component.results if r.result_type == minimum.resultType]
        if not scored:
            return 0, (
                f"{component.label} shows no {minimum.resultType} result, so "
                f"{_shown(minimum.value, minimum.resultType)} or higher cannot be confirmed"
            )
        for result in scored:
            value = _number(result.value)
            if value is None or value < wanted:
                what = f" on {result.name}" if result.name else ""
                return 0, (
                    f"{component.label} scored {_shown(str(result.value), minimum.resultType)}"
                    f"{what}, below the {_shown(minimum.value, minimum.resultType)} required"
                )
        return 2, ""

    def _sort_key(self, item: tuple[int, str, ComponentEvidence]) -> tuple[int, float]:
        grade, _, component = item
        stamp = component.issued.timestamp() if component.issued else float("-inf")
        if self.ordered:  # earliest first leaves the most room for later requirements
            return (-grade, stamp if component.issued else float("inf"))
        return (-grade, -stamp)

    def _candidates(
        self, requirement: ComponentRequirement | StackRequirement, not_before: datetime | None
    ) -> list[tuple[int, str, ComponentEvidence]]:
        found = [
            (*self._grade(requirement, c, not_before), c)
            for c in self.pool
            if c.ref not in self.used
            and requirement.matches_achievement(c.achievement_id, c.achievement_type)
        ]
        return sorted(found, key=self._sort_key)

    # -- requirements

    def requirement(
        self, requirement: Requirement, not_before: datetime | None
    ) -> RequirementResult:
        if isinstance(requirement, ComponentRequirement):
            return self._component(requirement, not_before)
        if isinstance(requirement, ChooseRequirement):
            return self._choose(requirement, not_before)
        if isinstance(requirement, AllRequirement):
            return self._all(requirement, requirement.of, not_before)
        return self._stack(requirement, not_before)

    def _result(
        self,
        requirement: Requirement,
        status: Status,
        reason: str,
        used: Iterable[str] = (),
        children: Iterable[RequirementResult] = (),
    ) -> RequirementResult:
        used = tuple(used)
        dates = [c.issued for c in self.pool if c.ref in used and c.issued is not None]
        return RequirementResult(
            id=requirement.id,
            type=requirement.type,
            name=requirement.name,
            description=requirement_words(requirement),
            status=status,
            reason=reason,
            used=used,
            children=tuple(children),
            latest=max(dates) if dates else None,
        )

    def _component(
        self, requirement: ComponentRequirement | StackRequirement, not_before: datetime | None
    ) -> RequirementResult:
        candidates = self._candidates(requirement, not_before)
        if not candidates:
            return self._result(
                requirement, Status.UNMET, f"No credential for {requirement.name} was found."
            )
        grade, why, best = candidates[0]
        if grade == 0:
            reasons = "; ".join(dict.fromkeys(w for _, w, _ in candidates[:3]))
            return self._result(requirement, Status.UNMET, f"Not met: {reasons}.")
        self.used.add(best.ref)
        if grade == 1:
            return self._result(
                requirement, Status.INDETERMINATE, f"Cannot be confirmed: {why}.", [best.ref]
            )
        return self._result(requirement, Status.MET, f"Met by {best.label}.", [best.ref])

    def _choose(
        self, requirement: ChooseRequirement, not_before: datetime | None
    ) -> RequirementResult:
        before = set(self.used)
        children = [self.requirement(option, not_before) for option in requirement.of]
        met = [c for c in children if c.status is Status.MET]
        maybe = [c for c in children if c.status is Status.INDETERMINATE]
        needed = requirement.n
        if len(met) >= needed:
            status, chosen = Status.MET, met[:needed]
            reason = f"Met: {', '.join(c.name for c in chosen)} ({needed} of {needed} needed)."
        elif len(met) + len(maybe) >= needed:
            status, chosen = Status.INDETERMINATE, met + maybe[: needed - len(met)]
            reason = (
                f"{len(met)} of the {needed} needed are met; "
                f"{', '.join(c.name for c in chosen if c.status is not Status.MET)} cannot be "
                "confirmed."
            )
        else:
            status, chosen = Status.UNMET, met + maybe
            have = ", ".join(c.name for c in chosen) or "none"
            reason = f"Not met: {len(chosen)} of the {needed} needed ({have})."
        # Only the options chosen keep their credentials; the others are free again.
        self.used = before | {ref for c in chosen for ref in c.used}
        used = [ref for c in chosen for ref in c.used]
        return self._result(requirement, status, reason, used, children)

    def _all(
        self,
        requirement: Requirement,
        parts: Sequence[Requirement],
        not_before: datetime | None,
    ) -> RequirementResult:
        children = []
        for part in parts:
            result = self.requirement(part, not_before)
            children.append(result)
            if self.ordered and result.latest is not None:
                not_before = max(not_before or result.latest, result.latest)
        grade = min(_GRADE[c.status] for c in children)
        status = _BY_GRADE[grade]
        missing = [c.name for c in children if c.status is not Status.MET]
        reason = "Met: every part is met." if not missing else f"Not all met: {', '.join(missing)}."
        used = [ref for c in children for ref in c.used]
        return self._result(requirement, status, reason, used, children)

    def _stack(
        self, requirement: StackRequirement, not_before: datetime | None
    ) -> RequirementResult:
        direct = None
        if requirement.achievement or requirement.anyVersionOf or requirement.achievementType:
            direct = self._component(requirement, not_before)
            if direct.status is Status.MET or requirement.rule is None:
                return direct
            self.used.difference_update(direct.used)
        assert requirement.rule is not None
        nested = _evaluate_pool(requirement.rule, [c for c in self.pool if c.ref not in self.used])
        if direct is not None and _GRADE[direct.status] >= _GRADE[nested.status]:
            self.used.update(direct.used)
            return direct
        self.used.update(nested.used)
        reason = {
            Status.MET: f"Met by its own requirements ({requirement.rule.name}).",
            Status.INDETERMINATE: "Its own requirements cannot all be confirmed.",
            Status.UNMET: "Not met: there is no credential for it, and its own requirements "
            "are not all met.",
        }[nested.status]
        return self._result(requirement, nested.status, reason, nested.used, nested.requirements)


def _evaluate_pool(
    rule: StackRule, pool: Sequence[ComponentEvidence], *, ordered: bool | None = None
) -> StackEvaluation:
    """The rule's requirements over ``pool``, without the ``within`` window."""
    ordered = rule.order if ordered is None else ordered
    run = _Run(pool=pool, ordered=ordered)
    results = []
    not_before = None
    for requirement in rule.requirements:
        result = run.requirement(requirement, not_before)
        results.append(result)
        if ordered and result.latest is not None:
            not_before = max(not_before or result.latest, result.latest)
    status = _BY_GRADE[min(_GRADE[r.status] for r in results)]
    return StackEvaluation(rule.id, status, tuple(results))


def _within(
    rule: StackRule, components: Sequence[ComponentEvidence], ordered: bool
) -> StackEvaluation:
    """The best evaluation over windows ending at each component's issue date."""
    assert rule.within is not None
    best: StackEvaluation | None = None
    ends = sorted({c.issued for c in components if c.issued is not None}, reverse=True)
    for end in ends:
        start = window_start(end, rule.within)
        pool = [c for c in components if c.issued is not None and start <= c.issued <= end]
        evaluation = _evaluate_pool(rule, pool, ordered=ordered)
        if best is None or _score(evaluation) > _score(best):
            best = evaluation
        if best.met:
            break
    if best is None:
        best = _evaluate_pool(rule, [], ordered=ordered)
    return best


def _score(evaluation: StackEvaluation) -> tuple[int, int, int]:
    met = sum(r.status is Status.MET for r in evaluation.requirements)
    maybe = sum(r.status is Status.INDETERMINATE for r in evaluation.requirements)
    return _GRADE[evaluation.status], met, maybe


def _constraint(
    requirement_id: str, name: str, status: Status, reason: str, used: Iterable[str] = ()
) -> RequirementResult:
    return RequirementResult(
        id=requirement_id,
        type=requirement_id,
        name=name,
        description=name,
        status=status,
        reason=reason,
        used=tuple(used),
    )


def _span(evaluation: StackEvaluation, components: Sequence[ComponentEvidence]) -> str:
    used = set(evaluation.used)
    dates = sorted(c.issued for c in components if c.ref in used and c.issued is not None)
    if not dates:
        return "no issue dates"
    return f"issued from {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}"


def evaluate(rule: StackRule, components: Sequence[ComponentEvidence]) -> StackEvaluation:
    """Judge ``rule`` against ``components`` (see the module docstring for the rules)."""
    refs = [c.ref for c in components]
    if len(set(refs)) != len(refs):
        seen: dict[str, ComponentEvidence] = {}
        unique = []
        for component in components:  # the same credential given twice counts once
            if component.ref not in seen:
                seen[component.ref] = component
                unique.append(component)
        components = unique
    if rule.within is None and not rule.order:
        return _evaluate_pool(rule, components)

    def constrained(window: bool, ordered: bool) -> StackEvaluation:
        if window and rule.within is not None:
            return _within(rule, components, ordered)
        return _evaluate_pool(rule, components, ordered=ordered)

    full = constrained(rule.within is not None, rule.order)
    free = constrained(False, False)
    extra: list[RequirementResult] = []
    shown = full
    if _GRADE[free.status] > _GRADE[full.status]:
        # The credentials would do, but not within the window or not in order: show what they
        # meet, and say which constraint fails.
        shown = free
        window_ok = (
            rule.within is None or _GRADE[constrained(True, False).status] >= _GRADE[free.status]
        )
        order_ok = not rule.order or _GRADE[constrained(False, True).status] >= _GRADE[free.status]
        if rule.within is not None:
            if window_ok and not order_ok:
                extra.append(
                    _constraint(
                        "within",
                        f"All within {rule.within.words()}",
                        Status.MET,
                        "Met (taken alone).",
                    )
                )
            else:
                extra.append(
                    _constraint(
                        "within",
                        f"All within {rule.within.words()}",
                        Status.UNMET,
                        f"Not met: the credentials that meet the requirements were "
                        f"{_span(free, components)}; no set of them within "
                        f"{rule.within.words()} meets the rule.",
                    )
                )
        if rule.order:
            extra.append(
                _constraint("order", "In the order listed", Status.MET, "Met (taken alone).")
                if order_ok and not window_ok
                else _constraint(
                    "order",
                    "In the order listed",
                    Status.UNMET,
                    "Not met: the credentials were not earned in the order the rule lists the "
                    "requirements.",
                )
            )
    else:
        met_or_maybe = full.status is not Status.UNMET
        if rule.within is not None:
            extra.append(
                _constraint(
                    "within",
                    f"All within {rule.within.words()}",
                    Status.MET if met_or_maybe else Status.UNMET,
                    f"Met: the credentials used were {_span(full, components)}."
                    if met_or_maybe
                    else "Cannot be met until the requirements above are.",
                )
            )
        if rule.order:
            extra.append(
                _constraint(
                    "order",
                    "In the order listed",
                    Status.MET if met_or_maybe else Status.UNMET,
                    "Met: each requirement's credentials were issued after the previous one's."
                    if met_or_maybe
                    else "Cannot be met until the requirements above are.",
                )
            )
    requirements = (*shown.requirements, *extra)
    status = _BY_GRADE[min(_GRADE[r.status] for r in requirements)]
    if _GRADE[full.status] < _GRADE[status]:
        status = full.status
    return replace(shown, status=status, requirements=requirements)
