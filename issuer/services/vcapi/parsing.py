"""VC-API requests, checked: the issue request and the status request, field by field.

:func:`parse_issue_request` checks ``{"credential": ..., "options": ...}``: its shape and every
member the VC data model requires, naming the field in the error (:class:`MalformedRequest`,
HTTP 400; an option we cannot honour is :class:`Unprocessable`, HTTP 422).
:func:`parse_status_request` reads DCC's status request. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from issuer.models import MAX_REASON, StatusAction, StatusPurpose, has_control_characters
from issuer.services.signing import DEFAULT_SUITE
from issuer.services.vcapi.errors import MalformedRequest, Unprocessable
from issuer.urls import Urls
from schemas.dates import is_xsd_datetime, parse_datetime
from schemas.models import VC2_CONTEXT, VC11_CONTEXT
from schemas.related import related_resource_problems
from schemas.validation import json_kind
from schemas.vcdm import is_url, typed_member_issues

__all__ = [
    "CREDENTIAL_PATH",
    "MAX_ID_LENGTH",
    "STATUS_ACTIONS",
    "SUITES",
    "IssueOptions",
    "StatusUpdate",
    "is_own_name",
    "issuer_did_of",
    "parse_issue_request",
    "parse_status_request",
]

#: Where credentials whose id is one of this service's URLs live: ``{base}/vc-api/credentials/x``.
CREDENTIAL_PATH = "/vc-api/credentials/"
#: Proof suites a caller may ask for (``options.cryptosuite`` / ``options.proofType``).
SUITES = (DEFAULT_SUITE, "ecdsa-rdfc-2019", "Ed25519Signature2020")
#: DCC status service's own limit is 64; URLs of real registrars run longer.
MAX_ID_LENGTH = 512
_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
#: The statuses DCC's status service accepts, and what each does here.
STATUS_ACTIONS = {
    "revoked": StatusAction.revoke,
    "suspended": StatusAction.suspend,
    "unsuspended": StatusAction.unsuspend,
}


def is_own_name(name: str) -> bool:
    """Whether ``name`` may end a credential id under :data:`CREDENTIAL_PATH`."""
    return bool(_NAME.match(name))


def _bad(field: str, message: str) -> MalformedRequest:
    return MalformedRequest("invalid_credential", f"{field} {message}", field)


@dataclass(frozen=True)
class IssueOptions:
    """The ``options`` of an issue request that microcred reads (others are ignored)."""

    #: Add status entries (``options.credentialStatus``), whatever the issuer's setting.
    status: bool = False
    #: Which purposes get an entry when status is added.
    purposes: tuple[StatusPurpose, ...] = (StatusPurpose.revocation, StatusPurpose.suspension)
    suite: str = DEFAULT_SUITE
    created: str | None = None


def _check_context(credential: Mapping[str, Any]) -> str:
    if "@context" not in credential:
        raise _bad("credential.@context", "is required")
    context = credential["@context"]
    if not isinstance(context, list) or not context:
        raise _bad(
            "credential.@context",
            f"must be a non-empty array whose first item is {VC2_CONTEXT} or {VC11_CONTEXT}, "
            f"not {json_kind(context) if context != [] else 'an empty array'}",
        )
    for index, item in enumerate(context):
        # Embedded context objects are legal JSON-LD after the base context; nothing else is.
        if not isinstance(item, str) and (index == 0 or not isinstance(item, dict)):
            raise _bad(f"credential.@context[{index}]", f"must be a URL, not {json_kind(item)}")
    if context[0] not in (VC2_CONTEXT, VC11_CONTEXT):
        raise _bad(
            "credential.@context[0]",
            f"must be {VC2_CONTEXT} (VC 2.0) or {VC11_CONTEXT} (VC 1.1), not {context[0]!r}",
        )
    return context[0]


def _check_type(credential: Mapping[str, Any]) -> None:
    if "type" not in credential:
        raise _bad("credential.type", "is required")
    types = credential["type"]
    if not isinstance(types, list) or not types:
        shown = "an empty array" if types == [] else json_kind(types)
        raise _bad(
            "credential.type",
            f'must be an array of strings that includes "VerifiableCredential", not {shown}',
        )
    for index, item in enumerate(types):
        if not isinstance(item, str) or not item.strip():
            raise _bad(
                f"credential.type[{index}]",
                f"must be a non-empty string, not {json_kind(item)}",
            )
    if "VerifiableCredential" not in types:
        raise _bad("credential.type", 'must include "VerifiableCredential"')


def issuer_did_of(credential: Mapping[str, Any]) -> str | None:
    """``credential.issuer`` when it is a string, ``issuer.id`` when it is an object."""
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _check_issuer(credential: Mapping[str, Any]) -> None:
    if "issuer" not in credential:
        raise _bad("credential.issuer", "is required")
    issuer = credential["issuer"]
    if isinstance(issuer, str):
        if not is_url(issuer):
            raise _bad("credential.issuer", f"must be a URL or DID, not {issuer[:100]!r}")
        return
    if isinstance(issuer, dict):
        issuer_id = issuer.get("id")
        if not isinstance(issuer_id, str) or not is_url(issuer_id):
            raise _bad(
                "credential.issuer.id",
                "is required when issuer is an object, and must be a URL or DID"
                + ("" if issuer_id is None else f", not {json_kind(issuer_id)}"),
            )
        return
    raise _bad(
        "credential.issuer",
        f"must be a URL or DID, or an object with an id, not {json_kind(issuer)}",
    )


def _check_subject(credential: Mapping[str, Any]) -> None:
    if "credentialSubject" not in credential:
        raise _bad("credential.credentialSubject", "is required")
    subject = credential["credentialSubject"]
    subjects = subject if isinstance(subject, list) else [subject]
    if isinstance(subject, list) and not subject:
        raise _bad("credential.credentialSubject", "must be an object, not an empty array")
    for index, item in enumerate(subjects):
        where = "credential.credentialSubject" + (f"[{index}]" if isinstance(subject, list) else "")
        if not isinstance(item, dict):
            raise _bad(where, f"must be an object (claims about a subject), not {json_kind(item)}")
        if not item:
            raise _bad(where, "must make at least one claim, not be an empty object")


def _check_dates(credential: Mapping[str, Any], version: str) -> None:
    names = ("issuanceDate", "expirationDate") if version == VC11_CONTEXT else ()
    for name in (*names, "validFrom", "validUntil"):
        if name in credential and not is_xsd_datetime(credential[name]):
            raise _bad(f"credential.{name}", "must be an XML Schema dateTime string")
    start = credential.get("validFrom", credential.get("issuanceDate"))
    end = credential.get("validUntil", credential.get("expirationDate"))
    if isinstance(start, str) and isinstance(end, str):
        begins, ends = parse_datetime(start), parse_datetime(end)
        if begins is not None and ends is not None and ends < begins:
            raise _bad("credential.validUntil", "is before its start of validity")


def _check_typed_members(credential: Mapping[str, Any]) -> None:
    """Each object of ``credentialStatus``, ``termsOfUse``, ``evidence``, ``refreshService`` and
    ``credentialSchema`` has a ``type``; each ``credentialSchema`` also an ``id`` (a URL): the
    verifier's VC Data Model rules (:func:`schemas.vcdm.typed_member_issues`), refused here."""
    issues = typed_member_issues(credential)
    if issues:
        first = issues[0]
        field = "credential" + first.path.removeprefix("$")
        raise _bad(field, first.message.removeprefix(first.path + " "))


