"""The ``eddsa-jcs-2022`` cryptosuite (W3C vc-di-eddsa §3.3): JCS canonicalization, SHA-256,
Ed25519. The proof carries the document's ``@context`` (as the W3C test vector shows)."""

from __future__ import annotations

from keys.keypairs import KeyType
from keys.suites.data_integrity import DATA_INTEGRITY_CONTEXT, Cryptosuite, LinkedDataSignature
from keys.suites.jcs import canonicalize_jcs

EDDSA_JCS_2022 = Cryptosuite(
    name="eddsa-jcs-2022",
    canonicalize=canonicalize_jcs,
    key_type=KeyType.ED25519,
    signature_length=64,
    proof_carries_context=True,
)

#: DataIntegrityProof with the eddsa-jcs-2022 cryptosuite.
suite = LinkedDataSignature(
    name="eddsa-jcs-2022",
    proof_type="DataIntegrityProof",
    cryptosuite=EDDSA_JCS_2022,
    writes_cryptosuite=True,
    required_context=DATA_INTEGRITY_CONTEXT,
)
