"""The ``ecdsa-rdfc-2019`` cryptosuite (W3C vc-di-ecdsa §3.2): RDFC-1.0 canonicalization, ECDSA.

Two variants under one name, chosen by the key: P-256 hashes with SHA-256 and signs ES256; P-384
hashes with SHA-384 and signs ES384 — and canonicalizes with SHA-384 as RDFC-1.0's own hash
parameter too (blank node labels then differ from the SHA-256 form), as Digital Bazaar's
ecdsa-rdfc-2019-cryptosuite does (its ``messageDigestAlgorithm``; the interop tests hold us to
it). ``proofValue`` is base58btc of the raw fixed-length ``r ‖ s`` (64 / 96 bytes); the keys
verify it strictly (:mod:`keys.keypairs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keys.keypairs import KeyType
from keys.suites.data_integrity import (
    DATA_INTEGRITY_CONTEXT,
    Cryptosuite,
    LinkedDataSignature,
    sha384,
)
from keys.suites.eddsa_rdfc_2022 import canonicalize_rdfc
from schemas.canonical import DocumentLoader, canonicalize


def canonicalize_rdfc_sha384(document: Mapping[str, Any], loader: DocumentLoader) -> str:
    """RDFC-1.0 with SHA-384 as its hash: what ecdsa-rdfc-2019 hashes under a P-384 key."""
    return canonicalize(document, loader=loader, hash_algorithm="sha384")


ECDSA_RDFC_2019_P256 = Cryptosuite(
    name="ecdsa-rdfc-2019",
    canonicalize=canonicalize_rdfc,
    key_type=KeyType.P256,
    signature_length=64,
)
ECDSA_RDFC_2019_P384 = Cryptosuite(
    name="ecdsa-rdfc-2019",
    canonicalize=canonicalize_rdfc_sha384,
    key_type=KeyType.P384,
    signature_length=96,
    digest=sha384,
)

#: DataIntegrityProof with the ecdsa-rdfc-2019 cryptosuite (P-256 or P-384).
suite = LinkedDataSignature(
    name="ecdsa-rdfc-2019",
    proof_type="DataIntegrityProof",
    cryptosuite=ECDSA_RDFC_2019_P256,
    other_key_types=(ECDSA_RDFC_2019_P384,),
    writes_cryptosuite=True,
    required_context=DATA_INTEGRITY_CONTEXT,
)
