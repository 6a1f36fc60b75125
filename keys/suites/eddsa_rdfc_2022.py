"""The ``eddsa-rdfc-2022`` cryptosuite: RDFC-1.0 canonicalization, SHA-256, Ed25519.

The cryptosuite OB 3.0 certification requires for Linked Data proofs. It contributes only its
name, its canonicalization and its key type; :class:`LinkedDataSignature` does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keys.keypairs import KeyType
from keys.suites.data_integrity import DATA_INTEGRITY_CONTEXT, Cryptosuite, LinkedDataSignature
from schemas.canonical import DocumentLoader, canonicalize


def canonicalize_rdfc(document: Mapping[str, Any], loader: DocumentLoader) -> str:
    """RDFC-1.0 N-Quads of ``document`` (every ``*-rdfc-*`` suite and the 2018/2020 ones)."""
    return canonicalize(document, loader=loader)


EDDSA_RDFC_2022 = Cryptosuite(
    name="eddsa-rdfc-2022",
    canonicalize=canonicalize_rdfc,
    key_type=KeyType.ED25519,
    signature_length=64,  # RFC 8032: R ‖ S, 32 bytes each
)

#: DataIntegrityProof with the eddsa-rdfc-2022 cryptosuite.
suite = LinkedDataSignature(
    name="eddsa-rdfc-2022",
    proof_type="DataIntegrityProof",
    cryptosuite=EDDSA_RDFC_2022,
    writes_cryptosuite=True,
    required_context=DATA_INTEGRITY_CONTEXT,
    # The draft name of the same algorithm; 1EdTech's validator fixtures still carry it.
    legacy_cryptosuite_names=("eddsa-2022",),
)
