"""The stack rule format: what completes a stack, as a small JSON document (format 1).

A *stack* is an ordinary OB 3.0 Achievement (``achievementType`` ``Certificate`` or
``License``, say) earned by holding other credentials. Its rule is published at the
achievement's ``criteria.id`` and stated in words in ``criteria.narrative``
(:func:`rule_narrative`). Signed credentials carry no terms of ours: a stack credential points
at its rule with OB's own ``criteria.id`` and pins the rule's bytes with VC 2.0's
``relatedResource`` / ``digestSRI`` (:func:`rule_digest`), so it keeps verifying anywhere.

The format, in short (``schemas/STACK_RULES.md`` has the whole of it, with the New Mexico
examples; :func:`stack_rule_json_schema` is its JSON Schema)::

    {"type": "StackRule", "format": 1,
     "id": <the rule's URL, the stack achievement's criteria.id>,
     "achievement": <the stack achievement's id>, "version": <n>, "name": "...",
     "requirements": [<requirement>, ...],      # all of them must be met
     "within": {"years": 3} | null,             # every component used, within this period
     "order": false}                            # true: requirements met in the listed order

    requirement :=
      {"type": "component", "id", "name", "achievement": [ids] | "anyVersionOf": [base ids]
        | "achievementType": [types], "issuers": [{"id", "name"}] | null,
        "minResult": {"resultType": "Percent", "value": "85"} | null}
      {"type": "choose", "id", "name", "n": 2, "of": [requirement, ...]}
      {"type": "all", "id", "name", "of": [requirement, ...]}
      {"type": "stack", "id", "name", "achievement"/"anyVersionOf": [...], "issuers": ...,
        "rule": <an embedded StackRule> | null}

This module is the format only — models, validation, words, digest — with no I/O, so the
issuer (which serves rules) and the verifier (which reads them) share one definition. The
evaluation over credentials is :mod:`schemas.stack_eval`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from microcred.messages import Message, plural_message

__all__ = [
    "FORMAT_VERSION",
    "MAX_DESCRIPTION",
    "RULE_MEDIA_TYPE",
    "AcceptedIssuer",
    "AllRequirement",
    "ChooseRequirement",
    "ComponentRequirement",
    "MinResult",
    "Requirement",
    "RuleError",
    "StackRequirement",
    "StackRule",
    "Window",
    "canonical_rule_bytes",
    "digest_matches",
    "parse_rule",
    "requirement_words",
    "rule_digest",
    "rule_narrative",
    "stack_rule_json_schema",
]

#: The format this module reads and writes; a rule with another ``format`` is refused.
FORMAT_VERSION: Final = 1
#: What a rule is served as.
RULE_MEDIA_TYPE = "application/json"
#: Nesting limit for groups and embedded rules (a rule is a small document, not a program).
MAX_DEPTH = 6
#: Most requirements in one rule, counted through every group.
MAX_REQUIREMENTS = 200
#: Longest rule description, in characters (the issuer's stack form holds it to the same).
MAX_DESCRIPTION = 5000
#: Digits a result value may have, and its exponent's bound either way: a percent or a score
#: needs a few; ``1e999999999`` would overflow and ``1e999999`` would be written out in full.
_MAX_RESULT_DIGITS = 30
_SRI = re.compile(r"^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$")
_DIGESTS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


class RuleError(ValueError):
    """A document is not a stack rule of a format we read; the message says why."""


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
RequirementId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Uri = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2048)]


def _decimal_text(value: Any) -> Any:
    """A number as exact decimal text (JSON numbers accepted; OB's own values are strings)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        digits = len(number.as_tuple().digits)
        if digits > _MAX_RESULT_DIGITS or abs(number.adjusted()) > _MAX_RESULT_DIGITS:
            raise ValueError(f"{str(value)[:40]!r} has more digits than a result value needs")
        return format(number.normalize(), "f")
    return value


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _type_required(schema: JsonDict) -> None:
    """Requirements are a union told apart by ``type``, so a requirement without one is
    refused: its JSON Schema says so (the default only names the kind, for the reader)."""
    required = schema.get("required")
    schema["required"] = ["type", *(required if isinstance(required, list) else [])]


class _Requirement(_Part):
    model_config = ConfigDict(json_schema_extra=_type_required)


class MinResult(_Part):
    """The least result a component must show: every result of ``resultType`` (its
    ``result[]`` entries joined to the achievement's ``resultDescription`` by id) must be at
    least ``value``. New Mexico's "85% or higher on each mastery component" is
    ``{"resultType": "Percent", "value": "85"}``."""

    resultType: Text
    value: Annotated[str, BeforeValidator(_decimal_text)]


class AcceptedIssuer(_Part):
    """An issuer a requirement accepts: its id (a DID or URL, as in ``issuer.id``) and a name
    for people. A bare string is read as ``{"id": string}``."""

    id: Uri
    name: Text | None = None


def _issuers(value: Any) -> Any:
    if isinstance(value, list):
        return [{"id": v} if isinstance(v, str) else v for v in value]
    return value


Issuers = Annotated[list[AcceptedIssuer] | None, BeforeValidator(_issuers)]


class _Matcher(_Part):
    """How a requirement recognises the credentials that may meet it."""

    #: Exact achievement ids accepted (e.g. each version listed).
    achievement: list[Uri] | None = Field(default=None, max_length=100)
    #: Base ids: ``base`` itself and ``base/v<digits>`` (how microcred versions achievements).
    anyVersionOf: list[Uri] | None = Field(default=None, max_length=100)
    #: OB ``achievementType`` values accepted, for components that are not micro-credentials
    #: (a ``MasterDegree`` from a university) and are recognised by kind, not by id.
    achievementType: list[Text] | None = Field(default=None, max_length=20)
    #: Issuers accepted; ``null``: any issuer the evaluator trusts (its trust lists). Never
    #: empty: no credential could meet the requirement (and its words had no issuer to name).
    issuers: Issuers = Field(default=None, min_length=1, max_length=100)

    def matches_achievement(self, achievement_id: str | None, achievement_type: str | None) -> bool:
        """Does a credential for ``achievement_id`` (of ``achievement_type``) fit this?"""
        if achievement_id is not None:
            if self.achievement and achievement_id in self.achievement:
                return True
            for base in self.anyVersionOf or ():
                base = base.rstrip("/")
                if achievement_id == base or re.fullmatch(
                    re.escape(base) + r"/v[0-9]{1,6}", achievement_id
                ):
                    return True
        return bool(self.achievementType and achievement_type in self.achievementType)

    def accepts_issuer(self, issuer_id: str | None) -> bool | None:
        """True/False against the list; ``None`` when the rule leaves it to trust lists."""
        if self.issuers is None:
            return None
        return issuer_id is not None and issuer_id in {i.id for i in self.issuers}


class ComponentRequirement(_Matcher, _Requirement):
    """One credential: a micro-credential by achievement id, or another kind by type."""

    type: Literal["component"] = "component"
    id: RequirementId
    name: Text
    minResult: MinResult | None = None

    @model_validator(mode="after")
    def _recognisable(self) -> ComponentRequirement:
        if not (self.achievement or self.anyVersionOf or self.achievementType):
            raise ValueError(
                f"requirement {self.id!r} needs achievement, anyVersionOf or achievementType"
            )
        return self


class StackRequirement(_Matcher, _Requirement):
    """A nested stack: met by a credential for it, or by its own ``rule`` (embedded, so one
    digest covers the whole tree) met with the same components."""

    type: Literal["stack"] = "stack"
    id: RequirementId
    name: Text
    rule: StackRule | None = None

    @model_validator(mode="after")
    def _recognisable(self) -> StackRequirement:
        if not (self.achievement or self.anyVersionOf or self.achievementType or self.rule):
            raise ValueError(f"stack requirement {self.id!r} needs an achievement or a rule")
        return self


class ChooseRequirement(_Requirement):
    """``n`` of the listed requirements (electives)."""

    type: Literal["choose"] = "choose"
    id: RequirementId
    name: Text
    n: int = Field(ge=1, le=MAX_REQUIREMENTS)
    of: list[Requirement] = Field(min_length=1, max_length=MAX_REQUIREMENTS)

    @model_validator(mode="after")
    def _enough(self) -> ChooseRequirement:
        if self.n > len(self.of):
            raise ValueError(f"requirement {self.id!r} chooses {self.n} of only {len(self.of)}")
        return self


class AllRequirement(_Requirement):
    """Every listed requirement (a group inside a ``choose``)."""

    type: Literal["all"] = "all"
    id: RequirementId
    name: Text
    of: list[Requirement] = Field(min_length=1, max_length=MAX_REQUIREMENTS)


Requirement = Annotated[
    ComponentRequirement | ChooseRequirement | AllRequirement | StackRequirement,
    Field(discriminator="type"),
]


class Window(_Part):
    """A period: every component used must be issued within it (counted back from the newest
    one used). ``{"years": 3}`` is "within three years"."""

    years: int = Field(default=0, ge=0, le=100)
    months: int = Field(default=0, ge=0, le=1200)
    days: int = Field(default=0, ge=0, le=36500)

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if not (self.years or self.months or self.days):
            raise ValueError("a window needs years, months or days")
        return self

    def words(self) -> Message:
        """The window in words ("3 years and 6 months"): a message, so a page can say it in its
        reader's language."""
        parts = []
        if self.years:
            parts.append(plural_message("%(n)s year", "%(n)s years", self.years))
        if self.months:
            parts.append(plural_message("%(n)s month", "%(n)s months", self.months))
        if self.days:
            parts.append(plural_message("%(n)s day", "%(n)s days", self.days))
        words = parts[0]
        for part in parts[1:]:
            words = Message("%(before)s and %(after)s", before=words, after=part)
        return words


class StackRule(_Part):
    """A stack's rule (format 1). Every top-level requirement must be met."""

    type: Literal["StackRule"] = "StackRule"
    format: Literal[1] = FORMAT_VERSION
    #: Where the rule is published: the stack achievement's ``criteria.id``.
    id: Uri
    #: The stack achievement (version) the rule belongs to.
    achievement: Uri
    #: The stack's version; a changed rule is a new version (rules are immutable once used).
    version: int = Field(ge=1)
    name: Text
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] | None = None
    requirements: list[Requirement] = Field(min_length=1, max_length=MAX_REQUIREMENTS)
    within: Window | None = None
    order: bool = False

    @model_validator(mode="after")
    def _ids_unique(self) -> StackRule:
        seen: set[str] = set()
        count = 0

        def walk(items: list[Any], depth: int) -> None:
            nonlocal count
            if depth > MAX_DEPTH:
                raise ValueError(f"requirements are nested more than {MAX_DEPTH} deep")
            for item in items:
                count += 1
                if item.id in seen:
                    raise ValueError(f"two requirements have the id {item.id!r}")
                seen.add(item.id)
                if isinstance(item, ChooseRequirement | AllRequirement):
                    walk(item.of, depth + 1)
                elif isinstance(item, StackRequirement) and item.rule is not None:
                    walk(item.rule.requirements, depth + 1)

        walk(self.requirements, 1)
        if count > MAX_REQUIREMENTS:
            raise ValueError(f"a rule holds at most {MAX_REQUIREMENTS} requirements")
        return self

    @field_validator("id", "achievement")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9+.-]*:", value):
            raise ValueError("must be an absolute URI")
        return value

    def to_json(self) -> dict[str, Any]:
        """The rule as published: members that say nothing (``null``) left out, and in each
        object ``type``, ``id`` and ``name`` first, for people reading it."""
        dumped: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        readable: dict[str, Any] = _readable(dumped)
        return readable


