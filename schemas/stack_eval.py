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

The reasons are :class:`microcred.messages.Message` sentences: English ``str`` for the JSON
report, the CLI and the issuer, and the verify page's checklist in its reader's language.
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

from microcred.messages import Message, as_clause, joined
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
        named = self.achievement_name or self.name or Message("A credential")
        return joined(" ", [named, f"({self.ref})"])


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
    #: ``reason`` without its status words ("Not met: ", "Cannot be confirmed: ") and final
    #: full stop, for a summary that names several requirements (None: ``reason`` has none).
    detail: str | None = field(default=None, compare=False, repr=False)

    @property
    def met(self) -> bool:
        return self.status is Status.MET

    @property
    def why(self) -> str:
        """Why, to quote after the requirement's name (``detail``, else ``reason`` as a clause):
        a message stays one, so a page can still translate the summary."""
        return self.detail if self.detail is not None else as_clause(self.reason)

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
            findings.append(
                (
                    0,
                    Message(
                        "%(credential)s is not valid: %(problem)s",
                        credential=label,
                        problem=component.problem or Message("it failed"),
                    ),
                )
            )
        if not_before is not None and (component.issued is None or component.issued < not_before):
            findings.append(
                (
                    0,
                    Message(
                        "%(credential)s was issued before the previous requirement was met (the "
                        "rule requires the order listed)",
                        credential=label,
                    ),
                )
            )
        accepted = requirement.accepts_issuer(component.issuer_id)
        issuer = component.issuer_name or component.issuer_id or Message("an unnamed issuer")
        if accepted is False:
            findings.append(
                (
                    0,
                    Message(
                        "%(credential)s was issued by %(issuer)s, an issuer this requirement "
                        "does not accept",
                        credential=label,
                        issuer=issuer,
                    ),
                )
            )
        elif accepted is None and component.trusted is False:
            findings.append(
                (
                    0,
                    Message(
                        "%(credential)s was issued by %(issuer)s, which is not on the trust lists",
                        credential=label,
                        issuer=issuer,
                    ),
                )
            )
        elif accepted is None and component.trusted is None:
            findings.append(
                (
                    1,
                    Message(
                        "%(credential)s was issued by %(issuer)s; whether it is an approved "
                        "issuer could not be judged (no trust list was given)",
                        credential=label,
                        issuer=issuer,
                    ),
                )
            )
        if isinstance(requirement, ComponentRequirement) and requirement.minResult is not None:
            findings.append(self._min_result(requirement, component))
        if component.state is ComponentState.INDETERMINATE:
            findings.append(
                (
                    1,
                    Message(
                        "%(credential)s could not be fully verified: %(problem)s",
                        credential=label,
                        problem=component.problem or Message("unknown"),
                    ),
                )
            )
        if not findings:
            return 2, ""
        worst = min(grade for grade, _ in findings)
        if worst == 2:
            return 2, ""
        return worst, joined("; ", [text for grade, text in findings if grade == worst])

    @staticmethod
    def _min_result(
        requirement: ComponentRequirement, component: ComponentEvidence
    ) -> tuple[int, str]:
        minimum = requirement.minResult
        assert minimum is not None
        wanted = Decimal(minimum.value)
        scored = [r for r in component.results if r.result_type == minimum.resultType]
        required = _shown(minimum.value, minimum.resultType)
        if not scored:
            return 0, Message(
                "%(credential)s shows no %(type)s result, so %(required)s or higher cannot be "
                "confirmed",
                credential=component.label,
                type=minimum.resultType,
                required=required,
            )
        for result in scored:
            value = _number(result.value)
            if value is None or value < wanted:
                scores = _shown(str(result.value), minimum.resultType)
                if result.name:
                    return 0, Message(
                        "%(credential)s scored %(score)s on %(result)s, below the %(required)s "
                        "required",
                        credential=component.label,
                        score=scores,
                        result=result.name,
                        required=required,
                    )
                return 0, Message(
                    "%(credential)s scored %(score)s, below the %(required)s required",
                    credential=component.label,
                    score=scores,
                    required=required,
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
        *,
        detail: str | None = None,
    ) -> RequirementResult:
        """``detail``: ``reason`` without its status words (:attr:`RequirementResult.detail`)."""
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
            detail=detail,
        )

    def _component(
        self, requirement: ComponentRequirement | StackRequirement, not_before: datetime | None
    ) -> RequirementResult:
        candidates = self._candidates(requirement, not_before)
        if not candidates:
            return self._result(
                requirement,
                Status.UNMET,
                Message(
                    "No credential for %(requirement)s was found.", requirement=requirement.name
                ),
            )
        grade, why, best = candidates[0]
        if grade == 0:
            # The same sentence once, though several candidates fail the same way.
            reason, detail = _not_met(
                joined("; ", list(dict.fromkeys(w for _, w, _ in candidates[:3])))
            )
            return self._result(requirement, Status.UNMET, reason, detail=detail)
        self.used.add(best.ref)
        if grade == 1:
            return self._result(
                requirement,
                Status.INDETERMINATE,
                Message("Cannot be confirmed: %(why)s.", why=why),
                [best.ref],
                detail=as_clause(why),
            )
        return self._result(
            requirement,
            Status.MET,
            Message("Met by %(credential)s.", credential=best.label),
            [best.ref],
        )

    def _choose(
        self, requirement: ChooseRequirement, not_before: datetime | None
    ) -> RequirementResult:
        before = set(self.used)
        children = [self.requirement(option, not_before) for option in requirement.of]
        met = [c for c in children if c.status is Status.MET]
        maybe = [c for c in children if c.status is Status.INDETERMINATE]
        needed = requirement.n
        detail: str | None = None
        if len(met) >= needed:
            status, chosen = Status.MET, met[:needed]
            reason = Message(
                "Met: %(options)s (%(needed)s of %(needed)s needed).",
                options=", ".join(c.name for c in chosen),
                needed=needed,
            )
        elif len(met) + len(maybe) >= needed:
            status, chosen = Status.INDETERMINATE, met + maybe[: needed - len(met)]
            reason = Message(
                "%(met)s of the %(needed)s needed are met; %(options)s cannot be confirmed.",
                met=len(met),
                needed=needed,
                options=", ".join(c.name for c in chosen if c.status is not Status.MET),
            )
        else:
            status, chosen = Status.UNMET, met + maybe
            reason, detail = _not_met(
                Message(
                    "%(have)s of the %(needed)s needed (%(options)s)",
                    have=len(chosen),
                    needed=needed,
                    options=", ".join(c.name for c in chosen) or Message("none"),
                )
            )
        # Only the options chosen keep their credentials; the others are free again.
        self.used = before | {ref for c in chosen for ref in c.used}
        used = [ref for c in chosen for ref in c.used]
        return self._result(requirement, status, reason, used, children, detail=detail)

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
        reason = (
            Message("Not all met: %(parts)s.", parts=", ".join(missing))
            if missing
            else Message("Met: every part is met.")
        )
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
        detail: str | None = None
        if nested.status is Status.MET:
            reason = Message("Met by its own requirements (%(rule)s).", rule=requirement.rule.name)
        elif nested.status is Status.INDETERMINATE:
            reason = Message("Its own requirements cannot all be confirmed.")
        else:
            reason, detail = _not_met(
                Message("there is no credential for it, and its own requirements are not all met")
            )
        return self._result(
            requirement, nested.status, reason, nested.used, nested.requirements, detail=detail
        )


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
    requirement_id: str,
    name: str,
    status: Status,
    reason: str,
    *,
    detail: str | None = None,
) -> RequirementResult:
    return RequirementResult(
        id=requirement_id,
        type=requirement_id,
        name=name,
        description=name,
        status=status,
        reason=reason,
        detail=detail,
    )


