"""What every embedded proof suite offers, and the options that go into a proof.

A suite is a small object with ``create_proof`` and ``verify_proof`` (Digital Bazaar's split):
the proof *algorithm* (Data Integrity, or the legacy 2020 signature) owns hashing and the proof
options; the *cryptosuite* contributes only its name, its canonicalization and the key type it
requires. Suites raise :mod:`keys.errors` types; the verifier turns them into check outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from keys.did import KeyResolver, VerificationMethod
from keys.errors import InvalidProof
from keys.keypairs import SigningKey
from schemas.canonical import DocumentLoader
from schemas.dates import format_datetime, is_xsd_datetime, utcnow

ASSERTION_METHOD = "assertionMethod"
AUTHENTICATION = "authentication"


@dataclass(frozen=True)
class ProofOptions:
    """The options a signer puts into a proof (everything but the signature itself)."""

    verification_method: str
    created: datetime | str | None = None
    proof_purpose: str = ASSERTION_METHOD
    challenge: str | None = None
    domain: str | list[str] | None = None
    nonce: str | None = None
    id: str | None = None
    previous_proof: str | list[str] | None = None
    expires: datetime | str | None = None

    def created_value(self) -> str:
        created = self.created if self.created is not None else utcnow()
        # whole seconds, YYYY-MM-DDTHH:MM:SSZ: the form every verifier reads
        value = format_datetime(created) if isinstance(created, datetime) else created
        if not is_xsd_datetime(value):
            raise InvalidProof(f"created is not an xsd:dateTime: {value!r}")
        return value


@dataclass(frozen=True)
class ProofExpectations:
    """What the verifier requires of a proof beyond a good signature."""

    proof_purpose: str = ASSERTION_METHOD
    challenge: str | None = None
    domain: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class ProofSuite(Protocol):
    """An embedded proof format: e.g. DataIntegrityProof/eddsa-rdfc-2022."""

    #: The name used on the command line and in reports, e.g. ``eddsa-rdfc-2022``.
    name: str

    @property
    def reads_jsonld(self) -> bool:
        """Whether verifying a proof expands the document as JSON-LD in safe mode (RDFC), so a
        verified proof also shows every term is defined; JCS and JWS sign the JSON as written."""
        ...

    def handles(self, proof: Mapping[str, Any]) -> bool:
        """Whether this suite is the one that verifies ``proof``."""
        ...

    def create_proof(
        self,
        document: Mapping[str, Any],
        *,
        key: SigningKey,
        options: ProofOptions,
        loader: DocumentLoader,
    ) -> dict[str, Any]:
        """The proof object for ``document`` (which must not contain the new proof)."""
        ...

    def verify_proof(
        self,
        document: Mapping[str, Any],
        proof: Mapping[str, Any],
        *,
        loader: DocumentLoader,
        resolver: KeyResolver,
        expected: ProofExpectations,
    ) -> VerificationMethod:
        """Check ``proof`` over ``document`` (without that proof); return the key that signed.

        Raises a :mod:`keys.errors` type when the proof does not verify.
        """
        ...

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The document as it must be before signing (e.g. with the suite's context added)."""
        ...
