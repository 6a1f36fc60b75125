"""The W3C VC-API issuer side: sign any VC 1.1 or 2.0 credential, keep it, change its status.

Why this exists next to :mod:`issuer.services.awards`: offices that run the Digital Credentials
Consortium's issuer-coordinator post *finished* credentials (an Open Badge or any other VC) and
only want them signed, with a status entry they can later flip. Awards build the credential from
the catalog; here the caller's credential is taken as it is, checked, completed and signed.

The steps of :func:`issue_credential`:

1. :func:`parse_issue_request` checks the request's shape and every member the data model
   requires, naming the field in the error (:class:`MalformedRequest`, HTTP 400);
2. :func:`resolve_issuer` finds the configured issuer whose DID is ``credential.issuer`` (or
   ``issuer.id``), and refuses an issuer the caller's key may not use (:class:`Unprocessable`);
3. the credential is completed: an ``id`` (``urn:uuid:…``, as DCC's status service assigns)
   when it has none, ``validFrom`` / ``issuanceDate`` when it has none (our verifier requires a
   start of validity), the status context for a VC 1.1 credential that gets status entries;
4. status: a revocation and a suspension ``BitstringStatusListEntry``, drawn by
   :func:`issuer.services.status.allocate`, when ``options.credentialStatus`` asks for them or
   the issuer is listed in ``MICROCRED_VCAPI_STATUS_ISSUERS``; a credential re-issued under an
   id this issuer already issued keeps its entries (as DCC's status service does);
5. it is signed with the issuer's current Ed25519 key (eddsa-rdfc-2022 by default, or
   Ed25519Signature2020), which canonicalizes in JSON-LD safe mode: an undefined term is an
   :class:`Unprocessable` naming the term, never a silently unsigned member;
6. it is stored (:class:`issuer.models.VcApiCredential`) in the same transaction as its status
   allocations, so a failed signature frees the indexes.

Status changes (:func:`change_status`) follow :func:`issuer.services.status.change_status`'s
rules (revocation is permanent; asking for the current state changes nothing) on the VC-API
credential's own row, flip the same allocation bits and mark the lists for re-signing.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    ApiKey,
    AwardStatus,
    Issuer,
    KeyPurpose,
    StatusAction,
    StatusAllocation,
    StatusList,
    StatusPurpose,
    VcApiCredential,
    VcApiStatusEvent,
    utcnow,
)
from issuer.services.context import Runtime
from issuer.services import status as status_service
from issuer.services.errors import IssuanceFailed, ServiceError
from issuer.services.issuers import current_key, signing_key
from keys.errors import KeysError
from keys.fetch import parse_preload_args
from keys.suites import ProofOptions, add_proof
from keys.suites.base import format_datetime, is_xsd_datetime
from schemas.dates import parse_datetime
from schemas.errors import (
    CanonicalizationError,
    ContextNotBundled,
    RelativeIri,
    SchemasError,
    UndefinedTerm,
)
from schemas.loader import DocumentLoader, preloading_loader
from schemas.models import OB_CREDENTIAL_TYPES, VC2_CONTEXT, VC11_CONTEXT
from schemas.validation import json_kind, validate_credential

__all__ = [
    "CREDENTIAL_PATH",
    "CredentialNotFound",
    "IdTaken",
    "STATUS_CONTEXT",
    "SUITES",
    "IssueOptions",
    "IssueOutcome",
    "MalformedRequest",
    "StatusChanged",
    "StatusConflict",
    "StatusUpdate",
    "Unprocessable",
    "VcApiError",
    "change_status",
    "context_loader",
    "json_kind",
    "get_credential",
    "issue_credential",
    "issuer_did_of",
    "parse_issue_request",
    "parse_status_request",
    "resolve_issuer",
]

log = logging.getLogger("microcred.issuer.vcapi")

#: Where credentials whose id is one of this service's URLs live: ``{base}/vc-api/credentials/x``.
CREDENTIAL_PATH = "/vc-api/credentials/"
#: Defines BitstringStatusListEntry for VC 1.1 credentials (VC 2.0's own context already does).
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
#: Proof suites a caller may ask for (``options.cryptosuite`` / ``options.proofType``).
SUITES = ("eddsa-rdfc-2022", "Ed25519Signature2020")
DEFAULT_SUITE = "eddsa-rdfc-2022"
#: DCC status service's own limit is 64; URLs of real registrars run longer.
MAX_ID_LENGTH = 512
_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
#: The statuses DCC's status service accepts, and what each does here.
STATUS_ACTIONS = {
    "revoked": StatusAction.revoke,
    "suspended": StatusAction.suspend,
    "unsuspended": StatusAction.unsuspend,
}


# ------------------------------------------------------------------------------ errors


class VcApiError(ServiceError):
    """A refused VC-API request: ``status_code``, a stable ``name`` and the ``field`` at fault."""

    status_code = 400

    def __init__(self, name: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class MalformedRequest(VcApiError):
    """The body is not what the VC-API asks for (HTTP 400, the W3C test suites' expectation)."""

    status_code = 400


class Unprocessable(VcApiError):
    """A well-formed request that cannot be carried out: an undefined term, a context we do not
    carry, an issuer this key may not use (HTTP 422)."""

    status_code = 422


class IdTaken(VcApiError):
    """The credential id was issued by another issuer (HTTP 409)."""

    status_code = 409


class StatusConflict(VcApiError):
    """The credential's state forbids the change: revoked for good, or no status entry (409)."""

    status_code = 409


class CredentialNotFound(VcApiError):
    """No VC-API credential with that id, of an issuer this key may act for (HTTP 404)."""

    status_code = 404


# ------------------------------------------------------------------------------ request shape


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


def _is_url_or_did(value: str) -> bool:
    return bool(_SCHEME.match(value))


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
        if not _is_url_or_did(issuer):
            raise _bad("credential.issuer", f"must be a URL or DID, not {issuer[:100]!r}")
        return
    if isinstance(issuer, dict):
        issuer_id = issuer.get("id")
        if not isinstance(issuer_id, str) or not _is_url_or_did(issuer_id):
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


def _check_id(credential: Mapping[str, Any], runtime: Runtime) -> None:
    if "id" not in credential:
        return
    value = credential["id"]
    if not isinstance(value, str) or not _is_url_or_did(value):
        raise _bad("credential.id", f"must be a URL, URN or DID, not {json_kind(value)}")
    if len(value) > MAX_ID_LENGTH:
        raise _bad("credential.id", f"is longer than {MAX_ID_LENGTH} characters")
    base = runtime.urls.base + "/"
    if value.startswith(base):
        name = value[len(runtime.urls.base) :].removeprefix(CREDENTIAL_PATH)
        if not value[len(runtime.urls.base) :].startswith(CREDENTIAL_PATH) or not _NAME.match(name):
            raise _bad(
                "credential.id",
                f"is under this service's base URL but not at {runtime.urls.base}"
                f"{CREDENTIAL_PATH}<name>, where the service would serve it; use such an id, "
                "one of your own, or none (a urn:uuid is assigned)",
            )


def _parse_options(options: Any) -> IssueOptions:
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


def parse_issue_request(body: Any, runtime: Runtime) -> tuple[dict[str, Any], IssueOptions]:
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
    _check_id(credential, runtime)
    _check_dates(credential, version)
    if "proof" in credential:
        raise _bad("credential.proof", "must not be present: the issuer adds the proof")
    status = credential.get("credentialStatus")
    if status is not None:
        entries = status if isinstance(status, list) else [status]
        if not entries or not all(isinstance(e, dict) for e in entries):
            raise _bad("credential.credentialStatus", "must be an object or an array of objects")
    return credential, _parse_options(body.get("options"))


# ------------------------------------------------------------------------------ issuer


def resolve_issuer(session: Session, credential: Mapping[str, Any], key: ApiKey) -> Issuer:
    """The configured issuer whose DID the credential names, if ``key`` may issue for it.

    A key bound to one issuer gets the same answer for an unknown DID as for another issuer's,
    so it cannot learn which DIDs this service issues for.
    """
    did = issuer_did_of(credential)
    issuer = session.exec(select(Issuer).where(Issuer.did == did)).first() if did else None
    if key.issuer_id is not None and (issuer is None or issuer.id != key.issuer_id):
        raise Unprocessable(
            "issuer_not_allowed",
            f"issuer not allowed for this token: {did} is not the issuer this API key is for",
            "credential.issuer",
        )
    if issuer is None:
        raise Unprocessable(
            "unknown_issuer",
            f"no issuer of this service has the DID {did}; credential.issuer (or issuer.id) must "
            "be the DID of a configured issuer (GET /api/issuers lists them)",
            "credential.issuer",
        )
    return issuer


def set_issuer(credential: dict[str, Any], did: str) -> dict[str, Any]:
    """The credential with its issuer id set to ``did``: what DCC's signing service does for the
    tenant in the URL (the tenant's key decides who the issuer is)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        return {**credential, "issuer": {**issuer, "id": did}}
    return {**credential, "issuer": did}


# ------------------------------------------------------------------------------ issuing


@dataclass(frozen=True)
class IssueOutcome:
    """The signed credential, its stored row, whether this call made the row, and what a
    verifier will object to (an Open Badge that does not follow the OB 3.0 schema)."""

    credential: dict[str, Any]
    record: VcApiCredential
    created: bool
    warnings: tuple[dict[str, str], ...] = ()


def _open_badge_warnings(credential: Mapping[str, Any]) -> tuple[dict[str, str], ...]:
    """The OB 3.0 schema's objections to an Open Badge, as warnings.

    The credential is signed anyway: DCC signs what it is given, and offices switching from it
    send the same templates (its own quick-start sample has no recipient id). But our verifier,
    like the 1EdTech validator, will report these, so the caller is told now.
    """
    types = credential.get("type") or []
    if OB_CREDENTIAL_TYPES.isdisjoint(types):
        return ()
    try:
        issues = validate_credential(dict(credential))
    except SchemasError:
        return ()
    return tuple(
        {"name": "open_badges_schema", "message": issue.message, "path": issue.path}
        for issue in issues[:25]
    )


def _wants_status(runtime: Runtime, issuer: Issuer, options: IssueOptions) -> bool:
    configured = runtime.settings.vcapi_status_issuers
    return options.status or "*" in configured or issuer.slug in configured


def _entries(
    session: Session, runtime: Runtime, credential_uuid: uuid.UUID
) -> list[dict[str, Any]]:
    """The status entries of a credential already allocated (revocation first)."""
    rows = session.exec(
        select(StatusAllocation, StatusList)
        .where(StatusAllocation.award_id == credential_uuid)
        .where(StatusAllocation.list_id == StatusList.id)
    ).all()
    order = {StatusPurpose.revocation.value: 0, StatusPurpose.suspension.value: 1}
    entries = []
    for allocation, status_list in sorted(rows, key=lambda r: order.get(r[0].purpose, 9)):
        url = runtime.urls.status_list(status_list.public_id)
        entries.append(
            {
                "id": f"{url}#{allocation.status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": allocation.purpose,
                "statusListIndex": str(allocation.status_index),
                "statusListCredential": url,
            }
        )
    return entries


def _allocate(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    credential_uuid: uuid.UUID,
    purposes: Sequence[StatusPurpose],
) -> list[dict[str, Any]]:
    for purpose in purposes:
        status_service.allocate(session, runtime, issuer, credential_uuid, purpose)
    return _entries(session, runtime, credential_uuid)


def _with_contexts(credential: dict[str, Any], *needed: str) -> dict[str, Any]:
    contexts = list(credential["@context"])
    for url in needed:
        if url not in contexts:
            contexts.append(url)
    return {**credential, "@context": contexts}


@functools.lru_cache(maxsize=8)
def _loader_with(base: DocumentLoader, entries: tuple[str, ...]) -> DocumentLoader:
    documents = {url: json.loads(body) for url, body in parse_preload_args(entries).items()}
    return preloading_loader(base, documents)


def context_loader(runtime: Runtime) -> DocumentLoader:
    """The runtime's loader, plus the contexts of ``MICROCRED_VCAPI_CONTEXTS`` (one loader per
    setting, so the canonicalizer's per-loader context cache is kept)."""
    entries = tuple(runtime.settings.vcapi_contexts)
    return _loader_with(runtime.loader, entries) if entries else runtime.loader


def _sign(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    unsigned: dict[str, Any],
    options: IssueOptions,
) -> tuple[dict[str, Any], str]:
    key_row = current_key(session, issuer, KeyPurpose.ldp)
    try:
        signed = add_proof(
            unsigned,
            suite=options.suite,
            key=signing_key(runtime, key_row),
            options=ProofOptions(
                verification_method=key_row.verification_method, created=options.created
            ),
            loader=context_loader(runtime),
        )
    except UndefinedTerm as error:
        raise Unprocessable(
            "undefined_term",
            f"the credential uses the term {error.term!r}, which its @context does not define; "
            "it would not be covered by the signature (JSON-LD safe mode). Add a context that "
            "defines it, or remove it",
            "credential",
        ) from None
    except RelativeIri as error:
        raise Unprocessable(
            "relative_iri",
            f"the credential uses {error.iri!r}, which is neither a term its @context defines "
            "nor an absolute IRI (an undefined type, or a relative id); it would not be signed "
            "as meant (JSON-LD safe mode). Define it in a context, or use an absolute IRI",
            "credential",
        ) from None
    except ContextNotBundled as error:
        raise Unprocessable(
            "unknown_context",
            f"the @context {error.url} is not one this service carries (contexts are never "
            "fetched: they decide what a signed credential means)",
            "credential.@context",
        ) from None
    except CanonicalizationError as error:
        raise Unprocessable("invalid_jsonld", str(error), "credential") from None
    except (KeysError, SchemasError) as error:
        raise IssuanceFailed(f"signing failed: {type(error).__name__}: {error}") from error
    return signed, key_row.verification_method


def _complete(credential: dict[str, Any], row_id: uuid.UUID) -> dict[str, Any]:
    """An id and a start of validity when the caller gave none."""
    completed = dict(credential)
    if "id" not in completed:
        completed["id"] = row_id.urn
    start = "issuanceDate" if completed["@context"][0] == VC11_CONTEXT else "validFrom"
    if start not in completed:
        completed[start] = format_datetime(utcnow())
    return completed


def _find(session: Session, credential_id: str) -> VcApiCredential | None:
    return session.exec(
        select(VcApiCredential).where(VcApiCredential.credential_id == credential_id)
    ).first()


def issue_credential(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    credential: dict[str, Any],
    options: IssueOptions,
    actor: str,
) -> IssueOutcome:
    """Sign ``credential`` (already checked by :func:`parse_issue_request`) as ``issuer``.

    A credential id this issuer issued before is re-signed with the new content and keeps its
    status entries; an id another issuer issued is refused (:class:`IdTaken`).
    """
    given_id = credential.get("id")
    begin_write(session)
    existing = _find(session, given_id) if isinstance(given_id, str) else None
    if existing is not None and existing.issuer_id != issuer.id:
        session.rollback()
        raise IdTaken(
            "duplicate_credential_id",
            f"the credential id {given_id} was already issued by another issuer",
            "credential.id",
        )
    row_id = existing.id if existing is not None else uuid.uuid4()
    if isinstance(given_id, str) and given_id.lower().startswith("urn:uuid:"):
        try:
            candidate = uuid.UUID(given_id)
        except ValueError:
            candidate = None
        if (
            existing is None
            and candidate is not None
            and session.get(VcApiCredential, candidate) is None
        ):
            row_id = candidate
    unsigned = _complete(credential, row_id)
    entries = _entries(session, runtime, row_id) if existing is not None else []
    if not entries and _wants_status(runtime, issuer, options):
        if "credentialStatus" in unsigned:
            session.rollback()
            raise Unprocessable(
                "status_conflict",
                "the credential already has a credentialStatus; this service adds its own "
                "entries when asked to, so remove it or do not ask for status",
                "credential.credentialStatus",
            )
        entries = _allocate(session, runtime, issuer, row_id, options.purposes)
    if entries:
        unsigned["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        if unsigned["@context"][0] == VC11_CONTEXT:
            unsigned = _with_contexts(unsigned, STATUS_CONTEXT)
    try:
        signed, method = _sign(session, runtime, issuer, unsigned, options)
    except Exception:
        session.rollback()
        raise
    text = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    now = utcnow()
    if existing is not None:
        existing.credential = text
        existing.signed_by = method
        existing.issued_by = actor
        existing.updated = now
        row = existing
    else:
        row = VcApiCredential(
            id=row_id,
            issuer_id=issuer.id or 0,
            credential_id=signed["id"],
            credential=text,
            signed_by=method,
            issued_by=actor,
            created=now,
            updated=now,
        )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # Another request issued the same id at the same moment: one of the two wins.
        session.rollback()
        raise IdTaken(
            "duplicate_credential_id",
            f"the credential id {signed['id']} was issued by a concurrent request; retry",
            "credential.id",
        ) from None
    session.refresh(row)
    log.info(
        "VC-API: %s credential %s by %s (%s)",
        "issued" if existing is None else "re-issued",
        row.credential_id,
        issuer.slug,
        actor,
    )
    warnings = _open_badge_warnings(signed)
    if warnings:
        log.warning(
            "VC-API: credential %s does not follow the Open Badges 3.0 schema: %s",
            row.credential_id,
            "; ".join(w["message"] for w in warnings),
        )
    return IssueOutcome(signed, row, created=existing is None, warnings=warnings)


def get_credential(session: Session, runtime: Runtime, name: str) -> VcApiCredential | None:
    """The credential served at ``{base}/vc-api/credentials/{name}``, if one has that id."""
    if not _NAME.match(name):
        return None
    return _find(session, f"{runtime.urls.base}{CREDENTIAL_PATH}{name}")


# ------------------------------------------------------------------------------ status


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
    if wanted not in STATUS_ACTIONS:
        raise MalformedRequest(
            "invalid_request",
            f"Unsupported credential status: {wanted!r}; use revoked, suspended or unsuspended",
            "credentialStatus.status",
        )
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        raise MalformedRequest(
            "invalid_request", "reason must be a string of at most 1000 characters", "reason"
        )
    return StatusUpdate(
        credential_id=credential_id.strip(),
        action=STATUS_ACTIONS[wanted],
        status=wanted,
        reason=(reason or "").strip() or f"VC-API: {wanted}",
    )


@dataclass(frozen=True)
class StatusChanged:
    """The outcome of a status request on a VC-API credential."""

    credential_id: str
    previous_status: AwardStatus
    status: AwardStatus
    changed: bool
    status_lists: tuple[str, ...]


def _next_status(action: StatusAction, current: AwardStatus, credential_id: str) -> AwardStatus:
    """:func:`issuer.services.status.change_status`'s rules: revocation is permanent."""
    if current is AwardStatus.revoked:
        if action is StatusAction.revoke:
            return current
        raise StatusConflict(
            "credential_revoked",
            f"credential {credential_id} is revoked, and revocation is permanent",
            "credentialStatus.status",
        )
    return {
        StatusAction.revoke: AwardStatus.revoked,
        StatusAction.suspend: AwardStatus.suspended,
        StatusAction.unsuspend: AwardStatus.active,
    }[action]


_BIT = {
    StatusAction.revoke: (StatusPurpose.revocation, True),
    StatusAction.suspend: (StatusPurpose.suspension, True),
    StatusAction.unsuspend: (StatusPurpose.suspension, False),
}


def change_status(
    *,
    session: Session,
    runtime: Runtime,
    key: ApiKey,
    update_request: StatusUpdate,
    actor: str,
    tenant: Issuer | None = None,
) -> StatusChanged:
    """Revoke, suspend or unsuspend a credential issued through the VC-API, by its id.

    The credential must have been issued by ``tenant`` (when given) and by an issuer ``key`` is
    for; otherwise it is reported as not found, which tells a caller nothing about others'
    credentials. A credential issued without status entries cannot change status (409).
    """
    credential_id = update_request.credential_id
    begin_write(session)
    row = session.exec(
        select(VcApiCredential)
        .where(VcApiCredential.credential_id == credential_id)
        .with_for_update()
    ).first()
    allowed = row is not None and (key.issuer_id is None or row.issuer_id == key.issuer_id)
    if row is None or not allowed or (tenant is not None and row.issuer_id != tenant.id):
        session.rollback()
        raise CredentialNotFound(
            "credential_not_found",
            f"Credential ID {credential_id!r} not found: no credential issued through this "
            "service's VC-API has that id (for this token)",
            "credentialId",
        )
    allocations = session.exec(
        select(StatusAllocation).where(StatusAllocation.award_id == row.id)
    ).all()
    if not allocations:
        session.rollback()
        raise StatusConflict(
            "no_status",
            f"credential {credential_id} was issued without status entries, so no list can say it "
            "is revoked or suspended (issue with options.credentialStatus)",
            "credentialId",
        )
    previous = AwardStatus(row.status)
    try:
        new = _next_status(update_request.action, previous, credential_id)
    except StatusConflict:
        session.rollback()
        raise
    changed = new is not previous
    if changed:
        purpose, bit = _BIT[update_request.action]
        targets = [a for a in allocations if a.purpose == purpose.value and a.is_set != bit]
        if not targets and not any(a.purpose == purpose.value for a in allocations):
            session.rollback()
            raise StatusConflict(
                "no_status",
                f"credential {credential_id} has no {purpose.value} entry, so it cannot be "
                f"{update_request.status}",
                "credentialStatus.status",
            )
        for allocation in targets:
            # The list row first: the lock a re-signer takes (see issuer.services.status).
            session.execute(
                update(StatusList)
                .where(col(StatusList.id) == allocation.list_id)
                .values(version=StatusList.version + 1)
            )
            allocation.is_set = bit
            session.add(allocation)
        row.status = new.value
        row.updated = utcnow()
        session.add(row)
    session.add(
        VcApiStatusEvent(
            credential_uuid=row.id,
            issuer_id=row.issuer_id,
            action=update_request.action.value,
            reason=update_request.reason,
            actor=actor,
            previous_status=previous.value,
            new_status=new.value,
        )
    )
    lists = session.exec(
        select(StatusList.public_id).where(col(StatusList.id).in_([a.list_id for a in allocations]))
    ).all()
    session.commit()
    log.info(
        "VC-API: %s credential %s by %s%s",
        update_request.action.value,
        credential_id,
        actor,
        "" if changed else " (no change)",
    )
    return StatusChanged(
        credential_id=credential_id,
        previous_status=previous,
        status=new,
        changed=changed,
        status_lists=tuple(sorted(runtime.urls.status_list(p) for p in lists)),
    )
