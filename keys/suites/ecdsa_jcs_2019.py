"""The ``ecdsa-jcs-2019`` cryptosuite (W3C vc-di-ecdsa §3.3): JCS canonicalization, ECDSA.

As ecdsa-rdfc-2019 (P-256 with SHA-256, P-384 with SHA-384), but over the RFC 8785 form of the
JSON, and the proof carries the document's ``@context``.
"""

from __future__ import annotations

from keys.keypairs import KeyType
from keys.suites.data_integrity import (
    DATA_INTEGRITY_CONTEXT,
    Cryptosuite,
    LinkedDataSignature,
    sha384,
)
from keys.suites.jcs import canonicalize_jcs

ECDSA_JCS_2019_P256 = Cryptosuite(
    name="ecdsa-jcs-2019",
    canonicalize=canonicalize_jcs,
    key_type=KeyType.P256,
    signature_length=64,
    proof_carries_context=True,
)
ECDSA_JCS_2019_P384 = Cryptosuite(
    name="ecdsa-jcs-2019",
    canonicalize=canonicalize_jcs,
    key_type=KeyType.P384,
    signature_length=96,
    digest=sha384,
    proof_carries_context=True,
)

#: DataIntegrityProof with the ecdsa-jcs-2019 cryptosuite (P-256 or P-384).
suite = LinkedDataSignature(
    name="ecdsa-jcs-2019",
    proof_type="DataIntegrityProof",
    cryptosuite=ECDSA_JCS_2019_P256,
    other_key_types=(ECDSA_JCS_2019_P384,),
    writes_cryptosuite=True,
    required_context=DATA_INTEGRITY_CONTEXT,
)
