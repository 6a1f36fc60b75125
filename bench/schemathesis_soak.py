"""The long contract run: schemathesis against the service's OpenAPI document, in process.

    .venv/bin/python bench/schemathesis_soak.py [--backend sqlite|postgresql] [--max-examples N]
                                                [--phases examples,coverage,fuzzing,stateful]
                                                [--seed S] [--min-requests 5000]

The same run as ``tests/issuer/test_openapi_contract.py`` (:mod:`tests.issuer.contract_support`:
a seeded database, an admin key, the checks in ``CHECKS``), with every phase and many more
examples: the coverage phase alone sends tens of thousands of requests (every boundary value
and every way to break each parameter). For each backend it prepares a fresh database (for
PostgreSQL one of its own, made and dropped as the tests' are: ``tests/issuer/conftest.py``).

Prints one JSON object per backend: requests the app received, its 5xx answers, the responses
the document does not allow (status, media type, body, headers), every failed check by
schemathesis code, and the first failures in full on stderr. Exits 1 on any failure, or when
fewer than ``--min-requests`` requests were sent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemathesis.engine import events  # noqa: E402

from issuer.db import make_engine  # noqa: E402
from issuer.runtime import start  # noqa: E402
from issuer.settings import Settings  # noqa: E402
from tests.issuer.contract_support import run_contract, seeded_service  # noqa: E402
from tests.issuer.support import BASE_URL, TEST_KEK, pg_database  # noqa: E402

PHASES = ("examples", "coverage", "fuzzing", "stateful")


def _progress(event: Any) -> None:
    """Each phase's start and end on stderr (the coverage phase alone takes minutes)."""
    if isinstance(event, events.PhaseStarted | events.PhaseFinished):
        what = "started" if isinstance(event, events.PhaseStarted) else "finished"
        print(f"{time.strftime('%H:%M:%S')} phase {event.phase.name.value} {what}", file=sys.stderr)


def soak(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="microcred-soak-") as tmp,
        nullcontext(None) if backend == "sqlite" else pg_database("microcred_contract") as url,
    ):
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            base_url=BASE_URL,
            key_encryption_key=TEST_KEK,
        )
        engine = make_engine(settings)
        try:
            runtime = start(settings, engine)
            started = time.perf_counter()
            with seeded_service(settings, engine, runtime) as service:
                run = run_contract(
                    service,
                    max_examples=args.max_examples,
                    seed=args.seed,
                    phases=tuple(args.phases.split(",")),
                    max_steps=args.max_steps,
                    continue_on_failure=True,
                    only=args.only,
                    on_event=_progress,
                )
            elapsed = time.perf_counter() - started
        finally:
            engine.dispose()
    # Each kind of failure once, with how often it happened (the first line names it).
    kinds = Counter(text.splitlines()[0] for text in run.failures + run.errors)
    shown: set[str] = set()
    for text in run.failures + run.errors:
        kind = text.splitlines()[0]
        if kind not in shown:
            shown.add(kind)
            print(f"[{kinds[kind]}x] {text}", file=sys.stderr)
    return {
        "bench": "schemathesis_soak",
        "backend": backend,
        "phases": args.phases,
        "max_examples": args.max_examples,
        "seed": args.seed,
        **run.summary(),
        "seconds": round(elapsed, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--max-steps", type=int, default=10)
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--min-requests", type=int, default=5000)
    parser.add_argument("--only", help="a regex the operations' names must match")
    args = parser.parse_args()
    failed = False
    for backend in args.backend or ["sqlite"]:
        figures = soak(backend, args)
        print(json.dumps(figures), flush=True)
        failed |= bool(
            figures["server_errors"]
            or figures["failed_checks"]
            or figures["errors"]
            or figures["requests"] < args.min_requests
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