def _check_related(credential: Mapping[str, Any]) -> None:
    if "relatedResource" not in credential:
        return
    problems = related_resource_problems(
        credential["relatedResource"], "credential.relatedResource"
    )
    if problems:
        raise MalformedRequest("invalid_credential", problems[0], "credential.relatedResource")


def _check_id(credential: Mapping[str, Any], urls: Urls) -> None:
    if "id" not in credential:
        return
    value = credential["id"]
    if not isinstance(value, str) or not is_url(value):
        raise _bad("credential.id", f"must be a URL, URN or DID, not {json_kind(value)}")
    if len(value) > MAX_ID_LENGTH:
        raise _bad("credential.id", f"is longer than {MAX_ID_LENGTH} characters")
    base = urls.base + "/"
    if value.startswith(base):
        name = value[len(urls.base) :].removeprefix(CREDENTIAL_PATH)
        if not value[len(urls.base) :].startswith(CREDENTIAL_PATH) or not is_own_name(name):
            raise _bad(
                "credential.id",
                f"is under this service's base URL but not at {urls.base}"
                f"{CREDENTIAL_PATH}<name>, where the service would serve it; use such an id, "
                "one of your own, or none (a urn:uuid is assigned)",
            )


def _parse_issue_options(options: Any) -> IssueOptions:
    """The issue request's ``options``: suite, ``created`` and the status lists to allocate."""
    if options is None:
        return IssueOptions()
    if not isinstance(options, dict):
        raise MalformedRequest(
            "invalid_options",
            f"options must be an object or null, not {json_kind(options)}",
            "options",
        )
    suite = DEFAULT_SUITE
    for name in ("cryptosuite", "proofType", "type"):
        if name in options and options[name] not in (None, "DataIntegrityProof"):
            if options[name] not in SUITES:
                raise Unprocessable(
                    "unsupported_suite",
                    f"options.{name} {options[name]!r} is not supported; use one of "
                    f"{', '.join(SUITES)}",
                    f"options.{name}",
                )
            suite = options[name]
    created = options.get("created")
    if created is not None and not is_xsd_datetime(created):
        raise MalformedRequest(
            "invalid_options", "options.created must be an XML Schema dateTime", "options.created"
        )
    status, purposes = _status_option(options.get("credentialStatus"))
    return IssueOptions(status=status, purposes=purposes, suite=suite, created=created)


