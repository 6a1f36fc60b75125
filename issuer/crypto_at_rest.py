"""Issuers' private keys at rest: sealed with AES-256-GCM under a key-encryption key (KEK).

Why a KEK that lives elsewhere: a copy of the database (a backup, a replica, a stolen laptop)
must not be enough to sign credentials as the state office. The KEK comes from
``MICROCRED_KEY_ENCRYPTION_KEY`` or the file named by ``MICROCRED_KEK_FILE``.

* **Development** (the default): if neither is set, a KEK file is made in the data directory
  (mode 600) and the service warns on every start (:func:`warn_if_development`), because that
  file sits next to the database it protects. A file made while the database already holds
  keys sealed by another KEK (the file was deleted, the database copied elsewhere) would open
  none of them: start-up refuses then (:func:`issuer.runtime.check_sealed_keys`) and removes
  the new file again (:func:`discard_generated`).
* **Production**: no KEK, or a KEK file inside the data directory, is a :class:`KekError`: the
  service refuses to start rather than run with keys one copy away from theft.

Each sealed value carries the KEK's id (a hash of it, not the key), so "wrong KEK" is reported as
such instead of as a generic decryption failure. The associated data binds a ciphertext to its
row: a sealed key copied onto another issuer's key row does not open.

The KEK seals the private JWKs directly (no per-row data key): the values are a few hundred
bytes and are read on every award, so an extra unwrap per signature would buy nothing.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from issuer.data_dir import DEV_KEK_FILE
from issuer.settings import Environment, Settings

__all__ = [
    "DEV_KEK_FILE",
    "KekError",
    "KeyEncryptionKey",
    "SealedDataError",
    "discard_generated",
    "load_kek",
    "warn_if_development",
]

log = logging.getLogger("microcred.issuer.kek")

_KEY_BYTES = 32
_NONCE_BYTES = 12
_FORMAT = "A256GCM"
_GENERATE_HINT = (
    'generate one with: python -c "import base64,secrets; '
    'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
)


class KekError(Exception):
    """The key-encryption key is missing, unreadable or kept where it must not be."""


class SealedDataError(Exception):
    """A sealed value cannot be opened: another KEK, another row, or altered bytes."""


def _decode_key(text: str, source: str) -> bytes:
    """32 bytes written as 64 hex digits or (url-safe or standard) base64."""
    value = text.strip()
    try:
        if len(value) == 2 * _KEY_BYTES and all(c in "0123456789abcdefABCDEF" for c in value):
            key = bytes.fromhex(value)
        else:
            padded = value + "=" * (-len(value) % 4)
            key = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise KekError(f"the key-encryption key from {source} is not hex or base64") from None
    if len(key) != _KEY_BYTES:
        raise KekError(
            f"the key-encryption key from {source} is {len(key)} bytes; it must be 32 "
            f"(AES-256). {_GENERATE_HINT}"
        )
    return key


class KeyEncryptionKey:
    """An AES-256-GCM key that seals and opens private keys. Never shows its bytes."""

    def __init__(
        self,
        key: bytes,
        *,
        source: str,
        development: bool = False,
        generated: Path | None = None,
    ) -> None:
        if len(key) != _KEY_BYTES:
            raise KekError("a key-encryption key is exactly 32 bytes")
        self._aead = AESGCM(key)
        self.source = source
        #: True for the KEK file made in the data directory (see :func:`warn_if_development`).
        self.development = development
        #: The development KEK file this very load wrote (it did not exist before), else None.
        self.generated = generated
        self.key_id = hashlib.sha256(b"microcred-kek-id\x00" + key).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"<KeyEncryptionKey id={self.key_id} from {self.source}>"

    def seal(self, plaintext: bytes, *, associated_data: str) -> str:
        """A JSON envelope ``{"alg", "kek", "nonce", "ct"}``; fresh random nonce each time."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, associated_data.encode("utf-8"))
        return json.dumps(
            {
                "alg": _FORMAT,
                "kek": self.key_id,
                "nonce": base64.urlsafe_b64encode(nonce).decode("ascii"),
                "ct": base64.urlsafe_b64encode(sealed).decode("ascii"),
            },
            separators=(",", ":"),
        )

    def open(self, envelope: str, *, associated_data: str) -> bytes:
        """The plaintext of :meth:`seal`'s output; :class:`SealedDataError` otherwise."""
        try:
            fields = json.loads(envelope)
            if fields.get("alg") != _FORMAT:
                raise SealedDataError(f"unsupported sealing format {fields.get('alg')!r}")
            if fields.get("kek") != self.key_id:
                raise SealedDataError(
                    f"sealed under key-encryption key {fields.get('kek')!r}, but the configured "
                    f"one is {self.key_id!r} (from {self.source}): is MICROCRED_KEY_ENCRYPTION_KEY"
                    " / MICROCRED_KEK_FILE the one this data was created with?"
                )
            nonce = base64.urlsafe_b64decode(fields["nonce"])
            sealed = base64.urlsafe_b64decode(fields["ct"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise SealedDataError("a sealed value is not a valid envelope") from None
        try:
            return self._aead.decrypt(nonce, sealed, associated_data.encode("utf-8"))
        except InvalidTag:
            raise SealedDataError(
                "a sealed value does not open: it was altered or belongs to another row"
            ) from None


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def _read_kek_file(
    path: Path, *, development: bool = False, generated: bool = False
) -> KeyEncryptionKey:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise KekError(f"cannot read the key-encryption key file {path}: {error}") from None
    return KeyEncryptionKey(
        _decode_key(text, str(path)),
        source=f"file {path}",
        development=development,
        generated=path if generated else None,
    )


def _development_kek(data_dir: Path) -> KeyEncryptionKey:
    """Read, or create once, the development KEK file (O_EXCL: two starting processes agree)."""
    path = data_dir / DEV_KEK_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_kek_file(path, development=True)
    except OSError as error:
        raise KekError(
            f"cannot create the development key-encryption key file {path}: "
            f"{error.strerror or error} (is the data directory writable?)"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode() + "\n")
    log.warning("created a development key-encryption key at %s", path)
    return _read_kek_file(path, development=True, generated=True)


def discard_generated(kek: KeyEncryptionKey) -> None:
    """Remove the development KEK file ``kek`` was just written to (if it was): the start it
    was made for is refused, and a later start must not mistake it for the lost one."""
    if kek.generated is None:
        return
    with contextlib.suppress(FileNotFoundError):
        kek.generated.unlink()
    log.warning("removed the development key-encryption key just made at %s", kek.generated)


def warn_if_development(kek: KeyEncryptionKey) -> None:
    """The loud line a service in development mode logs when it starts."""
    if kek.development:
        log.warning(
            "DEVELOPMENT MODE: issuers' private keys are sealed with the %s, which sits next to "
            "the database it protects. In production set MICROCRED_ENV=production and "
            "MICROCRED_KEY_ENCRYPTION_KEY or MICROCRED_KEK_FILE (outside the data directory).",
            kek.source,
        )


def load_kek(settings: Settings) -> KeyEncryptionKey:
    """The KEK the settings name; in development, a generated file if none is named."""
    if settings.key_encryption_key is not None and settings.kek_file is not None:
        raise KekError("set MICROCRED_KEY_ENCRYPTION_KEY or MICROCRED_KEK_FILE, not both")
    production = settings.env is Environment.production
    if settings.key_encryption_key is not None:
        secret = settings.key_encryption_key.get_secret_value()
        return KeyEncryptionKey(
            _decode_key(secret, "MICROCRED_KEY_ENCRYPTION_KEY"),
            source="MICROCRED_KEY_ENCRYPTION_KEY",
        )
    if settings.kek_file is not None:
        if production and _inside(settings.kek_file, settings.data_dir):
            raise KekError(
                f"MICROCRED_KEK_FILE {settings.kek_file} is inside the data directory "
                f"{settings.data_dir}: in production the key-encryption key must not sit next to "
                "the data it protects"
            )
        return _read_kek_file(settings.kek_file)
    if production:
        raise KekError(
            "production mode needs a key-encryption key: set MICROCRED_KEY_ENCRYPTION_KEY or "
            f"MICROCRED_KEK_FILE (a file outside the data directory). {_GENERATE_HINT}"
        )
    return _development_kek(settings.data_dir)
