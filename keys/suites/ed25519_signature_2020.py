"""The legacy ``Ed25519Signature2020`` proof (deprecated, still what many wallets and the DCC
signing service emit by default).

Same construction as eddsa-rdfc-2022 (the vc-di-eddsa appendix), under its own proof type and
with its own context, which must be in the document.
"""

from __future__ import annotations

from keys.suites.data_integrity import LinkedDataSignature
from keys.suites.eddsa_rdfc_2022 import EDDSA_RDFC_2022

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"

suite = LinkedDataSignature(
    name="Ed25519Signature2020",
    proof_type="Ed25519Signature2020",
    cryptosuite=EDDSA_RDFC_2022,
    writes_cryptosuite=False,
    required_context=ED25519_2020_CONTEXT,
)
