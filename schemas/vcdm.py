"""The W3C VC Data Model rules, for credentials that are not Open Badges.

The Open Badges JSON Schema describes an OpenBadgeCredential; a plain VC (a teaching licence a
registrar issues through the VC-API, a VC-JWT from a wallet) is judged by the data model it
claims instead: VC 2.0 when ``@context[0]`` is the v2 context, VC 1.1 when it is the v1 one. The
checks are written here from the specification (§4 of VC DM 2.0, §4 of VC DM 1.1), not copied
from W3C's JSON Schema: ``@context`` first, ``type`` with ``VerifiableCredential``, an
``issuer`` that is a URL (or an object with one), ``credentialSubject`` objects, well-formed
dates (and VC 1.1's required ``issuanceDate``), and a ``type`` on every ``credentialStatus``,
``credentialSchema``, ``evidence``, ``termsOfUse`` and ``refreshService`` object.

Issues come back as :class:`schemas.validation.SchemaIssue` (path + sentence), as the OB
schema's do, so the verifier's ``schema`` check reports either profile the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from schemas.dates import is_xsd_datetime
from schemas.json_values import as_list
from schemas.validation import SchemaIssue, json_kind
from schemas.vocabulary import VC2_CONTEXT, VC11_CONTEXT

__all__ = [
    "TYPED_MEMBERS",
    "VC11_PROFILE",
    "VC2_PROFILE",
    "data_model_profile",
    "is_url",
    "typed_member_issues",
    "validate_data_model",
]

#: The ``schema_id`` of issues found by these rules (the specifications they come from).
VC2_PROFILE = "https://www.w3.org/TR/vc-data-model-2.0/"
VC11_PROFILE = "https://www.w3.org/TR/vc-data-model-1.1/"

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
#: Members whose objects must carry a ``type`` (VC DM 2.0 §4.5 and the sections of each).
TYPED_MEMBERS = ("credentialStatus", "credentialSchema", "evidence", "termsOfUse", "refreshService")


def data_model_profile(document: Mapping[str, Any]) -> str:
    """:data:`VC11_PROFILE` for a VC 1.1 document (by ``@context[0]``), else VC 2.0's."""
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return VC11_PROFILE if first == VC11_CONTEXT else VC2_PROFILE


def is_url(value: Any) -> bool:
    """Whether ``value`` is an absolute URI (a URL, URN or DID): a scheme, a colon, no spaces."""
    return isinstance(value, str) and _URL.match(value) is not None


def _context_rules(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    context = document.get("@context")
    if not isinstance(context, list) or not context:
        yield "$['@context']", "must be an ordered array whose first item is the base context"
        return
    if context[0] not in (VC2_CONTEXT, VC11_CONTEXT):
        yield "$['@context'][0]", f"must be {VC2_CONTEXT} (or {VC11_CONTEXT} for VC 1.1)"
    for index, item in enumerate(context[1:], start=1):
        if not isinstance(item, str | dict):
            yield f"$['@context'][{index}]", f"must be a URL or an object, not {json_kind(item)}"


def _type_rules(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    types = document.get("type")
    if types is None:
        yield "$.type", "is required"
    elif "VerifiableCredential" not in as_list(types):
        yield "$.type", 'must include "VerifiableCredential"'
    elif not all(isinstance(t, str) and t for t in as_list(types)):
        yield "$.type", "must hold only non-empty strings"


def _issuer_rules(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    issuer = document.get("issuer")
    if issuer is None:
        yield "$.issuer", "is required"
    elif isinstance(issuer, Mapping):
        if not is_url(issuer.get("id")):
            yield "$.issuer.id", "is required when issuer is an object, and must be a URL"
    elif not is_url(issuer):
        yield "$.issuer", f"must be a URL or an object with an id, not {json_kind(issuer)}"


def _subject_rules(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    subject = document.get("credentialSubject")
    if subject is None:
        yield "$.credentialSubject", "is required"
        return
    subjects = as_list(subject)
    if not subjects:
        yield "$.credentialSubject", "must be an object or a non-empty array of objects"
    for index, item in enumerate(subjects):
        where = "$.credentialSubject" + (f"[{index}]" if isinstance(subject, list) else "")
        if not isinstance(item, Mapping) or not item:
            yield where, "must be an object that makes at least one claim"
        elif "id" in item and not is_url(item["id"]):
            yield f"{where}.id", "must be a URL"


def _date_rules(document: Mapping[str, Any], profile: str) -> Iterator[tuple[str, str]]:
    names: tuple[str, ...] = ("validFrom", "validUntil")
    if profile == VC11_PROFILE:
        names = ("issuanceDate", "expirationDate", *names)
        if "issuanceDate" not in document:
            yield "$.issuanceDate", "is required by VC 1.1"
    for name in names:
        if name in document and not is_xsd_datetime(document[name]):
            yield f"$.{name}", "must be an XML Schema dateTime (e.g. 2024-01-31T12:00:00Z)"


def _typed_member_rules(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if "id" in document and not is_url(document["id"]):
        yield "$.id", "must be a URL"
    for issue in typed_member_issues(document):
        yield issue.path, issue.message.removeprefix(issue.path + " ")


def typed_member_issues(document: Mapping[str, Any]) -> list[SchemaIssue]:
    """Every object of :data:`TYPED_MEMBERS` without a ``type`` (and a ``credentialSchema``
    without an ``id`` URL); the issuer refuses such a credential, the verifier fails it."""
    profile = data_model_profile(document)
    found: list[SchemaIssue] = []

    def issue(path: str, text: str) -> None:
        found.append(SchemaIssue(path, f"{path} {text}", profile))

    for member in TYPED_MEMBERS:
        if member not in document:
            continue
        value = document[member]
        if value == [] or value is None:
            issue(f"$.{member}", "must be an object or a non-empty array of objects")
        for index, item in enumerate(as_list(value)):
            where = f"$.{member}" + (f"[{index}]" if isinstance(value, list) else "")
            if not isinstance(item, Mapping):
                issue(where, f"must be an object, not {json_kind(item)}")
                continue
            kind = item.get("type")
            if not (isinstance(kind, str) and kind.strip()) and not (
                isinstance(kind, list) and kind and all(isinstance(k, str) for k in kind)
            ):
                issue(f"{where}.type", "is required (a string or an array of strings)")
            if member == "credentialSchema" and not is_url(item.get("id")):
                issue(f"{where}.id", "is required and must be the schema's URL")
    return found


def validate_data_model(document: Mapping[str, Any]) -> list[SchemaIssue]:
    """Every way ``document`` breaks the VC data model it claims; empty when it conforms."""
    if not isinstance(document, Mapping):
        return [SchemaIssue("$", "$ must be a JSON object", VC2_PROFILE)]
    profile = data_model_profile(document)
    found: list[SchemaIssue] = []
    for rules in (
        _context_rules(document),
        _type_rules(document),
        _issuer_rules(document),
        _subject_rules(document),
    ):
        found += [SchemaIssue(path, f"{path} {text}", profile) for path, text in rules]
    found += [SchemaIssue(p, f"{p} {t}", profile) for p, t in _date_rules(document, profile)]
    found += [SchemaIssue(p, f"{p} {t}", profile) for p, t in _typed_member_rules(document)]
    return found
