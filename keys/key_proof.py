"""OpenID4VCI 1.0 ``jwt`` key proofs: a holder shows it holds the key a credential will name.

A key proof is a compact JWS (OID4VCI 1.0 §F.1) whose header names the holder's key, either as a
``kid`` DID URL or as a bare public ``jwk`` (which becomes a ``did:jwk``), and whose claims bind
the proof to one credential issuer (``aud``), one moment (``iat``) and one server nonce
(``nonce``). This module establishes what the token itself can prove:

* **strict parsing** (:func:`keys.suites.vc_jwt.parse_compact_jws`): three canonical base64url
  parts, JSON objects without duplicate members;
* **explicit typing**: ``typ`` must be ``openid4vci-proof+jwt``, so no other JWT (a VC-JWT, an
  ID token) can be replayed as a key proof;
* **an algorithm allow-list tied to the key**: the caller's list (EdDSA and ES256 for
  microcred), and the key's type must be the one ``alg`` names — ``none`` and MACs never reach
  a key;
* **exactly one key reference**: ``kid`` (``did:key`` or ``did:jwk`` only, resolved offline by
  :class:`~keys.did.KeyResolver` without a fetcher) or ``jwk`` (public members only);
  ``x5c`` and anything else a header could name a key with are refused;
* **the signature**, checked by jwcrypto (no hand-rolled JWS). Unlike a VC-JWT an ES256 key
  proof may carry either S: wallets sign with WebCrypto, which does not normalise it, and a key
  proof is not stored or compared, so malleability gains nobody anything;
* **the claims**: ``aud`` equal to the expected audience, ``iat`` a NumericDate within
  ``max_age`` before ``now`` (and at most ``max_skew`` after it), ``nonce`` a string.

Whether the nonce is one the server issued and has not been used is the caller's to decide
(it is state); :attr:`KeyProof.nonce` hands it over.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws

from keys.did import KeyResolver, did_jwk
from keys.errors import InvalidProof, InvalidSignature, KeyResolutionError, UnsupportedSuite
from keys.keypairs import KeyType, VerificationKey
from keys.suites.vc_jwt import parse_compact_jws

__all__ = [
    "KEY_PROOF_TYP",
    "KeyProof",
    "verify_key_proof",
]

#: The ``typ`` every OID4VCI ``jwt`` key proof carries (OID4VCI 1.0 §F.1).
KEY_PROOF_TYP = "openid4vci-proof+jwt"
#: alg → the key type that may verify it, for the algorithms a key proof may use.
_KEY_TYPE_OF_ALG: Mapping[str, KeyType] = {
    "EdDSA": KeyType.ED25519,
    "ES256": KeyType.P256,
}
#: Header members a key proof may carry; ``x5c``, ``key_attestation``, ``trust_chain``,
#: ``crit``… are refused rather than ignored, since each would change what the proof means.
_HEADER_MEMBERS = frozenset({"alg", "typ", "kid", "jwk"})
#: DID methods a ``kid`` may use: both are resolved from the identifier alone (no network).
_KID_METHODS = ("did:key:", "did:jwk:")
#: Key proofs are small; refuse before decoding anything large.
_MAX_PROOF_CHARS = 8_192


@dataclass(frozen=True)
class KeyProof:
    """What a verified key proof established: the holder's ``did`` (the ``kid``'s DID, or the
    ``did:jwk`` of the ``jwk`` header), its key, and the claims for the caller's own checks."""

    did: str
    key: VerificationKey
    nonce: str
    issued_at: datetime
    claims: dict[str, Any]