def _status_option(value: Any) -> tuple[bool, tuple[StatusPurpose, ...]]:
    """``options.credentialStatus``: ``true``, ``{"type": "BitstringStatusListEntry"}`` (an
    entry per purpose), or such objects with a ``statusPurpose`` each, or a list of them."""
    both = (StatusPurpose.revocation, StatusPurpose.suspension)
    if value is None or value is False:
        return False, both
    if value is True:
        return True, both
    items = value if isinstance(value, list) else [value]
    purposes: list[StatusPurpose] = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedRequest(
                "invalid_options",
                "options.credentialStatus must be true, or an object (or array of objects) with "
                f'"type": "BitstringStatusListEntry", not {json_kind(item)}',
                "options.credentialStatus",
            )
        if item.get("type", "BitstringStatusListEntry") != "BitstringStatusListEntry":
            raise Unprocessable(
                "unsupported_status",
                f"options.credentialStatus type {item.get('type')!r} is not supported: only "
                "BitstringStatusListEntry",
                "options.credentialStatus",
            )
        purpose = item.get("statusPurpose")
        if purpose is None:
            purposes.extend(both)
        elif purpose in (p.value for p in StatusPurpose):
            purposes.append(StatusPurpose(purpose))
        else:
            raise Unprocessable(
                "unsupported_status",
                f"statusPurpose {purpose!r} is not supported: revocation or suspension",
                "options.credentialStatus",
            )
    return True, tuple(dict.fromkeys(purposes)) or both


