"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.

The flow, as a wallet walks it::

    claim page / exchange ── create_offer ──▶ openid-credential-offer://?credential_offer_uri=…
    GET  /oid4vci/offers/{id}                 the offer: issuer, configurations, pre-authorized code
    GET  /.well-known/openid-credential-issuer{issuer path}     issuer metadata
    GET  /.well-known/oauth-authorization-server{issuer path}   AS metadata (RFC 8414)
    POST /oid4vci/token     pre-authorized code (+ tx_code) → access token      (once)
    POST /oid4vci/nonce     → c_nonce                                            (each used once)
    POST /oid4vci/credential  access token + jwt key proof → the award's copy bound to the key

**Credential issuers.** Each of the service's issuers is a credential issuer of its own, and its
identifier is its public profile URL, ``{base}/issuers/{slug}`` (:meth:`Urls.issuer`): a wallet
shows the issuer's own name and logo, and a proof made for one issuer (``aud``) is worthless at
another. The issuer is also its own authorization server (no ``authorization_servers``); the
token, nonce and credential endpoints are shared by all issuers, since a grant names its award
and so its issuer.

**Secrets.** The offer id is 256 random bits; the pre-authorized code is HMAC-SHA-256 of a
fixed label keyed by the offer id, so serving the offer again needs no stored code. Offer id,
code, access token and nonces are stored as SHA-256 only; the transaction code as an HMAC keyed
by the code (:mod:`issuer.models.oid4vci`). Every comparison of a presented secret is a lookup
by its digest (the digest of a guess reveals nothing about the stored one) or
:func:`hmac.compare_digest`. No secret is logged or put in an error message.

**Single use.** The pre-authorized code is redeemed by one conditional UPDATE (``redeemed IS
NULL``): of two concurrent token requests exactly one gets a token, on SQLite (``BEGIN
IMMEDIATE``) and PostgreSQL (the row lock re-evaluates the condition). A transaction-code
attempt is counted before the code is compared, by the same kind of UPDATE, so the cap holds
under concurrent guesses too. A c_nonce is consumed by deleting its row.

Errors are :class:`OAuthError` with the RFC 6749 / 6750 / OID4VCI code the route answers with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardStatus,
    CopyProtocol,
    Issuer,
    KeyPurpose,
    Oid4vciGrant,
    Oid4vciIssuance,
    Oid4vciNonce,
    WalletCopy,
)
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, NotFound
from issuer.services.issuers import current_key
from issuer.services.signing import DEFAULT_SUITE
from issuer.services.wallet_copies import AwardNotInForce, issue_wallet_copy
from keys.errors import KeysError
from keys.key_proof import verify_key_proof
from keys.keypairs import KeyType
from schemas.dates import as_utc
from schemas.vocabulary import OB_CONTEXT, VC2_CONTEXT

