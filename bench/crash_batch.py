"""``kill -9`` a large CSV batch at random moments, rerun it, and count what was lost or doubled.

    .venv/bin/python bench/crash_batch.py [--rows 3000] [--kills 3] [--seed S]
                                          [--backend sqlite] [--backend postgresql]

For each backend: a fresh data directory (and, for PostgreSQL, a database of its own on
127.0.0.1:5432, dropped afterwards) with the demo catalog, and a CSV of ``--rows`` rows, five
per educator: the five APL I-II micro-credentials, so every educator also earns the APL I-II
stack credential (``rows / 5`` of them). ``microcred award --csv`` — the command users run — is
started ``--kills`` times and each time sent SIGKILL at a random moment: once a random number of
further awards is stored (polled every 50 ms), after a random 0–0.5 s more. Then it runs to the
end. The result (:func:`tests.issuer.crash_support.tally`, the same judge the crash tests use)
must be every row issued exactly once, every stack credential exactly once, nothing
half-written, no work owed. Prints one JSON object per backend.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from issuer.bootstrap import prepare  # noqa: E402
from issuer.db import make_engine  # noqa: E402
from issuer.demo_catalog import APL_I_II  # noqa: E402
from issuer.models import Award  # noqa: E402
from issuer.runtime import start  # noqa: E402
from issuer.settings import Settings  # noqa: E402
from tests.issuer.crash_support import tally  # noqa: E402
from tests.issuer.support import pg_database  # noqa: E402

MICROCRED = Path(sys.executable).with_name("microcred")
COLUMNS = ("achievement", "recipient_name", "recipient_email", "score", "rubric_level")


def _rows(count: int) -> list[dict[str, str]]:
    return [
        {
            "achievement": APL_I_II[n % len(APL_I_II)],
            "recipient_name": f"Educator {n // len(APL_I_II)}",
            "recipient_email": f"educator{n // len(APL_I_II)}@schools.nm.example",
            "score": str(85 + n % 16),
            "rubric_level": "proficient",
        }
        for n in range(count)
    ]


def _stored(engine: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Award)).one()


def _run(backend: str, rows: int, kills: int, rng: random.Random, workdir: Path) -> dict[str, Any]:
    env = {
        "MICROCRED_DATA_DIR": str(workdir / "data"),
        "MICROCRED_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "MICROCRED_BASE_URL": "https://issuer.bench.example",
    }
    with nullcontext(None) if backend == "sqlite" else pg_database("microcred_bench") as url:
        if url is not None:
            env["MICROCRED_DATABASE_URL"] = url
        figures = _run_on(env, rows, kills, rng, workdir)
    return {"bench": "crash_batch", "backend": backend, **figures}


def _run_on(
    env: dict[str, str], rows: int, kills: int, rng: random.Random, workdir: Path
) -> dict[str, Any]:
    settings = Settings(**{k.removeprefix("MICROCRED_").lower(): v for k, v in env.items()})
    engine = make_engine(settings)
    try:
        runtime = start(settings, engine)
        with Session(engine) as session:
            issuer = prepare(session=session, runtime=runtime, demo=True).issuer.slug
        data = _rows(rows)
        path = workdir / "awards.csv"
        with path.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(data)
        command = [str(MICROCRED), "award", "--csv", str(path), "--issuer", issuer]
        expected = rows + rows // len(APL_I_II)  # every row and every stack credential
        started = time.perf_counter()
        killed_at = []
        for _ in range(kills):
            before = _stored(engine)
            target = before + rng.randint(1, max(1, (expected - before) // 2))
            process = subprocess.Popen(
                command,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while process.poll() is None and _stored(engine) < target:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                killed_at.append(_stored(engine))
            process.wait()
        final_started = time.perf_counter()
        final = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, check=False
        )
        finished = time.perf_counter()
        if final.returncode != 0:
            raise RuntimeError(f"the last run failed:\n{final.stderr[-2000:]}")
        with Session(engine) as session:
            counts = tally(session, data)
        return {
            "kills": len(killed_at),
            "awards_stored_at_each_kill": killed_at,
            **counts,
            "seconds_total": round(finished - started, 1),
            "seconds_last_run": round(finished - final_started, 1),
        }
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000, help="a multiple of 5")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--backend", action="append", choices=("sqlite", "postgresql"), default=None
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    rng = random.Random(seed)
    for backend in args.backend or ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory(prefix="microcred-crash-") as workdir:
            result = _run(backend, args.rows, args.kills, rng, Path(workdir))
        print(json.dumps({**result, "seed": seed}), flush=True)


if __name__ == "__main__":
    main()
