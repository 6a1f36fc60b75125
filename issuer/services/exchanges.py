"""VC-API exchanges: the Learner Credential Wallet proves a DID and receives a wallet copy, once.

**Two ways in, one exchange.** :func:`create_exchange` (the claim page calls it per visit) mints
an exchange for an award and answers every link to it (:class:`ExchangeLinks`):

* the VC-API / VCALM path: the interaction URL ``{base}/exchanges/{id}?iuv=1`` (``GET`` →
  ``{"protocols": {"vcapi": "{base}/exchanges/{id}"}}``); the wallet ``POST``s ``{}`` there and
  gets a ``VerifiablePresentationRequest`` (DIDAuthentication, our challenge, our origin as
  ``domain``), then ``POST``s ``{"verifiablePresentation": …}`` to the same URL and gets
  ``{"verifiablePresentation": {…, "verifiableCredential": [copy]}}``;
* the legacy deep link ``dccrequest://request?issuer=…&vc_request_url={base}/exchanges/{id}/
  direct&challenge=…&auth_type=bearer``: the wallet ``POST``s its DID-auth presentation (a
  challenge, no domain) to ``vc_request_url`` and gets the copy as a bare credential.

**The same award by OID4VCI.** Each exchange also mints an OID4VCI credential offer of its
award (:func:`issuer.services.oid4vci.create_offer`), living as long, whose id is derived from
the exchange id (:func:`paired_offer_id`, an HMAC keyed by it): the interaction URL's JSON names
it as ``protocols.OID4VCI`` (the ``openid-credential-offer://`` link, by reference) without
storing it anywhere, and knowing the offer does not reveal the exchange. Either protocol
delivers its own copy; each is single use.

**Which link the "Open in wallet" button uses: the legacy deep link** (:func:`lcw_deep_link`).
The Learner Credential Wallet's last release (v2.2.9-build103) cannot open interaction URLs,
and its main branch (1c46a82) completes a flow that starts with a presentation request
(``isVPRFlow``) with "DID Authentication complete." without storing what it received
(``ExchangeCredentials.tsx``); the ``dccrequest://request`` flow (``credentialRequest.ts``)
stores the credential it is answered in both. The interaction URL is offered too (its QR code
and link on the page), for wallets and releases that take it.

**Checks before anything is signed** (:func:`complete_exchange`; each failure is an
:class:`ExchangeRefused` with its HTTP status, and no copy is made):

1. the exchange exists (404) and is pending and unexpired (410); its award is in force (410);
2. the body is a presentation: ``type`` ``VerifiablePresentation``, a ``holder`` DID, exactly
   one proof, no credentials (400);
3. the holder's DID method is allowed (``MICROCRED_WALLET_DID_METHODS``) (401);
4. the proof's ``proofPurpose`` is ``authentication``, its ``challenge`` is this exchange's
   (compared in constant time, :func:`hmac.compare_digest`) and, on the VC-API path, its
   ``domain`` is our origin (401);
5. the proof verifies (Ed25519Signature2020, eddsa-rdfc-2022, any suite the project verifies)
   with a key the holder controls — :meth:`verifier.service.Verifier.verify_presentation`,
   whose resolver reads did:web documents through the guarded fetcher (401);
6. the copy is signed in one transaction that first spends the exchange
   (``UPDATE … WHERE state = 'pending' AND expires > now``, :func:`_spend`): of two
   simultaneous completions one updates a row and the other none, and is refused (410) before
   signing.

**Secrets.** The exchange id is a bearer secret (whoever holds it can complete the exchange with
a DID of their own): 128 random bits, stored only as its SHA-256, never logged. The challenge
is stored as it is (the wallet is told it; it is worth nothing without the id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from sqlmodel import Session

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardStatus,
    CopyProtocol,
    Exchange,
    ExchangeState,
    Issuer,
    WalletCopy,
)
from issuer.services import oid4vci
from issuer.services.context import Runtime
from issuer.services.errors import NotFound, ServiceError
from issuer.services.wallet_copies import AwardNotInForce, ClaimHook, issue_wallet_copy
from schemas.dates import as_utc
from schemas.models import VC2_CONTEXT
from verifier.context import Expectations
from verifier.inputs import UnusableInput
from verifier.service import Verifier

__all__ = [
    "DID_AUTH_QUERY",
    "ExchangeLinks",
    "ExchangeRefused",
    "OpenExchange",
    "complete_exchange",
    "create_exchange",
    "exchange_hash",
    "lcw_deep_link",
    "open_exchange",
    "presentation_request",
    "protocols",
    "wrap_in_presentation",
]

log = logging.getLogger("microcred.issuer.exchanges")

#: The one query LCW answers with a DID-auth presentation (it refuses more than one).
DID_AUTH_QUERY: dict[str, Any] = {
    "type": "DIDAuthentication",
    "acceptedMethods": [{"method": "key"}],
}
#: Characters of an exchange id in a URL (``token_urlsafe(16)``: 128 random bits).
_ID_BYTES = 16
#: What the paired OID4VCI offer's id is an HMAC of (keyed by the exchange id).
_OFFER_LABEL = b"microcred exchange: OID4VCI offer"
#: Longest id accepted in a path, so a pasted wrong URL is a 404, not a hash of megabytes.
_MAX_ID = 64
_TABLE: sa.Table = Exchange.__table__  # type: ignore[attr-defined]


class ExchangeRefused(ServiceError):
    """The exchange cannot go on: ``status_code`` (400, 401, 404, 410) and a sentence."""

    def __init__(self, status_code: int, message: str) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(message)


def exchange_hash(exchange_id: str) -> str:
    """How an exchange id is stored and looked up: its SHA-256, hex (the id has 128 random bits,
    so no salt or slow hash is needed)."""
    return hashlib.sha256(exchange_id.encode("utf-8")).hexdigest()


def _origin(runtime: Runtime) -> str:
    """Our origin (scheme, host, port) as the ``domain`` a VC-API presentation is bound to."""
    parts = urlsplit(runtime.urls.base)
    return f"{parts.scheme}://{parts.netloc}"


# ------------------------------------------------------------------------------ links


@dataclass(frozen=True)
class ExchangeLinks:
    """Every way into one exchange (each holds its secret id: show them, never log them)."""

    #: ``{base}/exchanges/{id}?iuv=1``: the VCALM interaction URL (JSON for a wallet, a page
    #: for a browser).
    interaction_url: str
    #: ``{base}/exchanges/{id}``: where the wallet ``POST``s (``protocols.vcapi``).
    vcapi_url: str
    #: ``{base}/exchanges/{id}/direct``: the legacy deep link's ``vc_request_url``.
    direct_url: str
    #: ``dccrequest://request?issuer=…&vc_request_url=…&challenge=…&auth_type=bearer``.
    dccrequest_url: str
    #: ``openid-credential-offer://?credential_offer_uri=…``: the same award offered by OID4VCI
    #: (:func:`paired_offer_id`), for any OID4VCI wallet and as ``protocols.OID4VCI``.
    oid4vci_offer: str
    expires: datetime

    @property
    def lcw_deep_link(self) -> str:
        """The link the "Open in wallet" button uses (see :func:`lcw_deep_link`)."""
        return lcw_deep_link(self)


def lcw_deep_link(links: ExchangeLinks) -> str:
    """The legacy ``dccrequest://request`` link: the one flow both the released Learner
    Credential Wallet and its main branch complete by storing the credential (module
    docstring)."""
    return links.dccrequest_url


def _links(
    runtime: Runtime, issuer: Issuer, exchange_id: str, challenge: str, expires: datetime
) -> ExchangeLinks:
    vcapi_url = f"{runtime.urls.base}/exchanges/{exchange_id}"
    direct_url = f"{vcapi_url}/direct"
    query = urlencode(
        {
            "issuer": issuer.did,
            "vc_request_url": direct_url,
            "challenge": challenge,
            "auth_type": "bearer",
        }
    )
    return ExchangeLinks(
        interaction_url=f"{vcapi_url}?iuv=1",
        vcapi_url=vcapi_url,
        direct_url=direct_url,
        dccrequest_url=f"dccrequest://request?{query}",
        oid4vci_offer=oid4vci.offer_links(runtime, paired_offer_id(exchange_id))[1],
        expires=expires,
    )


def paired_offer_id(exchange_id: str) -> str:
    """The id of the OID4VCI offer minted with an exchange: an HMAC keyed by the exchange id,
    so the interaction URL can name the offer again from the id it is asked by (nothing is
    stored in clear) and the offer, which may be shown on its own, does not reveal the
    exchange."""
    mac = hmac.new(exchange_id.encode("utf-8"), _OFFER_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def create_exchange(
    session: Session, runtime: Runtime, *, award: Award | uuid.UUID, now: datetime
) -> ExchangeLinks:
    """Mint a pending exchange for ``award``, live ``MICROCRED_WALLET_LINK_MINUTES``; its
    links. :class:`~issuer.services.wallet_copies.AwardNotInForce` for a revoked or suspended
    award (no link to a credential that could not be delivered)."""
    award_id = award.id if isinstance(award, Award) else award
    row = session.get(Award, award_id)
    if row is None:
        raise NotFound(f"no credential {award_id}")
    if row.status != AwardStatus.active:
        raise AwardNotInForce(row)
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None  # foreign key
    exchange_id = secrets.token_urlsafe(_ID_BYTES)
    challenge = secrets.token_urlsafe(_ID_BYTES)
    expires = now + timedelta(minutes=runtime.settings.wallet_link_minutes)
    links = _links(runtime, issuer, exchange_id, challenge, expires)
    begin_write(session)
    try:
        session.add(
            Exchange(
                id_hash=exchange_hash(exchange_id),
                award_id=row.id,
                challenge=challenge,
                state=ExchangeState.pending.value,
                created=now,
                expires=expires,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    oid4vci.create_offer(
        session, runtime, award=row, now=now, offer_id=paired_offer_id(exchange_id)
    )
    return links


# ------------------------------------------------------------------------------ answers


@dataclass(frozen=True)
class OpenExchange:
    """A pending, unexpired exchange as read (no database object: a verification follows)."""

    id_hash: str
    award_id: uuid.UUID
    challenge: str
    expires: datetime
    links: ExchangeLinks


def open_exchange(
    session: Session, runtime: Runtime, exchange_id: str, *, now: datetime
) -> OpenExchange:
    """The exchange ``exchange_id`` if it can still be completed: :class:`ExchangeRefused` 404
    (unknown), 410 (completed, expired, or its award revoked or suspended since)."""
    if not exchange_id or len(exchange_id) > _MAX_ID:
        raise ExchangeRefused(404, "no such exchange")
    row = session.get(Exchange, exchange_hash(exchange_id))
    if row is None:
        raise ExchangeRefused(404, "no such exchange: ask the claim page for a new wallet link")
    if row.state != ExchangeState.pending:
        raise ExchangeRefused(
            410, "this exchange was already used: a wallet link delivers one credential once"
        )
    if as_utc(row.expires) <= now:
        raise ExchangeRefused(
            410, "this exchange has expired: ask the claim page for a new wallet link"
        )
    award = session.get(Award, row.award_id)
    assert award is not None  # foreign key
    if award.status != AwardStatus.active:
        raise ExchangeRefused(
            410, f"the credential is {award.status}: there is nothing to put in a wallet"
        )
    issuer = session.get(Issuer, award.issuer_id)
    assert issuer is not None
    links = _links(runtime, issuer, exchange_id, row.challenge, as_utc(row.expires))
    return OpenExchange(row.id_hash, row.award_id, row.challenge, as_utc(row.expires), links)


def protocols(exchange: OpenExchange) -> dict[str, Any]:
    """The interaction URL's JSON answer: the protocols this exchange speaks."""
    return {
        "protocols": {
            "vcapi": exchange.links.vcapi_url,
            "OID4VCI": exchange.links.oid4vci_offer,
        }
    }