__all__ = [
    "CONFIGURATION_IDS",
    "JWT_VC_JSON",
    "LDP_VC",
    "MIN_OFFER_ID_LENGTH",
    "PRE_AUTHORIZED_GRANT",
    "Gone",
    "Nonce",
    "OAuthError",
    "Offer",
    "TokenGrant",
    "authorization_server_metadata",
    "consume_nonce",
    "create_offer",
    "issue_credential",
    "issuer_metadata",
    "issuer_of_path",
    "new_nonce",
    "offer_document",
    "offer_links",
    "redeem_code",
    "require_bearer",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#: Credential configuration ids (keys of ``credential_configurations_supported``).
LDP_VC = "OpenBadgeCredential_ldp_vc"
JWT_VC_JSON = "OpenBadgeCredential_jwt_vc_json"
#: Every configuration, in the order offers list them (ldp_vc first: the default).
CONFIGURATION_IDS: tuple[str, ...] = (LDP_VC, JWT_VC_JSON)
#: The ``format`` of each configuration, also the ``fmt`` a wallet copy is signed in.
FORMATS: Mapping[str, str] = {LDP_VC: "ldp_vc", JWT_VC_JSON: "jwt_vc_json"}
#: Key proof algorithms accepted (``proof_signing_alg_values_supported``).
PROOF_ALGORITHMS: tuple[str, ...] = ("EdDSA", "ES256")
#: DID methods a holder's key may be named by; both resolve offline.
BINDING_METHODS: tuple[str, ...] = ("did:key", "did:jwk")
#: Digits of a transaction code (``tx_code.length``).
TX_CODE_LENGTH = 6
_CODE_LABEL = b"microcred oid4vci pre-authorized_code"
_OB_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
_JWS_ALG_OF_KEY = {KeyType.P256: "ES256", KeyType.RSA: "RS256", KeyType.ED25519: "EdDSA"}


class OAuthError(Exception):
    """A refusal in OAuth's words: ``error`` is the RFC 6749 / 6750 / OID4VCI code, the message
    the ``error_description`` (never holding a secret). ``status`` is 400 unless said; a 401
    carries ``WWW-Authenticate: Bearer`` (with ``error`` when a token was presented)."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, challenge: bool = True
    ) -> None:
        # RFC 6749 §5.2: error_description is ASCII without '"' and '\\' (it also goes into a
        # quoted WWW-Authenticate parameter).
        description = "".join(
            ch if " " <= ch <= "~" and ch not in '"\\' else "'" for ch in description
        )
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        #: For a 401/403 (RFC 6750 §3): whether ``WWW-Authenticate`` names the error; not when
        #: the request carried no token at all.
        self.challenge = challenge

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def www_authenticate(self) -> str | None:
        """The ``WWW-Authenticate`` value of a refused bearer token (401 / 403), else None."""
        if self.status not in (401, 403):
            return None
        if not self.challenge:
            return "Bearer"
        return f'Bearer error="{self.error}", error_description="{self.description}"'


class Gone(Exception):
    """An offer that existed but can no longer be used (expired or already redeemed): 410."""


#: The shortest offer id a caller may choose (``secrets.token_urlsafe(24)``: 192 bits).
MIN_OFFER_ID_LENGTH = 32


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _code_for(offer_id: str) -> str:
    """The pre-authorized code of an offer: derived, so it is never stored in clear."""
    mac = hmac.new(offer_id.encode("utf-8"), _CODE_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def _tx_mac(code: str, tx_code: str) -> str:
    return hmac.new(code.encode("utf-8"), tx_code.encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------ metadata


def issuer_of_path(session: Session, runtime: Runtime, path: str) -> Issuer:
    """The issuer whose credential issuer identifier has this path (what follows the
    ``/.well-known/…`` name in a metadata request); :class:`NotFound` otherwise."""
    base_path = urlsplit(runtime.urls.base).path.rstrip("/")
    path = "/" + path.strip("/")
    prefix = f"{base_path}/issuers/"
    slug = path[len(prefix) :] if path.startswith(prefix) else ""
    issuer = (
        session.exec(select(Issuer).where(Issuer.slug == slug)).first()
        if slug and "/" not in slug
        else None
    )
    if issuer is None:
        raise NotFound("no credential issuer here: the identifiers are {base}/issuers/{slug}")
    return issuer


def _display(issuer: Issuer) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {"name": issuer.name}
    if issuer.image:
        entry["logo"] = {"uri": issuer.image, "alt_text": issuer.name}
    return [entry]


def issuer_metadata(session: Session, runtime: Runtime, *, issuer: Issuer) -> dict[str, Any]:
    """The credential issuer metadata of ``issuer`` (OID4VCI 1.0 §12.2)."""
    urls = runtime.urls
    jwt_key = current_key(session, issuer, KeyPurpose.jwt)
    jwt_alg = _JWS_ALG_OF_KEY[KeyType(jwt_key.key_type)]
    proof_types = {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}}
    credential_display = {"display": [{"name": "Open Badge", "locale": "en"}]}

    def configuration(fmt: str, signing: str, definition: dict[str, Any]) -> dict[str, Any]:
        return {
            "format": fmt,
            "cryptographic_binding_methods_supported": list(BINDING_METHODS),
            "credential_signing_alg_values_supported": [signing],
            "proof_types_supported": proof_types,
            "credential_definition": definition,
            "credential_metadata": credential_display,
        }

    return {
        "credential_issuer": urls.issuer(issuer.slug),
        "credential_endpoint": urls.oid4vci_credential,
        "nonce_endpoint": urls.oid4vci_nonce,
        "display": _display(issuer),
        "credential_configurations_supported": {
            LDP_VC: configuration(
                "ldp_vc",
                DEFAULT_SUITE,
                {"@context": [VC2_CONTEXT, OB_CONTEXT], "type": list(_OB_TYPES)},
            ),
            JWT_VC_JSON: configuration("jwt_vc_json", jwt_alg, {"type": list(_OB_TYPES)}),
        },
    }


def authorization_server_metadata(runtime: Runtime, *, issuer: Issuer) -> dict[str, Any]:
    """RFC 8414 metadata of ``issuer`` as its own authorization server: the pre-authorized
    code grant only, anonymous (no client authentication)."""
    urls = runtime.urls
    return {
        "issuer": urls.issuer(issuer.slug),
        "token_endpoint": urls.oid4vci_token,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# ------------------------------------------------------------------------------ offers


@dataclass(frozen=True)
class Offer:
    """A credential offer minted for one visit: show ``link`` (a QR code, a button), tell the
    educator ``tx_code`` (when asked for) another way. ``expires`` is when both stop working.

    ``offer_uri`` holds the offer id and so the pre-authorized code: as secret as a password
    until it expires (kept out of ``repr``)."""

    offer_uri: str = field(repr=False)
    link: str = field(repr=False)
    expires: datetime
    tx_code: str | None = field(default=None, repr=False)


def create_offer(
    session: Session,
    runtime: Runtime,
    *,
    award: Award,
    now: datetime,
    tx_code: bool = False,
    configurations: Sequence[str] = CONFIGURATION_IDS,
    offer_id: str | None = None,
) -> Offer:
    """A new offer of ``award`` to any wallet, by reference, living
    ``MICROCRED_WALLET_LINK_MINUTES``. Refused (:class:`Conflict`) for an award that is
    revoked or suspended. Commits.

    ``offer_id`` lets a caller derive the id from a secret of its own (a wallet exchange
    offers the same award by OID4VCI, :func:`issuer.services.exchanges.create_exchange`, and
    names the offer again from the exchange id it is asked by, :func:`offer_links`); it must be
    as unguessable as a fresh one (at least 32 URL-safe characters)."""
    if award.status != AwardStatus.active:
        raise Conflict(f"this credential is {award.status}: it cannot be offered to a wallet")
    unknown = [c for c in configurations if c not in FORMATS]
    if not configurations or unknown:
        raise ValueError(f"unknown credential configurations: {unknown or 'none given'}")
    if offer_id is None:
        offer_id = secrets.token_urlsafe(32)
    elif len(offer_id) < MIN_OFFER_ID_LENGTH:
        raise ValueError("an offer id must have at least 32 URL-safe characters")
    code = _code_for(offer_id)
    tx = "".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH)) if tx_code else None
    expires = as_utc(now) + timedelta(minutes=runtime.settings.wallet_link_minutes)
    begin_write(session)
    session.add(
        Oid4vciGrant(
            award_id=award.id,
            issuer_id=award.issuer_id,
            configuration_ids=list(dict.fromkeys(configurations)),
            offer_hash=_digest(offer_id),
            code_hash=_digest(code),
            tx_code_mac=_tx_mac(code, tx) if tx is not None else None,
            created=now,
            expires=expires,
        )
    )
    session.commit()
    offer_uri, link = offer_links(runtime, offer_id)
    return Offer(offer_uri=offer_uri, link=link, expires=expires, tx_code=tx)


def offer_links(runtime: Runtime, offer_id: str) -> tuple[str, str]:
    """The offer's ``credential_offer_uri`` and the ``openid-credential-offer://`` link that
    carries it by reference (what a QR code shows)."""
    offer_uri = runtime.urls.oid4vci_offer(offer_id)
    return offer_uri, "openid-credential-offer://?credential_offer_uri=" + quote(offer_uri, safe="")


def offer_document(
    session: Session, runtime: Runtime, *, offer_id: str, now: datetime
) -> dict[str, Any]:
    """The credential offer object served at the ``credential_offer_uri``.

    :class:`NotFound` for an id never issued, :class:`Gone` for one expired or redeemed."""
    grant = session.exec(
        select(Oid4vciGrant).where(Oid4vciGrant.offer_hash == _digest(offer_id))
    ).first()
    if grant is None:
        raise NotFound("no such credential offer")
    if grant.redeemed is not None:
        raise Gone("this credential offer has been used; get a new one from the claim page")
    if as_utc(grant.expires) <= as_utc(now):
        raise Gone("this credential offer has expired; get a new one from the claim page")
    issuer = session.get(Issuer, grant.issuer_id)
    assert issuer is not None  # a foreign key
    pre_authorized: dict[str, Any] = {"pre-authorized_code": _code_for(offer_id)}
    if grant.tx_code_mac is not None:
        pre_authorized["tx_code"] = {
            "input_mode": "numeric",
            "length": TX_CODE_LENGTH,
            "description": "The code shown next to the QR code on the claim page",
        }
    return {
        "credential_issuer": runtime.urls.issuer(issuer.slug),
        "credential_configuration_ids": list(grant.configuration_ids),
        "grants": {PRE_AUTHORIZED_GRANT: pre_authorized},
    }


# ------------------------------------------------------------------------------ token


@dataclass(frozen=True)
class TokenGrant:
    """A successful token response's content (``access_token`` is shown once, never stored)."""

    access_token: str = field(repr=False)
    expires_in: int

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


def _count_tx_attempt(session: Session, grant: Oid4vciGrant, cap: int) -> bool:
    """Count one transaction-code attempt; False when the cap was already reached."""
    counted = session.execute(
        sa.update(Oid4vciGrant)
        .where(col(Oid4vciGrant.id) == grant.id)
        .where(col(Oid4vciGrant.redeemed).is_(None))
        .where(col(Oid4vciGrant.tx_code_attempts) < cap)
        .values(tx_code_attempts=col(Oid4vciGrant.tx_code_attempts) + 1)
        .returning(col(Oid4vciGrant.tx_code_attempts))
    ).first()
    return counted is not None


def redeem_code(
    session: Session,
    runtime: Runtime,
    *,
    form: Mapping[str, Sequence[str]],
    now: datetime,
) -> TokenGrant:
    """The token endpoint: exchange a pre-authorized code (and its transaction code) for an
    access token, once. ``form`` is the request's parameters, each with every value given
    (RFC 6749 §3.2: none may be repeated). Raises :class:`OAuthError`."""
    values: dict[str, str] = {}
    for name, given in form.items():
        if len(given) != 1:
            raise OAuthError("invalid_request", f"the parameter {name} is repeated")
        values[name] = given[0]
    grant_type = values.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError(
            "unsupported_grant_type", f"only the {PRE_AUTHORIZED_GRANT} grant is supported"
        )
    code = values.get("pre-authorized_code")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is missing")
    begin_write(session)
    try:
        return _redeem(session, runtime, code=code, tx_code=values.get("tx_code"), now=now)
    except OAuthError:
        session.rollback()  # no write lock kept while the refusal is sent (after a commit: none)
        raise


def _redeem(
    session: Session, runtime: Runtime, *, code: str, tx_code: str | None, now: datetime
) -> TokenGrant:
    settings = runtime.settings
    now = as_utc(now)
    grant = session.exec(
        select(Oid4vciGrant).where(Oid4vciGrant.code_hash == _digest(code))
    ).first()
    if grant is None:
        raise OAuthError("invalid_grant", "the pre-authorized code is not valid")
    if grant.redeemed is not None:
        raise OAuthError("invalid_grant", "the pre-authorized code has already been used")
    if as_utc(grant.expires) <= now:
        raise OAuthError("invalid_grant", "the pre-authorized code has expired")
    if grant.tx_code_mac is None:
        if tx_code is not None:
            raise OAuthError("invalid_request", "this offer takes no tx_code")
    else:
        if not tx_code:
            raise OAuthError("invalid_request", "this offer needs its tx_code")
        cap = settings.oid4vci_tx_code_attempts
        if not _count_tx_attempt(session, grant, cap):
            session.commit()
            raise OAuthError(
                "invalid_grant",
                "too many wrong transaction codes: this offer no longer works; get a new one",
            )
        if not hmac.compare_digest(_tx_mac(code, tx_code), grant.tx_code_mac):
            session.commit()  # the attempt stays counted
            raise OAuthError("invalid_grant", "the transaction code is wrong")
    token = secrets.token_urlsafe(32)
    lifetime = settings.oid4vci_access_token_seconds
    redeemed = session.execute(
        sa.update(Oid4vciGrant)
        .where(col(Oid4vciGrant.id) == grant.id)
        .where(col(Oid4vciGrant.redeemed).is_(None))
        .values(
            redeemed=now,
            access_token_hash=_digest(token),
            access_expires=now + timedelta(seconds=lifetime),
        )
        .returning(col(Oid4vciGrant.id))
    ).first()
    if redeemed is None:
        raise OAuthError("invalid_grant", "the pre-authorized code has already been used")
    session.commit()
    return TokenGrant(access_token=token, expires_in=lifetime)


# ------------------------------------------------------------------------------ nonces


@dataclass(frozen=True)
class Nonce:
    c_nonce: str
    expires_in: int


def new_nonce(session: Session, runtime: Runtime, *, now: datetime) -> Nonce:
    """A fresh ``c_nonce`` for one key proof. Expired ones are swept out on the way, so the
    table holds at most the nonces of the last ``MICROCRED_OID4VCI_NONCE_SECONDS``."""
    now = as_utc(now)
    lifetime = runtime.settings.oid4vci_nonce_seconds
    value = secrets.token_urlsafe(32)
    begin_write(session)
    session.execute(sa.delete(Oid4vciNonce).where(col(Oid4vciNonce.expires) <= now))
    session.add(Oid4vciNonce(nonce_hash=_digest(value), expires=now + timedelta(seconds=lifetime)))
    session.commit()
    return Nonce(c_nonce=value, expires_in=lifetime)


def consume_nonce(session: Session, *, value: str, now: datetime) -> bool:
    """Use a ``c_nonce`` up: True if it was ours, unexpired and unused (it is gone after).
    Runs in the caller's transaction."""
    used = session.execute(
        sa.delete(Oid4vciNonce)
        .where(col(Oid4vciNonce.nonce_hash) == _digest(value))
        .where(col(Oid4vciNonce.expires) > as_utc(now))
        .returning(col(Oid4vciNonce.nonce_hash))
    ).first()
    return used is not None


def _grant_of_token(session: Session, token: str, now: datetime) -> Oid4vciGrant:
    grant = session.exec(
        select(Oid4vciGrant).where(Oid4vciGrant.access_token_hash == _digest(token))
    ).first()
    if grant is None or grant.access_expires is None:
        raise OAuthError("invalid_token", "the access token is not valid", status=401)
    if as_utc(grant.access_expires) <= as_utc(now):
        raise OAuthError("invalid_token", "the access token has expired", status=401)
    return grant


# ------------------------------------------------------------------------------ credential


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise OAuthError(
            "invalid_token", "an access token is required", status=401, challenge=False
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OAuthError(
            "invalid_request", "use 'Authorization: Bearer <access token>'", status=401
        )
    return token.strip()


def _requested(body: Any, offered: Sequence[str]) -> tuple[str, str]:
    """The configuration asked for and its one ``jwt`` key proof (OID4VCI 1.0 §8.2)."""
    if not isinstance(body, dict):
        raise OAuthError("invalid_credential_request", "the body must be a JSON object")
    if "credential_response_encryption" in body:
        raise OAuthError(
            "invalid_encryption_parameters", "this issuer does not encrypt credential responses"
        )
    if "credential_identifier" in body:
        if "credential_configuration_id" in body:
            raise OAuthError(
                "invalid_credential_request",
                "give credential_configuration_id or credential_identifier, not both",
            )
        raise OAuthError(
            "unknown_credential_identifier",
            "this issuer hands out no credential identifiers: use credential_configuration_id",
        )
    configuration = body.get("credential_configuration_id")
    if configuration is None:
        raise OAuthError("invalid_credential_request", "credential_configuration_id is missing")
    if not isinstance(configuration, str) or configuration not in FORMATS:
        raise OAuthError(
            "unknown_credential_configuration",
            f"credential_configuration_id must be one of {', '.join(CONFIGURATION_IDS)}",
        )
    if configuration not in offered:
        raise OAuthError(
            "insufficient_scope",
            f"this access token was not granted for {configuration}",
            status=403,
        )
    if "proof" in body:
        raise OAuthError(
            "invalid_credential_request",
            "'proof' is gone from OID4VCI 1.0: send 'proofs': {'jwt': [<key proof>]}",
        )
    proofs = body.get("proofs")
    if proofs is None:
        raise OAuthError("invalid_proof", "proofs is missing: a jwt key proof is required")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise OAuthError(
            "invalid_credential_request", "proofs must be an object with exactly one proof type"
        )
    if "jwt" not in proofs:
        raise OAuthError("invalid_proof", "only jwt key proofs are supported")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or not jwts:
        raise OAuthError("invalid_credential_request", "proofs.jwt must be a non-empty array")
    if len(jwts) > 1:
        raise OAuthError(
            "invalid_credential_request", "one key proof per request (no batch issuance)"
        )
    return configuration, jwts[0]


def _mark_issued(session: Session, grant_id: Any, configuration: str, copy: WalletCopy) -> bool:
    """Insert the issuance row unless one exists (``ON CONFLICT DO NOTHING``); True if it went
    in. On PostgreSQL a concurrent insert of the same key waits for the other's commit."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Oid4vciIssuance)
        .values(
            grant_id=grant_id,
            configuration_id=configuration,
            holder_did=copy.holder_did,
            copy_id=copy.id,
            issued=copy.created,
        )
        .on_conflict_do_nothing()
        .returning(col(Oid4vciIssuance.grant_id))
    )
    return session.execute(statement).first() is not None


def require_bearer(session: Session, authorization: str | None, *, now: datetime) -> None:
    """Raise the 401 :class:`OAuthError` a credential request without a live access token
    gets, whatever else is wrong with it."""
    _grant_of_token(session, _bearer_token(authorization), as_utc(now))


def issue_credential(
    session: Session,
    runtime: Runtime,
    *,
    authorization: str | None,
    body: Any,
    now: datetime,
) -> dict[str, Any]:
    """The credential endpoint: the award's copy, bound to the key of the request's ``jwt`` key
    proof, as ``{"credentials": [{"credential": …}]}``. Raises :class:`OAuthError`.

    Checked in this order, so each refusal says the first thing wrong: the access token (401),
    the request (400), the key proof (``invalid_proof``: typ, alg, key, signature, ``aud`` =
    the grant's credential issuer, ``iat`` window, a nonce present). Then, in the copy's own
    transaction once the award is locked (:func:`issue_wallet_copy`): the award in force
    (``credential_request_denied``), the nonce one of ours, unused and unexpired
    (``invalid_nonce``; consumed), this configuration not issued yet under this grant. Any
    refusal there rolls the whole transaction back: nothing signed, nonce not spent.
    """
    now = as_utc(now)
    token = _bearer_token(authorization)
    grant = _grant_of_token(session, token, now)
    grant_id, award_id = grant.id, grant.award_id
    configuration, proof = _requested(body, grant.configuration_ids)
    issuer = session.get(Issuer, grant.issuer_id)
    assert issuer is not None  # a foreign key
    settings = runtime.settings
    try:
        key_proof = verify_key_proof(
            proof,
            audience=runtime.urls.issuer(issuer.slug),
            now=now,
            algorithms=PROOF_ALGORITHMS,
            max_age=timedelta(seconds=settings.oid4vci_proof_max_age_seconds),
        )
    except KeysError as error:
        raise OAuthError("invalid_proof", str(error)) from None

    def claim(own: Session, copy: WalletCopy) -> None:
        if not consume_nonce(own, value=key_proof.nonce, now=now):
            raise OAuthError(
                "invalid_nonce",
                "the key proof's nonce is not a current c_nonce of this issuer (unknown, used "
                "or expired): get a new one from the nonce endpoint",
            )
        if not _mark_issued(own, grant_id, configuration, copy):
            raise OAuthError(
                "credential_request_denied",
                f"the {configuration} credential of this offer has already been issued",
            )

    try:
        copy = issue_wallet_copy(
            session,
            runtime,
            award=award_id,
            holder_did=key_proof.did,
            protocol=CopyProtocol.oid4vci,
            fmt=FORMATS[configuration],
            now=now,
            claim=claim,
        )
    except AwardNotInForce as error:
        raise OAuthError("credential_request_denied", str(error)) from None
    credential: Any = (
        copy.credential_jwt
        if FORMATS[configuration] == "jwt_vc_json"
        else json.loads(copy.credential)
    )
    return {"credentials": [{"credential": credential}]}
