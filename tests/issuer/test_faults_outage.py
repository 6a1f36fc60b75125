"""A database outage under load (issue 17, defects 11 and 12): 503 JSON, keep-alive kept,
recovery, and a ``/readyz`` that tells.

The outage is real and confined to a database of the test's own: PostgreSQL is told to refuse
new connections to it and to end every connection it has (``ALTER DATABASE … ALLOW_CONNECTIONS
false``, ``pg_terminate_backend``), then to accept them again. Every failure must be a 503
``{"detail": …}`` with ``Retry-After`` — never the bare ``text/plain`` 500 that made the server
drop the client's keep-alive connection — and the service must come back by itself.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session

from issuer.api.deps import get_session
from issuer.api.errors import DATABASE_UNAVAILABLE
from issuer.app import create_app
from issuer.db import make_engine
from issuer.models import AwardCreate, Scope
from issuer.services import awards
from issuer.services.apikeys import create_api_key
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from tests.issuer.fault_support import Tally, run_for, serving
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, TEST_KEK, bearer, make_issuer

#: How long the service may take to answer again once the database is back.
RECOVERY_BOUND_S = 5.0


@dataclass
class Service:
    base: str
    engine: Engine
    database: str
    headers: dict[str, str]
    credential: dict[str, Any]

    def path(self, url: str) -> str:
        return urlsplit(url).path


@pytest.fixture
def service(fresh_postgres: str, tmp_path: Any) -> Iterator[Service]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=fresh_postgres,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
    )
    engine = make_engine(settings)
    app = create_app(settings, engine=engine)
    runtime = app.state.runtime
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        _, token = create_api_key(session=session, name="t", scopes=[Scope.admin], issuer=None)
        row = awards.award(
            session=session, runtime=runtime, issuer=issuer, request=AwardCreate(**GOOD_AWARD)
        ).award
        credential = json.loads(row.credential)
    try:
        with serving(app) as base:
            yield Service(
                base, engine, str(make_url(fresh_postgres).database), bearer(token), credential
            )
    finally:
        engine.dispose()


def _end_connections(admin: psycopg.Connection, database: str) -> None:
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    )


def _outage(admin: psycopg.Connection, database: str) -> None:
    admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    _end_connections(admin, database)


def _back(admin: psycopg.Connection, database: str) -> None:
    admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')


class KeptAlive:
    """One HTTP/1.1 connection, reused for every request; tells when the server dropped it."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.connection.connect()
        self.socket = self.connection.sock

    def request(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """``(status, headers, body)``; raises ``ConnectionError`` if the server closed (or
        announced it would close) this connection."""
        if self.connection.sock is not self.socket:
            raise ConnectionError("the server dropped the keep-alive connection")
        payload = json.dumps(body).encode() if body is not None else None
        sent = {"accept": "application/json", **(headers or {})}
        if payload is not None:
            sent["content-type"] = "application/json"
        self.connection.request(method, path, body=payload, headers=sent)
        response = self.connection.getresponse()
        data = response.read()
        if response.will_close:
            raise ConnectionError(f"{method} {path} answered {response.status}, then closed")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        self.connection.close()


def _requests(service: Service) -> list[tuple[str, str, Any, dict[str, str]]]:
    """Requests that each need the database: public documents, the badge page, the status
    list, an award (authenticated before its body is read) and the admin API."""
    credential = service.credential
    status_list = credential["credentialStatus"][0]["statusListCredential"]
    page = service.path(credential["id"])
    return [
        ("GET", page + ".json", None, {}),
        ("GET", page, None, {"accept": "text/html"}),
        ("GET", service.path(status_list), None, {}),
        ("POST", f"/api/issuers/{ISSUER}/awards", GOOD_AWARD, service.headers),
        ("GET", f"/api/issuers/{ISSUER}/awards", None, service.headers),
        ("GET", "/readyz", None, {}),
    ]


def _round_robin(service: Service) -> Callable[[], tuple[str, int, dict[str, str], bytes]]:
    """A load worker's next request: each thread on a kept-alive connection of its own, going
    round :func:`_requests`; what was asked (``"GET /path"``) and the answer."""
    requests = _requests(service)
    local = threading.local()

    def request() -> tuple[str, int, dict[str, str], bytes]:
        if not hasattr(local, "client"):
            local.client, local.turns = KeptAlive(service.base), itertools.cycle(requests)
        method, path, body, headers = next(local.turns)
        return (f"{method} {path}", *local.client.request(method, path, body=body, headers=headers))

    return request


def _assert_unavailable(status: int, headers: dict[str, str], body: bytes, what: str) -> None:
    assert status == 503, (what, status, body[:300])
    assert headers["content-type"].startswith("application/json"), (what, headers)
    assert json.loads(body) == {"detail": DATABASE_UNAVAILABLE}, what
    assert int(headers["retry-after"]) > 0, what


@pytest.mark.postgres
def test_an_outage_is_503_json_on_a_kept_connection_and_recovers_by_itself(
    service: Service, pg_admin: psycopg.Connection
) -> None:
    client = KeptAlive(service.base)
    assert client.request("GET", "/readyz")[0] == 200
    assert client.request("GET", "/healthz")[0] == 200
    _outage(pg_admin, service.database)
    try:
        for method, path, body, headers in _requests(service):
            status, got, data = client.request(method, path, body=body, headers=headers)
            _assert_unavailable(status, got, data, f"{method} {path}")
        assert client.request("GET", "/healthz")[0] == 200  # alive: a restart would not help

        # Under load, from clients of their own: every answer a 503, every connection kept.
        next_request = _round_robin(service)

        def hammer() -> str:
            what, status, got, data = next_request()
            _assert_unavailable(status, got, data, what)
            return str(status)

        tally = Tally()
        run_for(1.5, {"outage": (8, hammer)}, tally)
        assert tally.outcomes["outage"].keys() == {"503"}, tally.outcomes
    finally:
        _back(pg_admin, service.database)
    began = time.monotonic()
    while client.request("GET", "/readyz")[0] != 200:
        assert time.monotonic() - began < RECOVERY_BOUND_S, "the service did not come back"
        time.sleep(0.05)
    for method, path, body, headers in _requests(service):
        status, _, data = client.request(method, path, body=body, headers=headers)
        assert status in (200, 201), (method, path, status, data[:300])
    client.close()


@pytest.mark.postgres
def test_connections_ended_under_load_never_drop_a_client(
    service: Service, pg_admin: psycopg.Connection
) -> None:
    """The database ends the service's connections while requests run (a fail-over, an
    administrator): a request caught mid-way is a 503, and its session's clean-up — after the
    response, on a connection that is gone — must not make the server drop the client."""
    stop = threading.Event()

    def kill() -> None:
        while not stop.is_set():
            _end_connections(pg_admin, service.database)
            time.sleep(0.01)

    next_request = _round_robin(service)

    def request() -> str:
        what, status, got, data = next_request()
        if status >= 500:
            _assert_unavailable(status, got, data, what)
        return str(status)

    killer = threading.Thread(target=kill, daemon=True)
    killer.start()
    try:
        tally = Tally()
        run_for(2.0, {"load": (8, request)}, tally)
    finally:
        stop.set()
        killer.join()
    assert set(tally.outcomes["load"]) <= {"200", "201", "503"}, tally.outcomes
    assert tally.outcomes["load"]["503"] > 0, tally.outcomes  # the outage was felt


@pytest.mark.postgres
def test_a_session_whose_connection_died_closes_without_raising(
    fresh_postgres: str, pg_admin: psycopg.Connection, tmp_path: Any, caplog: Any
) -> None:
    """FastAPI closes the request's session after the response is sent; an exception then
    would drop the client's connection. Its connection ended mid-transaction, the close is
    logged and swallowed."""
    engine = make_engine(Settings(data_dir=tmp_path, database_url=fresh_postgres))
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(engine=engine)),
        method="GET",
        url=SimpleNamespace(path="/credentials/x"),
    )
    try:
        dependency = get_session(request)  # type: ignore[arg-type]
        session = next(dependency)
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        pg_admin.execute("SELECT pg_terminate_backend(%s, 5000)", (backend,))
        with pytest.raises(StopIteration):
            next(dependency)  # the clean-up after the response
        assert "closing the database session of GET /credentials/x failed" in caplog.text
    finally:
        engine.dispose()


def test_readyz_tells_when_no_connection_frees_in_time(
    settings: Settings, engine: Engine, runtime: Any
) -> None:
    """``/healthz`` is liveness only; ``/readyz`` asks the database and answers within its
    timeout even when every pooled connection is taken (here the pool's one)."""
    from fastapi.testclient import TestClient

    from issuer.api.routes.public import READY_TIMEOUT_S

    narrow = make_engine(settings, pool_size=1, max_overflow=0, pool_timeout=30)
    app = create_app(settings, engine=narrow, runtime=runtime)
    try:
        with TestClient(app, base_url=BASE_URL) as client:
            assert client.get("/readyz").json() == {"status": "ready", "database": "ok"}
            with narrow.connect():  # the one connection, held
                began = time.monotonic()
                response = client.get("/readyz")
                waited = time.monotonic() - began
                assert client.get("/healthz").status_code == 200
            _assert_unavailable(
                response.status_code, dict(response.headers), response.content, "/readyz"
            )
            assert waited < READY_TIMEOUT_S + 2
            assert client.get("/readyz").status_code == 200
    finally:
        narrow.dispose()
