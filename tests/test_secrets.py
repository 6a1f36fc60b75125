"""The secrets scanner itself (``tests/secrets_scan.py``): it must catch a planted leak in
every kind of output and every encoding, allow only the output that hands a secret out, and
stay quiet on public material (a public JWK, a DID, signatures, a VC-JWT).

The scanner is run over a whole issuer session in ``tests/issuer/test_secrets_flow.py``.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest

from keys.did import did_key
from keys.keypairs import KeyType, SigningKey
from keys.multikey import encode_secret_multikey
from keys.suites.vc_jwt import sign_jwt
from schemas.samples import sample_micro_credential
from tests.secrets_scan import SecretScanner

TOKEN = "mc_0123456789ab_" + "S" * 43
OTHER_TOKEN = "mc_ba9876543210_" + "T" * 43


def _key(key_type: KeyType) -> SigningKey:
    if key_type is KeyType.ED25519:
        return SigningKey.from_seed(bytes(range(32)))
    return SigningKey.generate(key_type, rsa_bits=2048)


def test_a_secret_in_a_log_record_is_a_leak(caplog: pytest.LogCaptureFixture) -> None:
    scanner = SecretScanner()
    scanner.secret("admin API key", TOKEN)
    with caplog.at_level(logging.INFO):
        logging.getLogger("tests.secrets").info("authenticated with %s", TOKEN)
    scanner.log_records(caplog.records)
    assert [str(leak) for leak in scanner.leaks()] == [
        "admin API key in log record of tests.secrets"
    ]


def test_a_secret_in_a_traceback_or_a_cause_is_a_leak(caplog: pytest.LogCaptureFixture) -> None:
    scanner = SecretScanner()
    scanner.secret("KEK", "k" * 43)
    try:
        try:
            raise KeyError("k" * 43)
        except KeyError as inner:
            raise RuntimeError("cannot open the key store") from inner
    except RuntimeError as error:
        scanner.exception("opening keys", error)
        logging.getLogger("tests.secrets").error("failed", exc_info=error)
    scanner.log_records(caplog.records)
    assert {leak.where for leak in scanner.leaks()} == {
        "exception RuntimeError from opening keys",
        "log record of tests.secrets",
    }


def test_only_the_creating_output_may_show_a_token() -> None:
    scanner = SecretScanner()
    created = scanner.produced("POST /api-keys → 201 body", json.dumps({"token": TOKEN}))
    scanner.secret("new API key", TOKEN, shown_in=[created])
    scanner.produced("GET /api-keys → 200 body", "[]")
    assert scanner.leaks() == []
    scanner.produced("GET /api-keys → 200 body", json.dumps([{"token": TOKEN}]))
    assert [str(leak) for leak in scanner.leaks()] == ["new API key in GET /api-keys → 200 body"]
    assert scanner.found_in("new API key") == [created, scanner.outputs[-1]]


@pytest.mark.parametrize("key_type", list(KeyType), ids=str)
def test_every_encoding_of_a_private_key_is_caught(key_type: KeyType) -> None:
    from jwcrypto import jwk as jose_jwk

    key = _key(key_type)
    private = key.private_jwk()
    raw_d = base64.urlsafe_b64decode(private["d"] + "==")
    planted = {
        "private JWK": json.dumps(private),
        "d alone": f"signing failed for d={private['d']}",
        "d in hex": f"scalar {raw_d.hex()}",
        "d in base64": base64.b64encode(raw_d).decode(),
        "PEM": jose_jwk.JWK(**private).export_to_pem(private_key=True, password=None).decode(),
    }
    if key_type is not KeyType.RSA:
        planted["secret multikey"] = encode_secret_multikey(key)
    scanner = SecretScanner()
    scanner.signing_key("issuer key", key)
    for where, text in planted.items():
        scanner.produced(where, text)
    assert {leak.where for leak in scanner.leaks()} == set(planted)


def test_secret_shapes_are_caught_even_when_not_recorded() -> None:
    scanner = SecretScanner()
    key = SigningKey.generate(KeyType.P256)
    scanner.produced("a response", f"Authorization: Bearer {OTHER_TOKEN}")
    scanner.produced("a log", "-----BEGIN PRIVATE KEY-----\nMIGH...\n-----END PRIVATE KEY-----")
    scanner.produced("an error", json.dumps({"jwk": key.private_jwk()}))
    scanner.produced("a CLI", encode_secret_multikey(key))
    assert {(leak.label, leak.where) for leak in scanner.leaks()} == {
        ("an API token (not recorded)", "a response"),
        ("a PEM private key (not recorded)", "a log"),
        ("a private JWK member (not recorded)", "an error"),
        ("a secret multikey (not recorded)", "a CLI"),
    }


def test_public_material_is_not_a_leak() -> None:
    """What the service publishes all the time must not look like a secret."""
    scanner = SecretScanner()
    for key_type in KeyType:
        key = _key(key_type)
        scanner.signing_key(f"{key_type} key", key)
        did = did_key(key.public_key) if key_type is not KeyType.RSA else "did:web:x.example"
        credential = sample_micro_credential(issuer_id=did)
        scanner.produced(f"{key_type} public JWK", json.dumps(key.public_key.jwk()))
        scanner.produced(f"{key_type} DID", did)
        scanner.produced(f"{key_type} VC-JWT", sign_jwt(credential, key=key, kid=f"{did}#0"))
    assert scanner.leaks() == []


def test_short_values_are_refused_rather_than_matched_by_chance() -> None:
    with pytest.raises(ValueError, match="too short"):
        SecretScanner().secret("pin", "1234")


def test_an_exception_whose_causes_loop_is_read_once() -> None:
    """A cause chain can loop (``raise a from b`` where ``b`` came from ``a``, as pyld's
    wrapping once made); the scanner reads each exception once instead of spinning."""
    outer, inner = RuntimeError("cannot open the key store"), KeyError("k" * 43)
    outer.__cause__, inner.__cause__ = inner, outer
    scanner = SecretScanner()
    scanner.secret("KEK", "k" * 43)
    scanner.exception("opening keys", outer)
    assert [str(leak) for leak in scanner.leaks()] == [
        "KEK in exception RuntimeError from opening keys"
    ]
