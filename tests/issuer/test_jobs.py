"""The job queue (huey) with real worker threads, on SQLite and PostgreSQL: every delivery is
sent once — by one worker or two — and a job lost before it ran is found by the sweep."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from issuer.jobs import Jobs, Worker
from issuer.models import Delivery
from issuer.runtime import Runtime, start
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.support import clean, make_issuer
from tests.issuer.test_delivery import award_one, rows, smtp_settings


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: SmtpServer) -> Settings:
    return smtp_settings(database_url, tmp_path, smtp)


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Iterator[Runtime]:
    clean(engine)
    runtime = start(settings, engine, migrate_schema=False)
    assert isinstance(runtime.jobs, Jobs)
    runtime.jobs.huey.flush()  # PostgreSQL's job tables outlive a test
    yield runtime
    runtime.jobs.close()


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_worker_sends_what_awards_queue_each_once(
    runtime: Runtime, engine: Engine, smtp: SmtpServer
) -> None:
    jobs = runtime.jobs
    assert isinstance(jobs, Jobs)
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        # Awarded while no worker runs (a CLI command): the jobs wait in the database.
        for i in range(6):
            award_one(session, runtime, issuer, recipient_email=f"e{i}@schools.nm.example")
        assert jobs.pending() == 6
    jobs.bind(runtime, engine)
    worker = Worker(jobs, threads=2)
    worker.start()
    try:
        wait_for(lambda: len(smtp.messages) >= 6)
        with Session(engine) as session:
            wait_for(lambda: all(r.status == "sent" for r in rows(session)))
    finally:
        worker.stop()
    assert sorted(m["To"] for m in smtp.messages) == [f"e{i}@schools.nm.example" for i in range(6)]


def test_a_lost_job_is_found_by_the_sweep_when_a_worker_starts(
    runtime: Runtime, engine: Engine, smtp: SmtpServer
) -> None:
    jobs = runtime.jobs
    assert isinstance(jobs, Jobs)
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        award_one(session, runtime, issuer)
        jobs.huey.flush()  # the job is lost (a queue wiped, a worker killed holding it)
        long_ago = runtime.clock() - timedelta(hours=1)
        session.connection().execute(update(Delivery).values(next_attempt_at=long_ago))
        session.commit()
    jobs.bind(runtime, engine)
    worker = Worker(jobs, threads=1)
    worker.start()
    try:
        wait_for(lambda: len(smtp.messages) == 1)
    finally:
        worker.stop()


@pytest.mark.postgres
def test_two_workers_on_postgresql_send_each_delivery_once(
    database_url: str, tmp_path: Path, engine: Engine, smtp: SmtpServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two worker processes share a queue on PostgreSQL")
    clean(engine)
    settings = smtp_settings(database_url, tmp_path, smtp)
    runtime = start(settings, engine, migrate_schema=False)
    first, second = Jobs(settings), Jobs(settings)
    first.huey.flush()
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        for i in range(20):
            award_one(session, runtime, issuer, recipient_email=f"e{i}@schools.nm.example")
        ids = [r.id for r in rows(session)]
    # Every job twice in the queue (a sweep and the award both handed it over): still once.
    first.deliver([i for i in ids if i is not None])
    workers = []
    for jobs in (first, second):
        jobs.bind(runtime, engine)
        workers.append(Worker(jobs, threads=2))
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: len(smtp.messages) >= 20)
        with Session(engine) as session:
            wait_for(lambda: all(r.status == "sent" for r in rows(session)))
            time.sleep(0.5)  # the duplicate jobs run too, and send nothing
            assert first.pending() == 0
            sent = session.exec(select(Delivery.message_id).where(col(Delivery.id).in_(ids))).all()
    finally:
        for worker in workers:
            worker.stop()
        first.close()
        second.close()
    assert len(smtp.messages) == 20
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(sent)
