"""``kill -9`` during a CSV batch, then a rerun: every row issued exactly once, every stack
credential exactly once, nothing half-written, status indexes unique — on SQLite and PostgreSQL.

Each run is ``microcred award --csv`` in a process of its own, killed with SIGKILL by
:mod:`tests.issuer.crash_support` right after a chosen committed award insert. The points are
the ones that used to lose work: after the component that completes a stack is committed and
before its stack credential is evaluated, with rows still to do; after the stack credential is
committed and before the component is marked done. ``bench/crash_batch.py`` kills a
3,000-row batch at random moments instead.
"""

from __future__ import annotations

import signal
from pathlib import Path

from sqlmodel import Session

from issuer.demo_catalog import APL_I_II
from issuer.models import Issuer
from issuer.settings import Settings
from tests.issuer.crash_support import run_microcred, tally
from tests.issuer.support import BASE_URL, ISSUER, TEST_KEK

EDUCATORS = ("ana.baca@schools.nm.example", "ben.chavez@schools.nm.example")
COLUMNS = ("achievement", "recipient_name", "recipient_email", "score", "rubric_level")


def csv_rows() -> list[dict[str, str]]:
    """Two educators completing APL I-II (five rows each, in order), then two rows more."""
    rows = [
        {
            "achievement": slug,
            "recipient_name": email.split("@")[0].replace(".", " ").title(),
            "recipient_email": email,
            "score": "92",
            "rubric_level": "proficient",
        }
        for email in EDUCATORS
        for slug in APL_I_II
    ]
    rows += [
        {**rows[0], "recipient_email": "cruz.duran@schools.nm.example", "recipient_name": "Cruz"},
        {**rows[1], "recipient_email": "cruz.duran@schools.nm.example", "recipient_name": "Cruz"},
    ]
    return rows


def run_batch(csv: Path, settings: Settings, kill_after: int) -> int:
    """``microcred award --csv`` in a process of its own, on the test's database."""
    env = {
        "MICROCRED_DATA_DIR": str(settings.data_dir),
        "MICROCRED_DATABASE_URL": settings.sqlalchemy_url,
        "MICROCRED_BASE_URL": BASE_URL,
        "MICROCRED_KEY_ENCRYPTION_KEY": TEST_KEK,
    }
    args = ["award", "--csv", str(csv), "--issuer", ISSUER]
    return run_microcred(args, env, kill_after=kill_after)


def test_a_batch_killed_at_its_worst_moments_completes_exactly_once_on_rerun(
    session: Session, issuer: Issuer, settings: Settings, tmp_path: Path
) -> None:
    rows = csv_rows()
    csv = tmp_path / "awards.csv"
    csv.write_text(
        ",".join(COLUMNS) + "\n" + "".join(",".join(r[c] for c in COLUMNS) + "\n" for r in rows)
    )
    session.commit()  # the fixtures' writes are visible to the other processes
    # 1: the fifth component of the first educator is committed, its stack credential not
    #    evaluated, seven rows not done.
    # 2: the rerun's first insert: that stack credential (the start finishes the owed work),
    #    committed before the component is marked done.
    for kill_after in (5, 1):
        assert run_batch(csv, settings, kill_after) == -signal.SIGKILL
    assert run_batch(csv, settings, 0) == 0  # every row ok
    session.commit()  # a fresh snapshot
    counts = tally(session, rows)
    assert counts == {
        "rows": len(rows),
        "awards": len(rows) + len(EDUCATORS),  # each row, and one stack credential each
        "lost": 0,
        "duplicates": 0,
        "stacks_missing": 0,
        "stack_duplicates": 0,
        "half_written": 0,
        "owed": 0,
        "orphan_allocations": 0,
        "miscounted_lists": 0,
    }
