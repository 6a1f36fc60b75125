"""Background jobs: huey, durable on both databases, and the workers that run it.

**The library.** huey (coleifer) keeps its queue in storage both our databases can hold with
one code path: on the embedded SQLite default a file of its own beside the database
(:data:`issuer.settings.JOBS_FILE`, ``SqliteHuey``), and on PostgreSQL four ``job_*`` tables in
the same database (``huey.contrib.sql_huey``'s peewee storage, which dequeues with
``FOR UPDATE SKIP LOCKED``; the tables are made by migration ``0009``, under the start-up
lock, never by huey). The SQLite queue is a separate file, not our database, because huey
opens its own ``sqlite3`` connections and takes ``BEGIN EXCLUSIVE`` on every poll: in our file
that would queue the service's award writers behind a worker's polling; in a file of its own it
contends with nothing. Nothing in it is personal or secret (only delivery ids), and losing it
loses nothing (below).

**Jobs carry ids; rows are the truth.** A task is "send delivery N"; what is owed lives in
the ``delivery`` table (:mod:`issuer.services.deliveries`), which also makes a task run twice
harmless. huey deletes a task when a worker dequeues it, so a worker killed mid-task loses the
task: the sweep (at every worker's start, then each minute as a periodic task) hands the rows
such a loss left behind to the queue again.

**Workers.** ``microcred serve`` runs one in its own process (threads, stopped with the
server) unless ``MICROCRED_WORKERS_IN_PROCESS=0``; ``microcred worker`` runs one as a process
of its own, as many as wanted, on PostgreSQL (on SQLite too, on one machine). An award made
by a CLI command while the service runs puts its job in the same storage, where the
service's worker finds it.

**Reuse.** Bulk issuance and other background work register their own tasks on
:attr:`Jobs.huey` in :meth:`Jobs._register` the same way: a task that takes row ids, a row that
says what is owed, a sweep that finds what a lost task left.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from issuer.db import JOB_TABLE_PREFIX
from issuer.services.context import Runtime
from issuer.services.deliveries import send_delivery, sweep
from issuer.services.sign_in import owed_links, send_sign_in_link
from issuer.settings import JOBS_FILE, Settings

if TYPE_CHECKING:
    from huey import Huey
    from huey.consumer import Consumer
    from sqlalchemy import Engine

__all__ = ["QUEUE_NAME", "Jobs", "Worker", "build_huey"]

log = logging.getLogger("microcred.issuer.jobs")

#: huey's queue name (a column of its tables; one queue per database).
QUEUE_NAME = "microcred"


def _postgres_storage() -> type[Any]:
    """huey's peewee storage with its tables named ``job_*`` (made by migration 0009)."""
    from huey.contrib.sql_huey import SqlStorage

    class JobStorage(SqlStorage):
        def create_models(self) -> Any:
            models = super().create_models()
            for model in models:
                model._meta.set_table_name(JOB_TABLE_PREFIX + model._meta.table_name)
            return models

    return JobStorage


def build_huey(settings: Settings) -> Huey:
    """The huey instance for ``settings``' database (see the module docstring)."""
    from huey import Huey, SqliteHuey

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SqliteHuey(
            QUEUE_NAME,
            filename=str(settings.data_dir.expanduser().resolve() / JOBS_FILE),
            results=False,
            utc=True,
            timeout=30,
        )
    from peewee import PostgresqlDatabase
    from sqlalchemy import make_url

    url = make_url(settings.sqlalchemy_url)
    options: dict[str, Any] = dict(url.query)  # sslmode=… and the like, as the URL gives them
    database = PostgresqlDatabase(
        url.database,
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        **options,
    )
    return Huey(
        QUEUE_NAME,
        storage_class=_postgres_storage(),
        database=database,
        create_tables=False,
        results=False,
        utc=True,
    )


