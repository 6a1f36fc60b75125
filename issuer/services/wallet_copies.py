"""Wallet copies: sign an award again for one holder's wallet, bound to the holder's DID.

The award is stored once and its hosted credential backs the badge page, the downloads and
LinkedIn (:mod:`issuer.services.awards`). A wallet (the VC-API exchange,
:mod:`issuer.services.exchanges`; OID4VCI) gets a *copy* signed at claim time, built from the
award's stored credential rather than rebuilt from the request, so it says exactly what the
award says (same achievement snapshot, results, evidence, ``awardedDate`` and hashed-email
``identifier``), with:

* ``id`` = ``urn:uuid:{copy id}`` (a copy is not served at any URL: it names the holder's DID;
  see :mod:`issuer.models.wallet_copies`);
* ``credentialSubject.id`` = the holder's DID;
* ``validFrom`` = the moment the copy is signed. OB 3.0 reads ``validFrom`` (with ``issuer`` and
  ``id``) as the date of *this version* of a credential and keeps the original award date in
  ``awardedDate``, which the copy carries unchanged; a ``validFrom`` in the past would claim
  the DID binding held before the holder ever proved control of the DID;
* the issuer's *current* profile (a did:key issuer's DID changes with its key, and the copy is
  signed by the current key);
* ``credentialStatus``: a revocation and a suspension entry of its own
  (:func:`issuer.services.status.status_entries`), so a verifier's lookup of the copy says
  nothing about the award or other copies, while a change of the award flips the copies' bits
  with its own (:func:`issuer.services.status_machine.apply_transitions`, ``followers``).

It is validated against the OB 3.0 schema and signed through :mod:`issuer.services.signing`
(eddsa-rdfc-2022; for ``jwt_vc_json`` also the VC-JWT of the signed credential, as awards are).

**No copy of an award out of force, ever.** :func:`issue_wallet_copy` locks the award row
(``FOR UPDATE``; SQLite's write lock) before it reads the award's status, and a status change
locks the award rows before it reads their copies
(:func:`issuer.services.status_machine.copies_of`): a copy is either committed before a
revocation (which then revokes it) or sees the award revoked and is refused.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardStatus,
    CopyFormat,
    CopyProtocol,
    Issuer,
    KeyPurpose,
    WalletCopy,
    WalletCopyPublic,
    public_view,
)
from issuer.models.fields import Did
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, InvalidInput, IssuanceFailed, NotFound
from issuer.services.issuers import profile_for
from issuer.services.signing import sign_credential, signer_for
from issuer.services.status import status_entries
from schemas.dates import as_utc, format_datetime
from schemas.validation import validate_credential

__all__ = [
    "AwardNotInForce",
    "ClaimHook",
    "copy_public",
    "issue_wallet_copy",
    "list_copies",
]

log = logging.getLogger("microcred.issuer.wallet_copies")

#: Runs inside the copy's transaction after the award is locked and before anything is signed:
#: the caller's single-use mark (an exchange completed, a pre-authorized code spent). It raises
#: to refuse, and then the transaction rolls back and nothing is signed or stored.
ClaimHook = Callable[[Session, WalletCopy], None]


class AwardNotInForce(Conflict):
    """The award is revoked or suspended: no wallet copy of it may be signed."""

    def __init__(self, award: Award) -> None:
        self.status = AwardStatus(award.status)
        super().__init__(
            f"credential {award.id} is {self.status.value}: it cannot be put in a wallet"
        )


_DID = TypeAdapter(Did)


def _check_did(holder_did: str) -> str:
    try:
        did = _DID.validate_python(holder_did)
    except ValidationError:
        raise InvalidInput("holder_did", "is not a DID (did:method:identifier)") from None
    if "#" in did:
        raise InvalidInput("holder_did", "is a verification method, not a DID")
    return did


def _copy_document(
    session: Session,
    runtime: Runtime,
    award: Award,
    issuer: Issuer,
    row: WalletCopy,
    now: datetime,
) -> dict[str, Any]:
    """The unsigned copy: the award's credential, re-identified and bound to the holder."""
    unsigned: dict[str, Any] = json.loads(award.credential)
    unsigned.pop("proof", None)
    unsigned["id"] = row.credential_id
    unsigned["issuer"] = profile_for(session, runtime, issuer)
    unsigned["validFrom"] = format_datetime(now)
    subject = unsigned["credentialSubject"]
    unsigned["credentialSubject"] = {
        "id": row.holder_did,
        **{k: v for k, v in subject.items() if k != "id"},
    }
    unsigned["credentialStatus"] = status_entries(session, runtime, issuer, row.id)
    return unsigned


