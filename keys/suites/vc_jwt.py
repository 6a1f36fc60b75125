"""VC-JWT: a credential secured as a compact JWS, in the three shapes found in the wild.

=========  ======================================  =================  =======================
profile    payload                                 header ``typ``     source
=========  ======================================  =================  =======================
``ob3``    credential + ``iss jti sub nbf [exp]``  ``JWT``            OB 3.0 §8.2 (VC-JWT)
``vc2``    the credential itself                   ``vc+jwt``         W3C VC-JOSE-COSE
``vc11``   ``iss jti sub nbf [exp]`` + ``vc``      ``JWT``            VC Data Model 1.1 §6.3
=========  ======================================  =================  =======================

The JWS itself is produced and checked by jwcrypto. This module adds what a generic JOSE library
cannot know:

* **strict parsing** before jwcrypto sees the token: exactly three canonical base64url parts,
  JSON objects without duplicate members, a header with only ``alg kid jwk typ cty``;
* **an algorithm allow-list tied to the key**: RS256, ES256 and EdDSA (or its RFC 9864 name
  ``Ed25519``), and the header's ``alg`` must be the one the key's type uses. ``none``, HMAC and
  everything else is refused before any key is touched, so an RSA public key can never be
  used as an HMAC secret;
* **key binding**: ``kid`` is resolved through the :class:`~keys.did.KeyResolver`; a bare
  ``jwk`` header proves only that *someone* holding that key signed. It is reported with
  ``method=None`` and a warning unless it is a caller-pinned key or a key the issuer's DID
  lists for assertionMethod (derived for did:key / did:jwk, fetched for did:web), compared as
  key material;
* **claim consistency**: ``iss``/``jti``/``sub``/``nbf``/``exp`` must say what the credential
  says. Whether ``nbf``/``exp`` have passed is *not* judged here: the verifier's validity check
  owns the clock (``now`` is accepted for signature symmetry and reporting only).

Whether the resolved method's controller is the issuer is checked by
:func:`keys.did.check_controller`; callers must call it (the verifier pipeline does).

:data:`suite` puts VC-JWT behind the same :class:`~keys.suites.base.ProofSuite` protocol as the
Data Integrity suites. The token then travels as a ``JwtProof2020`` proof object
(``{"type": "JwtProof2020", "jwt": …}``, the VC 1.1 / did-jwt-vc convention for a JWT next to
the credential it secures), and verifying it also checks that the token secures exactly that
credential. :func:`sign_jwt` and :func:`verify_jwt` remain the calls for the compact form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws

from keys.did import KeyResolver, VerificationMethod
from keys.errors import (
    ControllerDocumentUnresolved,
    DidWebUnresolved,
    InvalidProof,
    InvalidSignature,
    KeyFormatError,
    KeyResolutionError,
    KeysError,
    UnsupportedSuite,
)
from keys.jwt_profiles import JwtProfile
from keys.keypairs import (
    KeyType,
    SigningKey,
    VerificationKey,
    b64url_decode,
    b64url_encode,
    has_low_s,
)
from keys.suites.base import ASSERTION_METHOD, ProofExpectations, ProofOptions, ProofSuite
from schemas.canonical import DocumentLoader
from schemas.dates import format_datetime
from schemas.json_values import DuplicateMember, parse_json, unique_members
from schemas.vocabulary import VC11_CONTEXT

__all__ = [
    "JWT_PROOF_TYPE",
    "JwtProfile",
    "JwtVerification",
    "VcJwtSuite",
    "parse_compact_jws",
    "sign_jwt",
    "suite",
    "verify_jwt",
]

#: Header members OB 3.0 allows (plus ``cty``, which VC-JOSE-COSE allows).
ALLOWED_HEADER_MEMBERS = frozenset({"alg", "kid", "jwk", "typ", "cty"})
#: alg → the key type that may verify it. Everything else is refused.
ACCEPTED_ALGORITHMS: Mapping[str, KeyType] = {
    "RS256": KeyType.RSA,
    "ES256": KeyType.P256,
    "ES384": KeyType.P384,
    "EdDSA": KeyType.ED25519,
    "Ed25519": KeyType.ED25519,
}
#: The JWT claims this module writes and reads; they are not part of the credential.
REGISTERED_CLAIMS = ("iss", "sub", "aud", "exp", "nbf", "iat", "jti")
VC2_TYPES = frozenset({"vc+jwt", "vc+ld+json+jwt", "vc+ld+jwt"})
JWT_TYPES = frozenset({"JWT"})
#: Generous (a credential may embed data-URI images) but bounded: refuse before decoding.
MAX_TOKEN_CHARS = 5_000_000

#: The proof type a VC-JWT travels under when it sits next to its credential.
JWT_PROOF_TYPE = "JwtProof2020"


@dataclass(frozen=True)
class JwtVerification:
    """What :func:`verify_jwt` established.

    ``credential`` is the credential without the JWT claims (for ``vc11``: the ``vc`` claim, with
    members the JWT claims stand for filled in); ``claims`` holds the registered JWT claims.
    ``method`` is ``None`` when the key came from a bare ``jwk`` header: then ``key`` verified
    the signature but nothing ties it to the issuer unless it is one of the caller's pinned keys.
    """

    credential: dict[str, Any]
    header: dict[str, Any]
    claims: dict[str, Any]
    method: VerificationMethod | None
    key: VerificationKey
    profile: JwtProfile
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Credential fields ↔ claims


def _is_v1(credential: Mapping[str, Any]) -> bool:
    context = credential.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    return first == VC11_CONTEXT


def _time_fields(credential: Mapping[str, Any]) -> tuple[str, str]:
    """(start, end) field names: VC 1.1 uses issuanceDate/expirationDate, VC 2.0 validFrom/
    validUntil. The data model version (``@context[0]``) decides, not the JWT profile."""
    if _is_v1(credential):
        return "issuanceDate", "expirationDate"
    return "validFrom", "validUntil"


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _subject_ids(credential: Mapping[str, Any]) -> list[str]:
    subjects = credential.get("credentialSubject")
    items = subjects if isinstance(subjects, list) else [subjects]
    return [s["id"] for s in items if isinstance(s, Mapping) and isinstance(s.get("id"), str)]


def _epoch(value: Any, name: str) -> int:
    """Seconds since the epoch for an XML Schema dateTime with a time zone (fractions floor)."""
    if not isinstance(value, str):
        raise InvalidProof(f"credential {name} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidProof(f"credential {name} is not a date-time: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise InvalidProof(f"credential {name} has no time zone")
    return math.floor(moment.timestamp())


def _numeric_date(value: Any, claim: str) -> int:
    """A JWT NumericDate claim (``nbf``/``exp``: a finite JSON number of seconds since the
    epoch), floored to whole seconds. JSON reads ``1e400`` as infinity, hence the check."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidProof(f"JWT claim {claim!r} is not a NumericDate")
    return math.floor(value)


