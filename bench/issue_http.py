"""Awards issued per second through the HTTP API, with persistence, on SQLite and PostgreSQL.

    .venv/bin/python bench/issue_http.py [--seconds N] [--concurrency C] [--batch-size B]
                                         [--workers W] [--backend sqlite] [--backend postgresql]

For each backend it prepares a fresh data directory (and, for PostgreSQL, a database of its own
on 127.0.0.1:5432, dropped afterwards) with the demo catalog, starts ``microcred serve`` in a
subprocess on 127.0.0.1 — the command users run, uvicorn with W worker processes (default
1) — and measures for
``--seconds`` each:

* ``single``: C clients each POST one award at a time (``/api/issuers/{slug}/awards``, with an
  idempotency key), so every award is a request, a signature and a commit;
* ``batch``: C clients each POST batches of B rows (``/api/issuers/{slug}/batches``).

Requests in flight when the time is up are finished and counted (``seconds`` is the measured
time, which for batches can exceed ``--seconds`` by up to one batch).

Every award is an eddsa-rdfc-2022 signature plus a VC-JWT, schema-validated and stored. After
each phase the number of rows in the database is checked against the awards counted, so a
figure is never of work that was not persisted. Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from issuer.bootstrap import prepare  # noqa: E402
from issuer.db import make_engine  # noqa: E402
from issuer.models import Award  # noqa: E402
from issuer.runtime import start  # noqa: E402
from issuer.settings import Settings  # noqa: E402

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
MICROCRED = Path(sys.executable).with_name("microcred")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _row(n: int, tag: str) -> dict[str, Any]:
    return {
        "achievement": "classroom-environment",
        "recipient_name": f"Educator {n}",
        "recipient_email": f"educator{n}.{tag}@schools.nm.example",
        "score": 85 + n % 16,
        "rubric_level": "proficient",
        "evidence": [{"url": f"https://lms.nm.example/submissions/{n}"}],
    }


class Server:
    """``microcred serve`` in a subprocess, on a prepared data directory."""

    def __init__(self, backend: str, workdir: Path, workers: int) -> None:
        self.backend = backend
        self.workers = workers
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database = None
        env = {
            "MICROCRED_DATA_DIR": str(workdir / "data"),
            "MICROCRED_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(
                secrets.token_bytes(32)
            ).decode(),
            "MICROCRED_BASE_URL": self.base,
        }
        if backend == "postgresql":
            import psycopg

            self.database = f"microcred_bench_{secrets.token_hex(4)}"
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.database}"')
            env["MICROCRED_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{self.database}"
        self.env = {**os.environ, **env}
        self.settings = Settings(
            **{k.removeprefix("MICROCRED_").lower(): v for k, v in env.items()}
        )
        self.engine = make_engine(self.settings)
        runtime = start(self.settings, self.engine)
        with Session(self.engine) as session:
            prepared = prepare(session=session, runtime=runtime, demo=True)
        assert prepared.admin_token is not None
        self.token = prepared.admin_token
        self.issuer = prepared.issuer.slug
        self.log = open(workdir / "serve.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(MICROCRED), "serve", "--port", str(self.port), "--workers", str(workers)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"microcred serve did not start; see {workdir / 'serve.log'}")

    def stored(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(Award)).one()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()
        self.engine.dispose()
        if self.database is not None:
            import psycopg

            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _measure(
    server: Server, mode: str, seconds: float, concurrency: int, batch_size: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.token}"}
    awards_url = f"{server.base}/api/issuers/{server.issuer}/awards"
    batch_url = f"{server.base}/api/issuers/{server.issuer}/batches"
    counts = [0] * concurrency
    errors = [0] * concurrency
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    before = server.stored()
    stop_at = time.perf_counter() + seconds

    def client(index: int) -> None:
        with httpx.Client(headers=headers, timeout=120) as http:
            n = 0
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                if mode == "single":
                    tag = f"{mode}{index}x{n}"
                    response = http.post(
                        awards_url, json=_row(n, tag), headers={"Idempotency-Key": tag}
                    )
                    ok = response.status_code == 201
                    done = int(ok)
                else:
                    rows = [_row(n * batch_size + i, f"b{index}") for i in range(batch_size)]
                    response = http.post(batch_url, json={"rows": rows, "batch_id": f"{index}-{n}"})
                    ok = response.status_code == 200
                    done = response.json()["issued"] if ok else 0
                latencies[index].append(time.perf_counter() - started)
                counts[index] += done
                errors[index] += 0 if ok else 1
                n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    awards = sum(counts)
    persisted = server.stored() - before
    if persisted != awards:
        raise RuntimeError(f"{awards} awards counted but {persisted} stored")
    flat = sorted(x for lat in latencies for x in lat)
    return {
        "bench": "issue_http",
        "backend": server.backend,
        "mode": mode,
        "concurrency": concurrency,
        "workers": server.workers,
        "batch_size": batch_size if mode == "batch" else 1,
        "awards": awards,
        "seconds": round(elapsed, 2),
        "awards_per_s": round(awards / elapsed, 1),
        "request_p50_ms": round(statistics.median(flat) * 1000, 1) if flat else None,
        "request_p95_ms": round(flat[int(0.95 * (len(flat) - 1))] * 1000, 1) if flat else None,
        "errors": sum(errors),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per figure")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--backend", action="append", choices=("sqlite", "postgresql"), dest="backends"
    )
    args = parser.parse_args()
    for backend in args.backends or ["sqlite", "postgresql"]:
        workdir = Path(tempfile.mkdtemp(prefix=f"microcred-bench-{backend}-"))
        server = Server(backend, workdir, args.workers)
        try:
            for mode in ("single", "batch"):
                figure = _measure(server, mode, args.seconds, args.concurrency, args.batch_size)
                print(json.dumps(figure), flush=True)
        finally:
            server.stop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