def presentation_request(runtime: Runtime, exchange: OpenExchange) -> dict[str, Any]:
    """The answer to ``POST {}``: a DID-authentication request bound to this exchange."""
    return {
        "verifiablePresentationRequest": {
            "query": [DID_AUTH_QUERY],
            "challenge": exchange.challenge,
            "domain": _origin(runtime),
        }
    }


def wrap_in_presentation(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The VC-API path's answer: the copy in an (unsigned) presentation, where LCW reads it."""
    return {
        "verifiablePresentation": {
            "@context": [VC2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [dict(credential)],
        }
    }


# ------------------------------------------------------------------------------ completion


def _single_proof(presentation: Mapping[str, Any]) -> Mapping[str, Any]:
    proof = presentation.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ExchangeRefused(
                400, f"the presentation must carry exactly one proof, not {len(proof)}"
            )
        proof = proof[0]
    if not isinstance(proof, Mapping):
        raise ExchangeRefused(400, "the presentation is not signed: it has no proof")
    return proof


def _holder(presentation: Mapping[str, Any]) -> str:
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if not isinstance(holder, str) or not holder.startswith("did:") or "#" in holder:
        raise ExchangeRefused(400, "the presentation's holder must be a DID")
    return holder


def _check_shape(presentation: Any) -> tuple[str, Mapping[str, Any]]:
    """The holder DID and the proof of a DID-authentication presentation; 400 otherwise."""
    if not isinstance(presentation, Mapping):
        raise ExchangeRefused(400, "send a verifiable presentation (a JSON object)")
    types = presentation.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        raise ExchangeRefused(400, "the presentation's type must include VerifiablePresentation")
    if presentation.get("verifiableCredential") not in (None, []):
        raise ExchangeRefused(
            400, "a DID-authentication presentation carries no credential: send it empty"
        )
    return _holder(presentation), _single_proof(presentation)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _check_binding(
    runtime: Runtime,
    exchange: OpenExchange,
    holder: str,
    proof: Mapping[str, Any],
    domain: str | None,
) -> None:
    """The checks a signature cannot make on its own: DID method, purpose, challenge, domain."""
    method = holder.split(":", 2)[1] if holder.count(":") >= 2 else ""
    allowed = runtime.settings.wallet_did_method_set
    if method not in allowed:
        raise ExchangeRefused(
            401,
            f"did:{method} is not accepted here; use a DID of method "
            + " or ".join(f"did:{m}" for m in sorted(allowed)),
        )
    if proof.get("proofPurpose") != "authentication":
        raise ExchangeRefused(401, "the presentation's proof must have proofPurpose authentication")
    challenge = _as_text(proof.get("challenge")).encode("utf-8")
    if not hmac.compare_digest(challenge, exchange.challenge.encode("utf-8")):
        raise ExchangeRefused(401, "the presentation does not answer this exchange's challenge")
    if domain is not None and proof.get("domain") != domain:
        raise ExchangeRefused(
            401, f"the presentation is not bound to this service: its domain must be {domain}"
        )


def _verify_holder_proof(
    verifier: Verifier,
    presentation: Mapping[str, Any],
    exchange: OpenExchange,
    proof: Mapping[str, Any],
    now: datetime,
) -> None:
    """The holder's proof verifies, with a key the holder controls (the project's verifier)."""
    expect = Expectations(
        challenge=exchange.challenge, domain=_as_text(proof.get("domain")) or None
    )
    try:
        result = verifier.verify_presentation(
            presentation, source="DID-authentication presentation", now=now, expect=expect
        )
    except UnusableInput as error:
        raise ExchangeRefused(400, f"the presentation cannot be read: {error}") from None
    if not result.holder.ok:
        raise ExchangeRefused(401, str(result.holder.message))


def _spend(exchange: OpenExchange, protocol: CopyProtocol, now: datetime) -> ClaimHook:
    """The claim hook: ``pending`` → ``completed`` if still pending and unexpired, else 410."""

    def claim(session: Session, copy: WalletCopy) -> None:
        done = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id_hash == exchange.id_hash)
            .where(_TABLE.c.state == ExchangeState.pending.value)
            .where(_TABLE.c.expires > now)
            .values(
                state=ExchangeState.completed.value,
                completed=now,
                protocol=protocol.value,
                copy_id=copy.id,
            )
            .returning(_TABLE.c.id_hash)
        ).first()
        if done is None:
            raise ExchangeRefused(
                410, "this exchange was already used: a wallet link delivers one credential once"
            )

    return claim


