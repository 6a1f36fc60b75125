"""Starting on a broken data directory, or twice at once (issue 17, defects 15, 16 and 17).

* A damaged SQLite file stops the start with a sentence saying so (it used to start, answer
  ``/healthz``, and take new writes into the malformed file).
* The CLI on a data directory it cannot write (or cannot use) says so in one line and exits
  69 (:data:`microcred.exit_codes.EXIT_UNAVAILABLE`), never with a traceback.
* Two first starts on one new PostgreSQL database at once both succeed (the second used to die
  on a unique violation).
* A development key-encryption key that went missing is not silently regenerated while the
  database holds keys sealed by the lost one: the start is refused, and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from issuer.app import create_app
from issuer.crypto_at_rest import DEV_KEK_FILE, KekError
from issuer.db import DatabaseDamaged, make_engine
from issuer.models import CatalogAchievement, Issuer
from issuer.runtime import start
from issuer.settings import DATABASE_FILE, Settings
from microcred.cli import app as microcred
from microcred.exit_codes import EXIT_INVALID, EXIT_UNAVAILABLE
from tests.issuer.support import BASE_URL, CLI_BASE_ENV, TEST_KEK

runner = CliRunner()


def _cli(env: dict[str, Any], *args: str) -> Any:
    return runner.invoke(microcred, list(args), env=env)


def _env(data_dir: Path, **more: str | None) -> dict[str, str | None]:
    return {
        **CLI_BASE_ENV,
        "MICROCRED_DATA_DIR": str(data_dir),
        "MICROCRED_DATABASE_URL": None,
        "MICROCRED_BASE_URL": BASE_URL,
        **more,
    }


def _outside_microcred() -> dict[str, str]:
    """This process's environment without its ``MICROCRED_*`` settings (for a child)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# ------------------------------------------------------------------------------ damaged SQLite


def _damage(database: Path) -> None:
    """Overwrite three pages in the middle of the file with noise (a disk fault, a bad copy)."""
    with database.open("r+b") as handle:
        handle.seek(4096 * 4)
        handle.write(os.urandom(4096 * 3))


def test_a_damaged_sqlite_file_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    initialized = _cli(_env(data), "init")
    assert initialized.exit_code == 0, initialized.output
    database = data / DATABASE_FILE
    before = database.read_bytes()
    _damage(database)
    damaged = database.read_bytes()

    result = _cli(_env(data), "init")
    assert result.exit_code == EXIT_UNAVAILABLE, result.output
    assert f"error: the database file {database} is damaged" in result.stderr
    assert "restore it from a backup" in result.stderr
    _no_traceback(result)
    for command in (("credentials", "list"), ("revoke", "0123456789ab", "--reason", "x")):
        assert _cli(_env(data), *command).exit_code == EXIT_UNAVAILABLE, command

    settings = Settings(data_dir=data, key_encryption_key=TEST_KEK, base_url=BASE_URL)
    with pytest.raises(DatabaseDamaged, match="is damaged"):
        create_app(settings)  # the service refuses to start: no /healthz 200 on a broken file
    assert database.read_bytes() == damaged != before  # and nothing was written into it


def test_a_file_that_is_not_a_database_is_refused_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / DATABASE_FILE).write_bytes(b"these are not the pages you are looking for" * 200)
    result = _cli(_env(data), "init")
    assert result.exit_code == EXIT_UNAVAILABLE, result.output
    assert "is damaged (SQLite's integrity check: file is not a database)" in result.stderr
    _no_traceback(result)


# ------------------------------------------------------------------------------ read-only


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make ``directory`` unwritable, for root too (which ignores permission bits: the
    immutable attribute stops it), and writable again afterwards."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        try:
            yield
        finally:
            directory.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    assert chattr is not None, (
        "running as root, the test needs chattr to make a directory unwritable"
    )
    subprocess.run([chattr, "+i", str(directory)], check=True)
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(directory)], check=True)


