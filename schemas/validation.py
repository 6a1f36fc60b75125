"""Schema validation of OB 3.0 documents: our own JSON Schemas plus the rules they cannot hold.

The JSON Schemas in ``schemas/jsonschema/`` are microcred's, written from the OB 3.0 data model;
each carries the ``$id`` of the official schema it stands in for, so a credential's
``credentialSchema`` entry resolves to it without a network fetch. Issues come back as data
(path + English sentence), never as exceptions: a verifier reports every flaw it finds.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from schemas.errors import SchemaNotBundled
from schemas.json_values import type_names
from schemas.vocabulary import (
    EXTENSION_VALUE,
    OB_ACHIEVEMENT_SCHEMA_ID,
    OB_ENDORSEMENT_SCHEMA_ID,
    OB_PROFILE_SCHEMA_ID,
    OB_SCHEMA_BASE,
    VC11_CONTEXT,
)

__all__ = [
    "BUNDLED_SCHEMA_IDS",
    "FORMAT_CHECKER",
    "OB_ACHIEVEMENT_V1_SCHEMA_ID",
    "OB_ENDORSEMENT_V1_SCHEMA_ID",
    "SchemaIssue",
    "bundled_schema",
    "json_kind",
    "json_path",
    "schema_id_for",
    "validate_credential",
]


@dataclass(frozen=True)
class SchemaIssue:
    """One way a document fails its schema."""

    path: str  # JSONPath-like, e.g. "$.credentialSubject.achievement.criteria"
    message: str  # an English sentence that names the path
    schema_id: str  # $id of the schema that was applied


# --------------------------------------------------------------------------- bundled schemas

#: Our VC 1.1 variants. There is no official id for them; see the files' $comment.
OB_ACHIEVEMENT_V1_SCHEMA_ID = OB_SCHEMA_BASE + "ob_v3p0_achievementcredential_v1_schema.json"
OB_ENDORSEMENT_V1_SCHEMA_ID = OB_SCHEMA_BASE + "ob_v3p0_endorsementcredential_v1_schema.json"

_FILES = {
    OB_ACHIEVEMENT_SCHEMA_ID: "ob_v3p0_achievementcredential_schema.json",
    OB_ENDORSEMENT_SCHEMA_ID: "ob_v3p0_endorsementcredential_schema.json",
    OB_PROFILE_SCHEMA_ID: "ob_v3p0_profile_schema.json",
    OB_ACHIEVEMENT_V1_SCHEMA_ID: "ob_v3p0_achievementcredential_v1_schema.json",
    OB_ENDORSEMENT_V1_SCHEMA_ID: "ob_v3p0_endorsementcredential_v1_schema.json",
}
#: A VC 1.1 document named by the official id is checked with our VC 1.1 variant: the official
#: id means "OB 3.0 conformance", and pre-2024 OB 3.0 credentials (VC 1.1) carry it too.
_VC1_VARIANT = {
    OB_ACHIEVEMENT_SCHEMA_ID: OB_ACHIEVEMENT_V1_SCHEMA_ID,
    OB_ENDORSEMENT_SCHEMA_ID: OB_ENDORSEMENT_V1_SCHEMA_ID,
}


def _aliases() -> dict[str, str]:
    """Every id we answer for → our schema's $id.

    Besides ``…/schema/json/…`` (the id OB tells issuers to use) 1EdTech publishes a
    ``…/schema/json-ld/…`` variant (tolerant of JSON-LD compaction) and its gh-pages copies
    carry ``…-jsonschema1.json`` ids. All of them describe the same class.
    """
    aliases = {schema_id: schema_id for schema_id in _FILES}
    json_ld_base = OB_SCHEMA_BASE.replace("/schema/json/", "/schema/json-ld/")
    for kind, ours in (
        ("achievementcredential", OB_ACHIEVEMENT_SCHEMA_ID),
        ("endorsementcredential", OB_ENDORSEMENT_SCHEMA_ID),
        ("profile", OB_PROFILE_SCHEMA_ID),
    ):
        aliases[f"{json_ld_base}ob_v3p0_{kind}_schema.json"] = ours
        aliases[f"{OB_SCHEMA_BASE}ob_v3p0_{kind}-jsonschema1.json"] = ours
    return aliases


_ALIASES = _aliases()
#: Every schema id ``bundled_schema`` and ``validate_credential`` accept.
BUNDLED_SCHEMA_IDS: frozenset[str] = frozenset(_ALIASES)


def _resolve(schema_id: str) -> str:
    ours = _ALIASES.get(schema_id.removesuffix("#"))
    if ours is None:
        raise SchemaNotBundled(schema_id)
    return ours


@cache
def _load(our_id: str) -> dict[str, Any]:
    text = resources.files("schemas").joinpath("jsonschema", _FILES[our_id]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def bundled_schema(schema_id: str) -> dict[str, Any]:
    """The JSON Schema we use for ``schema_id`` (a copy: callers may not edit the cache)."""
    return copy.deepcopy(_load(_resolve(schema_id)))


# --------------------------------------------------------------------------- formats

#: jsonschema checks ``date-time`` only with an optional extra installed; we check it ourselves
#: (RFC 3339, which requires the zone) so validation does not depend on the environment.
FORMAT_CHECKER = FormatChecker(formats=())

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$"
)


@FORMAT_CHECKER.checks("date-time")
def _is_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    match = _RFC3339.match(instance)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if second > 60 or (match.group(9) and (int(match.group(9)) > 23 or int(match.group(10)) > 59)):
        return False
    try:  # a leap second (60) is valid RFC 3339; datetime cannot hold it
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return True


@FORMAT_CHECKER.checks("date")
def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", instance) is None:
        return False
    try:
        date.fromisoformat(instance)
    except ValueError:
        return False
    return True


@cache
def _validator(our_id: str) -> Draft202012Validator:
    # Not checked against the meta-schema here: the files are ours, bundled, and
    # tests/schemas/test_validation.py checks each one; doing it again at run time cost every
    # process about a tenth of a second before its first verification (`microcred verify`).
    return Draft202012Validator(_load(our_id), format_checker=FORMAT_CHECKER)


# --------------------------------------------------------------------------- selection


def _is_vc1(document: Mapping[str, Any]) -> bool:
    context = document.get("@context")
    return isinstance(context, list) and bool(context) and context[0] == VC11_CONTEXT


def schema_id_for(document: Mapping[str, Any], schema_id: str | None = None) -> str:
    """The $id of our schema that ``validate_credential`` applies to ``document``."""
    if schema_id is None:
        kind = (
            OB_ENDORSEMENT_SCHEMA_ID
            if "EndorsementCredential" in type_names(document)
            else OB_ACHIEVEMENT_SCHEMA_ID
        )
    else:
        kind = _resolve(schema_id)
    if _is_vc1(document):
        return _VC1_VARIANT.get(kind, kind)
    return kind


# --------------------------------------------------------------------------- issues

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts: Iterable[str | int]) -> str:
    """``$.a.b[0]['@context']`` from a jsonschema error path."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.match(part):
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


