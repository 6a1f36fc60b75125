"""Emails sent per second through the job queue to a local aiosmtpd, one worker thread.

    .venv/bin/python bench/deliver.py [--count N] [--database sqlite|postgresql]

The awards are made first (their claim deliveries wait in the queue), then one worker is
started and timed until every delivery is ``sent``: the figure covers the queue, taking the
row, minting the claim token, rendering both parts and the SMTP conversation.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, col, func, select  # noqa: E402

from issuer.db import make_engine  # noqa: E402
from issuer.jobs import Jobs, Worker  # noqa: E402
from issuer.models import AwardCreate, Delivery  # noqa: E402
from issuer.runtime import start  # noqa: E402
from issuer.services.awards import award  # noqa: E402
from issuer.services.demo import load_demo_catalog  # noqa: E402
from issuer.settings import Settings  # noqa: E402
from tests.issuer.smtp_support import SmtpServer  # noqa: E402
from tests.issuer.support import GOOD_AWARD, TEST_KEK, make_issuer, pg_database  # noqa: E402


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str | None]:
    if kind == "sqlite":
        yield None
        return
    with pg_database("microcred_bench") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    smtp = SmtpServer().start()
    with tempfile.TemporaryDirectory() as tmp, database(args.database, Path(tmp)) as url:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            base_url="https://issuer.bench",
            key_encryption_key=TEST_KEK,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_tls="none",
            smtp_from="bench@issuer.bench",
        )
        engine = make_engine(settings)
        runtime = start(settings, engine)
        with Session(engine) as session:
            issuer = make_issuer(session, runtime)
            load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
            for i in range(args.count):
                request = AwardCreate(**{**GOOD_AWARD, "recipient_email": f"e{i}@bench.example"})
                award(session=session, runtime=runtime, issuer=issuer, request=request)
        jobs = runtime.jobs
        assert isinstance(jobs, Jobs)
        jobs.bind(runtime, engine)
        worker = Worker(jobs, threads=1)
        began = time.perf_counter()
        worker.start()
        with Session(engine) as session:
            while True:
                sent = session.exec(
                    select(func.count()).where(col(Delivery.status) == "sent")
                ).one()
                session.commit()
                if sent >= args.count:
                    break
                time.sleep(0.01)
        elapsed = time.perf_counter() - began
        worker.stop()
        jobs.close()
        engine.dispose()
    smtp.stop()
    assert len(smtp.messages) == args.count
    print(
        f"{args.database}: {args.count} emails in {elapsed:.2f} s = "
        f"{args.count / elapsed:.1f} emails/s (1 worker thread)"
    )


if __name__ == "__main__":
    main()
