"""The database: an engine per settings, and Alembic migrations run from code.

SQLite is the embedded default, so it is set up to behave under concurrent writers:

* WAL journal, so readers never wait for a writer and writers never wait for readers;
* a busy timeout, so a writer waits for another instead of failing;
* write transactions start with ``BEGIN IMMEDIATE`` (:func:`begin_write`). A transaction that
  reads first and writes later (check the idempotency key, then insert) otherwise fails at
  once with "database is locked" when another connection wrote in between: SQLite cannot
  upgrade a stale read snapshot, and the busy handler is not consulted. Taking the write lock
  up front makes writers queue instead. Read-only transactions keep a plain deferred ``BEGIN``,
  so public pages never queue behind a batch of awards.

On PostgreSQL :func:`begin_write` changes nothing; the unique constraints settle races.

**Start-up** is serialised between processes by :func:`startup_lock` (a PostgreSQL advisory
lock, a lock file beside a SQLite database): two first starts on one database would otherwise
both migrate, record the base URL and create the first issuer and the demo catalog, and the
second die on a unique violation (or, on SQLite, on "database is locked"). A
SQLite file is checked by :func:`check_integrity` (``PRAGMA quick_check``) before anything is
written into it: a damaged file stops the start (:class:`DatabaseDamaged`) instead of
collecting new writes.

**Outages.** :func:`is_unavailable` tells a database that cannot be used just now
(unreachable, restarting, locked, read-only, damaged, or no pooled connection free in time)
from an error in our own SQL; the HTTP API answers the first with 503 and ``Retry-After``,
the CLI with :data:`microcred.exit_codes.EXIT_UNAVAILABLE`.

The SQLite file holds recipients' emails and the sealed signing keys, so it is private to the
service's user: :func:`make_engine` creates the data directory ``0700`` and the file ``0600``
before SQLite would create it ``0644`` (SQLite gives its ``-wal``/``-shm`` files the database
file's mode), and takes group/other access away from a file an older release created.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlmodel import Session

from issuer.settings import Settings

__all__ = [
    "JOB_TABLE_PREFIX",
    "MIGRATIONS_DIR",
    "UNAVAILABLE_ERRORS",
    "DataDirectoryError",
    "DatabaseDamaged",
    "alembic_config",
    "begin_write",
    "check_integrity",
    "is_unavailable",
    "make_engine",
    "migrate",
    "models_own",
    "ping",
    "startup_lock",
]

log = logging.getLogger("microcred.issuer.db")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Seconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30
#: Execution option marking a transaction that will write (see :func:`begin_write`).
_WRITE_OPTION = "microcred_write"
#: The PostgreSQL advisory lock key of :func:`startup_lock` (advisory locks are per database,
#: so other databases on the same server never contend for it).
STARTUP_LOCK_KEY = 0x6D6963726F637264  # "microcrd"
#: Problems of ``PRAGMA quick_check`` quoted in :class:`DatabaseDamaged`.
_QUOTED_PROBLEMS = 3


class DatabaseDamaged(Exception):
    """The SQLite file fails its integrity check (or is not a database at all)."""


class DataDirectoryError(Exception):
    """The data directory or the SQLite file in it cannot be created or opened for writing."""


#: DB-API errors that are our own mistakes (a constraint, a malformed statement or value),
#: not the database being unavailable.
_OUR_MISTAKES = (
    sa_exc.IntegrityError,
    sa_exc.ProgrammingError,
    sa_exc.DataError,
    sa_exc.NotSupportedError,
)
#: Errors that mean the database cannot be used just now (see :func:`is_unavailable`).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DatabaseError,  # OperationalError, InternalError, SQLite's "malformed", ...
    sa_exc.InterfaceError,  # the connection is gone
    sa_exc.TimeoutError,  # no pooled connection freed within the pool's timeout
    sa_exc.DisconnectionError,
)


#: huey's tables on PostgreSQL (:mod:`issuer.jobs`): made by migration 0009, no SQLModel model.
JOB_TABLE_PREFIX = "job_"


def models_own(name: str | None, type_: str, _parent: object) -> bool:
    """Alembic's ``include_name``: whether a database object is the models' to compare (the
    job queue's tables are not, so autogenerate never proposes dropping them)."""
    return not (type_ == "table" and (name or "").startswith(JOB_TABLE_PREFIX))


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be used just now (unreachable, restarting,
    out of connections, locked, read-only, damaged), False for a mistake in our own SQL (a
    constraint, a malformed statement), which is a bug and stays one."""
    return isinstance(error, UNAVAILABLE_ERRORS) and not isinstance(error, _OUR_MISTAKES)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def begin_write(session: Session) -> None:
    """Start ``session``'s next transaction as a writer (SQLite: ``BEGIN IMMEDIATE``).

    Call it before the first read of a transaction that will write. A read transaction still
    open is committed first (it holds nothing to keep); loaded objects are expired by that and
    reload on use.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={_WRITE_OPTION: True})


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite database file (and its directory) readable by this user only, or take
    group/other access away from the files already there. ``:memory:`` has no file."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return  # an empty file is an empty SQLite database
    except FileExistsError:
        pass
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(existing.stat().st_mode)
            if mode & 0o077:
                existing.chmod(mode & 0o700)
                log.warning("%s was readable by others (%o); now %o", existing, mode, mode & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("%s is readable by others and not ours to change", existing)


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """An engine for ``settings.sqlalchemy_url``; for SQLite, creates the data directory and the
    database file private to this user (``0700``/``0600``). Raises :class:`DataDirectoryError`
    when they cannot be made (a read-only directory, say)."""
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            _private_sqlite_file(url)
        except OSError as error:
            raise DataDirectoryError(
                f"cannot use the data directory {settings.data_dir}: "
                f"{error.strerror or error}" + (f" ({error.filename})" if error.filename else "")
            ) from None
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
            **kwargs,
        )
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside the package."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (``alembic upgrade head``); idempotent."""
    command.upgrade(alembic_config(engine), "head")
    log.debug("database schema is at head (%s)", engine.url.render_as_string(hide_password=True))


