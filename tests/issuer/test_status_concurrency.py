"""Index allocation from several processes at once on PostgreSQL: every index unique, in range.

Four spawned processes (separate interpreters, separate connection pools, as four
``microcred serve`` workers would be) each make 1,500 awards, each in its own transaction with
a revocation and a suspension index (12,000 indexes in all). The first test uses the real
settings; the second makes every process draw from the first 800 indexes of each list and
rolls lists over at 400, so the processes fight over the same indexes (a draw fails up to half
the time) and the same rollovers the whole time.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from issuer.models import Award, CatalogAchievement, Issuer, StatusAllocation, StatusList
from schemas.bitstring import MIN_LIST_ENTRIES
from tests.issuer.status_support import allocate_in_a_process

PROCESSES = 4
# 4 × 500 allocations race on the same list heads: enough for collisions to happen on every
# run (the colliding test below forces them harder); 1,500 each cost the suite two minutes.
PER_PROCESS = 500


def run_processes(
    database_url: str,
    issuer: Issuer,
    engine: Engine,
    per_process: int,
    fill_limit: float,
    draw_below: int | None,
) -> None:
    with Session(engine) as session:
        achievement = session.exec(
            select(CatalogAchievement).where(CatalogAchievement.slug == "classroom-environment")
        ).one()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        barrier = manager.Barrier(PROCESSES)
        futures = [
            pool.submit(
                allocate_in_a_process,
                database_url,
                issuer.id,
                achievement.id,
                per_process,
                fill_limit,
                draw_below,
                barrier,
            )
            for _ in range(PROCESSES)
        ]
        assert [f.result(timeout=600) for f in futures] == [per_process] * PROCESSES


def check_allocations(
    engine: Engine, per_process: int, rollover_at: int
) -> dict[str, list[StatusList]]:
    """Unique, in range, one per award and purpose, counted exactly; the lists by purpose."""
    total = PROCESSES * per_process
    with Session(engine) as session:
        rows = session.exec(select(StatusAllocation)).all()
        lists = {r.id: r for r in session.exec(select(StatusList).order_by(StatusList.id))}
        awards = session.exec(select(func.count()).select_from(Award)).one()
    assert awards == total
    assert len(rows) == 2 * total
    assert len({(r.list_id, r.status_index) for r in rows}) == len(rows)  # all unique
    assert all(0 <= r.status_index < lists[r.list_id].size for r in rows)  # all in range
    assert Counter((r.award_id, r.purpose) for r in rows) == Counter(
        {key: 1 for key in {(r.award_id, r.purpose) for r in rows}}
    )
    assert len({r.award_id for r in rows}) == total
    per_list = Counter(r.list_id for r in rows)
    by_purpose: dict[str, list[StatusList]] = {}
    for row in lists.values():
        assert row.size == MIN_LIST_ENTRIES
        assert row.allocated == per_list[row.id]  # the commit-time count is exact
        # a soft limit: passed by at most the awards in flight when it was reached
        assert per_list[row.id] <= rollover_at + PROCESSES
        by_purpose.setdefault(row.purpose, []).append(row)
    for purpose_lists in by_purpose.values():
        assert sum(not r.is_full for r in purpose_lists) <= 1  # one open list at a time
        assert all(r.allocated >= rollover_at for r in purpose_lists if r.is_full)
    return by_purpose


@pytest.mark.postgres
def test_processes_allocate_unique_indexes_on_postgresql(
    database_url: str, database_name: str, engine: Engine, issuer: Issuer
) -> None:
    if database_name != "postgresql":
        pytest.skip("SQLite has one writer at a time; this is about PostgreSQL")
    run_processes(database_url, issuer, engine, PER_PROCESS, fill_limit=0.5, draw_below=None)
    lists = check_allocations(engine, PER_PROCESS, rollover_at=MIN_LIST_ENTRIES // 2)
    assert {p: len(v) for p, v in lists.items()} == {"revocation": 1, "suspension": 1}


@pytest.mark.postgres
def test_processes_colliding_on_indexes_and_rollovers_on_postgresql(
    database_url: str, database_name: str, engine: Engine, issuer: Issuer
) -> None:
    if database_name != "postgresql":
        pytest.skip("SQLite has one writer at a time; this is about PostgreSQL")
    rollover_at, per_process = 400, 500
    run_processes(
        database_url,
        issuer,
        engine,
        per_process,
        fill_limit=rollover_at / MIN_LIST_ENTRIES,
        draw_below=2 * rollover_at,
    )
    lists = check_allocations(engine, per_process, rollover_at=rollover_at)
    for purpose_lists in lists.values():
        assert len(purpose_lists) >= PROCESSES * per_process // (rollover_at + PROCESSES)
