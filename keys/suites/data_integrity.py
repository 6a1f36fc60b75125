"""The Data Integrity proof algorithm, generic over its cryptosuite (W3C VC Data Integrity 1.0).

``hashData = H(canonical proof options) ‖ H(canonical document)`` — proof hash first — signed
with the cryptosuite's key type, written as ``proofValue = "z" + base58btc``. ``H`` is SHA-256,
except for ecdsa-*-2019 on P-384, where it is SHA-384: a cryptosuite may come in one variant per
key type (:attr:`LinkedDataSignature.variants`), each with its own hash and signature length.
The legacy ``Ed25519Signature2020`` uses the same construction under a different proof type,
so it is the same class with other parameters (:mod:`keys.suites.ed25519_signature_2020`).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keys.did import KeyResolver, VerificationMethod
from keys.errors import (
    InvalidProof,
    InvalidSignature,
    KeyFormatError,
    KeyResolutionError,
    UnsupportedSuite,
)
from keys.keypairs import KeyType, SigningKey
from keys.multikey import decode_multibase, encode_multibase
from keys.suites.base import ProofExpectations, ProofOptions
from schemas.canonical import DocumentLoader
from schemas.dates import format_datetime, is_xsd_datetime
from schemas.json_values import as_list
from schemas.vocabulary import VC2_CONTEXT

DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v2"

#: Proof members that are the signature itself, never part of what is signed.
_SIGNATURE_MEMBERS = ("proofValue", "jws", "signatureValue")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha384(data: bytes) -> bytes:
    return hashlib.sha384(data).digest()


@dataclass(frozen=True)
class Cryptosuite:
    """What a cryptosuite contributes: its name, canonicalization, the key type it needs, the
    length of its signatures (checked before any key is resolved) and its hash.

    ``proof_carries_context``: the JCS suites copy the document's ``@context`` into the proof
    (vc-di-eddsa §3.3 / vc-di-ecdsa §3.3 and their test vectors), since JCS signs the JSON as
    written and the proof must say which contexts it was made under.
    """

    name: str
    canonicalize: Callable[[Mapping[str, Any], DocumentLoader], str]
    key_type: KeyType
    signature_length: int
    digest: Callable[[bytes], bytes] = sha256
    proof_carries_context: bool = False

    @property
    def reads_jsonld(self) -> bool:
        """Whether ``canonicalize`` expands the document as JSON-LD in safe mode (RDFC), so
        that a proof it verified shows every term is defined and every context bundled. It
        does exactly when the proof does not carry the context: JCS reads no context, so a
        verifier that wants those answers for a JCS proof must expand the document itself.
        (One fact, so one field: a second flag defaulting to True could be left unset on a new
        JCS suite, and the verifier would then skip expanding its credentials.)"""
        return not self.proof_carries_context


def encode_proof_value(signature: bytes) -> str:
    """``proofValue``: the signature as multibase base58btc (``z…``)."""
    return encode_multibase(signature)


def decode_proof_value(value: Any) -> bytes:
    """The signature bytes of a ``proofValue``; :class:`InvalidProof` if it is not ``z…``."""
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise InvalidProof("proofValue must be a base58btc multibase string starting with 'z'")
    try:
        return decode_multibase(value)
    except KeyFormatError as error:
        raise InvalidProof(f"proofValue is not valid base58btc: {error}") from error


class LinkedDataSignature:
    """An embedded proof whose signature covers canonical proof options and document."""

    def __init__(
        self,
        *,
        name: str,
        proof_type: str,
        cryptosuite: Cryptosuite,
        writes_cryptosuite: bool,
        required_context: str | None,
        legacy_cryptosuite_names: tuple[str, ...] = (),
        other_key_types: tuple[Cryptosuite, ...] = (),
    ) -> None:
        self.name = name
        self.proof_type = proof_type
        self.cryptosuite = cryptosuite
        #: One cryptosuite per key type it signs with (ECDSA: P-256 and P-384), same name.
        self.variants = {c.key_type: c for c in (cryptosuite, *other_key_types)}
        self._writes_cryptosuite = writes_cryptosuite
        self._required_context = required_context
        # Names the same algorithm had in drafts; accepted when verifying, never written.
        self._accepted_names = (cryptosuite.name, *legacy_cryptosuite_names)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def reads_jsonld(self) -> bool:
        """Whether verifying a proof expands the document as JSON-LD (every variant of a
        cryptosuite canonicalizes alike)."""
        return self.cryptosuite.reads_jsonld

    #: The proof member that holds the signature.
    signature_member = "proofValue"

    def decode_signature(self, value: str) -> bytes:
        """The signature bytes of the proof's :attr:`signature_member`."""
        return decode_proof_value(value)

    def signing_input(self, value: str, hash_data: bytes) -> bytes:
        """What the key signed, given the signature member and ``hashData``: ``hashData`` itself
        here; a detached JWS prefixes its header (:mod:`keys.suites.ed25519_signature_2018`)."""
        del value
        return hash_data

    def handles(self, proof: Mapping[str, Any]) -> bool:
        if proof.get("type") != self.proof_type:
            return False
        if self._writes_cryptosuite:
            return proof.get("cryptosuite") in self._accepted_names
        return True

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Add the context the proof terms need, if the document does not already define them.

        VC 2.0's context defines DataIntegrityProof; a VC 1.1 document needs the data-integrity
        context, and Ed25519Signature2020 always needs its own.
        """
        prepared = dict(document)
        contexts = as_list(prepared.get("@context"))
        needed = self._required_context
        if needed and needed not in contexts:
            if needed == DATA_INTEGRITY_CONTEXT and VC2_CONTEXT in contexts:
                return prepared
            prepared["@context"] = [*contexts, needed]
        return prepared

    def _variant(self, key_type: KeyType) -> Cryptosuite | None:
        return self.variants.get(key_type)

    @staticmethod
    def _hash_data(
        suite: Cryptosuite,
        document: Mapping[str, Any],
        proof_config: dict[str, Any],
        loader: DocumentLoader,
    ) -> bytes:
        proof_config = dict(proof_config)
        if "@context" in document:
            proof_config["@context"] = document["@context"]
        canonical_proof = suite.canonicalize(proof_config, loader)
        canonical_document = suite.canonicalize(document, loader)
        return suite.digest(canonical_proof.encode("utf-8")) + suite.digest(
            canonical_document.encode("utf-8")
        )

    def create_proof(
        self,
        document: Mapping[str, Any],
        *,
        key: SigningKey,
        options: ProofOptions,
        loader: DocumentLoader,
    ) -> dict[str, Any]:
        suite = self._variant(key.key_type)
        if suite is None:
            raise UnsupportedSuite(
                f"{self.name} signs with {' or '.join(self.variants)} keys, not {key.key_type}"
            )
        proof: dict[str, Any] = {"type": self.proof_type}
        if self._writes_cryptosuite:
            proof["cryptosuite"] = suite.name
        if options.id:
            proof["id"] = options.id
        proof["created"] = options.created_value()
        if options.expires is not None:
            expires = options.expires
            proof["expires"] = expires if isinstance(expires, str) else format_datetime(expires)
        proof["verificationMethod"] = options.verification_method
        proof["proofPurpose"] = options.proof_purpose
        for member, value in (
            ("challenge", options.challenge),
            ("domain", options.domain),
            ("nonce", options.nonce),
            ("previousProof", options.previous_proof),
        ):
            if value is not None:
                proof[member] = value
        if suite.proof_carries_context and "@context" in document:
            proof["@context"] = document["@context"]
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        if options.previous_proof is not None:
            unsecured = with_previous_proofs(document, options.previous_proof)
        hash_data = self._hash_data(suite, unsecured, proof, loader)
        proof["proofValue"] = encode_proof_value(key.sign(hash_data))
        return proof

    def verify_proof(
        self,
        document: Mapping[str, Any],
        proof: Mapping[str, Any],
        *,
        loader: DocumentLoader,
        resolver: KeyResolver,
        expected: ProofExpectations,
    ) -> VerificationMethod:
        if not self.handles(proof):
            raise UnsupportedSuite(f"{self.name} cannot verify a proof of type {proof.get('type')}")
        for member in ("verificationMethod", "proofPurpose", self.signature_member):
            if not isinstance(proof.get(member), str) or not proof[member]:
                raise InvalidProof(f"proof has no {member}")
        if "created" in proof and not is_xsd_datetime(proof["created"]):
            raise InvalidProof(f"proof created is not an xsd:dateTime: {proof['created']!r}")
        if proof["proofPurpose"] != expected.proof_purpose:
            raise InvalidProof(
                f"proofPurpose is {proof['proofPurpose']!r}, expected {expected.proof_purpose!r}"
            )
        if expected.challenge is not None and proof.get("challenge") != expected.challenge:
            raise InvalidProof("proof challenge does not match the expected challenge")
        if expected.domain is not None:
            domain = proof.get("domain")
            domains = domain if isinstance(domain, list) else [domain]
            if expected.domain not in domains:
                raise InvalidProof("proof domain does not match the expected domain")
        if self.cryptosuite.proof_carries_context:
            document = _with_proof_context(document, proof)
        signature = self.decode_signature(proof[self.signature_member])
        lengths = sorted({c.signature_length for c in self.variants.values()})
        if len(signature) not in lengths:
            raise InvalidProof(
                f"{self.name} signatures are {' or '.join(map(str, lengths))} bytes, "
                f"this one is {len(signature)}"
            )

        method = resolver.resolve(proof["verificationMethod"], purpose=expected.proof_purpose)
        suite = self._variant(method.key.key_type)
        if suite is None:
            raise KeyResolutionError(
                f"{self.name} needs a {' or '.join(self.variants)} key; "
                f"{method.id} is {method.key.key_type}"
            )
        if len(signature) != suite.signature_length:
            raise InvalidProof(
                f"{self.name} signatures with {suite.key_type} keys are "
                f"{suite.signature_length} bytes, this one is {len(signature)}"
            )
        config = {k: v for k, v in proof.items() if k not in _SIGNATURE_MEMBERS}
        hash_data = self._hash_data(suite, document, config, loader)
        try:
            signed = self.signing_input(proof[self.signature_member], hash_data)
            method.key.verify(signature, signed)
        except InvalidSignature:
            raise InvalidSignature(
                f"{self.name} signature does not verify with {method.id}"
            ) from None
        return method


def _with_proof_context(document: Mapping[str, Any], proof: Mapping[str, Any]) -> Mapping[str, Any]:
    """The JCS suites' Verify Proof (vc-di-eddsa / vc-di-ecdsa §3.3): a proof that carries an
    ``@context`` was made over the document under exactly that context, which the document's own
    ``@context`` must begin with, in the same order. The document is then read under the proof's
    context. (The RDFC suites, as before, sign the proof options under the document's context.)"""
    if "@context" not in proof:
        return document
    proof_contexts = as_list(proof["@context"])
    document_contexts = as_list(document.get("@context"))
    if document_contexts[: len(proof_contexts)] != proof_contexts:
        raise InvalidProof("the document's @context does not begin with the proof's @context")
    return {**document, "@context": proof["@context"]}


def with_previous_proofs(document: Mapping[str, Any], previous: str | list[str]) -> dict[str, Any]:
    """The document as a chained proof (``previousProof``) signed it: with exactly the proofs it
    names. Signing and verifying a proof chain both need it."""
    wanted = [previous] if isinstance(previous, str) else list(previous)
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else ([proofs] if proofs else [])
    chosen = [p for p in proofs if isinstance(p, Mapping) and p.get("id") in wanted]
    if len(chosen) != len(wanted):
        raise InvalidProof(f"previousProof {wanted} names a proof the document does not have")
    unsecured = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    unsecured["proof"] = chosen[0] if len(chosen) == 1 else chosen
    return unsecured