def _span(evaluation: StackEvaluation, components: Sequence[ComponentEvidence]) -> str:
    used = set(evaluation.used)
    dates = sorted(c.issued for c in components if c.ref in used and c.issued is not None)
    if not dates:
        return Message("no issue dates")
    # ISO dates, as the JSON report has always given them (data, not the reader's format).
    return Message(
        "issued from %(first)s to %(last)s",
        first=dates[0].strftime("%Y-%m-%d"),
        last=dates[-1].strftime("%Y-%m-%d"),
    )


def _not_met(why: str) -> tuple[Message, str]:
    """An unmet requirement's reason, and its :attr:`RequirementResult.detail`."""
    return Message("Not met: %(why)s.", why=why), as_clause(why)


def _met_alone() -> Message:
    return Message("Met (taken alone).")


def _until_the_rest() -> Message:
    return Message("Cannot be met until the requirements above are.")


def _window(
    window: Window, status: Status, reason: str, detail: str | None = None
) -> RequirementResult:
    """The rule's ``within`` constraint, judged."""
    name = Message("All within %(window)s", window=window.words())
    return _constraint("within", name, status, reason, detail=detail)


def _order(status: Status, reason: str, detail: str | None = None) -> RequirementResult:
    """The rule's ``order`` constraint, judged."""
    return _constraint("order", Message("In the order listed"), status, reason, detail=detail)


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
                extra.append(_window(rule.within, Status.MET, _met_alone()))
            else:
                extra.append(
                    _window(
                        rule.within,
                        Status.UNMET,
                        *_not_met(
                            Message(
                                "the credentials that meet the requirements were %(span)s; no "
                                "set of them within %(window)s meets the rule",
                                span=_span(free, components),
                                window=rule.within.words(),
                            )
                        ),
                    )
                )
        if rule.order:
            extra.append(
                _order(Status.MET, _met_alone())
                if order_ok and not window_ok
                else _order(
                    Status.UNMET,
                    *_not_met(
                        Message(
                            "the credentials were not earned in the order the rule lists the "
                            "requirements"
                        )
                    ),
                )
            )
    else:
        met_or_maybe = full.status is not Status.UNMET
        if rule.within is not None:
            extra.append(
                _window(
                    rule.within,
                    Status.MET,
                    Message(
                        "Met: the credentials used were %(span)s.", span=_span(full, components)
                    ),
                )
                if met_or_maybe
                else _window(rule.within, Status.UNMET, _until_the_rest())
            )
        if rule.order:
            extra.append(
                _order(
                    Status.MET,
                    Message(
                        "Met: each requirement's credentials were issued after the previous one's."
                    ),
                )
                if met_or_maybe
                else _order(Status.UNMET, _until_the_rest())
            )
    requirements = (*shown.requirements, *extra)
    status = _BY_GRADE[min(_GRADE[r.status] for r in requirements)]
    if _GRADE[full.status] < _GRADE[status]:
        status = full.status
    return replace(shown, status=status, requirements=requirements)