def test_init_into_a_read_only_directory_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with read_only(data):
        for kek in (TEST_KEK, None):  # the database file, or the development KEK file
            result = _cli(_env(data, MICROCRED_KEY_ENCRYPTION_KEY=kek), "init")
            assert result.exit_code == EXIT_UNAVAILABLE, result.output
            assert result.stderr.startswith(f"error: cannot use the data directory {data}: ")
            assert "ermission denied" in result.stderr or "not permitted" in result.stderr
            _no_traceback(result)
    assert list(data.iterdir()) == []


def test_commands_on_a_data_directory_made_read_only_fail_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _cli(_env(data), "init").exit_code == 0
    with read_only(data):
        for command in (("credentials", "list"), ("init",), ("catalog", "list")):
            result = _cli(_env(data), *command)
            assert result.exit_code == EXIT_UNAVAILABLE, (command, result.output)
            assert result.stderr.startswith("error: cannot use the database: "), result.stderr
            _no_traceback(result)


# ------------------------------------------------------------------------------ first starts


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_two_first_starts_on_one_database_both_succeed(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two ``microcred init`` processes at once on a new database: one makes the issuer, the
    admin key and the demo catalog, the other finds them made (on PostgreSQL the second died
    on a unique violation 4 times in 4, on SQLite on "database is locked")."""
    shared = tmp_path / "data"
    database = request.getfixturevalue("fresh_postgres") if backend == "postgresql" else None
    code = "from microcred.cli import main; main()"
    processes = []
    for n in (1, 2):
        data = shared if database is None else tmp_path / f"data-{n}"
        env = {k: v for k, v in _env(data, MICROCRED_DATABASE_URL=database).items() if v}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", code, "init"],
                env={**_outside_microcred(), **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in processes]
    for status, stderr in results:
        assert status == 0, stderr
        assert "Traceback" not in stderr
    assert sum("admin key  mc_" in stderr for _, stderr in results) == 1
    engine = make_engine(Settings(data_dir=shared, database_url=database))
    try:
        with Session(engine) as session:
            assert [i.slug for i in session.exec(select(Issuer))] == ["demo-education-office"]
            slugs = list(session.exec(select(CatalogAchievement.slug)))
            assert len(slugs) == 15  # loaded once: 13, and the two APL stacks
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------ the KEK


def test_a_missing_development_kek_with_sealed_keys_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    development = _env(data, MICROCRED_KEY_ENCRYPTION_KEY=None)
    assert _cli(development, "init").exit_code == 0  # the first issuer's keys, sealed
    kek_file = data / DEV_KEK_FILE
    lost = kek_file.read_text()
    kek_file.unlink()

    for _ in range(2):  # the refusal does not leave a new KEK file for the next start to read
        result = _cli(development, "init")
        assert result.exit_code == EXIT_INVALID, result.output
        assert "the development key-encryption key file" in result.stderr
        assert "was missing" in result.stderr and "Restore the key-encryption key" in result.stderr
        _no_traceback(result)
        assert not kek_file.exists()
    settings = Settings(data_dir=data, base_url=BASE_URL)
    with pytest.raises(KekError, match="was missing"):
        create_app(settings)

    kek_file.write_text(lost)
    kek_file.chmod(0o600)
    assert _cli(development, "init").exit_code == 0  # the lost key found: all is well again


def test_a_kek_that_sealed_none_of_the_keys_refuses_to_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _cli(_env(data), "init").exit_code == 0
    other = "A" * 43  # 32 bytes of base64url, not the KEK the keys were sealed with
    result = _cli(_env(data, MICROCRED_KEY_ENCRYPTION_KEY=other), "credentials", "list")
    assert result.exit_code == EXIT_INVALID, result.output
    assert "sealed with key-encryption key" in result.stderr
    assert "(from MICROCRED_KEY_ENCRYPTION_KEY)" in result.stderr
    assert other not in result.output  # the key itself is never shown
    engine = make_engine(Settings(data_dir=data))
    try:
        with pytest.raises(KekError, match="Nothing could be signed"):
            start(Settings(data_dir=data, key_encryption_key=other), engine)
    finally:
        engine.dispose()