def check_integrity(engine: Engine) -> None:
    """Refuse a damaged SQLite file (:class:`DatabaseDamaged`); nothing to check elsewhere.

    ``PRAGMA quick_check`` reads every page (about a second per few hundred megabytes) but not
    the indexes' contents, which ``integrity_check`` would compare too and take far longer.
    A file that is not a database at all fails already when the connection is set up.
    """
    if engine.dialect.name != "sqlite":
        return
    where = engine.url.database or "the SQLite database"
    try:
        with engine.connect() as connection:
            rows = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA quick_check")]
    except sa_exc.OperationalError:
        raise  # locked, unreadable, read-only: unavailable, not damaged
    except sa_exc.DatabaseError as error:
        rows = [str(error.orig or error)]
    if rows == ["ok"]:
        return
    problems = "; ".join(rows[:_QUOTED_PROBLEMS]) + (" …" if len(rows) > _QUOTED_PROBLEMS else "")
    raise DatabaseDamaged(
        f"the database file {where} is damaged (SQLite's integrity check: {problems}). The "
        "service will not start on it, so nothing more is written into it: restore it from a "
        "backup, or move it away to start with an empty database"
    )


@contextmanager
def startup_lock(engine: Engine | Connection) -> Iterator[None]:
    """Hold the start-up lock of ``engine``'s database while the block runs, so the block's
    work — migrations, the first issuer, the demo catalog — is done by one process at a time
    and the next one finds it done.

    PostgreSQL: a session advisory lock (:data:`STARTUP_LOCK_KEY`) on a connection of its own.
    SQLite: an exclusive ``flock`` on ``<database>-start.lock`` beside the file (never on the
    database file itself: closing any descriptor of it would drop SQLite's own locks); none
    for an in-memory database, or when the directory cannot take the file (a read-only one:
    nothing will be written there anyway).
    """
    if isinstance(engine, Connection):
        engine = engine.engine
    if engine.dialect.name == "sqlite":
        with _file_lock(engine.url.database):
            yield
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            try:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY}
                )
                connection.commit()
            except sa_exc.DBAPIError:
                # The connection is gone, and its session-level lock with it.
                connection.invalidate()


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    """An exclusive ``flock`` on the start-up lock file of a SQLite ``database`` (a path)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        descriptor = os.open(f"{database}-start.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def ping(engine: Engine) -> None:
    """One round trip to the database (``SELECT 1``) on a pooled connection; raises what the
    driver or the pool raises (:func:`is_unavailable` tells which)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
