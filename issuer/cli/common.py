"""What every issuer command shares: opening the database, turning errors into exit statuses,
printing, reading input files.

Every command works on the data directory and database the ``MICROCRED_*`` settings name,
directly — no server needs to be running — through the same service functions the HTTP API
calls, so a credential awarded here is the one the API would have issued. Output meant for
scripts (credentials, JWTs, ``--json``) goes to stdout; progress, notices and ``error:`` lines
go to stderr.

The data directory is ``MICROCRED_DATA_DIR``, else the nearest one at or above the current
folder (:mod:`issuer.data_dir`). Only the commands that set one up (``init``, ``serve``,
``catalog load``: ``open_service(create=True)``) make a new one, and say which; the others
refuse to start an empty one with a fresh key (exit 69, saying where they looked).

Exit statuses (:mod:`microcred.exit_codes`): 0 done; 1 refused (a service error, nothing
found, a row that failed, no usable key-encryption key); 64 unusable input or arguments, which
includes a short credential id that matches several credentials; 69 no data directory, or the
data directory or the database cannot be used (unreachable, damaged, read-only), said in one
line, never a traceback. This module imports no command module, so each command group can
import it without a cycle.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TextIO, TypeVar

import typer

from issuer.choices import DidMethod
from issuer.data_dir import NoDataDirectory, is_data_dir
from issuer.log_redaction import SecretPathFilter
from microcred.exit_codes import EXIT_INVALID, EXIT_UNAVAILABLE, EXIT_USAGE

# Every command module imports this one, and `microcred --help` imports every command module:
# the database, the models and the services (SQLModel, pydantic, cryptography) are imported by
# the functions below when a command runs, not here.
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from issuer.bootstrap import Prepared
    from issuer.models import Award, Issuer
    from issuer.runtime import Runtime
    from issuer.settings import Settings

__all__ = [
    "CREDENTIAL_ID_HELP",
    "CredentialFormat",
    "CredentialId",
    "IssuerFilter",
    "JsonOption",
    "database_problem",
    "echo_credential",
    "echo_json",
    "fail",
    "handle_errors",
    "locate_data_dir",
    "open_engine",
    "open_service",
    "optional_issuer",
    "read_bytes",
    "read_text",
    "report_prepared",
    "setup_logging",
]

P = ParamSpec("P")
R = TypeVar("R")

#: What every command taking a credential ID accepts; all of them look it up with
#: :func:`issuer.services.status.find_award`, so a prefix that works for one works for all.
CREDENTIAL_ID_HELP = "Credential id URL, uuid, or 8+ leading characters of the uuid."
CredentialId = Annotated[str, typer.Argument(metavar="ID", help=CREDENTIAL_ID_HELP)]
#: ``--json`` of a command that prints one JSON document instead of lines for people.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
#: ``--issuer SLUG`` of a listing that can be narrowed to one issuer (:func:`optional_issuer`).
IssuerFilter = Annotated[str | None, typer.Option(metavar="SLUG", help="Only this issuer's.")]


# ------------------------------------------------------------------------------ errors


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    """Print ``error: message`` on stderr; ``raise`` the returned exit to stop with ``code``."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Service errors and invalid values become one ``error:`` line and exit status 1; an
    ambiguous short credential id is a usage error (64), with the candidates in the line; a
    data directory or database that cannot be used is 69 (see the module docstring)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise  # the command's own exit: nothing to translate
        except Exception as error:
            stop = _exit_for(error)
            if stop is None:
                raise  # not an error of ours to word (e.g. a mistake in our own SQL): a bug
            raise stop from None

    return wrapper