def _readable(value: Any) -> Any:
    if isinstance(value, dict):
        first = [k for k in ("type", "format", "id", "name") if k in value]
        return {k: _readable(value[k]) for k in [*first, *(k for k in value if k not in first)]}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    return value


StackRequirement.model_rebuild()
ChooseRequirement.model_rebuild()
AllRequirement.model_rebuild()


# --------------------------------------------------------------------------- reading


def parse_rule(document: Any) -> StackRule:
    """A rule from parsed JSON (or JSON text/bytes); :class:`RuleError` if it is not one."""
    if isinstance(document, bytes | str):
        try:
            document = json.loads(document)
        except (ValueError, RecursionError) as error:
            raise RuleError(f"the rule is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise RuleError("the rule is not a JSON object")
    if document.get("type") != "StackRule":
        raise RuleError(f"not a stack rule (type is {document.get('type')!r}, not 'StackRule')")
    if document.get("format") not in (None, FORMAT_VERSION):
        raise RuleError(
            f"stack rule format {document.get('format')!r} is not one this version reads "
            f"({FORMAT_VERSION})"
        )
    try:
        return StackRule.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "rule"
        raise RuleError(
            f"not a valid stack rule: {where}: {first['msg'].removeprefix('Value error, ')}"
        ) from None


def stack_rule_json_schema() -> dict[str, Any]:
    """The JSON Schema of format 1 (what ``schemas/stack_rule_v1.schema.json`` holds).

    It describes rules as published: :func:`parse_rule` also reads an issuer given as a bare
    id string, and publishes it as ``{"id": ...}``.
    """
    schema = StackRule.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://microcred.example/schemas/stack_rule_v1.json",
        **schema,
        "title": "microcred stack rule, format 1",
    }


