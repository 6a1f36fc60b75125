"""A stack credential is issued exactly once, however many evaluations race for it: threads with
sessions of their own, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from sqlmodel import Session

from issuer.models import Issuer
from issuer.runtime import Runtime
from issuer.services import stacks
from tests.issuer.stack_support import APL_I_II, award_to, stack_awards


def test_concurrent_evaluations_issue_one_stack_credential(
    runtime: Runtime, engine: Engine, session: Session, issuer: Issuer
) -> None:
    quiet = dataclasses.replace(runtime, post_award_hooks=())  # components only, no stack yet
    for slug in APL_I_II:
        award_to(session, quiet, slug)
    assert stack_awards(session, "apl-i-ii") == []
    start = threading.Barrier(8)

    def evaluate(_: int) -> list[str]:
        with Session(engine) as own:
            start.wait()
            issued = stacks.issue_completed_stacks(
                session=own, runtime=runtime, recipient_email="maria.lopez@schools.nm.example"
            )
            return [str(row.id) for row in issued]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(evaluate, range(8)))
    assert sum(len(r) for r in results) == 1  # one call created it, the others found it
    assert len(stack_awards(session, "apl-i-ii")) == 1


def test_the_last_two_components_awarded_at_once(
    runtime: Runtime, engine: Engine, session: Session, issuer: Issuer
) -> None:
    educators = [f"educator{n}@schools.nm.example" for n in range(6)]
    for email in educators:
        for slug in APL_I_II[:3]:
            award_to(session, runtime, slug, email=email)
    jobs = [(email, slug) for email in educators for slug in APL_I_II[3:]]
    start = threading.Barrier(len(jobs))

    def last(job: tuple[str, str]) -> None:
        email, slug = job
        with Session(engine) as own:
            start.wait()
            award_to(own, runtime, slug, email=email)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        list(pool.map(last, jobs))
    for email in educators:
        assert len(stack_awards(session, "apl-i-ii", email)) == 1, email