def parse_issue_request(body: Any, urls: Urls) -> tuple[dict[str, Any], IssueOptions]:
    """The credential and options of ``{"credential": {...}, "options": {...}}``, checked.

    Raises :class:`MalformedRequest` naming the first member at fault.
    """
    if not isinstance(body, dict):
        raise MalformedRequest(
            "invalid_request",
            f'the request body must be a JSON object {{"credential": ...}}, not {json_kind(body)}',
        )
    if "credential" not in body or body["credential"] is None:
        hint = ""
        if "@context" in body:
            hint = (
                ': the body looks like a bare credential; send {"credential": <it>}, or post '
                "it to /instance/{tenant}/credentials/issue as DCC clients do"
            )
        raise MalformedRequest("invalid_request", "credential is required" + hint, "credential")
    credential = body["credential"]
    if not isinstance(credential, dict):
        raise _bad("credential", f"must be an object, not {json_kind(credential)}")
    version = _check_context(credential)
    _check_type(credential)
    _check_issuer(credential)
    _check_subject(credential)
    _check_id(credential, urls)
    _check_dates(credential, version)
    if "proof" in credential:
        raise _bad("credential.proof", "must not be present: the issuer adds the proof")
    _check_typed_members(credential)
    _check_related(credential)
    return credential, _parse_issue_options(body.get("options"))


@dataclass(frozen=True)
class StatusUpdate:
    """One ``POST /credentials/status`` request: which credential, what to do, and why."""

    credential_id: str
    action: StatusAction
    status: str
    reason: str = "VC-API status request"


def parse_status_request(body: Any) -> StatusUpdate:
    """DCC's shape: ``{"credentialId": ..., "credentialStatus": [{"type":
    "BitstringStatusListCredential", "status": "revoked" | "suspended" | "unsuspended"}]}``.

    Also accepted: ``credentialStatus`` as one object, ``type`` ``BitstringStatusListEntry`` or
    absent, and an optional ``reason`` (kept in the audit log).
    """
    if not isinstance(body, dict):
        raise MalformedRequest(
            "invalid_request",
            f'the request body must be a JSON object {{"credentialId": ..., "credentialStatus": '
            f"[...]}}, not {json_kind(body)}",
        )
    credential_id = body.get("credentialId")
    if credential_id is None:
        raise MalformedRequest("invalid_request", "credentialId is required", "credentialId")
    if not isinstance(credential_id, str) or not credential_id.strip():
        raise MalformedRequest(
            "invalid_request",
            f"credentialId must be the credential's id (a string), not {json_kind(credential_id)}",
            "credentialId",
        )
    status = body.get("credentialStatus")
    if status is None:
        raise MalformedRequest(
            "invalid_request", "credentialStatus is required", "credentialStatus"
        )
    items = status if isinstance(status, list) else [status]
    if len(items) != 1 or not isinstance(items[0], dict):
        raise MalformedRequest(
            "invalid_request",
            'credentialStatus must be one object {"type": "BitstringStatusListCredential", '
            '"status": "revoked" | "suspended" | "unsuspended"} (or an array holding one)',
            "credentialStatus",
        )
    item = items[0]
    kind = item.get("type", "BitstringStatusListCredential")
    if kind not in ("BitstringStatusListCredential", "BitstringStatusListEntry"):
        raise MalformedRequest(
            "invalid_request",
            f"BitstringStatusListCredential is the only supported status type, not {kind!r}",
            "credentialStatus.type",
        )
    wanted = item.get("status")
    if not isinstance(wanted, str) or wanted not in STATUS_ACTIONS:  # a dict is unhashable
        raise MalformedRequest(
            "invalid_request",
            f"Unsupported credential status: {wanted!r}; use revoked, suspended or unsuspended",
            "credentialStatus.status",
        )
    reason = body.get("reason")
    if reason is not None and (
        not isinstance(reason, str) or len(reason) > MAX_REASON or has_control_characters(reason)
    ):
        raise MalformedRequest(
            "invalid_request",
            f"reason must be a string of at most {MAX_REASON} characters, without control "
            "characters",
            "reason",
        )
    return StatusUpdate(
        credential_id=credential_id.strip(),
        action=STATUS_ACTIONS[wanted],
        status=wanted,
        reason=(reason or "").strip() or f"VC-API: {wanted}",
    )
