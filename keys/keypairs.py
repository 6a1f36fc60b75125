"""Key pairs for signing and verifying credentials: Ed25519, P-256, P-384 and RSA.

The surface is deliberately small, in the pyca/cryptography style:

* :class:`VerificationKey` (public) and :class:`SigningKey` (private) are abstract classes; the
  three concrete types per side are returned by classmethod constructors
  (:meth:`VerificationKey.from_jwk`, :meth:`SigningKey.generate`, :meth:`SigningKey.from_seed`, ...)
  so callers rarely name them.
* ``verify`` *raises* :class:`keys.errors.InvalidSignature`; there is no boolean to forget.
* Signatures are always in JOSE form (Ed25519 raw 64 bytes, ES256 / ES384 raw fixed-length
  ``r || s`` with SHA-256 / SHA-384, RS256 PKCS#1 v1.5 with SHA-256), so the same bytes serve
  VC-JWT and Data Integrity proofs.
* Private material never appears in ``repr`` or in an error message; it leaves the object only
  through :meth:`SigningKey.private_jwk` / :func:`dump_private_jwk` and the raw secrets a secret
  Multikey needs (:meth:`Ed25519SigningKey.seed`, :meth:`P256SigningKey.scalar_bytes`).
* A public-key constructor refuses anything that carries private members: a JWK with ``d`` in a
  ``jwk`` header or a DID document is a leak (or a trick), never something to use silently.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature as _PycaInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from keys.errors import InvalidSignature, KeyFormatError
from schemas import base64url
from schemas.base64url import encode as b64url_encode

__all__ = [
    "DEFAULT_RSA_BITS",
    "MIN_RSA_BITS",
    "Ed25519SigningKey",
    "Ed25519VerificationKey",
    "KeyType",
    "P256SigningKey",
    "P256VerificationKey",
    "P384SigningKey",
    "P384VerificationKey",
    "RSASigningKey",
    "RSAVerificationKey",
    "SigningKey",
    "VerificationKey",
    "b64url_decode",
    "b64url_encode",
    "dump_private_jwk",
    "has_low_s",
]

#: RSA below this size is refused everywhere (NIST SP 800-131A; RFC 7518 §3.3 says >= 2048).
MIN_RSA_BITS = 2048
#: What :meth:`SigningKey.generate` makes for RSA unless told otherwise.
DEFAULT_RSA_BITS = 3072

_P256_COORD_LEN = 32
_P384_COORD_LEN = 48
_ED25519_LEN = 32
#: JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; ``k`` is a symmetric key).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class KeyType(StrEnum):
    """The key types microcred signs and verifies with."""

    ED25519 = "Ed25519"
    P256 = "P-256"
    P384 = "P-384"
    RSA = "RSA"


_JOSE_ALGORITHMS: dict[KeyType, str] = {
    KeyType.ED25519: "EdDSA",
    KeyType.P256: "ES256",
    KeyType.P384: "ES384",
    KeyType.RSA: "RS256",
}

# --------------------------------------------------------------------------------------------
# base64url, strictly

# ``b64url_encode`` (RFC 7515 §2, every JOSE and did:jwk value) is schemas.base64url.encode.


def b64url_decode(value: str) -> bytes:
    """Decode unpadded base64url, refusing every non-canonical spelling (see
    :mod:`schemas.base64url` for why), as a :class:`KeyFormatError`."""
    try:
        return base64url.decode(value)
    except ValueError:
        raise KeyFormatError("not canonical unpadded base64url") from None


def _int_to_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(size, "big"))


def _jwk_str(jwk: Mapping[str, Any], name: str) -> str:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise KeyFormatError(f"JWK member {name!r} is missing or not a string")
    return value


def _jwk_bytes(jwk: Mapping[str, Any], name: str, length: int | None = None) -> bytes:
    text = _jwk_str(jwk, name)
    try:
        data = b64url_decode(text)
    except KeyFormatError as exc:
        raise KeyFormatError(f"JWK member {name!r} is not canonical base64url") from exc
    if length is not None and len(data) != length:
        raise KeyFormatError(f"JWK member {name!r} must be {length} bytes")
    return data


def _jwk_int(jwk: Mapping[str, Any], name: str) -> int:
    return int.from_bytes(_jwk_bytes(jwk, name), "big")


def _check_jwk_alg(jwk: Mapping[str, Any], key_type: KeyType) -> None:
    """A JWK that names an ``alg`` must name ours: a key is never reused across algorithms."""
    alg = jwk.get("alg")
    if alg is None:
        return
    allowed = {"EdDSA", "Ed25519"} if key_type is KeyType.ED25519 else {_JOSE_ALGORITHMS[key_type]}
    if alg not in allowed:
        raise KeyFormatError(f"JWK 'alg' {alg!r} does not fit a {key_type} key")


def _optional_kid(jwk: Mapping[str, Any]) -> str | None:
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise KeyFormatError("JWK member 'kid' must be a string")
    return kid


def _key_type_of_jwk(jwk: Mapping[str, Any]) -> KeyType:
    if not isinstance(jwk, Mapping):
        raise KeyFormatError("a JWK must be a JSON object")
    kty = jwk.get("kty")
    if kty == "OKP":
        crv = jwk.get("crv")
        if crv != "Ed25519":
            raise KeyFormatError(f"unsupported OKP curve {crv!r} (only Ed25519)")
        return KeyType.ED25519
    if kty == "EC":
        crv = jwk.get("crv")
        if crv not in _EC_CURVES:
            raise KeyFormatError(f"unsupported EC curve {crv!r} (only P-256 and P-384)")
        return KeyType(crv)
    if kty == "RSA":
        return KeyType.RSA
    raise KeyFormatError(f"unsupported JWK key type {kty!r}")


def _check_rsa_size(bits: int) -> None:
    if bits < MIN_RSA_BITS:
        raise KeyFormatError(f"RSA key of {bits} bits is below the {MIN_RSA_BITS}-bit minimum")


# --------------------------------------------------------------------------------------------
# Public keys


class VerificationKey(abc.ABC):
    """A public key that can check a JOSE-format signature.

    Two keys are equal when their public key bytes are equal; a JWK ``kid`` rides along for
    :meth:`jwk` but does not take part in equality.
    """

    key_type: ClassVar[KeyType]
    _kid: str | None

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerificationKey:
        """Read a public JWK (RFC 7517/7518/8037).

        Raises :class:`KeyFormatError` if it holds private members (``d`` and friends), names
        an unsupported curve or key type, is RSA below 2048 bits, is not a point on the curve,
        or names an ``alg`` that does not fit the key.
        """
        key_type = _key_type_of_jwk(jwk)
        if _PRIVATE_MEMBERS & set(jwk):
            raise KeyFormatError("private key material in a JWK where a public key belongs")
        _check_jwk_alg(jwk, key_type)
        kid = _optional_kid(jwk)
        if key_type is KeyType.ED25519:
            key: VerificationKey = Ed25519VerificationKey._from_raw(
                _jwk_bytes(jwk, "x", _ED25519_LEN)
            )
        elif key_type in _EC_CURVES:
            cls_ec = _EC_CURVES[key_type]
            size = cls_ec.coordinate_length
            x = int.from_bytes(_jwk_bytes(jwk, "x", size), "big")
            y = int.from_bytes(_jwk_bytes(jwk, "y", size), "big")
            try:
                pyca = ec.EllipticCurvePublicNumbers(x, y, cls_ec.curve()).public_key()
            except ValueError as exc:
                raise KeyFormatError(f"the JWK's x/y is not a point on {key_type}") from exc
            key = cls_ec(pyca)
        else:
            n, e = _jwk_int(jwk, "n"), _jwk_int(jwk, "e")
            _check_rsa_size(n.bit_length())
            try:
                pyca_rsa = rsa.RSAPublicNumbers(e, n).public_key()
            except ValueError as exc:
                raise KeyFormatError("the JWK's n/e do not form an RSA public key") from exc
            key = RSAVerificationKey(pyca_rsa)
        key._kid = kid
        return key

    @classmethod
    def from_public_bytes(cls, key_type: KeyType, data: bytes) -> VerificationKey:
        """Build a key from its canonical bytes (see :meth:`public_bytes` for the formats)."""
        key_type = KeyType(key_type)
        if key_type is KeyType.ED25519:
            return Ed25519VerificationKey._from_raw(data)
        if key_type in _EC_CURVES:
            cls_ec = _EC_CURVES[key_type]
            try:
                pyca = ec.EllipticCurvePublicKey.from_encoded_point(cls_ec.curve(), data)
            except ValueError as exc:
                raise KeyFormatError(f"not a SEC1-encoded {key_type} point") from exc
            return cls_ec(pyca)
        try:
            loaded = serialization.load_der_public_key(data)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise KeyFormatError("not a DER SubjectPublicKeyInfo RSA key") from exc
        return cls.from_pyca(loaded)

    @classmethod
    def from_pyca(cls, pyca_key: object) -> VerificationKey:
        """Wrap a pyca/cryptography public key (Ed25519, P-256, P-384 or RSA >= 2048 bits)."""
        if isinstance(pyca_key, ed25519.Ed25519PublicKey):
            return Ed25519VerificationKey(pyca_key)
        if isinstance(pyca_key, ec.EllipticCurvePublicKey):
            return _ec_class(pyca_key.curve)(pyca_key)
        if isinstance(pyca_key, rsa.RSAPublicKey):
            return RSAVerificationKey(pyca_key)
        raise KeyFormatError(f"unsupported public key type {type(pyca_key).__name__}")

    # -- what every key offers ---------------------------------------------------------------

    @property
    def jose_algorithm(self) -> str:
        """The JOSE ``alg`` this key verifies: ``EdDSA``, ``ES256``, ``ES384`` or ``RS256``."""
        return _JOSE_ALGORITHMS[self.key_type]

    @property
    def kid(self) -> str | None:
        """The ``kid`` the key was read with, if any."""
        return self._kid

    @abc.abstractmethod
    def public_bytes(self) -> bytes:
        """Canonical public bytes: Ed25519 raw 32 bytes; P-256 / P-384 SEC1 compressed 33 / 49
        bytes; RSA DER SubjectPublicKeyInfo."""

    @abc.abstractmethod
    def required_jwk_members(self) -> dict[str, str]:
        """The RFC 7638 required members, already in lexicographic order."""

    def jwk(self) -> dict[str, str]:
        """The public JWK (``kty``, ``crv``/``x``/``y`` or ``n``/``e``; ``kid`` only if set)."""
        members = dict(self.required_jwk_members())
        if self._kid is not None:
            members["kid"] = self._kid
        return members

    def canonical_jwk_json(self) -> str:
        """The RFC 7638 form: required members only, sorted, no whitespace. The thumbprint
        hashes it and ``did:jwk`` encodes it, so one key always yields one name."""
        return json.dumps(self.required_jwk_members(), separators=(",", ":"), sort_keys=True)

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (SHA-256, base64url): a stable name for the key."""
        canonical = self.canonical_jwk_json().encode("utf-8")
        return b64url_encode(hashlib.sha256(canonical).digest())

    @abc.abstractmethod
    def verify(self, signature: bytes, data: bytes) -> None:
        """Check a JOSE-format signature over ``data``; raise :class:`InvalidSignature` if not."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VerificationKey):
            return NotImplemented
        return self.key_type is other.key_type and self.public_bytes() == other.public_bytes()

    def __hash__(self) -> int:
        return hash((self.key_type, self.public_bytes()))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key_type} thumbprint={self.thumbprint()}>"


def _require_bytes(signature: bytes, data: bytes) -> None:
    if not isinstance(signature, bytes | bytearray) or not isinstance(data, bytes | bytearray):
        raise TypeError("signature and data must be bytes")


class Ed25519VerificationKey(VerificationKey):
    """An Ed25519 public key (pure EdDSA, RFC 8032)."""

    key_type: ClassVar[KeyType] = KeyType.ED25519

    def __init__(self, pyca_key: ed25519.Ed25519PublicKey) -> None:
        self._pyca = pyca_key
        self._kid = None

    @classmethod
    def _from_raw(cls, data: bytes) -> Ed25519VerificationKey:
        if not isinstance(data, bytes | bytearray) or len(data) != _ED25519_LEN:
            raise KeyFormatError("an Ed25519 public key is exactly 32 bytes")
        try:
            return cls(ed25519.Ed25519PublicKey.from_public_bytes(bytes(data)))
        except ValueError as exc:
            raise KeyFormatError("not an Ed25519 public key") from exc

    def public_bytes(self) -> bytes:
        return self._pyca.public_bytes_raw()

    def required_jwk_members(self) -> dict[str, str]:
        return {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(self.public_bytes())}

    def verify(self, signature: bytes, data: bytes) -> None:
        _require_bytes(signature, data)
        try:
            self._pyca.verify(bytes(signature), bytes(data))
        except _PycaInvalidSignature:
            raise InvalidSignature("Ed25519 signature does not verify") from None


class _ECVerificationKey(VerificationKey):
    """A NIST curve public key verifying JOSE ECDSA signatures: raw fixed-length ``r || s``.

    Strict on purpose: a DER signature, a short or long one, or one with ``r`` or ``s`` out of
    range is refused, never normalised, so one message has one accepted signature encoding.
    """

    curve: ClassVar[type[ec.EllipticCurve]]
    coordinate_length: ClassVar[int]
    hash_algorithm: ClassVar[type[hashes.HashAlgorithm]]
    #: The order ``n`` of the curve's base point: ``(r, s)`` and ``(r, n - s)`` both verify.
    order: ClassVar[int]

    def __init__(self, pyca_key: ec.EllipticCurvePublicKey) -> None:
        if not isinstance(pyca_key.curve, self.curve):
            raise KeyFormatError(f"a {type(self).__name__} must be on {self.key_type}")
        self._pyca = pyca_key
        self._kid = None

    def public_bytes(self) -> bytes:
        return self._pyca.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    def required_jwk_members(self) -> dict[str, str]:
        numbers = self._pyca.public_numbers()
        return {
            "crv": str(self.key_type),
            "kty": "EC",
            "x": _int_to_b64(numbers.x, self.coordinate_length),
            "y": _int_to_b64(numbers.y, self.coordinate_length),
        }

    def verify(self, signature: bytes, data: bytes) -> None:
        _require_bytes(signature, data)
        size = self.coordinate_length
        alg = self.jose_algorithm
        if len(signature) != 2 * size:
            raise InvalidSignature(f"an {alg} signature is exactly {2 * size} bytes (r || s)")
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        if r == 0 or s == 0:
            raise InvalidSignature(f"{alg} signature has r or s equal to zero")
        try:
            self._pyca.verify(
                encode_dss_signature(r, s), bytes(data), ec.ECDSA(self.hash_algorithm())
            )
        except _PycaInvalidSignature:
            raise InvalidSignature(f"{alg} signature does not verify") from None


class P256VerificationKey(_ECVerificationKey):
    """A NIST P-256 public key, verifying ES256 (raw ``r || s``, SHA-256) signatures."""

    key_type: ClassVar[KeyType] = KeyType.P256
    curve: ClassVar[type[ec.EllipticCurve]] = ec.SECP256R1
    coordinate_length: ClassVar[int] = _P256_COORD_LEN
    hash_algorithm: ClassVar[type[hashes.HashAlgorithm]] = hashes.SHA256
    order: ClassVar[int] = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class P384VerificationKey(_ECVerificationKey):
    """A NIST P-384 public key, verifying ES384 (raw ``r || s``, SHA-384) signatures."""

    key_type: ClassVar[KeyType] = KeyType.P384
    curve: ClassVar[type[ec.EllipticCurve]] = ec.SECP384R1
    coordinate_length: ClassVar[int] = _P384_COORD_LEN
    hash_algorithm: ClassVar[type[hashes.HashAlgorithm]] = hashes.SHA384
    order: ClassVar[int] = int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    )


_EC_CURVES: dict[KeyType, type[_ECVerificationKey]] = {
    KeyType.P256: P256VerificationKey,
    KeyType.P384: P384VerificationKey,
}


def has_low_s(key: VerificationKey, signature: bytes) -> bool:
    """Whether an ECDSA ``r || s`` signature for ``key`` has ``s <= n/2``.

    ECDSA is malleable: ``(r, n - s)`` verifies wherever ``(r, s)`` does, so a verifier that
    wants one signature per message (VC-JWT, where the token is an identifier) also requires
    the low twin. True for keys that are not ECDSA, whose signatures have no such twin.
    """
    if not isinstance(key, _ECVerificationKey):
        return True
    size = key.coordinate_length
    return int.from_bytes(signature[size:], "big") <= key.order // 2


def _ec_class(curve: ec.EllipticCurve) -> type[_ECVerificationKey]:
    for cls in _EC_CURVES.values():
        if isinstance(curve, cls.curve):
            return cls
    raise KeyFormatError(f"unsupported EC curve {curve.name} (only P-256 and P-384)")


class RSAVerificationKey(VerificationKey):
    """An RSA public key (>= 2048 bits), verifying RS256 (PKCS#1 v1.5, SHA-256)."""

    key_type: ClassVar[KeyType] = KeyType.RSA

    def __init__(self, pyca_key: rsa.RSAPublicKey) -> None:
        _check_rsa_size(pyca_key.key_size)
        self._pyca = pyca_key
        self._kid = None

    @property
    def key_size(self) -> int:
        """Modulus size in bits."""
        return self._pyca.key_size

    def public_bytes(self) -> bytes:
        return self._pyca.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def required_jwk_members(self) -> dict[str, str]:
        numbers = self._pyca.public_numbers()
        return {"e": _int_to_b64(numbers.e), "kty": "RSA", "n": _int_to_b64(numbers.n)}

    def verify(self, signature: bytes, data: bytes) -> None:
        _require_bytes(signature, data)
        try:
            self._pyca.verify(bytes(signature), bytes(data), padding.PKCS1v15(), hashes.SHA256())
        except _PycaInvalidSignature:
            raise InvalidSignature("RS256 signature does not verify") from None


# --------------------------------------------------------------------------------------------
# Private keys


class SigningKey(abc.ABC):
    """A private key that signs in JOSE format. Its ``repr`` shows only the public thumbprint."""

    key_type: ClassVar[KeyType]
    _kid: str | None

    @classmethod
    def generate(cls, key_type: KeyType, *, rsa_bits: int = DEFAULT_RSA_BITS) -> SigningKey:
        """A fresh key from the OS CSPRNG. ``rsa_bits`` applies to RSA only (min 2048)."""
        key_type = KeyType(key_type)
        if key_type is KeyType.ED25519:
            return Ed25519SigningKey(ed25519.Ed25519PrivateKey.generate())
        if key_type in _EC_CURVES:
            return _EC_SIGNING[key_type](ec.generate_private_key(_EC_CURVES[key_type].curve()))
        _check_rsa_size(rsa_bits)
        return RSASigningKey(rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """An Ed25519 key from its 32-byte seed (the RFC 8032 private key)."""
        if not isinstance(seed, bytes | bytearray) or len(seed) != _ED25519_LEN:
            raise KeyFormatError("an Ed25519 seed is exactly 32 bytes")
        return Ed25519SigningKey(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @classmethod
    def from_pyca(cls, pyca_key: object) -> SigningKey:
        """Wrap a pyca/cryptography private key (Ed25519, P-256, P-384 or RSA >= 2048 bits)."""
        if isinstance(pyca_key, ed25519.Ed25519PrivateKey):
            return Ed25519SigningKey(pyca_key)
        if isinstance(pyca_key, ec.EllipticCurvePrivateKey):
            return _EC_SIGNING[_ec_class(pyca_key.curve).key_type](pyca_key)
        if isinstance(pyca_key, rsa.RSAPrivateKey):
            return RSASigningKey(pyca_key)
        raise KeyFormatError(f"unsupported private key type {type(pyca_key).__name__}")

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> SigningKey:
        """Read a private JWK. The public members must match the private ones."""
        key_type = _key_type_of_jwk(jwk)
        if "d" not in jwk:
            raise KeyFormatError("a private JWK needs 'd'")
        _check_jwk_alg(jwk, key_type)
        kid = _optional_kid(jwk)
        key: SigningKey
        if key_type is KeyType.ED25519:
            key = cls.from_seed(_jwk_bytes(jwk, "d", _ED25519_LEN))
        elif key_type in _EC_CURVES:
            size = _EC_CURVES[key_type].coordinate_length
            d = int.from_bytes(_jwk_bytes(jwk, "d", size), "big")
            key = _EC_SIGNING[key_type].from_scalar(d)
        else:
            key = RSASigningKey._from_jwk(jwk)
        expected = {k: jwk.get(k) for k in key.public_key.required_jwk_members()}
        if expected != key.public_key.required_jwk_members():
            raise KeyFormatError("the JWK's public members do not match its private key")
        key._kid = kid
        key.public_key._kid = kid
        return key

    @property
    @abc.abstractmethod
    def public_key(self) -> VerificationKey:
        """The matching :class:`VerificationKey`."""

    @property
    def jose_algorithm(self) -> str:
        """The JOSE ``alg`` this key signs with."""
        return _JOSE_ALGORITHMS[self.key_type]

    @abc.abstractmethod
    def sign(self, data: bytes) -> bytes:
        """Sign ``data``; the result is in JOSE signature format."""

    @abc.abstractmethod
    def _private_members(self) -> dict[str, str]:
        """The private JWK members (``d`` and, for RSA, the CRT values)."""

    def private_jwk(self) -> dict[str, str]:
        """The full private JWK. Its name is the warning: this is the secret."""
        members = dict(self.public_key.required_jwk_members())
        members.update(self._private_members())
        if self._kid is not None:
            members["kid"] = self._kid
        return members

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SigningKey):
            return NotImplemented
        return self.public_key == other.public_key

    def __hash__(self) -> int:
        return hash(self.public_key)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key_type} thumbprint={self.public_key.thumbprint()}>"


class Ed25519SigningKey(SigningKey):
    """An Ed25519 private key."""

    key_type: ClassVar[KeyType] = KeyType.ED25519

    def __init__(self, pyca_key: ed25519.Ed25519PrivateKey) -> None:
        self._pyca = pyca_key
        self._public = Ed25519VerificationKey(pyca_key.public_key())
        self._kid = None

    @property
    def public_key(self) -> VerificationKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        return self._pyca.sign(bytes(data))

    def seed(self) -> bytes:
        """The 32-byte RFC 8032 private key: secret material (secret Multikeys carry it)."""
        return self._pyca.private_bytes_raw()

    def _private_members(self) -> dict[str, str]:
        return {"d": b64url_encode(self.seed())}


class _ECSigningKey(SigningKey):
    """A NIST curve private key signing JOSE ECDSA: raw fixed-length ``r || s``."""

    public_class: ClassVar[type[_ECVerificationKey]]

    def __init__(self, pyca_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(pyca_key.curve, self.public_class.curve):
            raise KeyFormatError(f"a {type(self).__name__} must be on {self.key_type}")
        self._pyca = pyca_key
        self._public = self.public_class(pyca_key.public_key())
        self._kid = None

    @classmethod
    def from_scalar(cls, d: int) -> _ECSigningKey:
        """The key with private scalar ``d`` (as a secret Multikey carries it)."""
        try:
            return cls(ec.derive_private_key(d, cls.public_class.curve()))
        except ValueError as exc:
            raise KeyFormatError(f"not a valid {cls.key_type} private scalar") from exc

    @property
    def public_key(self) -> VerificationKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        der = self._pyca.sign(bytes(data), ec.ECDSA(self.public_class.hash_algorithm()))
        r, s = decode_dss_signature(der)
        order = self.public_class.order
        if s > order // 2:  # OpenSSL may emit either twin; ours is always the low-S one
            s = order - s
        size = self.public_class.coordinate_length
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def scalar_bytes(self) -> bytes:
        """The private scalar, big-endian, coordinate-sized: secret material (secret Multikeys
        carry it)."""
        size = self.public_class.coordinate_length
        return self._pyca.private_numbers().private_value.to_bytes(size, "big")

    def _private_members(self) -> dict[str, str]:
        return {"d": b64url_encode(self.scalar_bytes())}


class P256SigningKey(_ECSigningKey):
    """A NIST P-256 private key signing ES256."""

    key_type: ClassVar[KeyType] = KeyType.P256
    public_class: ClassVar[type[_ECVerificationKey]] = P256VerificationKey


class P384SigningKey(_ECSigningKey):
    """A NIST P-384 private key signing ES384."""

    key_type: ClassVar[KeyType] = KeyType.P384
    public_class: ClassVar[type[_ECVerificationKey]] = P384VerificationKey


_EC_SIGNING: dict[KeyType, type[_ECSigningKey]] = {
    KeyType.P256: P256SigningKey,
    KeyType.P384: P384SigningKey,
}


class RSASigningKey(SigningKey):
    """An RSA private key (>= 2048 bits) signing RS256."""

    key_type: ClassVar[KeyType] = KeyType.RSA

    def __init__(self, pyca_key: rsa.RSAPrivateKey) -> None:
        _check_rsa_size(pyca_key.key_size)
        self._pyca = pyca_key
        self._public = RSAVerificationKey(pyca_key.public_key())
        self._kid = None

    @classmethod
    def _from_jwk(cls, jwk: Mapping[str, Any]) -> RSASigningKey:
        if "oth" in jwk:
            raise KeyFormatError("multi-prime RSA keys are not supported")
        n, e, d = _jwk_int(jwk, "n"), _jwk_int(jwk, "e"), _jwk_int(jwk, "d")
        _check_rsa_size(n.bit_length())
        try:
            if all(m in jwk for m in ("p", "q", "dp", "dq", "qi")):
                p, q = _jwk_int(jwk, "p"), _jwk_int(jwk, "q")
                dp, dq, qi = _jwk_int(jwk, "dp"), _jwk_int(jwk, "dq"), _jwk_int(jwk, "qi")
            else:
                p, q = rsa.rsa_recover_prime_factors(n, e, d)
                dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
            numbers = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n))
            return cls(numbers.private_key())
        except (ValueError, TypeError) as exc:
            raise KeyFormatError("the JWK does not form a consistent RSA private key") from exc

    @property
    def public_key(self) -> VerificationKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        return self._pyca.sign(bytes(data), padding.PKCS1v15(), hashes.SHA256())

    def _private_members(self) -> dict[str, str]:
        numbers = self._pyca.private_numbers()
        return {
            "d": _int_to_b64(numbers.d),
            "p": _int_to_b64(numbers.p),
            "q": _int_to_b64(numbers.q),
            "dp": _int_to_b64(numbers.dmp1),
            "dq": _int_to_b64(numbers.dmq1),
            "qi": _int_to_b64(numbers.iqmp),
        }


# --------------------------------------------------------------------------------------------
# Files (reading them is keys.keyfile's job: it knows every format, Multikey included)


def dump_private_jwk(key: SigningKey) -> str:
    """Serialize a signing key as a private JWK (JSON text, sorted members, trailing newline).

    The caller owns where it goes; write it with restrictive permissions (0600).
    """
    if not isinstance(key, SigningKey):
        raise TypeError("dump_private_jwk needs a SigningKey")
    return json.dumps(key.private_jwk(), indent=2, sort_keys=True) + "\n"