def _json_excerpt(value: Any) -> str:
    """The offending value as JSON, cut to 80 characters, for an error message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def json_kind(value: Any) -> str:
    """How a JSON value reads in an error message ("null", "a number", "an array", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _one_of(values: Iterable[Any]) -> str:
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:8])
    return shown + (f" (and {len(values) - 8} more)" if len(values) > 8 else "")


def _vocabulary_message(error: ValidationError) -> str | None:
    """``anyOf: [{enum}, {pattern: ext:…}]`` — OB's extensible vocabularies."""
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    enums = [b["enum"] for b in branches if isinstance(b, dict) and "enum" in b]
    if not enums or not any(isinstance(b, dict) and "pattern" in b for b in branches):
        return None
    return (
        f"is {_json_excerpt(error.instance)}, which is neither one of {_one_of(enums[0])} nor an "
        f"extension value matching {EXTENSION_VALUE.pattern}"
    )


def _issues(error: ValidationError, schema_id: str) -> Iterator[SchemaIssue]:
    path = list(error.absolute_path)
    where = json_path(path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance

    if keyword == "required":
        for name in value if isinstance(value, list) else []:
            if isinstance(instance, dict) and name not in instance:
                missing = json_path([*path, name])
                yield SchemaIssue(missing, f"{missing} is required but missing", schema_id)
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        for name in instance:
            if name not in known:
                extra = json_path([*path, name])
                yield SchemaIssue(extra, f"{extra} is not allowed in this object", schema_id)
        return

    if keyword == "type":
        expected = " or ".join(value) if isinstance(value, list) else value
        detail = f"must be of JSON type {expected}, but it is {json_kind(instance)}"
    elif keyword == "const":
        detail = f"must be {_json_excerpt(value)}, but it is {_json_excerpt(instance)}"
    elif keyword == "enum":
        choices = value if isinstance(value, list) else [value]
        detail = f"must be one of {_one_of(choices)}, but it is {_json_excerpt(instance)}"
    elif keyword == "contains":
        wanted = value.get("const") if isinstance(value, dict) else None
        if wanted is not None:
            detail = f"must include {wanted!r}, but it is {_json_excerpt(instance)}"
        elif isinstance(value, dict) and "enum" in value:
            detail = (
                f"must include one of {_one_of(value['enum'])}, but it is {_json_excerpt(instance)}"
            )
        else:
            detail = f"has no item of the required kind: {_json_excerpt(instance)}"
    elif keyword == "minItems":
        count = len(instance) if isinstance(instance, list) else 0
        detail = f"must have at least {value} item(s), but it has {count}"
    elif keyword == "pattern" and path and path[-1] == "identityHash":
        detail = (
            f"is {_json_excerpt(instance)}, but a hashed identity must be md5$<32 hex digits> or "
            "sha256$<64 hex digits>"
        )
    elif keyword == "pattern":
        detail = f"is {_json_excerpt(instance)}, which does not match {value}"
    elif keyword == "format":
        detail = f"is {_json_excerpt(instance)}, which is not a valid {value}"
        if value == "date-time":
            detail += " (RFC 3339 with a time zone, e.g. 2024-01-31T12:00:00Z)"
    elif keyword in ("anyOf", "oneOf"):
        vocabulary = _vocabulary_message(error)
        if vocabulary is not None:
            detail = vocabulary
        elif error.context:
            yield from _issues(best_match(error.context), schema_id)
            return
        else:
            detail = f"does not match any allowed form: {_json_excerpt(instance)}"
    else:
        detail = error.message
    yield SchemaIssue(where, f"{where} {detail}", schema_id)


def _rule_issues(document: Mapping[str, Any], schema_id: str) -> Iterator[SchemaIssue]:
    """The OB rules a JSON Schema cannot express (or that OB's schema leaves out)."""
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        return
    identifiers = subject.get("identifier")
    if not subject.get("id") and not (isinstance(identifiers, list) and identifiers):
        where = "$.credentialSubject"
        yield SchemaIssue(
            where,
            f"{where} must have an id or at least one identifier (IdentityObject): without "
            "either the recipient cannot be recognised",
            schema_id,
        )
    achievement = subject.get("achievement")
    result_types: dict[str, Any] = {}
    if isinstance(achievement, dict):
        criteria = achievement.get("criteria")
        if isinstance(criteria, dict) and not criteria.get("id") and not criteria.get("narrative"):
            where = "$.credentialSubject.achievement.criteria"
            yield SchemaIssue(
                where,
                f"{where} must have an id (a URL describing the criteria) or a narrative",
                schema_id,
            )
        descriptions = achievement.get("resultDescription")
        for description in descriptions if isinstance(descriptions, list) else []:
            if isinstance(description, dict) and isinstance(description.get("id"), str):
                result_types[description["id"]] = description.get("resultType")
    results = subject.get("result")
    for index, result in enumerate(results if isinstance(results, list) else []):
        if not isinstance(result, dict) or "status" in result:
            continue
        linked = result.get("resultDescription")
        if isinstance(linked, str) and result_types.get(linked) == "Status":
            where = f"$.credentialSubject.result[{index}].status"
            yield SchemaIssue(
                where,
                f"{where} is required because the result's resultDescription {linked!r} has "
                "resultType 'Status'",
                schema_id,
            )


_WITH_SUBJECT_RULES = frozenset({OB_ACHIEVEMENT_SCHEMA_ID, OB_ACHIEVEMENT_V1_SCHEMA_ID})


def validate_credential(
    document: dict[str, Any], *, schema_id: str | None = None
) -> list[SchemaIssue]:
    """Check ``document`` against our schema for it; an empty list means it conforms.

    Without ``schema_id`` the schema follows the document: AchievementCredential or
    EndorsementCredential by ``type``, VC 2.0 or VC 1.1 by ``@context[0]``. With one (e.g. a
    ``credentialSchema`` entry's id) that schema applies — still in its VC 1.1 variant for a
    VC 1.1 document. Raises ``SchemaNotBundled`` for an id we do not carry; nothing is fetched.
    """
    ours = schema_id_for(document if isinstance(document, Mapping) else {}, schema_id)
    if not isinstance(document, Mapping):
        return [SchemaIssue("$", "$ must be a JSON object", ours)]
    found: dict[tuple[str, str], SchemaIssue] = {}
    for error in _validator(ours).iter_errors(document):
        for issue in _issues(error, ours):
            found.setdefault((issue.path, issue.message), issue)
    if ours in _WITH_SUBJECT_RULES:
        for issue in _rule_issues(document, ours):
            found.setdefault((issue.path, issue.message), issue)
    return sorted(found.values(), key=lambda issue: (issue.path, issue.message))
