"""Multikey: multibase base58btc (``z…``) over a multicodec varint header and the key bytes.

This is how Data Integrity proofs, ``did:key`` and controller documents write keys
(W3C Controlled Identifiers §Multikey; vc-di-eddsa §Multikey):

============================  ===============  ====================  =========
key                           multicodec       varint header bytes   prefix
============================  ===============  ====================  =========
Ed25519 public (32 bytes)     ``ed25519-pub``  ``0xed 0x01``         ``z6Mk``
P-256 public, compressed (33) ``p256-pub``     ``0x80 0x24``         ``zDn``
P-384 public, compressed (49) ``p384-pub``     ``0x81 0x24``         ``z82``
Ed25519 secret                ``ed25519-priv`` ``0x80 0x26``         ``z3u2``
P-256 secret (32)             ``p256-priv``    ``0x86 0x26``         ``z42t``
P-384 secret (48)             ``p384-priv``    ``0x87 0x26``         ``z2fa``
============================  ===============  ====================  =========

Any other header is an error (vc-di-eddsa: "any other header value MUST raise an error"): a
verifier that guessed would accept keys of a type the proof does not declare.

The Ed25519 secret body is the 32-byte seed (W3C ``keyPair.json``) or 64 bytes seed ‖ public
key (the OB 3.0 test vector, libsodium's layout). Both are read; the 64-byte form must carry the
public key that the seed actually derives.
"""

from __future__ import annotations

import base58

from keys.errors import KeyFormatError
from keys.keypairs import (
    Ed25519SigningKey,
    KeyType,
    P256SigningKey,
    P384SigningKey,
    SigningKey,
    VerificationKey,
)

__all__ = [
    "ED25519_PUB_HEADER",
    "ED25519_SECRET_HEADER",
    "P256_PUB_HEADER",
    "P256_SECRET_HEADER",
    "P384_PUB_HEADER",
    "P384_SECRET_HEADER",
    "decode_multibase",
    "decode_public_multikey",
    "decode_secret_multikey",
    "encode_multibase",
    "encode_public_multikey",
    "encode_secret_multikey",
]

ED25519_PUB_HEADER = b"\xed\x01"
P256_PUB_HEADER = b"\x80\x24"
ED25519_SECRET_HEADER = b"\x80\x26"
P256_SECRET_HEADER = b"\x86\x26"
P384_PUB_HEADER = b"\x81\x24"
P384_SECRET_HEADER = b"\x87\x26"

#: The NIST curves: (public header, secret header, compressed point length, scalar length).
_EC_MULTIKEY = {
    KeyType.P256: (P256_PUB_HEADER, P256_SECRET_HEADER, 33, 32),
    KeyType.P384: (P384_PUB_HEADER, P384_SECRET_HEADER, 49, 48),
}

#: Far above any key we read (an RSA-4096 multikey is ~750 characters); refuse longer input before
#: base58, which is quadratic in the length, does the work.
_MAX_MULTIBASE_CHARS = 2048


def encode_multibase(data: bytes) -> str:
    """``z`` + base58btc(data)."""
    return "z" + base58.b58encode(data, alphabet=base58.BITCOIN_ALPHABET).decode("ascii")


def decode_multibase(value: str) -> bytes:
    """Decode a base58btc multibase string; only the ``z`` prefix is accepted, canonically."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("multibase value must be a string starting with 'z' (base58btc)")
    if len(value) > _MAX_MULTIBASE_CHARS:
        raise KeyFormatError("multibase value is too long for a key")
    try:
        data = base58.b58decode(value[1:], alphabet=base58.BITCOIN_ALPHABET)
    except ValueError:
        raise KeyFormatError("multibase value is not base58btc") from None
    if encode_multibase(data) != value:
        raise KeyFormatError("multibase value is not canonical base58btc")
    return data


def encode_public_multikey(key: VerificationKey) -> str:
    """``publicKeyMultibase`` for an Ed25519, P-256 or P-384 key. RSA has no Multikey form here
    (use a ``JsonWebKey``), so it raises :class:`KeyFormatError`."""
    if isinstance(key, SigningKey):
        raise TypeError("encode_public_multikey takes a VerificationKey (use key.public_key)")
    if key.key_type is KeyType.ED25519:
        return encode_multibase(ED25519_PUB_HEADER + key.public_bytes())
    if key.key_type in _EC_MULTIKEY:
        return encode_multibase(_EC_MULTIKEY[key.key_type][0] + key.public_bytes())
    raise KeyFormatError(f"no Multikey encoding for {key.key_type} keys; use a JsonWebKey")


def decode_public_multikey(value: str) -> VerificationKey:
    """Read a ``publicKeyMultibase``. Only the Ed25519, P-256 and P-384 (compressed) headers
    pass."""
    data = decode_multibase(value)
    header, body = data[:2], data[2:]
    if header == ED25519_PUB_HEADER:
        if len(body) != 32:
            raise KeyFormatError("Ed25519 multikey must carry 32 key bytes")
        return VerificationKey.from_public_bytes(KeyType.ED25519, body)
    for key_type, (pub_header, _, point_length, _) in _EC_MULTIKEY.items():
        if header == pub_header:
            if len(body) != point_length or body[0] not in (2, 3):
                raise KeyFormatError(
                    f"{key_type} multikey must carry a {point_length}-byte compressed point"
                )
            return VerificationKey.from_public_bytes(key_type, body)
    raise KeyFormatError(
        "unsupported multikey header (expected Ed25519 0xed01, P-256 0x1200 or P-384 0x1201)"
    )


def decode_secret_multikey(value: str) -> SigningKey:
    """Read a ``secretKeyMultibase``: Ed25519 (seed or seed ‖ public), P-256 or P-384 (scalar)."""
    data = decode_multibase(value)
    header, body = data[:2], data[2:]
    if header == ED25519_SECRET_HEADER:
        if len(body) == 32:
            return SigningKey.from_seed(body)
        if len(body) == 64:
            key = SigningKey.from_seed(body[:32])
            if key.public_key.public_bytes() != body[32:]:
                raise KeyFormatError("Ed25519 secret multikey: public half does not match seed")
            return key
        raise KeyFormatError("Ed25519 secret multikey must carry 32 or 64 bytes")
    for signing_class in (P256SigningKey, P384SigningKey):
        _, secret_header, _, scalar_length = _EC_MULTIKEY[signing_class.key_type]
        if header == secret_header:
            if len(body) != scalar_length:
                raise KeyFormatError(
                    f"{signing_class.key_type} secret multikey must carry a "
                    f"{scalar_length}-byte scalar"
                )
            return signing_class.from_scalar(int.from_bytes(body, "big"))
    raise KeyFormatError("unsupported secret multikey header")


def encode_secret_multikey(key: SigningKey, *, include_public: bool = False) -> str:
    """``secretKeyMultibase`` for an Ed25519, P-256 or P-384 key.

    Ed25519 writes the 32-byte seed (the W3C form); ``include_public=True`` writes seed ‖ public
    (the OB vector's form) for tools that expect it.
    """
    if isinstance(key, Ed25519SigningKey):
        body = key.seed()
        if include_public:
            body += key.public_key.public_bytes()
        return encode_multibase(ED25519_SECRET_HEADER + body)
    if isinstance(key, P256SigningKey | P384SigningKey):
        return encode_multibase(_EC_MULTIKEY[key.key_type][1] + key.scalar_bytes())
    raise KeyFormatError(f"no secret Multikey encoding for {key.key_type} keys")
