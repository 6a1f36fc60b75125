"""Key pairs: JOSE signature formats, JWK strictness, no private material in sight."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from keys.errors import InvalidSignature, KeyFormatError
from keys.keyfile import load_key_file
from keys.keypairs import (
    KeyType,
    P256VerificationKey,
    P384VerificationKey,
    SigningKey,
    VerificationKey,
    b64url_decode,
    b64url_encode,
    dump_private_jwk,
    has_low_s,
)

# RFC 8032 §7.1, TEST 1 (empty message).
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

# RFC 7638 §3.1: the RFC 7517 Appendix A.1 RSA key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

SIGNATURE_LENGTHS = {KeyType.ED25519: 64, KeyType.P256: 64, KeyType.P384: 96, KeyType.RSA: 256}


@pytest.fixture(scope="module", params=list(KeyType), ids=str)
def signing_key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param, rsa_bits=2048)


def test_rfc8032_vector() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert key.key_type is KeyType.ED25519
    assert key.public_key.public_bytes() == RFC8032_PUBLIC
    assert key.sign(b"") == RFC8032_SIG
    key.public_key.verify(RFC8032_SIG, b"")


def test_rfc7638_thumbprint_ignores_optional_members() -> None:
    key = VerificationKey.from_jwk(RFC7638_JWK)
    assert key.thumbprint() == RFC7638_THUMBPRINT
    assert key.kid == "2011-04-29"
    assert key.jwk() == {"e": "AQAB", "kty": "RSA", "n": RFC7638_JWK["n"], "kid": "2011-04-29"}
    assert key.jose_algorithm == "RS256"


def test_sign_verify_round_trip(signing_key: SigningKey) -> None:
    signature = signing_key.sign(b"payload")
    assert len(signature) == SIGNATURE_LENGTHS[signing_key.key_type]
    signing_key.public_key.verify(signature, b"payload")
    with pytest.raises(InvalidSignature):
        signing_key.public_key.verify(signature, b"payloaD")
    bad = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(InvalidSignature):
        signing_key.public_key.verify(bad, b"payload")


def test_es256_signature_is_raw_r_s_not_der() -> None:
    key = SigningKey.generate(KeyType.P256)
    signature = key.sign(b"x")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    with pytest.raises(InvalidSignature):
        key.public_key.verify(der, b"x")


def test_jose_algorithms() -> None:
    assert SigningKey.generate(KeyType.ED25519).public_key.jose_algorithm == "EdDSA"
    assert SigningKey.generate(KeyType.P256).jose_algorithm == "ES256"


def test_public_jwk_round_trip_and_equality(signing_key: SigningKey) -> None:
    public = signing_key.public_key
    jwk = public.jwk()
    assert "d" not in jwk and "kid" not in jwk
    again = VerificationKey.from_jwk(jwk)
    assert again == public and hash(again) == hash(public)
    assert VerificationKey.from_jwk({**jwk, "kid": "k1"}) == public  # kid is not identity
    assert again != SigningKey.generate(signing_key.key_type, rsa_bits=2048).public_key
    assert VerificationKey.from_public_bytes(signing_key.key_type, public.public_bytes()) == public


def test_private_jwk_round_trip(signing_key: SigningKey) -> None:
    jwk = signing_key.private_jwk()
    assert "d" in jwk
    again = SigningKey.from_jwk(jwk)
    assert again == signing_key
    signing_key.public_key.verify(again.sign(b"m"), b"m")
    assert SigningKey.from_jwk(json.loads(dump_private_jwk(signing_key))) == signing_key


def test_rsa_private_jwk_without_crt_members_is_recovered() -> None:
    key = SigningKey.generate(KeyType.RSA, rsa_bits=2048)
    jwk = {k: v for k, v in key.private_jwk().items() if k in ("kty", "n", "e", "d")}
    assert SigningKey.from_jwk(jwk) == key


def test_repr_shows_no_private_material(signing_key: SigningKey) -> None:
    jwk = signing_key.private_jwk()
    text = repr(signing_key) + str(signing_key) + repr(signing_key.public_key)
    for member in ("d", "p", "q", "dp", "dq", "qi"):
        if member in jwk:
            assert jwk[member] not in text
            assert jwk[member][:12] not in text
    assert signing_key.public_key.thumbprint() in repr(signing_key)


def test_from_seed_repr_hides_seed() -> None:
    key = SigningKey.from_seed(RFC8032_SEED)
    assert RFC8032_SEED.hex() not in repr(key)
    assert b64url_encode(RFC8032_SEED) not in repr(key)


@pytest.mark.parametrize(
    "jwk, fragment",
    [
        ({"kty": "OKP", "crv": "X25519", "x": b64url_encode(bytes(32))}, "curve"),
        ({"kty": "OKP", "crv": "Ed448", "x": b64url_encode(bytes(57))}, "curve"),
        ({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}, "curve"),
        ({"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}, "curve"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "key type"),
        ({"crv": "Ed25519", "x": b64url_encode(RFC8032_PUBLIC)}, "key type"),
        ({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(RFC8032_PUBLIC[:31])}, "32 bytes"),
        ({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(RFC8032_PUBLIC) + "="}, "base64"),
        ({"kty": "OKP", "crv": "Ed25519", "x": 5}, "string"),
        (
            {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(RFC8032_PUBLIC), "alg": "ES256"},
            "alg",
        ),
        (
            {"kty": "EC", "crv": "P-256", "x": b64url_encode(bytes(31) + b"\1"), "y": "A" * 43},
            "point",
        ),
    ],
)
def test_from_jwk_rejects(jwk: dict, fragment: str) -> None:
    with pytest.raises(KeyFormatError, match=fragment):
        VerificationKey.from_jwk(jwk)


def test_public_from_jwk_rejects_private_members(signing_key: SigningKey) -> None:
    private = signing_key.private_jwk()
    with pytest.raises(KeyFormatError, match="private"):
        VerificationKey.from_jwk(private)
    with pytest.raises(KeyFormatError) as info:
        VerificationKey.from_jwk(private)
    assert private["d"] not in str(info.value)


def test_point_not_on_curve_is_rejected() -> None:
    jwk = SigningKey.generate(KeyType.P256).public_key.jwk()
    y = bytearray(b64url_decode(jwk["y"]))
    y[-1] ^= 1
    with pytest.raises(KeyFormatError, match="P-256"):
        VerificationKey.from_jwk({**jwk, "y": b64url_encode(bytes(y))})


def test_small_rsa_is_rejected_everywhere() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    numbers = small.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": b64url_encode(numbers.n.to_bytes(128, "big")),
        "e": b64url_encode(numbers.e.to_bytes(3, "big")),
    }
    with pytest.raises(KeyFormatError, match="2048"):
        VerificationKey.from_jwk(jwk)
    with pytest.raises(KeyFormatError, match="2048"):
        SigningKey.generate(KeyType.RSA, rsa_bits=1024)


def test_signing_jwk_needs_d_and_consistent_public_members() -> None:
    key = SigningKey.generate(KeyType.ED25519)
    with pytest.raises(KeyFormatError, match="'d'"):
        SigningKey.from_jwk(key.public_key.jwk())
    other = SigningKey.generate(KeyType.ED25519).public_key.jwk()
    with pytest.raises(KeyFormatError, match="do not match"):
        SigningKey.from_jwk({**key.private_jwk(), "x": other["x"]})


def test_from_seed_needs_32_bytes() -> None:
    with pytest.raises(KeyFormatError):
        SigningKey.from_seed(b"short")


def test_b64url_is_strict() -> None:
    assert b64url_decode("AQAB") == b"\x01\x00\x01"
    for bad in ("AQAB=", "AQ+B", "AQ/B", "A", "AR", " AQAB"):
        with pytest.raises(KeyFormatError):
            b64url_decode(bad)


# -- files ----------------------------------------------------------------------------------


def test_load_jwk_files(tmp_path, signing_key: SigningKey) -> None:
    private = tmp_path / "private.jwk"
    private.write_text(dump_private_jwk(signing_key))
    public = tmp_path / "public.jwk"
    public.write_text(json.dumps(signing_key.public_key.jwk()))
    loaded = load_key_file(private)
    assert isinstance(loaded, SigningKey) and loaded == signing_key
    loaded_public = load_key_file(public)
    assert isinstance(loaded_public, VerificationKey)
    assert loaded_public == signing_key.public_key


@pytest.mark.parametrize(
    "make",
    [
        ed25519.Ed25519PrivateKey.generate,
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    ],
)
def test_load_pem_files(tmp_path, make) -> None:
    pyca = make()
    private = tmp_path / "k.pem"
    private.write_bytes(
        pyca.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "k.pub.pem"
    public.write_bytes(
        pyca.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    key = load_key_file(private)
    assert isinstance(key, SigningKey)
    assert load_key_file(public) == key.public_key


def test_load_encrypted_pem_is_refused(tmp_path) -> None:
    path = tmp_path / "enc.pem"
    path.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    with pytest.raises(KeyFormatError, match="encrypted"):
        load_key_file(path)


def test_load_multikey_files(tmp_path, vendor) -> None:
    pair = vendor / "vc-di-eddsa" / "TestVectors" / "keyPair.json"
    key = load_key_file(pair)
    assert isinstance(key, SigningKey)
    line = tmp_path / "pub.txt"
    line.write_text(json.loads(pair.read_text())["publicKeyMultibase"] + "\n")
    assert load_key_file(line) == key.public_key


def test_load_errors_do_not_echo_content(tmp_path) -> None:
    secret_looking = "not-a-key-but-secret-ish-0123456789"
    path = tmp_path / "junk"
    path.write_text(secret_looking)
    with pytest.raises(KeyFormatError) as info:
        load_key_file(path)
    assert secret_looking not in str(info.value)
    with pytest.raises(KeyFormatError):
        load_key_file(tmp_path / "missing.jwk")
    big = tmp_path / "big"
    big.write_bytes(b"{" + b" " * 70_000 + b"}")
    with pytest.raises(KeyFormatError, match="larger"):
        load_key_file(big)


@pytest.mark.parametrize("key_type", [KeyType.P256, KeyType.P384], ids=str)
def test_ecdsa_signatures_are_always_low_s(key_type: KeyType) -> None:
    """OpenSSL returns either twin at random (about half are high-S); ours are all low-S."""
    key = SigningKey.generate(key_type)
    public = key.public_key
    assert isinstance(public, (P256VerificationKey, P384VerificationKey))
    size = public.coordinate_length
    for i in range(200):
        message = i.to_bytes(2, "big")
        signature = key.sign(message)
        assert int.from_bytes(signature[size:], "big") <= public.order // 2
        assert has_low_s(public, signature)
        public.verify(signature, message)
