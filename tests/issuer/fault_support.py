"""Helpers of the fault tests (``test_faults_*.py``): the app on a real server, timed load.

A real server matters here: what these tests look for — a stalled connection pool, a 500 that
makes the server drop a keep-alive connection — does not show through the in-process
``TestClient``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

__all__ = ["Tally", "run_for", "serving"]


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free port in a thread; yields ``http://127.0.0.1:port``.

    The app's base URL stays what its settings say: its own documents are answered in process
    (:mod:`issuer.self_fetch`), wherever it listens.
    """
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="fault-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@dataclass
class Tally:
    """What a load run saw: outcomes per kind of request, and the slowest of each."""

    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    slowest: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, outcome: str, seconds: float) -> None:
        with self.lock:
            self.outcomes.setdefault(kind, Counter())[outcome] += 1
            self.slowest[kind] = max(self.slowest.get(kind, 0.0), seconds)

    def count(self, kind: str) -> int:
        return sum(self.outcomes.get(kind, Counter()).values())


def run_for(
    seconds: float, workers: dict[str, tuple[int, Callable[[], str]]], tally: Tally
) -> None:
    """Run each ``kind: (threads, request)`` in that many threads, all starting together, for
    ``seconds`` (each thread makes at least one request); a request returns its outcome (a
    status code, or what went wrong), timed into ``tally``. Requests in flight at the end are
    finished, never abandoned."""
    jobs = [(kind, request) for kind, (count, request) in workers.items() for _ in range(count)]
    stop: list[float] = []
    # Starting dozens of threads on a busy machine takes a while: the clock starts when the
    # last one is ready, so every kind of request runs for the whole time.
    ready = threading.Barrier(len(jobs), action=lambda: stop.append(time.monotonic() + seconds))

    def loop(kind: str, request: Callable[[], str]) -> None:
        ready.wait()
        while True:
            started = time.monotonic()
            try:
                outcome = request()
            except Exception as error:  # noqa: BLE001 - an outcome to count, not to hide
                outcome = type(error).__name__
            finished = time.monotonic()
            tally.add(kind, outcome, finished - started)
            if finished >= stop[0]:
                return

    threads = [
        threading.Thread(target=loop, args=job, name=f"load-{job[0]}", daemon=True) for job in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
