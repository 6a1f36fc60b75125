"""Signing, once: the issuer's current key, unsealed, adds a proof; failures become one error.

Awards (:mod:`issuer.services.awards`), VC-API credentials (:mod:`issuer.services.vcapi_issue`)
and status lists (:mod:`issuer.services.status`) all sign through here:

* :func:`signer_for` takes the issuer's *current* keys (:func:`issuer.services.issuers.current_key`)
  and opens their sealed private halves with the KEK, so every signature of one request is made
  by the keys current at the same moment;
* :func:`sign_credential` adds the Data Integrity proof (eddsa-rdfc-2022 unless told otherwise)
  and, when asked for the ``jwt`` format too, wraps the *signed* credential as a VC-JWT (OB 3.0
  adds the linked-data proof before the JWT). The proof is made with the key its suite needs
  (:func:`proof_key_purpose`): the Ed25519 Data Integrity key, or for ``ecdsa-rdfc-2019`` the
  issuer's P-256 JWT key, which a did:web issuer's DID document lists under ``assertionMethod``
  like every key of the issuer (a did:key issuer has only its Ed25519 key).

A library error while signing is a :class:`SigningFailed` (an :class:`IssuanceFailed`, HTTP 500)
whose ``cause`` keeps the original, so a caller that can blame its client for some of them (the
VC-API: an undefined JSON-LD term is the caller's) can say so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from issuer.models import Issuer, KeyPurpose
from issuer.services.context import Runtime
from issuer.services.errors import IssuanceFailed
from issuer.services.issuers import current_key, signing_key
from keys.errors import KeysError
from keys.keypairs import SigningKey
from keys.suites import ProofOptions, add_proof
from keys.suites.vc_jwt import JwtProfile, sign_jwt
from schemas.errors import SchemasError
from schemas.loader import DocumentLoader

__all__ = [
    "DEFAULT_SUITE",
    "Signed",
    "Signer",
    "SignerKey",
    "SigningFailed",
    "proof_key_purpose",
    "sign_credential",
    "signer_for",
]

#: The proof suite of everything the issuer signs unless a VC-API caller asks for another.
DEFAULT_SUITE = "eddsa-rdfc-2022"


#: Suites whose proofs the issuer's P-256 (JWT) key makes; the others use its Ed25519 key.
_ECDSA_SUITES = frozenset({"ecdsa-rdfc-2019"})


def proof_key_purpose(suite: str) -> KeyPurpose:
    """Which of the issuer's keys signs a proof of ``suite``."""
    return KeyPurpose.jwt if suite in _ECDSA_SUITES else KeyPurpose.ldp


class SigningFailed(IssuanceFailed):
    """A proof or JWT could not be made; ``cause`` is the library's error."""

    def __init__(self, message: str, cause: Exception) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class SignerKey:
    """An opened private key and the verification method that names its public half."""

    key: SigningKey
    verification_method: str


@dataclass(frozen=True)
class Signer:
    """An issuer's current keys, opened: one per format it was asked to sign in."""

    issuer: Issuer
    keys: dict[KeyPurpose, SignerKey]

    def key(self, purpose: KeyPurpose) -> SignerKey:
        try:
            return self.keys[purpose]
        except KeyError:
            raise IssuanceFailed(f"no {purpose} key was opened for {self.issuer.slug}") from None


def signer_for(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    *,
    formats: Collection[KeyPurpose] = (KeyPurpose.ldp,),
) -> Signer:
    """The issuer's current keys for ``formats``, unsealed (:class:`IssuanceFailed` if one will
    not open or is missing)."""
    keys = {}
    for purpose in formats:
        row = current_key(session, issuer, purpose)
        keys[purpose] = SignerKey(signing_key(runtime, row), row.verification_method)
    return Signer(issuer, keys)


@dataclass(frozen=True)
class Signed:
    """A signed credential, its VC-JWT when one was asked for, and the proof's method."""

    credential: dict[str, Any]
    jwt: str | None
    verification_method: str


def sign_credential(
    unsigned: dict[str, Any],
    *,
    signer: Signer,
    formats: Collection[KeyPurpose] = (KeyPurpose.ldp,),
    loader: DocumentLoader,
    now: datetime | str | None,
    suite: str = DEFAULT_SUITE,
    what: str = "the credential",
) -> Signed:
    """Add a Data Integrity proof created at ``now`` and, with ``jwt`` in ``formats``, the
    VC-JWT of the signed credential. ``what`` names the document in the error message."""
    ldp = signer.key(proof_key_purpose(suite))
    try:
        signed = add_proof(
            unsigned,
            suite=suite,
            key=ldp.key,
            options=ProofOptions(verification_method=ldp.verification_method, created=now),
            loader=loader,
        )
        token = None
        if KeyPurpose.jwt in formats:
            jwt = signer.key(KeyPurpose.jwt)
            token = sign_jwt(
                signed, key=jwt.key, profile=JwtProfile.OB3, kid=jwt.verification_method
            )
    except (KeysError, SchemasError) as error:
        raise SigningFailed(
            f"signing {what} failed: {type(error).__name__}: {error}", error
        ) from error
    return Signed(signed, token, ldp.verification_method)