def _key_and_did(header: Mapping[str, Any], resolver: KeyResolver) -> tuple[VerificationKey, str]:
    has_kid, has_jwk = "kid" in header, "jwk" in header
    if has_kid == has_jwk:
        raise InvalidProof("a key proof names its key with exactly one of 'kid' and 'jwk'")
    if has_jwk:
        jwk = header["jwk"]
        if not isinstance(jwk, dict):
            raise InvalidProof("the key proof's 'jwk' header is not a JSON object")
        key = VerificationKey.from_jwk(jwk)  # KeyFormatError for a private member
        return key, did_jwk(key)
    kid = header["kid"]
    if not isinstance(kid, str) or not kid.startswith(_KID_METHODS):
        raise KeyResolutionError("the key proof's 'kid' must be a did:key or did:jwk DID URL")
    method = resolver.resolve(kid, purpose="authentication")
    return method.key, method.controller


def _numeric_date(value: Any, claim: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidProof(f"the key proof's '{claim}' is not a NumericDate")
    return float(value)


def _check_signature(token: str, alg: str, key: VerificationKey) -> None:
    if _KEY_TYPE_OF_ALG[alg] is not key.key_type:
        raise InvalidSignature(
            f"a key proof signed with {alg} cannot come from a {key.key_type} key"
        )
    jws = jose_jws.JWS()
    jws.allowed_algs = [alg]
    try:
        jws.deserialize(token)
        jws.verify(jose_jwk.JWK(**key.required_jwk_members()), alg=alg)
    except jose_jws.InvalidJWSSignature:
        raise InvalidSignature("the key proof's signature does not verify") from None
    except jose_jws.InvalidJWSObject:
        raise InvalidProof("the key proof is not a well-formed JWS") from None


def verify_key_proof(
    token: Any,
    *,
    audience: str,
    now: datetime,
    algorithms: Collection[str] = ("EdDSA", "ES256"),
    max_age: timedelta = timedelta(minutes=5),
    max_skew: timedelta = timedelta(seconds=60),
    resolver: KeyResolver | None = None,
) -> KeyProof:
    """Verify an OID4VCI ``jwt`` key proof made for ``audience`` around ``now``.

    Raises :class:`~keys.errors.InvalidProof` (malformed, wrong ``typ``, header or claims),
    :class:`~keys.errors.UnsupportedSuite` (an ``alg`` not in ``algorithms``),
    :class:`~keys.errors.InvalidSignature`, :class:`~keys.errors.KeyFormatError` (a ``jwk``
    that is not a public key) and :class:`~keys.errors.KeyResolutionError` (a ``kid`` that is
    not a resolvable did:key / did:jwk URL). ``resolver`` defaults to one without a fetcher:
    nothing is ever fetched for a key proof.
    """
    if not isinstance(token, str) or not token:
        raise InvalidProof("a jwt key proof must be a non-empty string")
    if len(token) > _MAX_PROOF_CHARS:
        raise InvalidProof("the key proof is too large")
    header, claims = parse_compact_jws(token)
    extra = sorted(set(header) - _HEADER_MEMBERS)
    if extra:
        raise InvalidProof(f"key proof header members not supported: {', '.join(extra)}")
    if header.get("typ") != KEY_PROOF_TYP:
        raise InvalidProof(f"a key proof's typ must be '{KEY_PROOF_TYP}'")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _KEY_TYPE_OF_ALG or alg not in algorithms:
        raise UnsupportedSuite(
            f"key proof alg {str(alg)[:20]!r} is not accepted (accepted: {', '.join(algorithms)})"
        )
    key, did = _key_and_did(header, resolver or KeyResolver())
    _check_signature(token, alg, key)

    if claims.get("aud") != audience:
        raise InvalidProof("the key proof's 'aud' is not this credential issuer")
    issued = _numeric_date(claims.get("iat"), "iat")
    moment = now.timestamp()
    if issued < moment - max_age.total_seconds():
        raise InvalidProof("the key proof is too old ('iat'); make a new one")
    if issued > moment + max_skew.total_seconds():
        raise InvalidProof("the key proof's 'iat' is in the future")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProof("the key proof has no 'nonce' (get a c_nonce from the nonce endpoint)")
    return KeyProof(
        did=did,
        key=key,
        nonce=nonce,
        issued_at=datetime.fromtimestamp(issued, now.tzinfo),
        claims=claims,
    )