# --------------------------------------------------------------------------- digest


def canonical_rule_bytes(rule: StackRule | dict[str, Any]) -> bytes:
    """The bytes a rule is served as and digested over: sorted keys, no whitespace, UTF-8
    (the JSON Canonicalization Scheme's shape for documents of strings, integers and booleans,
    which is all a rule holds: result values are decimal *strings*)."""
    document = rule.to_json() if isinstance(rule, StackRule) else rule
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def rule_digest(rule: StackRule | dict[str, Any] | bytes, algorithm: str = "sha384") -> str:
    """A Subresource Integrity string (``sha384-<base64>``) over the rule's canonical bytes,
    as a stack credential's ``relatedResource[].digestSRI`` carries it."""
    data = rule if isinstance(rule, bytes) else canonical_rule_bytes(rule)
    digest = _DIGESTS[algorithm](data).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def digest_matches(sri: str, raw: bytes) -> bool | None:
    """Does ``raw`` (a fetched or given rule document) match the SRI string ``sri``?

    Compared over the bytes as they are, and over the canonical form of their JSON content (so
    a pretty-printed copy of the same rule still matches). ``None`` if ``sri`` is not a digest
    we can compute (then nothing can be concluded).
    """
    match = _SRI.match(sri.strip())
    if match is None:
        return None
    algorithm, expected = match.groups()
    candidates = [raw]
    with contextlib.suppress(ValueError, RecursionError):
        candidates.append(canonical_rule_bytes(json.loads(raw)))
    return any(rule_digest(c, algorithm) == f"{algorithm}-{expected}" for c in candidates)


