"""Settings, the database and its migrations, and the recorded base URL."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlmodel import Session, SQLModel, select

from issuer.db import alembic_config, make_engine, migrate, models_own
from issuer.models import Instance
from issuer.runtime import Runtime, record_base_url, start
from issuer.services.errors import Conflict
from issuer.settings import Settings, normalize_base_url
from tests.issuer.support import BASE_URL, TEST_KEK, make_issuer

# ------------------------------------------------------------------------------ settings


def test_defaults_put_sqlite_in_the_data_directory(tmp_path: Path, monkeypatch) -> None:
    for name in ("DATA_DIR", "DATABASE_URL", "BASE_URL", "ENV"):
        monkeypatch.delenv(f"MICROCRED_{name}", raising=False)
    settings = Settings()
    assert settings.data_dir == Path("./var")
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.env == "development"
    assert not settings.base_url_explicit
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path))
    assert Settings().sqlalchemy_url == f"sqlite:///{tmp_path.resolve()}/microcred.db"


def test_environment_variables_are_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MICROCRED_DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("MICROCRED_BASE_URL", "https://Badges.PED.nm.example:443/")
    monkeypatch.setenv("MICROCRED_ENV", "production")
    settings = Settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert settings.base_url == "https://badges.ped.nm.example"
    assert settings.base_url_explicit
    assert settings.env == "production"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://ped.nm.example/microcred/", "https://ped.nm.example/microcred"),
        ("http://Example.org:80", "http://example.org"),
    ],
)
def test_base_url_is_normalized(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["ftp://x.example", "/relative", "https://x.example/?q=1", "https://u:p@x.example"]
)
def test_bad_base_urls_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        Settings(base_url=bad)


# ------------------------------------------------------------------------------ migrations


def test_the_schema_is_at_head_and_matches_the_models(engine: Engine) -> None:
    """Models and migrations agree (what ``alembic check`` does), on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": models_own}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert context.get_current_revision() == head
    tables = set(inspect(engine).get_table_names())
    assert {"issuer", "issuer_key", "achievement", "award", "api_key", "batch"} <= tables


def test_migrate_is_idempotent(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)


def test_a_fresh_sqlite_database_migrates_and_downgrades(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    engine = make_engine(settings)
    try:
        migrate(engine)
        assert (tmp_path / "fresh" / "microcred.db").is_file()
        command.downgrade(alembic_config(engine), "base")
        assert "award" not in inspect(engine).get_table_names()
        migrate(engine)
        assert "award" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_data_directory_are_private(tmp_path: Path) -> None:
    """They hold emails and sealed keys: 0700/0600 even under a permissive umask, and SQLite's
    WAL/shared-memory files inherit the database file's mode."""
    old_umask = os.umask(0o022)
    try:
        settings = Settings(data_dir=tmp_path / "private" / "var")
        engine = make_engine(settings)
        try:
            migrate(engine)
            with engine.connect() as connection:  # WAL and SHM exist while a connection is open
                connection.exec_driver_sql("SELECT count(*) FROM award").all()
                files = sorted((tmp_path / "private" / "var").iterdir())
                assert [f.name for f in files][:1] == ["microcred.db"]
                assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            engine.dispose()
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / "private" / "var") == 0o700


def test_an_existing_world_readable_sqlite_file_is_made_private(tmp_path: Path) -> None:
    """A database an older release created 0644 is tightened at the next start."""
    (tmp_path / "microcred.db").touch(mode=0o644)
    (tmp_path / "microcred.db").chmod(0o644)
    engine = make_engine(Settings(data_dir=tmp_path))
    engine.dispose()
    assert _mode(tmp_path / "microcred.db") == 0o600


# ------------------------------------------------------------------------------ base URL


def test_the_first_start_records_the_base_url(runtime: Runtime, session: Session) -> None:
    assert runtime.urls.base == BASE_URL
    assert session.get(Instance, 1).base_url == BASE_URL


def test_recorded_base_url_is_used_when_the_setting_is_not_given(
    runtime: Runtime, engine: Engine, tmp_path: Path, database_url: str
) -> None:
    implicit = Settings(data_dir=tmp_path, database_url=database_url, key_encryption_key=TEST_KEK)
    assert not implicit.base_url_explicit
    assert start(implicit, engine, migrate_schema=False).urls.base == BASE_URL


def test_an_explicit_setting_overrides_and_warns(
    runtime: Runtime, engine: Engine, tmp_path: Path, database_url: str, caplog
) -> None:
    other = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        base_url="https://other.example",
        key_encryption_key=TEST_KEK,
    )
    assert start(other, engine, migrate_schema=False).urls.base == "https://other.example"
    assert "initialized with https://issuer.test" in caplog.text


def test_init_may_change_the_base_url_only_before_the_first_issuer(
    runtime: Runtime, session: Session
) -> None:
    assert record_base_url(session, "https://badges.ped.nm.example/") == (
        "https://badges.ped.nm.example"
    )
    make_issuer(session, runtime)
    with pytest.raises(Conflict, match="cannot change"):
        record_base_url(session, "https://elsewhere.example")
    record_base_url(session, "https://badges.ped.nm.example")  # the same URL is fine
    assert session.exec(select(Instance)).one().base_url == "https://badges.ped.nm.example"