def _exit_for(error: Exception) -> typer.Exit | None:
    """The ``error:`` line and exit of :func:`handle_errors` for ``error``, or ``None`` to let
    it through. The error classes are imported only now, when a command has failed."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from issuer.crypto_at_rest import KekError
    from issuer.db import DatabaseDamaged, DataDirectoryError, is_unavailable
    from issuer.services.batch import describe_validation_error
    from issuer.services.errors import ServiceError, Unavailable
    from issuer.services.status import AmbiguousCredential

    if isinstance(error, AmbiguousCredential):
        return fail(error.message, EXIT_USAGE)
    if isinstance(error, Unavailable):
        return fail(str(error), EXIT_UNAVAILABLE)
    if isinstance(error, ValidationError):
        return fail(describe_validation_error(error))
    if isinstance(error, ServiceError | KekError):
        return fail(str(error))
    if isinstance(error, DatabaseDamaged | DataDirectoryError | NoDataDirectory):
        return fail(str(error), EXIT_UNAVAILABLE)
    if isinstance(error, SQLAlchemyError) and is_unavailable(error):
        return fail(database_problem(error), EXIT_UNAVAILABLE)
    return None


def database_problem(error: SQLAlchemyError) -> str:
    """One line for a database that cannot be used: the driver's own words (not the SQL
    statement or its parameters, which may hold personal data)."""
    from sqlalchemy.exc import DBAPIError

    cause = error.orig if isinstance(error, DBAPIError) else error
    words = " ".join(str(cause).split()) or type(cause).__name__
    if "readonly" in words or "read-only" in words:
        words += " (is the data directory writable by this user?)"
    return f"cannot use the database: {words}"


# ------------------------------------------------------------------------------ the database


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Log lines to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.addFilter(SecretPathFilter())  # no claim token in a log line
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def setup_logging(level: int = logging.WARNING) -> None:
    """Notices on stderr, so stdout carries only what scripts read."""
    root = logging.getLogger("microcred")
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())
    root.setLevel(level)


@contextmanager
def open_engine(settings: Settings) -> Iterator[Engine]:
    """The database engine of ``settings``, disposed of when the command is done."""
    from issuer.db import make_engine

    engine = make_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


def locate_data_dir(settings: Settings, *, create: bool) -> None:
    """Check there is a data directory before anything is written to it.

    A command that sets one up (``create``) may make a new one, and says which on stderr when
    it was not named by ``MICROCRED_DATA_DIR``; any
    other command raises :class:`NoDataDirectory` rather than start an empty one with a new
    key-encryption key. Nothing to check when the data directory holds nothing the command
    needs (a database URL and a key-encryption key are both given).
    """
    path = settings.data_dir
    if not settings.keeps_data_in_data_dir or is_data_dir(path):
        return
    where = Path.cwd()
    named = "set by MICROCRED_DATA_DIR" if settings.data_dir_given else None
    if not create:
        raise NoDataDirectory(
            f"no data directory at {path} ({named}); run `microcred init` to make one there"
            if named
            else f"no data directory found (looked in {where}, every folder above it and "
            "their var/); run `microcred init` or `microcred serve` in the folder that should "
            "hold it (it makes ./var), or set MICROCRED_DATA_DIR"
        )
    if not named:  # one the user named is no surprise; one picked for them is said
        typer.echo(
            f"creating a new data directory {path.resolve()} (none found in {where} or above; "
            "MICROCRED_DATA_DIR names another)",
            err=True,
        )


@contextmanager
def open_service(
    settings: Settings | None = None,
    *,
    default_base_url: str | None = None,
    create: bool = False,
) -> Iterator[tuple[Session, Runtime]]:
    """A session on the migrated database and the runtime (keys, URLs), for one command;
    ``create``: a command that may set up a new data directory (:func:`locate_data_dir`)."""
    from sqlmodel import Session

    from issuer.runtime import start
    from issuer.settings import Settings

    setup_logging()
    settings = settings or Settings()
    locate_data_dir(settings, create=create)
    with open_engine(settings) as engine:
        runtime = start(settings, engine, default_base_url=default_base_url)
        with Session(engine) as session:
            yield session, runtime


def optional_issuer(session: Session, slug: str | None) -> Issuer | None:
    """The issuer an ``--issuer SLUG`` option names, or ``None`` when it was not given."""
    from issuer.services import issuers

    return issuers.get_issuer(session, slug) if slug else None


# ------------------------------------------------------------------------------ output


def echo_json(value: Any) -> None:
    """``value`` as indented JSON on stdout, non-ASCII characters as they are."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


class CredentialFormat(StrEnum):
    """How a stored credential is printed: its JSON (Data Integrity proof) or its VC-JWT."""

    ldp = "ldp"
    jwt = "jwt"


def echo_credential(row: Award, output: CredentialFormat) -> None:
    """An issued credential on stdout, exactly as signed."""
    if output is CredentialFormat.jwt:
        typer.echo(row.credential_jwt)
    else:
        echo_json(json.loads(row.credential))


def report_prepared(prepared: Prepared, runtime: Runtime) -> None:
    """What preparing the data directory did (first issuer, demo catalog, admin key)."""
    out = functools.partial(typer.echo, err=True)
    issuer = prepared.issuer
    out(f"  issuer     {issuer.slug}  {issuer.did}")
    if issuer.did_method == DidMethod.key and not runtime.urls.is_https:
        out("             (did:key: did:web needs an https base URL, see MICROCRED_BASE_URL)")
    if prepared.achievements_loaded:
        out(f"  catalog    loaded {prepared.achievements_loaded} demo achievements")
    if prepared.admin_token:
        out("  admin key  " + prepared.admin_token)
        out("             (every issuer, every scope; shown only now, it is stored hashed)")


# ------------------------------------------------------------------------------ input files


def read_bytes(path: Path, *, limit: int | None = None, what: str = "file") -> bytes:
    """A file's content; exit 64 if it cannot be read or is larger than ``limit`` bytes."""
    try:
        if limit is not None and path.stat().st_size > limit:
            raise fail(f"{path}: the {what} is larger than {limit} bytes", EXIT_USAGE)
        return path.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {path}: {error.strerror or error}", EXIT_USAGE) from None


def read_text(path: Path, *, encoding: str = "utf-8") -> str:
    """A text file's content; exit 64 if it cannot be read or decoded."""
    data = read_bytes(path)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise fail(f"cannot read {path}: {error}", EXIT_USAGE) from None