class Jobs:
    """The job queue of one database: enqueue from anywhere (the :class:`JobQueue` services
    call), run with a :class:`Worker` once :meth:`bind` gave it a runtime and an engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._huey: Huey | None = None
        self._deliver_task: Any = None
        self._sign_in_task: Any = None
        self._runtime: Runtime | None = None
        self._engine: Engine | None = None
        self._made = threading.Lock()

    @property
    def huey(self) -> Huey:
        """The huey instance, made on first use: a command that queues nothing never opens
        (or creates) the queue's storage."""
        with self._made:
            if self._huey is None:
                self._huey = build_huey(self.settings)
                self._register(self._huey)
            return self._huey

    def _register(self, huey: Huey) -> None:
        from huey import crontab

        self._deliver_task = huey.task(name="deliver")(self._run_delivery)
        huey.periodic_task(crontab(minute="*"), name="sweep")(self.run_sweep)
        # Educators' sign-in emails (issuer.services.sign_in): one task per link row, and a
        # sweep for rows a lost task left while they are still worth sending.
        self._sign_in_task = huey.task(name="sign_in")(self._run_sign_in)
        huey.periodic_task(crontab(minute="*"), name="sign_in_sweep")(self.run_sign_in_sweep)

    def bind(self, runtime: Runtime, engine: Engine) -> None:
        """What the tasks run with, in a process that works the queue."""
        self._runtime, self._engine = runtime, engine

    # The JobQueue protocol (issuer.services.context).
    def deliver(self, delivery_ids: Sequence[int], *, eta: datetime | None = None) -> None:
        """Enqueue one task per delivery id (at ``eta`` when given)."""
        self.huey  # noqa: B018 - made (and its task registered) on first use
        task = self._deliver_task
        for delivery_id in delivery_ids:
            if eta is None:
                task(delivery_id)
            else:
                task.schedule(args=(delivery_id,), eta=eta)

    def sign_in(self, link_ids: Sequence[int], *, eta: datetime | None = None) -> None:
        """Enqueue one task per sign-in link row (at ``eta`` when given)."""
        self.huey  # noqa: B018 - made (and its task registered) on first use
        for link_id in link_ids:
            if eta is None:
                self._sign_in_task(link_id)
            else:
                self._sign_in_task.schedule(args=(link_id,), eta=eta)

    def _run_sign_in(self, link_id: int) -> None:
        runtime, engine = self._bound()
        with Session(engine) as session:
            result = send_sign_in_link(session=session, runtime=runtime, link_id=link_id)
        if result.retry_at is not None:
            self.sign_in([link_id], eta=result.retry_at)

    def run_sign_in_sweep(self) -> list[int]:
        """Hand the sign-in links lost jobs left to the queue again (their ids)."""
        runtime, engine = self._bound()
        with Session(engine) as session:
            found = owed_links(session, now=runtime.clock(), grace=timedelta(minutes=1))
        if found:
            self.sign_in(found)
        return found

    def _bound(self) -> tuple[Runtime, Engine]:
        if self._runtime is None or self._engine is None:
            raise RuntimeError("this job queue is not bound to a runtime: no worker here")
        return self._runtime, self._engine

    def _run_delivery(self, delivery_id: int) -> None:
        runtime, engine = self._bound()
        with Session(engine) as session:
            outcome = send_delivery(session=session, runtime=runtime, delivery_id=delivery_id)
        if outcome.retry_at is not None:
            self.deliver([delivery_id], eta=outcome.retry_at)

    def run_sweep(self) -> list[int]:
        """Hand the deliveries lost jobs left behind to the queue again (their ids)."""
        runtime, engine = self._bound()
        with Session(engine) as session:
            return sweep(session=session, runtime=runtime)

    def pending(self) -> int:
        """Tasks waiting in the queue (not the scheduled retries)."""
        return int(self.huey.pending_count())

    def close(self) -> None:
        if self._huey is not None:
            self._huey.storage.close()


class Worker:
    """A huey consumer over :class:`Jobs` in threads of this process: :meth:`start` sweeps,
    then polls; :meth:`stop` lets the running tasks finish. :meth:`run` (``microcred worker``)
    works in the foreground until SIGINT / SIGTERM."""

    def __init__(self, jobs: Jobs, *, threads: int = 2) -> None:
        self.jobs = jobs
        self.threads = threads
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()

    def _make_consumer(self, *, signals: bool) -> Consumer:
        from huey.consumer import Consumer

        class _Consumer(Consumer):
            def _set_signal_handlers(self) -> None:
                if signals:
                    super()._set_signal_handlers()

        return _Consumer(
            self.jobs.huey,
            workers=self.threads,
            worker_type="thread",
            periodic=True,
            initial_delay=0.05,
            max_delay=1.0,
            check_worker_health=False,
        )

    def _sweep(self) -> None:
        try:
            found = self.jobs.run_sweep()
        except Exception:  # noqa: BLE001 - the periodic sweep tries again in a minute
            log.exception("the start-up sweep of owed deliveries failed")
            return
        if found:
            log.info("worker start: %d owed deliveries handed to the queue", len(found))

    def start(self) -> None:
        """Sweep, then work the queue in background threads (no signal handlers)."""
        with self._lock:
            if self._consumer is not None:
                return
            self._sweep()
            self._consumer = self._make_consumer(signals=False)
            self._consumer.start()
        log.info("job worker started (%d threads)", self.threads)

    def stop(self) -> None:
        """Stop polling and wait for the tasks under way (an SMTP conversation at most)."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=True)
            log.info("job worker stopped")

    def run(self) -> None:
        """Sweep, then work the queue in the foreground until SIGINT or SIGTERM."""
        self._sweep()
        self._make_consumer(signals=True).run()
