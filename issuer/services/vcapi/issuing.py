"""The VC-API issuer side: sign any VC 1.1 or 2.0 credential as it is given, and keep it.

Why this exists next to :mod:`issuer.services.awards`: offices that run the Digital Credentials
Consortium's issuer-coordinator post *finished* credentials (an Open Badge or any other VC) and
only want them signed, with a status entry they can later flip. Awards build the credential from
the catalog; here the caller's credential is taken as it is, checked, completed and signed.

The steps of :func:`issue_credential`:

1. :func:`issuer.services.vcapi.parsing.parse_issue_request` checks the request's shape and
   every member the data model requires, naming the field in the error (HTTP 400);
2. :func:`resolve_issuer` finds the configured issuer whose DID is ``credential.issuer`` (or
   ``issuer.id``), and refuses an issuer the caller's key may not use (:class:`Unprocessable`);
3. the credential is completed: an ``id`` (``urn:uuid:…``, as DCC's status service assigns)
   when it has none, ``validFrom`` / ``issuanceDate`` when it has none (our verifier requires a
   start of validity), the status context for a VC 1.1 credential that gets status entries;
4. status: a revocation and a suspension ``BitstringStatusListEntry``, drawn by
   :func:`issuer.services.status.allocate`, when ``options.credentialStatus`` asks for them or
   the issuer is listed in ``MICROCRED_VCAPI_STATUS_ISSUERS``; a credential re-issued under an
   id this issuer already issued keeps its entries (as DCC's status service does);
5. it is signed (:mod:`issuer.services.signing`) with the issuer's current Ed25519 key
   (eddsa-rdfc-2022 by default, or Ed25519Signature2020), or with a did:web issuer's P-256 key
   for ``ecdsa-rdfc-2019`` (a did:key issuer, which has no P-256 key, gets an
   :class:`Unprocessable`). RDFC canonicalizes in JSON-LD safe mode: an undefined term is an
   :class:`Unprocessable` naming the term, never a silently unsigned member;
6. it is stored (:class:`issuer.models.VcApiCredential`) in the same transaction as its status
   allocations, so a failed signature frees the indexes.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from issuer.db import begin_write
from issuer.models import (
    ApiKey,
    Issuer,
    StatusAllocation,
    StatusList,
    StatusPurpose,
    VcApiCredential,
)
from issuer.services.context import Runtime
from issuer.services.signing import (
    SigningFailed,
    proof_key_purpose,
    sign_credential,
    signer_for,
)
from issuer.services.status import allocate, entry_for
from issuer.services.vcapi.errors import IdTaken, Unprocessable
from issuer.services.vcapi.parsing import (
    CREDENTIAL_PATH,
    IssueOptions,
    is_own_name,
    issuer_did_of,
)
from keys.errors import UnsupportedSuite
from keys.fetch import parse_preload_args
from schemas.dates import format_datetime
from schemas.errors import (
    CanonicalizationError,
    ContextNotBundled,
    RelativeIri,
    SchemasError,
    UndefinedTerm,
)
from schemas.loader import DocumentLoader, preloading_loader
from schemas.models import OB_CREDENTIAL_TYPES, VC11_CONTEXT
from schemas.validation import validate_credential

__all__ = [
    "STATUS_CONTEXT",
    "IssueOutcome",
    "context_loader",
    "get_credential",
    "issue_credential",
    "resolve_issuer",
    "set_issuer",
]

log = logging.getLogger("microcred.issuer.vcapi")

#: Defines BitstringStatusListEntry for VC 1.1 credentials (VC 2.0's own context already does).
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"


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
    return [
        entry_for(runtime.urls, status_list.public_id, allocation.purpose, allocation.status_index)
        for allocation, status_list in sorted(rows, key=lambda r: order.get(r[0].purpose, 9))
    ]


def _allocate(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    credential_uuid: uuid.UUID,
    purposes: Sequence[StatusPurpose],
) -> list[dict[str, Any]]:
    for purpose in purposes:
        allocate(session, runtime, issuer, credential_uuid, purpose)
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


def context_loader(runtime: Runtime, base: DocumentLoader | None = None) -> DocumentLoader:
    """``base`` (the runtime's loader when issuing; the verifier's, with the operator's
    ``MICROCRED_VERIFIER_CONTEXTS``, when verifying) plus the contexts of
    ``MICROCRED_VCAPI_CONTEXTS`` (one loader per pair, so the canonicalizer's per-loader
    context cache is kept)."""
    loader = runtime.loader if base is None else base
    entries = tuple(runtime.settings.vcapi_contexts)
    return _loader_with(loader, entries) if entries else loader


def _refusal(error: Exception) -> Unprocessable | None:
    """The caller's fault among signing errors: JSON-LD the signature would not cover, or a
    suite this issuer holds no key for."""
    if isinstance(error, UnsupportedSuite):
        return Unprocessable(
            "unsupported_suite",
            f"this issuer cannot sign that suite: {error}. ecdsa-rdfc-2019 is signed with a "
            "did:web issuer's P-256 key; a did:key issuer has only its Ed25519 key",
            "options.cryptosuite",
        )
    if isinstance(error, UndefinedTerm):
        return Unprocessable(
            "undefined_term",
            f"the credential uses the term {error.term!r}, which its @context does not define; "
            "it would not be covered by the signature (JSON-LD safe mode). Add a context that "
            "defines it, or remove it",
            "credential",
        )
    if isinstance(error, RelativeIri):
        return Unprocessable(
            "relative_iri",
            f"the credential uses {error.iri!r}, which is neither a term its @context defines "
            "nor an absolute IRI (an undefined type, or a relative id); it would not be signed "
            "as meant (JSON-LD safe mode). Define it in a context, or use an absolute IRI",
            "credential",
        )
    if isinstance(error, ContextNotBundled):
        return Unprocessable(
            "unknown_context",
            f"the @context {error.url} is not one this service carries (contexts are never "
            "fetched: they decide what a signed credential means)",
            "credential.@context",
        )
    if isinstance(error, CanonicalizationError):
        return Unprocessable("invalid_jsonld", str(error), "credential")
    return None


def _sign(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    unsigned: dict[str, Any],
    options: IssueOptions,
) -> tuple[dict[str, Any], str]:
    try:
        signed = sign_credential(
            unsigned,
            signer=signer_for(
                session, runtime, issuer, formats=(proof_key_purpose(options.suite),)
            ),
            loader=context_loader(runtime),
            now=options.created if options.created is not None else runtime.clock(),
            suite=options.suite,
        )
    except SigningFailed as failure:
        refusal = _refusal(failure.cause)
        if refusal is not None:
            raise refusal from None
        raise
    return signed.credential, signed.verification_method


def _complete(credential: dict[str, Any], row_id: uuid.UUID, runtime: Runtime) -> dict[str, Any]:
    """An id and a start of validity when the caller gave none."""
    completed = dict(credential)
    if "id" not in completed:
        completed["id"] = row_id.urn
    start = "issuanceDate" if completed["@context"][0] == VC11_CONTEXT else "validFrom"
    if start not in completed:
        completed[start] = format_datetime(runtime.clock())
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
    unsigned = _complete(credential, row_id, runtime)
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
    now = runtime.clock()
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
    if not is_own_name(name):
        return None
    return _find(session, f"{runtime.urls.base}{CREDENTIAL_PATH}{name}")
