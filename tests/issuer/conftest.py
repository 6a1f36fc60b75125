"""Fixtures for the issuer's tests: every storage and API test runs on SQLite and PostgreSQL.

``database_url`` is parametrized over both backends (session scope, so pytest groups the tests
per backend). Each backend is migrated once per session; before each test every table is
emptied, which is much faster than a fresh database per test and keeps tests independent.

PostgreSQL runs on 127.0.0.1:5432 with trust auth on these machines (CI starts it); each test
session creates its own database ``microcred_test_<hex>`` and drops it at the end. If the server
is unreachable the PostgreSQL tests FAIL with a message saying how to start it: a silently
skipped backend is a backend nobody tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.app import create_app
from issuer.db import make_engine, migrate
from issuer.models import Issuer, Scope
from issuer.runtime import Runtime, start
from issuer.services.apikeys import create_api_key
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from keys.did import KeyResolver
from tests.issuer.support import (
    BASE_URL,
    PG_ADMIN_DSN,
    TEST_KEK,
    AppFetcher,
    bearer,
    clean,
    make_issuer,
    pg_database,
)

PG_START_HINT = (
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)


def _pg_connect() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable ({PG_ADMIN_DSN}): {error}\nThe issuer's storage and "
            f"API tests run on PostgreSQL too; {PG_START_HINT}",
            pytrace=False,
        )


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One database per backend per test session."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'issuer-tests.db'}"
        return
    with _pg_database() as url:
        yield url


@contextmanager
def _pg_database() -> Iterator[str]:
    """:func:`tests.issuer.support.pg_database`, failing with how to start the server."""
    _pg_connect().close()  # unreachable: fail saying how to start it
    with pg_database() as url:
        yield url


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A PostgreSQL database of its own for one test (never migrated): first starts, outages."""
    with _pg_database() as url:
        yield url


@pytest.fixture
def pg_admin() -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection to the server (to refuse or end connections)."""
    with _pg_connect() as admin:
        yield admin


@pytest.fixture(scope="session")
def engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The backend's engine, migrated once."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("engine"), database_url=database_url, base_url=BASE_URL
    )
    engine = make_engine(settings)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database_name(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
    )


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Runtime:
    """A clean database and the runtime over it."""
    clean(engine)
    return start(settings, engine, migrate_schema=False)


@pytest.fixture
def session(runtime: Runtime, engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def issuer(session: Session, runtime: Runtime) -> Issuer:
    """A did:web issuer with the demo catalog."""
    row = make_issuer(session, runtime)
    load_demo_catalog(session=session, runtime=runtime, issuer=row)
    return row


@pytest.fixture
def admin_token(session: Session, issuer: Issuer) -> str:
    return create_api_key(session=session, name="test admin", scopes=[Scope.admin], issuer=None)[1]


@pytest.fixture
def app(settings: Settings, engine: Engine, runtime: Runtime) -> FastAPI:
    return create_app(settings, engine=engine, runtime=runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def auth(admin_token: str) -> dict[str, str]:
    return bearer(admin_token)


@pytest.fixture
def fetcher(client: TestClient) -> AppFetcher:
    return AppFetcher(client)


@pytest.fixture
def resolver(fetcher: AppFetcher) -> KeyResolver:
    """A fresh resolver (no cache carried between steps of a test: make another)."""
    return KeyResolver(fetcher=fetcher)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module marked ``sqlite_only`` (what it tests is HTTP parsing or page rendering, not
    storage) runs on SQLite alone: its PostgreSQL items are deselected, and say so in the
    summary's count."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("sqlite_only") is not None
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") == "postgresql"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in gone]
