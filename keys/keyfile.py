"""Reading a key from a file, whatever format it was written in.

A module of its own because it knows every key encoding: JWK and PEM (:mod:`keys.keypairs`) and
Multikey (:mod:`keys.multikey`, which builds on the key classes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from keys.errors import KeyFormatError
from keys.keypairs import SigningKey, VerificationKey
from keys.multikey import decode_public_multikey, decode_secret_multikey

__all__ = ["MAX_KEY_FILE_BYTES", "load_key_file"]

#: Key files are small; anything larger is not a key and is not read into memory.
MAX_KEY_FILE_BYTES = 64 * 1024


def load_key_file(path: str | os.PathLike[str]) -> SigningKey | VerificationKey:
    """Read a key from a file: a JWK (private if it has ``d``), an unencrypted PEM (PKCS#8 /
    traditional private key, or SubjectPublicKeyInfo), a JSON object with
    ``secretKeyMultibase``/``privateKeyMultibase``/``publicKeyMultibase``, or a bare multibase
    line.

    Errors name the file and the problem, never the content.
    """
    file = Path(path)
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise KeyFormatError(f"cannot read key file {file}: {exc.strerror}") from None
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise KeyFormatError(f"key file {file} is larger than {MAX_KEY_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise KeyFormatError(f"key file {file} is not UTF-8 text") from None

    if text.startswith("-----BEGIN"):
        return _load_pem(raw, file)
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise KeyFormatError(f"key file {file} is not valid JSON") from None
        if not isinstance(data, dict):
            raise KeyFormatError(f"key file {file} does not hold a JSON object")
        if "kty" in data:
            if "d" in data:
                return SigningKey.from_jwk(data)
            return VerificationKey.from_jwk(data)
        for member in ("secretKeyMultibase", "privateKeyMultibase"):
            if member in data:
                return decode_secret_multikey(data[member])
        if "publicKeyMultibase" in data:
            return decode_public_multikey(data["publicKeyMultibase"])
        raise KeyFormatError(f"key file {file} holds no JWK or multikey")
    if text.startswith("z") and "\n" not in text:
        try:
            return decode_public_multikey(text)
        except KeyFormatError:
            return decode_secret_multikey(text)
    raise KeyFormatError(f"key file {file}: unrecognised key format")


def _load_pem(raw: bytes, file: Path) -> SigningKey | VerificationKey:
    if b"PRIVATE KEY" in raw:
        try:
            private = serialization.load_pem_private_key(raw, password=None)
        except TypeError:
            raise KeyFormatError(f"key file {file} is encrypted; decrypt it first") from None
        except (ValueError, UnsupportedAlgorithm):
            raise KeyFormatError(f"key file {file} is not a readable PEM private key") from None
        return SigningKey.from_pyca(private)
    try:
        public = serialization.load_pem_public_key(raw)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFormatError(f"key file {file} is not a readable PEM public key") from None
    return VerificationKey.from_pyca(public)
