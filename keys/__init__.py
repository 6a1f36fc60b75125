"""How a credential is signed and whose key it is.

Key pairs, DIDs, proof suites and the guarded fetcher every remote document goes through.

The names below are the library surface; the modules hold the rest (``keys.multikey``,
``keys.did.did_web``, the pieces of ``keys.fetch``, the individual suites).
"""

from keys.did import KeyResolver, VerificationMethod, check_controller
from keys.errors import (
    FetchError,
    InvalidProof,
    InvalidSignature,
    KeyFormatError,
    KeyResolutionError,
    KeysError,
    UnsupportedSuite,
)
from keys.fetch import FetchedDocument, Fetcher, GuardedFetcher
from keys.keyfile import load_key_file
from keys.keypairs import KeyType, SigningKey, VerificationKey
from keys.suites import (
    ProofExpectations,
    ProofOptions,
    ProofResult,
    ProofSuite,
    add_proof,
    verify_proofs,
)
from keys.suites.vc_jwt import JwtProfile, JwtVerification, sign_jwt, verify_jwt

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
