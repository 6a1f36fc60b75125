"""``microcred`` in a process of its own that kills itself with SIGKILL (``kill -9``) right
after its N-th committed transaction that inserted an award: the crash points of the crash
tests; and :func:`tally`, what a crash could have broken.

Test-only. The fault point is put around the unchanged CLI from the outside, by listening to
SQLAlchemy events in the child process; the service itself has no fault-injection code. The
child is forked from the test process (the imports are done once, so a run costs its work and
not an interpreter start) and runs the same ``microcred`` command line a shell would, on the
database its environment names.

``N`` counts the transactions that inserted an award row (a component or a stack credential),
once each has *committed*: N = 5 on a CSV whose first five rows complete a stack dies with the
fifth component stored and its stack credential not yet evaluated. ``0`` never kills.

The crash tests and ``bench/crash_batch.py`` both judge a run by :func:`tally`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from sqlmodel import select

from issuer.demo_catalog import APL_I_II
from issuer.models import Award, StatusAllocation, StatusList


def kill_after_award_commits(count: int) -> None:
    """SIGKILL this process right after the ``count``-th committed award insert."""
    inserted = False
    committed = 0

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal inserted
        if statement.lstrip().upper().startswith("INSERT INTO AWARD "):
            inserted = True

    def after_commit(_session: Session) -> None:
        nonlocal inserted, committed
        if inserted:
            inserted = False
            committed += 1
            if committed >= count:
                os.kill(os.getpid(), signal.SIGKILL)

    def after_rollback(_session: Session) -> None:
        nonlocal inserted
        inserted = False

    event.listen(Engine, "after_cursor_execute", seen)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_rollback", after_rollback)


def tally(session: Session, rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """What a batch of CSV ``rows`` (each a distinct educator and achievement) left in the
    database; every count but ``rows`` and ``awards`` is 0 when nothing was lost or doubled.

    * ``lost`` / ``duplicates``: rows with no award / with more than one;
    * ``stacks_missing`` / ``stack_duplicates``: educators whose rows complete APL I-II without
      / with more than one stack credential;
    * ``half_written``: awards without both signed forms, or whose credential's two status
      entries are not exactly the indexes allocated to it;
    * ``owed``: awards whose post-award work is still owed;
    * ``orphan_allocations``: status indexes held by no award; ``miscounted_lists``: status
      lists whose ``allocated`` counter is not the number of indexes allocated on them.
    """
    wanted = Counter(
        (str(r["recipient_email"]).strip().lower(), str(r["achievement"])) for r in rows
    )
    awards = session.exec(select(Award)).all()
    issued = Counter((a.recipient_email, a.achievement_slug) for a in awards)
    lists = {row.id: row for row in session.exec(select(StatusList)).all()}
    allocations = session.exec(select(StatusAllocation)).all()
    held: dict[Any, set[tuple[str, int]]] = {}
    per_list: Counter[int] = Counter()
    for allocation in allocations:
        public_id = lists[allocation.list_id].public_id
        held.setdefault(allocation.award_id, set()).add((public_id, allocation.status_index))
        per_list[allocation.list_id] += 1
    half_written = 0
    for award in awards:
        if not (award.credential and award.credential_jwt and award.signed_by):
            half_written += 1
            continue
        entries = json.loads(award.credential).get("credentialStatus", [])
        listed = {
            (e["statusListCredential"].rsplit("/", 1)[-1], int(e["statusListIndex"]))
            for e in entries
        }
        if len(entries) != 2 or listed != held.get(award.id, set()):
            half_written += 1
    completes = {
        email
        for email in {email for email, _ in wanted}
        if all((email, slug) in wanted for slug in APL_I_II)
    }
    stacks = Counter(a.recipient_email for a in awards if a.achievement_slug == "apl-i-ii")
    return {
        "rows": sum(wanted.values()),
        "awards": len(awards),
        "lost": sum(1 for key in wanted if issued[key] == 0),
        "duplicates": sum(issued[key] - 1 for key in wanted if issued[key] > 1),
        "stacks_missing": sum(1 for email in completes if stacks[email] == 0),
        "stack_duplicates": sum(n - 1 for n in stacks.values() if n > 1),
        "half_written": half_written,
        "owed": sum(1 for a in awards if a.post_award_done_at is None),
        "orphan_allocations": len(held.keys() - {a.id for a in awards}),
        "miscounted_lists": sum(
            1 for list_id, row in lists.items() if row.allocated != per_list[list_id]
        ),
    }


def _child(kill_after: int, args: list[str], env: dict[str, str]) -> None:
    os.environ.update(env)
    if kill_after > 0:
        kill_after_award_commits(kill_after)
    from microcred.cli import app

    app(args, prog_name="microcred")  # exits with the command's status


def run_microcred(args: list[str], env: Mapping[str, str], *, kill_after: int = 0) -> int:
    """``microcred ARGS`` in a forked process with ``env`` added to its environment; its exit
    status (``-9`` when it was killed). Its output goes where this process's goes."""
    process = multiprocessing.get_context("fork").Process(
        target=_child, args=(kill_after, args, dict(env))
    )
    process.start()
    process.join(timeout=300)
    if process.exitcode is None:
        process.kill()
        raise TimeoutError(f"microcred {' '.join(args)} ran over 300 s")
    return process.exitcode
