"""The data directory is found the way git finds its repository (:mod:`issuer.data_dir`):
commands run below a data directory use it, a command run elsewhere does not start an empty
one with a fresh key, and the commands that set one up say which they create."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuer.data_dir import DATABASE_FILE, DEV_KEK_FILE, find_data_dir, is_data_dir
from issuer.settings import Settings
from microcred.exit_codes import EXIT_UNAVAILABLE
from tests.issuer.support import CLI_BASE_ENV, run_cli

#: SQLite in the data directory (no database URL), no MICROCRED_DATA_DIR: the lookup decides.
ENV = {**CLI_BASE_ENV, "MICROCRED_DATA_DIR": None, "MICROCRED_DATABASE_URL": None}


def test_the_nearest_data_directory_at_or_above_wins(tmp_path: Path) -> None:
    outer, inner = tmp_path / "var", tmp_path / "a" / "var"
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_data_dir(deep) is None or not find_data_dir(deep).is_relative_to(tmp_path)
    outer.mkdir()
    (outer / DEV_KEK_FILE).write_text("x")  # the development KEK marks one too
    assert find_data_dir(deep) == outer
    inner.mkdir()
    assert not is_data_dir(inner) and find_data_dir(deep) == outer  # an empty var/ is not one
    (inner / DATABASE_FILE).write_bytes(b"")
    assert find_data_dir(deep) == inner
    assert find_data_dir(inner) == inner  # inside the data directory itself


def test_settings_find_it_unless_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROCRED_DATA_DIR", raising=False)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / DATABASE_FILE).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    found = Settings()
    assert found.data_dir == tmp_path.resolve() / "var" and not found.data_dir_given
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(tmp_path / "named"))
    named = Settings()
    assert named.data_dir == tmp_path / "named" and named.data_dir_given


def test_commands_find_the_data_directory_above_and_refuse_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    project = tmp_path / "project"
    deeper = project / "docs" / "drafts"
    for folder in (elsewhere, deeper):
        folder.mkdir(parents=True)

    monkeypatch.chdir(elsewhere)  # nothing here or above: a read-only command refuses
    refused = run_cli(ENV, "credentials", "list", code=EXIT_UNAVAILABLE)
    assert refused.stderr.startswith("error: no data directory found (looked in ")
    assert "microcred init" in refused.stderr and "MICROCRED_DATA_DIR" in refused.stderr
    assert list(elsewhere.iterdir()) == []  # no empty database, no fresh key

    monkeypatch.chdir(project)  # init sets one up, and says which
    made = run_cli(ENV, "init", "--no-demo", "--issuer-slug", "nm-ped")
    assert f"creating a new data directory {project.resolve() / 'var'} (none found" in made.stderr
    assert is_data_dir(project / "var")

    monkeypatch.chdir(deeper)  # below it: the same data, nothing created here
    listed = run_cli(ENV, "issuer", "list")
    assert listed.stdout.startswith("nm-ped ")
    assert list(deeper.iterdir()) == []
    again = run_cli(ENV, "init")
    assert "creating" not in again.stderr  # found: nothing new

    named = {**ENV, "MICROCRED_DATA_DIR": str(tmp_path / "typo")}
    wrong = run_cli(named, "issuer", "list", code=EXIT_UNAVAILABLE)
    assert "no data directory at " in wrong.stderr and "MICROCRED_DATA_DIR" in wrong.stderr
    assert not (tmp_path / "typo").exists()