def issue_wallet_copy(
    session: Session,
    runtime: Runtime,
    *,
    award: Award | uuid.UUID,
    holder_did: str,
    protocol: CopyProtocol | str,
    fmt: CopyFormat | str = CopyFormat.ldp_vc,
    now: datetime,
    claim: ClaimHook | None = None,
) -> WalletCopy:
    """Sign and store a copy of ``award`` for the wallet of ``holder_did``; the committed row
    (detached: readable after the session moves on).

    One write transaction: lock the award, refuse it if it is not active
    (:class:`AwardNotInForce`), run ``claim`` (the caller's single-use mark; it raises to
    refuse), allocate the copy's status indexes, validate, sign, insert, commit. Any failure
    rolls all of it back: no copy, no indexes, the claim not spent.
    """
    holder_did = _check_did(holder_did)
    protocol = CopyProtocol(protocol)
    fmt = CopyFormat(fmt)
    award_id = award.id if isinstance(award, Award) else award
    begin_write(session)
    try:
        locked = session.exec(
            select(Award)
            .where(col(Award.id) == award_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if locked is None:
            raise NotFound(f"no credential {award_id}")
        if locked.status != AwardStatus.active:
            raise AwardNotInForce(locked)
        issuer = session.get(Issuer, locked.issuer_id)
        assert issuer is not None  # foreign key
        row = WalletCopy(
            award_id=locked.id,
            issuer_id=locked.issuer_id,
            holder_did=holder_did,
            protocol=protocol.value,
            format=fmt.value,
            credential="",
            signed_by="",
            status=AwardStatus.active.value,
            created=now,
        )
        if claim is not None:
            claim(session, row)
        unsigned = _copy_document(session, runtime, locked, issuer, row, now)
        issues = validate_credential(unsigned)
        if issues:
            raise IssuanceFailed(
                "the wallet copy would not pass the OB 3.0 schema, so it was not signed: "
                + "; ".join(issue.message for issue in issues)
            )
        formats = (
            (KeyPurpose.ldp, KeyPurpose.jwt) if fmt is CopyFormat.jwt_vc_json else (KeyPurpose.ldp,)
        )
        signed = sign_credential(
            unsigned,
            signer=signer_for(session, runtime, issuer, formats=formats),
            formats=formats,
            loader=runtime.loader,
            now=now,
            what="the wallet copy",
        )
        row.credential = json.dumps(signed.credential, ensure_ascii=False, separators=(",", ":"))
        row.credential_jwt = signed.jwt
        row.signed_by = signed.verification_method
        session.add(row)
        session.flush()
        session.expunge(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("signed wallet copy %s of credential %s (%s, %s)", row.id, award_id, protocol, fmt)
    return row


def list_copies(session: Session, award_id: uuid.UUID) -> Sequence[WalletCopy]:
    """The wallet copies of an award, oldest first."""
    return session.exec(
        select(WalletCopy)
        .where(col(WalletCopy.award_id) == award_id)
        .order_by(col(WalletCopy.created), col(WalletCopy.id))
    ).all()


def copy_public(row: WalletCopy) -> WalletCopyPublic:
    """The admin view of a copy (without the document: it went to the holder's wallet)."""
    return public_view(
        WalletCopyPublic, row, credential_id=row.credential_id, created=as_utc(row.created)
    )
