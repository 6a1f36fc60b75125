"""An award's score and rubric level, checked against the achievement's pass rule.

Earning a micro-credential is up-or-down (the New Mexico rule: 85% or higher on the mastery
component), so a failing score is refused before anything is signed; the rubric level is
shared with the earner as ``achievedLevel`` (domain notes: rubric scores should be shared).

Which result description is which:

* the *score* is reported against the first result description that is not a rubric-level or
  status one (``Percent``, ``RawScore``, ``LetterGrade``, ...);
* the *rubric level* against the first one that lists ``rubricCriterionLevel`` entries.

Ordering conventions for pass rules on non-numeric values (OB does not define one): rubric
levels and ``allowedValue`` are listed **best first**, so ``requiredLevel``/``requiredValue``
is met by that entry and every one listed before it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from issuer.services.catalog import NUMERIC_RESULT_TYPES
from issuer.services.errors import InvalidInput

__all__ = ["results_for"]

_NOT_SCORED = frozenset({"RubricCriterionLevel", "Status"})


def _score_description(descriptions: list[dict[str, Any]]) -> dict[str, Any] | None:
    for rd in descriptions:
        if rd.get("resultType") not in _NOT_SCORED and not rd.get("rubricCriterionLevel"):
            return rd
    return None


def _level_description(descriptions: list[dict[str, Any]]) -> dict[str, Any] | None:
    for rd in descriptions:
        if rd.get("rubricCriterionLevel"):
            return rd
    return None


def _name(achievement: dict[str, Any]) -> str:
    return f"{achievement.get('name')!r} (version {achievement.get('version')})"


def _check_numeric(score: str, rd: dict[str, Any], achievement: dict[str, Any]) -> str:
    try:
        value = Decimal(score)
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput(("score",), f"{score!r} is not a number ({rd['resultType']})")
    low, high = rd.get("valueMin"), rd.get("valueMax")
    if low is not None and value < Decimal(low) or high is not None and value > Decimal(high):
        raise InvalidInput(("score",), f"score {score} is outside {low or '-∞'}..{high or '∞'}")
    required = rd.get("requiredValue")
    if required is not None and value < Decimal(required):
        raise InvalidInput(
            ("score",),
            f"score {score} is below the pass mark of {required} ({rd['resultType']}) for "
            f"{_name(achievement)}: the award is refused",
        )
    return format(value.normalize(), "f") if value == value.to_integral() else score


def _check_allowed(score: str, rd: dict[str, Any], achievement: dict[str, Any]) -> str:
    allowed: list[str] = rd.get("allowedValue") or []
    if allowed and score not in allowed:
        raise InvalidInput(("score",), f"score {score!r} is not one of {', '.join(allowed)}")
    required = rd.get("requiredValue")
    if required is not None and allowed and allowed.index(score) > allowed.index(required):
        raise InvalidInput(
            ("score",),
            f"score {score!r} does not meet the required {required!r} for {_name(achievement)}",
        )
    return score


def _level(level: str, rd: dict[str, Any], achievement: dict[str, Any]) -> str:
    levels: list[dict[str, Any]] = rd["rubricCriterionLevel"]
    wanted = level.strip().lower()
    for index, entry in enumerate(levels):
        names = {entry["id"].lower(), entry["id"].rsplit("-level-", 1)[-1], entry["name"].lower()}
        if wanted in names:
            required = rd.get("requiredLevel")
            if required is not None:
                needed = next(i for i, e in enumerate(levels) if e["id"] == required)
                if index > needed:
                    raise InvalidInput(
                        ("rubric_level",),
                        f"rubric level {entry['name']!r} is below the required "
                        f"{levels[needed]['name']!r} for {_name(achievement)}",
                    )
            return entry["id"]
    choices = ", ".join(e["name"] for e in levels)
    message = f"{level!r} is not a rubric level of this achievement ({choices})"
    raise InvalidInput(("rubric_level",), message)


def results_for(
    achievement: dict[str, Any], *, score: str | None, rubric_level: str | None
) -> list[dict[str, Any]]:
    """The OB ``result`` entries for an award; :class:`InvalidInput` if the pass rule fails."""
    descriptions: list[dict[str, Any]] = achievement.get("resultDescription") or []
    results: list[dict[str, Any]] = []
    scored = _score_description(descriptions)
    if score is not None:
        if scored is None:
            raise InvalidInput(("score",), f"{_name(achievement)} has no scored result; omit it")
        if scored["resultType"] in NUMERIC_RESULT_TYPES:
            value = _check_numeric(score, scored, achievement)
        else:
            value = _check_allowed(score, scored, achievement)
        results.append({"type": ["Result"], "resultDescription": scored["id"], "value": value})
    elif scored is not None and scored.get("requiredValue") is not None:
        raise InvalidInput(
            ("score",),
            f"a score is required: {_name(achievement)} is earned with "
            f"{scored['requiredValue']} or more ({scored['resultType']})",
        )
    leveled = _level_description(descriptions)
    if rubric_level is not None:
        if leveled is None:
            raise InvalidInput(("rubric_level",), f"{_name(achievement)} has no rubric levels")
        level_id = _level(rubric_level, leveled, achievement)
        results.append(
            {"type": ["Result"], "resultDescription": leveled["id"], "achievedLevel": level_id}
        )
    elif leveled is not None and leveled.get("requiredLevel") is not None:
        raise InvalidInput(("rubric_level",), f"a rubric level is required by {_name(achievement)}")
    return results