# --------------------------------------------------------------------------- words


def _issuer_words(matcher: _Matcher) -> str:
    if matcher.issuers is None:
        return "from any issuer the checking office trusts (on its trust lists)"
    names = [i.name or i.id for i in matcher.issuers]
    if len(names) == 1:
        return f"from {names[0]}"
    return "from " + ", ".join(names[:-1]) + " or " + names[-1]


def _min_result_words(minimum: MinResult) -> str:
    if minimum.resultType == "Percent":
        return f"{minimum.value}% or higher on each mastery component"
    return f"at least {minimum.value} on each {minimum.resultType} result"


def requirement_words(requirement: Requirement) -> str:
    """One requirement in a sentence a licensure clerk can check against."""
    if isinstance(requirement, ComponentRequirement):
        text = requirement.name
        if requirement.achievementType and not (
            requirement.achievement or requirement.anyVersionOf
        ):
            text += f" (a {' or '.join(requirement.achievementType)} credential)"
        text += f", {_issuer_words(requirement)}"
        if requirement.minResult is not None:
            text += f", with {_min_result_words(requirement.minResult)}"
        return text
    if isinstance(requirement, ChooseRequirement):
        options = "; ".join(requirement_words(o) for o in requirement.of)
        return f"{requirement.name}: any {requirement.n} of {len(requirement.of)} ({options})"
    if isinstance(requirement, AllRequirement):
        parts = "; ".join(requirement_words(o) for o in requirement.of)
        return f"{requirement.name}: all of ({parts})"
    text = f"{requirement.name} (a stack)"
    if requirement.rule is not None:
        inner = "; ".join(requirement_words(r) for r in requirement.rule.requirements)
        text += f", or all of its own requirements ({inner})"
    return text


def rule_narrative(rule: StackRule) -> str:
    """The rule in words (Markdown), for the stack achievement's ``criteria.narrative``."""
    lines = [f"{rule.name} is awarded automatically to an educator who holds all of:", ""]
    for requirement in rule.requirements:
        if isinstance(requirement, ChooseRequirement):
            lines.append(
                f"- {requirement.name}: any {requirement.n} of the following {len(requirement.of)}:"
            )
            lines.extend(f"  - {requirement_words(o)}" for o in requirement.of)
        else:
            lines.append(f"- {requirement_words(requirement)}")
    lines.append("")
    if rule.within is not None:
        lines.append(f"Every credential counted must be issued within {rule.within.words()}.")
    if rule.order:
        lines.append("The requirements must be met in the order listed.")
    lines.append(
        "Every credential counted must be valid (not revoked, suspended or expired) and issued "
        "to the same educator; each counts toward one requirement only. The machine-readable "
        f"rule (format {rule.format}, version {rule.version}) is published at {rule.id}."
    )
    if rule.description:
        lines.extend(["", rule.description])
    return "\n".join(lines)
