"""How a credential is signed and whose key it is.

Key pairs, DIDs, proof suites and the guarded fetcher every remote document goes through.

The names below are the library surface; the modules hold the rest (``keys.multikey``,
``keys.did.did_web``, the pieces of ``keys.fetch``, the individual suites).
"""

from typing import TYPE_CHECKING

from schemas.lazy import lazy_exports

if TYPE_CHECKING:
    from keys.did import (
        KeyResolver,
        VerificationMethod,
        check_controller,
    )
    from keys.errors import (
        FetchError,
        InvalidProof,
        InvalidSignature,
        KeyFormatError,
        KeyResolutionError,
        KeysError,
        UnsupportedSuite,
    )
    from keys.fetch import (
        FetchedDocument,
        Fetcher,
        GuardedFetcher,
    )
    from keys.keyfile import (
        load_key_file,
    )
    from keys.keypairs import (
        KeyType,
        SigningKey,
        VerificationKey,
    )
    from keys.suites import (
        ProofExpectations,
        ProofOptions,
        ProofResult,
        ProofSuite,
        add_proof,
        verify_proofs,
    )
    from keys.suites.vc_jwt import (
        JwtProfile,
        JwtVerification,
        sign_jwt,
        verify_jwt,
    )

#: name → the module that defines it; imported on first use (schemas.lazy).
_EXPORTS = {
    "FetchError": "keys.errors",
    "FetchedDocument": "keys.fetch",
    "Fetcher": "keys.fetch",
    "GuardedFetcher": "keys.fetch",
    "InvalidProof": "keys.errors",
    "InvalidSignature": "keys.errors",
    "JwtProfile": "keys.suites.vc_jwt",
    "JwtVerification": "keys.suites.vc_jwt",
    "KeyFormatError": "keys.errors",
    "KeyResolutionError": "keys.errors",
    "KeyResolver": "keys.did",
    "KeyType": "keys.keypairs",
    "KeysError": "keys.errors",
    "ProofExpectations": "keys.suites",
    "ProofOptions": "keys.suites",
    "ProofResult": "keys.suites",
    "ProofSuite": "keys.suites",
    "SigningKey": "keys.keypairs",
    "UnsupportedSuite": "keys.errors",
    "VerificationKey": "keys.keypairs",
    "VerificationMethod": "keys.did",
    "add_proof": "keys.suites",
    "check_controller": "keys.did",
    "load_key_file": "keys.keyfile",
    "sign_jwt": "keys.suites.vc_jwt",
    "verify_jwt": "keys.suites.vc_jwt",
    "verify_proofs": "keys.suites",
}
__all__ = [
    "FetchError",
    "FetchedDocument",
    "Fetcher",
    "GuardedFetcher",
    "InvalidProof",
    "InvalidSignature",
    "JwtProfile",
    "JwtVerification",
    "KeyFormatError",
    "KeyResolutionError",
    "KeyResolver",
    "KeyType",
    "KeysError",
    "ProofExpectations",
    "ProofOptions",
    "ProofResult",
    "ProofSuite",
    "SigningKey",
    "UnsupportedSuite",
    "VerificationKey",
    "VerificationMethod",
    "add_proof",
    "check_controller",
    "load_key_file",
    "sign_jwt",
    "verify_jwt",
    "verify_proofs",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

del TYPE_CHECKING, lazy_exports  # helpers of this module, not part of its surface