def _numeric_date_text(value: Any, claim: str) -> str:
    """A JWT NumericDate claim as a credential date; one outside the years 1–9999 is refused."""
    seconds = _numeric_date(value, claim)
    try:
        return format_datetime(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        raise InvalidProof(f"JWT claim {claim!r} is not a date a credential can hold") from None


def _claims_for(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The OB 3.0 / VC 1.1 registered claims for a credential (OB 3.0 §8.2.4.1)."""
    issuer = _issuer_id(credential)
    if issuer is None:
        raise InvalidProof("credential has no issuer id (needed for 'iss')")
    credential_id = credential.get("id")
    if not isinstance(credential_id, str):
        raise InvalidProof("credential has no id (needed for 'jti')")
    start, end = _time_fields(credential)
    if start not in credential:
        raise InvalidProof(f"credential has no {start} (needed for 'nbf')")
    claims: dict[str, Any] = {"iss": issuer, "jti": credential_id}
    subjects = _subject_ids(credential)
    if len(subjects) == 1:
        claims["sub"] = subjects[0]
    claims["nbf"] = _epoch(credential[start], start)
    if credential.get(end) is not None:
        claims["exp"] = _epoch(credential[end], end)
    return claims


# --------------------------------------------------------------------------------------------
# Signing


def _jwcrypto_key(jwk: Mapping[str, Any]) -> jose_jwk.JWK:
    return jose_jwk.JWK(**dict(jwk))


def sign_jwt(
    credential: dict[str, Any],
    *,
    key: SigningKey,
    profile: JwtProfile = JwtProfile.OB3,
    kid: str | None = None,
    embed_jwk: bool = False,
) -> str:
    """Secure ``credential`` as a compact JWS in the given profile.

    The header carries ``kid`` (a resolvable verification method id; preferred, because it binds
    the key to the issuer) and/or the public ``jwk`` (``embed_jwk=True``); at least one is
    required. An embedded Data Integrity ``proof`` stays in the payload: OB 3.0 adds the linked
    data proof before creating the JWT.
    """
    if not isinstance(key, SigningKey):
        raise TypeError("sign_jwt needs a SigningKey")
    if not isinstance(credential, dict):
        raise TypeError("credential must be a dict")
    profile = JwtProfile(profile)
    if kid is None and not embed_jwk:
        raise ValueError("a VC-JWT header needs 'kid' or 'jwk' (pass kid=… or embed_jwk=True)")

    header: dict[str, Any] = {"alg": key.jose_algorithm}
    header["typ"] = "vc+jwt" if profile is JwtProfile.VC2 else "JWT"
    if kid is not None:
        header["kid"] = kid
    if embed_jwk:
        header["jwk"] = key.public_key.jwk()  # public members only: never 'd'

    if profile is JwtProfile.VC2:
        payload: dict[str, Any] = dict(credential)
    elif profile is JwtProfile.OB3:
        claims = _claims_for(credential)
        clashes = sorted(set(REGISTERED_CLAIMS) & set(credential))
        if clashes:
            raise InvalidProof(f"credential already has top-level JWT claim names: {clashes}")
        payload = {**credential, **claims}
    else:
        payload = {**_claims_for(credential), "vc": credential}

    # Signed by the key itself (not jwcrypto), so an ES256/ES384 token carries the low-S
    # signature :meth:`SigningKey.sign` guarantees, the only one :func:`verify_jwt` accepts.
    signing_input = (
        b64url_encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url_encode(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    )
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))


# --------------------------------------------------------------------------------------------
# Verification


def _json_part(part: str, what: str) -> dict[str, Any]:
    try:
        raw = b64url_decode(part)
    except KeyFormatError:
        raise InvalidProof(f"JWT {what} is not canonical base64url") from None
    try:
        value = parse_json(raw.decode("utf-8"), object_pairs_hook=unique_members)
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DuplicateMember):
            raise InvalidProof(f"JWT {what}: {exc}") from None
        raise InvalidProof(f"JWT {what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise InvalidProof(f"JWT {what} is not a JSON object")
    return value


def parse_compact_jws(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a compact JWS, parsed strictly (three canonical base64url
    parts, JSON objects without duplicate members); the signature is not checked here.
    Raises :class:`InvalidProof`. Also the parser of OID4VCI key proofs
    (:mod:`keys.key_proof`)."""
    if not isinstance(token, str):
        raise InvalidProof("a JWT must be a string")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidProof("JWT is too large")
    parts = token.split(".")
    # The signature may be empty here so that ``alg: none`` is reported as what it is.
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise InvalidProof("a compact JWS has exactly three parts, header and payload non-empty")
    header = _json_part(parts[0], "header")
    payload = _json_part(parts[1], "payload")
    try:
        b64url_decode(parts[2])
    except KeyFormatError:
        raise InvalidProof("JWT signature is not canonical base64url") from None
    return header, payload


def _check_header(header: Mapping[str, Any]) -> str:
    extra = sorted(set(header) - ALLOWED_HEADER_MEMBERS)
    if extra:
        raise InvalidProof(f"JWT header members not allowed: {extra}")
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise InvalidProof("JWT header has no 'alg'")
    if alg not in ACCEPTED_ALGORITHMS:
        raise UnsupportedSuite(
            f"JWT alg {alg[:20]!r} is not accepted (accepted: RS256, ES256, EdDSA)"
        )
    for name in ("kid", "typ", "cty"):
        if name in header and not isinstance(header[name], str):
            raise InvalidProof(f"JWT header {name!r} must be a string")
    if "jwk" in header and not isinstance(header["jwk"], dict):
        raise InvalidProof("JWT header 'jwk' must be a JSON object")
    if "kid" not in header and "jwk" not in header:
        raise InvalidProof("JWT header needs 'kid' or 'jwk' to name its key")
    typ = header.get("typ")
    if typ is not None and typ not in JWT_TYPES | VC2_TYPES:
        raise InvalidProof(f"JWT typ {typ[:40]!r} is not a credential type")
    return alg


def _detect_profile(header: Mapping[str, Any], payload: Mapping[str, Any]) -> JwtProfile:
    if header.get("typ") in VC2_TYPES:
        return JwtProfile.VC2
    if "vc" in payload:
        if not isinstance(payload["vc"], dict):
            raise InvalidProof("JWT 'vc' claim is not a JSON object")
        return JwtProfile.VC11
    return JwtProfile.OB3


def _key_and_method(
    header: Mapping[str, Any],
    issuer: str | None,
    resolver: KeyResolver,
    pinned_keys: Sequence[VerificationKey],
    warnings: list[str],
) -> tuple[VerificationKey, VerificationMethod | None]:
    """Find the verification key. ``issuer`` is only a hint for where to look (a relative
    ``kid``, a did:jwk issuer); binding is established by resolution, never by the payload."""
    header_key = VerificationKey.from_jwk(header["jwk"]) if "jwk" in header else None
    kid = header.get("kid")
    if kid is not None:
        if kid.startswith("#"):
            if issuer is None:
                raise KeyResolutionError("relative kid without an issuer to resolve it against")
            kid = issuer + kid
        method = resolver.resolve(kid, purpose="assertionMethod")
        if header_key is not None and header_key != method.key:
            raise InvalidProof("JWT header 'jwk' differs from the key 'kid' resolves to")
        return method.key, method
    assert header_key is not None  # _check_header guarantees kid or jwk
    if any(header_key == pinned for pinned in pinned_keys):
        return header_key, None
    issuer_method = _issuer_method_for(header_key, issuer, resolver)
    if issuer_method is not None:
        return header_key, issuer_method
    warnings.append(
        "the key comes only from the JWT's own 'jwk' header and is NOT bound to the issuer: "
        "the issuer's DID does not list it for assertionMethod, and the signature proves "
        "possession of that key, not who the issuer is (pin the key or use a 'kid')"
    )
    return header_key, None


def _issuer_method_for(
    key: VerificationKey, issuer: str | None, resolver: KeyResolver
) -> VerificationMethod | None:
    """The issuer's own method for a ``jwk`` header key, if the issuer's DID lists that very key
    (as key material, not JSON text) for assertionMethod: a did:key or did:jwk issuer *is* its
    key, a did:web issuer publishes it. Anything else leaves the key unbound. A did:web document
    that cannot be fetched raises (nothing could be checked), other lookup failures do not."""
    if issuer is None or not issuer.startswith(("did:key:", "did:jwk:", "did:web:")):
        return None
    try:
        methods = resolver.listed_methods(issuer, purpose="assertionMethod")
    except (DidWebUnresolved, ControllerDocumentUnresolved):
        raise
    except KeysError:
        return None
    return next((m for m in methods if m.key == key), None)


def _verify_signature(token: str, alg: str, key: VerificationKey) -> None:
    if ACCEPTED_ALGORITHMS[alg] is not key.key_type:
        raise InvalidSignature(f"JWT alg {alg} cannot be verified with a {key.key_type} key")
    if not has_low_s(key, b64url_decode(token.strip().rsplit(".", 1)[-1])):
        raise InvalidSignature(f"JWT {alg} signature has a high S (only the low-S twin is valid)")
    jws = jose_jws.JWS()
    jws.allowed_algs = [alg]
    try:
        jws.deserialize(token.strip())
        jws.verify(_jwcrypto_key(key.required_jwk_members()), alg=alg)
    except jose_jws.InvalidJWSSignature:
        raise InvalidSignature("JWT signature does not verify") from None
    except jose_jws.InvalidJWSObject:
        raise InvalidProof("JWT is not a well-formed JWS") from None


def _check_time_claim(
    claims: Mapping[str, Any],
    credential: Mapping[str, Any],
    claim: str,
    member: str,
    *,
    required_if_set: bool,
) -> None:
    value = claims.get(claim)
    present = credential.get(member) is not None
    if value is None:
        if present and required_if_set:
            raise InvalidProof(f"JWT claim 'exp' is missing but the credential has {member}")
        return
    seconds = _numeric_date(value, claim)
    if not present:
        raise InvalidProof(f"JWT claim {claim!r} is set but the credential has no {member}")
    if seconds != _epoch(credential[member], member):
        raise InvalidProof(f"JWT claim {claim!r} does not match the credential's {member}")


def _check_claims(
    claims: Mapping[str, Any],
    credential: Mapping[str, Any],
    profile: JwtProfile,
    require_sub: bool,
    warnings: list[str],
) -> None:
    required = ("iss", "jti", "nbf") if profile is not JwtProfile.VC2 else ()
    for name in required:
        if name not in claims:
            raise InvalidProof(f"JWT claim {name!r} is missing")
    if "iss" in claims and claims["iss"] != _issuer_id(credential):
        raise InvalidProof("JWT claim 'iss' does not match the credential's issuer id")
    if "jti" in claims and claims["jti"] != credential.get("id"):
        raise InvalidProof("JWT claim 'jti' does not match the credential's id")
    subjects = _subject_ids(credential)
    if "sub" in claims:
        if claims["sub"] not in subjects:
            raise InvalidProof("JWT claim 'sub' does not match credentialSubject.id")
    elif require_sub and profile is not JwtProfile.VC2:
        raise InvalidProof("JWT claim 'sub' is missing")
    elif profile is not JwtProfile.VC2:
        warnings.append(
            "JWT has no 'sub' claim (OB 3.0 requires it; the 1EdTech validator accepts its absence)"
        )
    # OB 3.0 / VC 1.1: exp is required when validUntil is set (nbf is in ``required``);
    # VC-JOSE-COSE: every claim is optional, but one that is present must agree.
    start, end = _time_fields(credential)
    claims_required = profile is not JwtProfile.VC2
    _check_time_claim(claims, credential, "nbf", start, required_if_set=False)
    _check_time_claim(claims, credential, "exp", end, required_if_set=claims_required)


def _vc11_credential(
    vc: dict[str, Any], claims: Mapping[str, Any], warnings: list[str]
) -> dict[str, Any]:
    """VC 1.1 §6.3.1: JWT claims stand for credential members the ``vc`` claim may omit."""
    credential = dict(vc)
    start, end = _time_fields(credential)
    fills: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
        "issuer": ("iss", lambda v, _: v),
        "id": ("jti", lambda v, _: v),
        start: ("nbf", _numeric_date_text),
        end: ("exp", _numeric_date_text),
    }
    for member, (claim, convert) in fills.items():
        if member not in credential and claim in claims:
            credential[member] = convert(claims[claim], claim)
            warnings.append(f"credential {member} taken from the JWT claim {claim!r}")
    subject = credential.get("credentialSubject")
    if "sub" in claims and isinstance(subject, dict) and "id" not in subject:
        credential["credentialSubject"] = {**subject, "id": claims["sub"]}
        warnings.append("credentialSubject.id taken from the JWT claim 'sub'")
    return credential


def verify_jwt(
    token: str,
    *,
    resolver: KeyResolver,
    pinned_keys: Sequence[VerificationKey] = (),
    now: datetime | None = None,
    require_sub: bool = False,
) -> JwtVerification:
    """Verify a VC-JWT's signature and claim consistency; return what was established.

    Raises :class:`InvalidProof` (malformed token, header or claims, naming the claim),
    :class:`UnsupportedSuite` (alg not accepted), :class:`InvalidSignature` (bad signature or
    alg/key mismatch), :class:`KeyFormatError` (e.g. a ``jwk`` header with ``d``) and
    :class:`KeyResolutionError` (``kid`` does not resolve).

    Not done here, by design: judging ``nbf``/``exp`` against a clock (``now`` is unused; the
    verifier's validity check owns time) and checking that the key's controller is the issuer
    (:func:`keys.did.check_controller`). A result with ``method=None`` means the key came from
    a bare ``jwk`` header and is bound to nobody unless it is one of ``pinned_keys``.
    """
    del now  # accepted so every proof suite has the same call shape; time is judged elsewhere
    header, payload = parse_compact_jws(token)
    alg = _check_header(header)
    profile = _detect_profile(header, payload)
    warnings: list[str] = []
    if profile is JwtProfile.VC11:
        claims = {k: v for k, v in payload.items() if k != "vc"}
        credential = _vc11_credential(payload["vc"], claims, warnings)
    else:
        claims = {k: payload[k] for k in REGISTERED_CLAIMS if k in payload}
        credential = {k: v for k, v in payload.items() if k not in REGISTERED_CLAIMS}
    iss = claims.get("iss")
    issuer = iss if isinstance(iss, str) else _issuer_id(credential)

    key, method = _key_and_method(header, issuer, resolver, pinned_keys, warnings)
    _verify_signature(token, alg, key)
    _check_claims(claims, credential, profile, require_sub, warnings)
    return JwtVerification(
        credential=credential,
        header=dict(header),
        claims=claims,
        method=method,
        key=key,
        profile=profile,
        warnings=warnings,
    )


# --------------------------------------------------------------------------------------------
# The ProofSuite face


class VcJwtSuite:
    """VC-JWT as a :class:`~keys.suites.base.ProofSuite`: the proof is ``{"type":
    "JwtProof2020", "jwt": <compact JWS>}`` and the JWS payload is the credential itself.

    Like any proof in a set, the JWT covers the credential without the document's other proofs.
    A JWS signs the JSON bytes, so ``loader`` is not used (no canonicalization). Proof options a
    JWT has no place for (``id``, ``created`` (``nbf`` is ``validFrom``), ``expires``,
    ``challenge``, ``domain``, ``nonce``, ``previousProof``, a purpose other than
    ``assertionMethod``) are refused rather than dropped unsigned.
    """

    name = "vc-jwt"
    #: A JWS signs the bytes; no JSON-LD is read.
    reads_jsonld = False

    def __init__(self, profile: JwtProfile = JwtProfile.OB3) -> None:
        self.profile = JwtProfile(profile)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.profile}>"

    def handles(self, proof: Mapping[str, Any]) -> bool:
        return proof.get("type") == JWT_PROOF_TYPE

    def prepare_document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return dict(document)

    def create_proof(
        self,
        document: Mapping[str, Any],
        *,
        key: SigningKey,
        options: ProofOptions,
        loader: DocumentLoader,
    ) -> dict[str, Any]:
        del loader  # a JWS covers the JSON as serialized, not a canonical form
        unsupported = [
            member
            for member, value in (
                ("id", options.id),
                ("created", options.created),
                ("expires", options.expires),
                ("challenge", options.challenge),
                ("domain", options.domain),
                ("nonce", options.nonce),
                ("previousProof", options.previous_proof),
            )
            if value is not None
        ]
        if options.proof_purpose != ASSERTION_METHOD:
            unsupported.append("proofPurpose")
        if unsupported:
            raise UnsupportedSuite(f"a VC-JWT has no place for {', '.join(unsupported)}")
        credential = {k: v for k, v in document.items() if k != "proof"}
        token = sign_jwt(credential, key=key, profile=self.profile, kid=options.verification_method)
        return {"type": JWT_PROOF_TYPE, "jwt": token}

    def verify_proof(
        self,
        document: Mapping[str, Any],
        proof: Mapping[str, Any],
        *,
        loader: DocumentLoader,
        resolver: KeyResolver,
        expected: ProofExpectations,
    ) -> VerificationMethod:
        del loader
        if not self.handles(proof):
            raise UnsupportedSuite(f"{self.name} cannot verify a proof of type {proof.get('type')}")
        token = proof.get("jwt")
        if not isinstance(token, str) or not token:
            raise InvalidProof(f"{JWT_PROOF_TYPE} proof has no jwt")
        if (
            expected.proof_purpose != ASSERTION_METHOD
            or expected.challenge is not None
            or expected.domain is not None
        ):
            raise InvalidProof(
                "a VC-JWT asserts a credential; it carries no purpose, challenge or domain to check"
            )
        result = verify_jwt(token, resolver=resolver)
        if result.method is None:
            raise KeyResolutionError(
                "the JWT names its key only in a 'jwk' header: bound to nobody"
            )
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        if result.credential != unsecured:
            raise InvalidProof(
                "the JWT secures a different credential than the one it is attached to"
            )
        return result.method


#: VC-JWT in the OB 3.0 profile, as a proof suite (typed so mypy checks it meets the protocol).
suite: ProofSuite = VcJwtSuite()
