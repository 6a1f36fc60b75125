"""Multikey against the W3C (vc-di-eddsa) and 1EdTech (OB 3.0 guide) vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keys.errors import KeyFormatError
from keys.keypairs import KeyType, SigningKey
from keys.multikey import (
    decode_multibase,
    decode_public_multikey,
    decode_secret_multikey,
    encode_multibase,
    encode_public_multikey,
    encode_secret_multikey,
)


@pytest.fixture(scope="module")
def w3c_pair(vendor: Path) -> dict:
    return json.loads((vendor / "vc-di-eddsa" / "TestVectors" / "keyPair.json").read_text())


@pytest.fixture(scope="module")
def ob_vector(vendor: Path) -> dict:
    path = (
        vendor
        / "openbadges-specification"
        / "_extracted"
        / "impl-linked-data-proof-ob"
        / "vector.json"
    )
    return json.loads(path.read_text())


def test_w3c_key_pair(w3c_pair: dict) -> None:
    key = decode_secret_multikey(w3c_pair["privateKeyMultibase"])
    assert key.key_type is KeyType.ED25519
    assert encode_public_multikey(key.public_key) == w3c_pair["publicKeyMultibase"]
    assert decode_public_multikey(w3c_pair["publicKeyMultibase"]) == key.public_key
    # The W3C form is header + 32-byte seed, and that is what we write by default.
    assert encode_secret_multikey(key) == w3c_pair["privateKeyMultibase"]
    assert w3c_pair["publicKeyMultibase"].startswith("z6Mk")


def test_ob_vector(ob_vector: dict) -> None:
    key = decode_secret_multikey(ob_vector["secretKeyMultibase"])
    public = decode_public_multikey(ob_vector["publicKeyMultibase"])
    assert public.public_bytes().hex() == ob_vector["publicKeyHex"]
    assert key.public_key == public
    # The OB form is header + seed ‖ public (64 bytes).
    assert encode_secret_multikey(key, include_public=True) == ob_vector["secretKeyMultibase"]
    signature = key.sign(bytes.fromhex(ob_vector["dataToSignHex"]))
    assert signature.hex() == ob_vector["signatureHex"]
    assert encode_multibase(signature) == ob_vector["proofValue"]
    public.verify(
        decode_multibase(ob_vector["proofValue"]), bytes.fromhex(ob_vector["dataToSignHex"])
    )


def test_ob_secret_with_wrong_public_half_is_rejected(ob_vector: dict) -> None:
    raw = decode_multibase(ob_vector["secretKeyMultibase"])
    other = SigningKey.generate(KeyType.ED25519).public_key.public_bytes()
    with pytest.raises(KeyFormatError, match="does not match"):
        decode_secret_multikey(encode_multibase(raw[:34] + other))


def test_p256_round_trip() -> None:
    key = SigningKey.generate(KeyType.P256)
    value = encode_public_multikey(key.public_key)
    assert value.startswith("zDn")
    assert decode_public_multikey(value) == key.public_key
    secret = encode_secret_multikey(key)
    assert decode_secret_multikey(secret) == key


def test_p384_round_trip() -> None:
    """p384-pub 0x1201 (varint 0x81 0x24, ``z82``) and p384-priv 0x1307 (0x87 0x26)."""
    key = SigningKey.generate(KeyType.P384)
    value = encode_public_multikey(key.public_key)
    assert value.startswith("z82")
    assert decode_multibase(value)[:2] == b"\x81\x24"
    assert len(decode_multibase(value)) == 2 + 49
    assert decode_public_multikey(value) == key.public_key
    secret = encode_secret_multikey(key)
    assert decode_multibase(secret)[:2] == b"\x87\x26"
    assert decode_secret_multikey(secret) == key
    with pytest.raises(KeyFormatError, match="49-byte compressed point"):
        decode_public_multikey(encode_multibase(b"\x81\x24" + key.public_key.public_bytes()[:33]))
    with pytest.raises(KeyFormatError, match="48-byte scalar"):
        decode_secret_multikey(encode_multibase(b"\x87\x26" + bytes(32)))


def test_rsa_has_no_multikey_here() -> None:
    key = SigningKey.generate(KeyType.RSA, rsa_bits=2048)
    with pytest.raises(KeyFormatError, match="JsonWebKey"):
        encode_public_multikey(key.public_key)
    with pytest.raises(KeyFormatError):
        encode_secret_multikey(key)


@pytest.mark.parametrize(
    "header, length",
    [
        (b"\xec\x01", 32),  # x25519-pub
        (b"\xe7\x01", 33),  # secp256k1-pub
        (b"\x82\x24", 67),  # p521-pub (p384-pub 0x81 0x24 is read since P-384 support)
        (b"\x85\x24", 270),  # rsa-pub
        (b"\xed\x02", 32),  # near miss
        (b"\x80\x26", 32),  # a *secret* header where a public key belongs
    ],
)
def test_other_public_headers_raise(header: bytes, length: int) -> None:
    with pytest.raises(KeyFormatError, match="header"):
        decode_public_multikey(encode_multibase(header + b"\2" * length))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",  # no multibase prefix
        "u7QFL3q_eLqi-763YxpW1x-BwTPURVNUuF7ILcTN8oEzFpQ",  # base64url multibase, not base58btc
        "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hw0",  # '0' is not base58
        "z" + "1" * 300,
    ],
)
def test_bad_multibase_raises(value: str) -> None:
    with pytest.raises(KeyFormatError):
        decode_public_multikey(value)


def test_wrong_lengths_raise() -> None:
    public = SigningKey.generate(KeyType.ED25519).public_key.public_bytes()
    with pytest.raises(KeyFormatError):
        decode_public_multikey(encode_multibase(b"\xed\x01" + public[:31]))
    with pytest.raises(KeyFormatError):
        decode_public_multikey(encode_multibase(b"\xed\x01" + public + b"\0"))
    p256 = SigningKey.generate(KeyType.P256).public_key
    uncompressed = b"\x04" + bytes(64)
    with pytest.raises(KeyFormatError, match="compressed"):
        decode_public_multikey(encode_multibase(b"\x80\x24" + uncompressed))
    assert decode_public_multikey(encode_public_multikey(p256)) == p256
    with pytest.raises(KeyFormatError):
        decode_secret_multikey(encode_multibase(b"\x80\x26" + bytes(33)))
    with pytest.raises(KeyFormatError, match="header"):
        decode_secret_multikey(encode_multibase(b"\xed\x01" + public))
