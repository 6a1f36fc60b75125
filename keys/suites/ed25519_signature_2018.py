"""The legacy ``Ed25519Signature2018`` proof: verified, never written.

Still what many credentials in the field carry (Digital Bazaar's ``ed25519-signature-2018``,
older Blockcerts and DCC wallets). It is jsonld-signatures' ``LinkedDataSignature`` —
``hashData = SHA-256(RDFC(proof options with the document's @context)) ‖ SHA-256(RDFC(document))``
— signed as a *detached, unencoded-payload* JWS (RFC 7797): the proof's ``jws`` is
``base64url(header) + ".." + base64url(signature)``, and the Ed25519 signature covers
``ASCII(base64url(header) + ".") ‖ hashData``. The header must be exactly
``{"alg": "EdDSA", "b64": false, "crit": ["b64"]}`` (member order free): anything else is refused
rather than interpreted, so one proof has one meaning.

The key is an ``Ed25519VerificationKey2018`` (``publicKeyBase58``) in a controller or DID
document, or any Ed25519 key (``did:key``) — :mod:`keys.did` reads both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from keys.errors import InvalidProof, KeyFormatError, UnsupportedSuite
from keys.keypairs import SigningKey, b64url_decode
from keys.suites.base import ProofOptions
from keys.suites.data_integrity import LinkedDataSignature
from keys.suites.eddsa_rdfc_2022 import EDDSA_RDFC_2022
from schemas.canonical import DocumentLoader
from schemas.json_values import DuplicateMember, parse_json, unique_members

ED25519_2018_CONTEXT = "https://w3id.org/security/suites/ed25519-2018/v1"
#: The only header this proof may carry (RFC 7797 unencoded payload, EdDSA).
JWS_HEADER: Mapping[str, Any] = {"alg": "EdDSA", "b64": False, "crit": ["b64"]}


class DetachedJwsSignature(LinkedDataSignature):
    """A LinkedDataSignature whose signature is a detached JWS in the proof's ``jws``."""

    signature_member = "jws"

    def decode_signature(self, value: str) -> bytes:
        header_part, signature_part = _split_jws(value)
        try:
            # Duplicate members refused: {"alg":"none","alg":"EdDSA",…} must not pass as EdDSA.
            header = parse_json(b64url_decode(header_part), object_pairs_hook=unique_members)
        except DuplicateMember as error:
            raise InvalidProof(f"{self.name} jws header: {error}") from error
        except (KeyFormatError, ValueError) as error:
            raise InvalidProof(f"{self.name} jws header is not base64url JSON") from error
        if header != JWS_HEADER:
            raise InvalidProof(
                f"{self.name} jws header must be {json.dumps(JWS_HEADER)}, not {header!r:.200}"
            )
        try:
            return b64url_decode(signature_part)
        except KeyFormatError as error:
            raise InvalidProof(f"{self.name} jws signature is not base64url") from error

    def signing_input(self, value: str, hash_data: bytes) -> bytes:
        header_part, _ = _split_jws(value)
        return header_part.encode("ascii") + b"." + hash_data

    def create_proof(
        self,
        document: Mapping[str, Any],
        *,
        key: SigningKey,
        options: ProofOptions,
        loader: DocumentLoader,
    ) -> dict[str, Any]:
        raise UnsupportedSuite(
            f"{self.name} is verified but never written: sign with eddsa-rdfc-2022 instead"
        )


def _split_jws(value: str) -> tuple[str, str]:
    header, _, signature = value.partition("..")
    if not header or not signature or "." in signature or not header.isascii():
        raise InvalidProof("jws must be a detached JWS: <header>..<signature>")
    return header, signature


suite = DetachedJwsSignature(
    name="Ed25519Signature2018",
    proof_type="Ed25519Signature2018",
    cryptosuite=EDDSA_RDFC_2022,
    writes_cryptosuite=False,
    required_context=ED25519_2018_CONTEXT,
)