def complete_exchange(
    session: Session,
    runtime: Runtime,
    verifier: Verifier,
    *,
    exchange_id: str,
    presentation: Any,
    protocol: CopyProtocol,
    now: datetime,
) -> WalletCopy:
    """Check the holder's DID-auth ``presentation`` against the exchange, then sign and
    deliver the wallet copy (see the module docstring for the checks, in order). ``protocol``
    ``vcapi`` requires the proof's ``domain`` to be our origin; ``dccrequest`` carries none."""
    exchange = open_exchange(session, runtime, exchange_id, now=now)
    # Give the connection back: verifying may fetch (a did:web document), in process or out.
    session.commit()
    holder, proof = _check_shape(presentation)
    domain = _origin(runtime) if protocol is CopyProtocol.vcapi else None
    _check_binding(runtime, exchange, holder, proof, domain)
    _verify_holder_proof(verifier, presentation, exchange, proof, now)
    try:
        copy = issue_wallet_copy(
            session,
            runtime,
            award=exchange.award_id,
            holder_did=holder,
            protocol=protocol,
            now=now,
            claim=_spend(exchange, protocol, now),
        )
    except AwardNotInForce as error:
        raise ExchangeRefused(
            410, f"the credential is {error.status}: there is nothing to put in a wallet"
        ) from None
    log.info(
        "exchange completed (%s): wallet copy %s of credential %s", protocol, copy.id, copy.award_id
    )
    return copy
