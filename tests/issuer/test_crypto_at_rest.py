"""Private keys at rest: sealing, the KEK policy, and refusing to start without one."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from sqlmodel import Session, select

from issuer.app import create_app
from issuer.crypto_at_rest import (
    DEV_KEK_FILE,
    KekError,
    KeyEncryptionKey,
    SealedDataError,
    load_kek,
)
from issuer.models import IssuerKey
from issuer.runtime import Runtime
from issuer.services.issuers import signing_key
from issuer.settings import Settings
from tests.issuer.support import TEST_KEK, make_issuer

KEY = bytes(range(32))


def test_seal_and_open() -> None:
    kek = KeyEncryptionKey(KEY, source="test")
    sealed = kek.seal(b"secret jwk", associated_data="row-1")
    assert b"secret" not in sealed.encode()
    assert json.loads(sealed)["kek"] == kek.key_id
    assert kek.open(sealed, associated_data="row-1") == b"secret jwk"
    assert kek.seal(b"secret jwk", associated_data="row-1") != sealed  # fresh nonce


def test_a_sealed_value_opens_only_for_its_row_and_unaltered() -> None:
    kek = KeyEncryptionKey(KEY, source="test")
    sealed = kek.seal(b"secret jwk", associated_data="row-1")
    with pytest.raises(SealedDataError, match="another row"):
        kek.open(sealed, associated_data="row-2")
    fields = json.loads(sealed)
    body = bytearray(base64.urlsafe_b64decode(fields["ct"]))
    body[0] ^= 1
    fields["ct"] = base64.urlsafe_b64encode(bytes(body)).decode()
    with pytest.raises(SealedDataError, match="altered"):
        kek.open(json.dumps(fields), associated_data="row-1")
    with pytest.raises(SealedDataError, match="not a valid envelope"):
        kek.open("not json", associated_data="row-1")


def test_the_wrong_kek_is_named_as_such() -> None:
    sealed = KeyEncryptionKey(KEY, source="old").seal(b"x", associated_data="r")
    other = KeyEncryptionKey(bytes(32), source="MICROCRED_KEY_ENCRYPTION_KEY")
    with pytest.raises(SealedDataError, match="is MICROCRED_KEY_ENCRYPTION_KEY"):
        other.open(sealed, associated_data="r")


def test_the_kek_never_shows_its_bytes() -> None:
    kek = KeyEncryptionKey(KEY, source="test")
    assert KEY.hex() not in repr(kek) and TEST_KEK not in repr(kek)


@pytest.mark.parametrize(
    "text", [TEST_KEK, TEST_KEK.rstrip("="), KEY.hex(), base64.b64encode(KEY).decode() + "\n"]
)
def test_kek_encodings(text: str, tmp_path: Path) -> None:
    kek = load_kek(Settings(data_dir=tmp_path, key_encryption_key=text))
    assert kek.key_id == KeyEncryptionKey(KEY, source="x").key_id


@pytest.mark.parametrize("text", ["short", base64.b64encode(bytes(16)).decode(), "zz" * 32])
def test_a_kek_that_is_not_32_bytes_is_refused(text: str, tmp_path: Path) -> None:
    with pytest.raises(KekError, match="32|hex or base64"):
        load_kek(Settings(data_dir=tmp_path, key_encryption_key=text))


def test_development_makes_a_kek_file_with_mode_600(tmp_path: Path, caplog) -> None:
    kek = load_kek(Settings(data_dir=tmp_path / "data"))
    path = tmp_path / "data" / DEV_KEK_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert kek.development
    assert "created a development key-encryption key" in caplog.text
    assert load_kek(Settings(data_dir=tmp_path / "data")).key_id == kek.key_id


def test_production_refuses_to_start_without_a_kek(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env="production", database_url="sqlite://")
    with pytest.raises(KekError, match="production mode needs a key-encryption key"):
        load_kek(settings)
    with pytest.raises(KekError):
        create_app(settings)
    assert not (tmp_path / DEV_KEK_FILE).exists()
    assert not (tmp_path / "microcred.db").exists()  # refused before touching any data


def test_production_refuses_a_kek_file_in_the_data_directory(tmp_path: Path) -> None:
    inside = tmp_path / "data" / "kek"
    inside.parent.mkdir()
    inside.write_text(TEST_KEK)
    settings = Settings(data_dir=tmp_path / "data", env="production", kek_file=inside)
    with pytest.raises(KekError, match="inside the data directory"):
        load_kek(settings)
    outside = tmp_path / "secrets" / "kek"
    outside.parent.mkdir()
    outside.write_text(TEST_KEK + "\n")
    settings = Settings(data_dir=tmp_path / "data", env="production", kek_file=outside)
    assert not load_kek(settings).development


def test_production_with_a_kek_from_the_environment_starts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MICROCRED_ENV", "production")
    monkeypatch.setenv("MICROCRED_KEY_ENCRYPTION_KEY", TEST_KEK)
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "data"))
    app = create_app(Settings())
    assert not app.state.runtime.kek.development
    assert not (tmp_path / "data" / DEV_KEK_FILE).exists()


def test_both_kek_sources_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KekError, match="not both"):
        load_kek(Settings(data_dir=tmp_path, key_encryption_key=TEST_KEK, kek_file=tmp_path))


def test_issuer_keys_are_stored_sealed(session: Session, runtime: Runtime) -> None:
    make_issuer(session, runtime)
    rows = session.exec(select(IssuerKey)).all()
    assert {r.purpose for r in rows} == {"ldp", "jwt"}
    for row in rows:
        private = signing_key(runtime, row).private_jwk()
        assert private["d"] not in row.sealed_private_jwk
        assert "d" not in row.public_jwk
        assert row.kek_id == runtime.kek.key_id
