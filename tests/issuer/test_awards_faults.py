"""Awards when the database fails right after the commit, and retries without a key.

A committed award is reported as issued even if the database goes away the moment it commits
(the answer is built from memory, and the stack evaluation that fails there is owed, not
lost); a retry without an ``Idempotency-Key`` returns the award already made instead of a
second one, and finishes the owed work; the next start finishes whatever is still owed.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, inspect
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from issuer.db import alembic_config, make_engine
from issuer.models import Award, AwardCreate, Issuer
from issuer.runtime import Runtime, start
from issuer.services import status
from issuer.services.awards import DERIVED_KEY_PREFIX, award
from issuer.services.context import PostAwardContext
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from tests.issuer.stack_support import APL_I_II, EDUCATOR, award_to, stack_awards
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, TEST_KEK, make_issuer

AWARDS = f"/api/issuers/{ISSUER}/awards"


def count_awards(session: Session, email: str, slug: str) -> int:
    session.commit()  # a fresh snapshot
    query = (
        select(func.count())
        .select_from(Award)
        .where(Award.recipient_email == email)
        .where(Award.achievement_slug == slug)
    )
    return session.exec(query).one()


@contextmanager
def database_gone_after_an_award_commits(engine: Engine) -> Iterator[dict[str, int]]:
    """From the commit of the first transaction that inserted an award, every statement on
    ``engine`` fails as if the server had gone away (the commit itself succeeds)."""
    state = {"inserted": 0, "gone": 0, "refused": 0}

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AWARD "):
            state["inserted"] = 1

    def committed(_conn: Any) -> None:
        if state["inserted"]:
            state["gone"] = 1

    def refuse(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if state["gone"]:
            state["refused"] += 1
            raise OperationalError(statement, None, ConnectionError("server closed the connection"))

    event.listen(engine, "after_cursor_execute", seen)
    event.listen(engine, "commit", committed)
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield state
    finally:
        event.remove(engine, "after_cursor_execute", seen)
        event.remove(engine, "commit", committed)
        event.remove(engine, "before_cursor_execute", refuse)


def test_an_award_committed_as_the_database_goes_away_is_reported_and_a_retry_returns_it(
    client: TestClient,
    auth: dict[str, str],
    engine: Engine,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
) -> None:
    for slug in APL_I_II[:4]:
        award_to(session, runtime, slug)
    last = {
        "achievement": APL_I_II[4],
        "recipient_name": "María López",
        "recipient_email": EDUCATOR,
        "score": 92,
        "rubric_level": "proficient",
    }
    with database_gone_after_an_award_commits(engine) as fault:
        response = client.post(AWARDS, json=last, headers=auth)
    assert fault["refused"] > 0  # the stack evaluation after the commit did fail
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["achievement"] == APL_I_II[4] and body["credential"]["id"] == body["url"]
    assert body["idempotency_key"].startswith(DERIVED_KEY_PREFIX)
    assert count_awards(session, EDUCATOR, APL_I_II[4]) == 1
    assert stack_awards(session, "apl-i-ii") == []  # owed, not issued yet

    retry = client.post(AWARDS, json=last, headers=auth)  # the caller never saw the 201
    assert retry.status_code == 200, retry.text
    assert retry.json() == body
    assert count_awards(session, EDUCATOR, APL_I_II[4]) == 1
    [stack] = stack_awards(session, "apl-i-ii")  # the replay did the owed work
    stored = session.get(Award, uuid.UUID(body["id"]))
    assert stored is not None and stored.post_award_done_at is not None
    assert client.post(AWARDS, json=last, headers=auth).json()["id"] == body["id"]
    assert [s.id for s in stack_awards(session, "apl-i-ii")] == [stack.id]


def test_owed_post_award_work_is_finished_by_the_next_start(
    session: Session, runtime: Runtime, issuer: Issuer, settings: Settings, engine: Engine
) -> None:
    def fails(_award: Award, _context: PostAwardContext) -> None:
        raise ConnectionError("the database went away")

    for slug in APL_I_II[:4]:
        award_to(session, runtime, slug)
    failing = dataclasses.replace(runtime, post_award_hooks=(fails,))
    last = award_to(session, failing, APL_I_II[4])
    assert last.post_award_done_at is None and stack_awards(session, "apl-i-ii") == []

    start(settings, engine, migrate_schema=False)  # a restart: the owed work is done
    [stack] = stack_awards(session, "apl-i-ii")
    stored = session.get(Award, last.id)
    assert stored is not None and stored.post_award_done_at is not None
    start(settings, engine, migrate_schema=False)  # nothing owed: nothing more
    assert [s.id for s in stack_awards(session, "apl-i-ii")] == [stack.id]
    assert all(a.post_award_done_at is not None for a in session.exec(select(Award)).all())


def test_an_identical_request_without_a_key_returns_the_award_in_force(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    request = AwardCreate.model_validate(GOOD_AWARD)
    email = request.recipient_email

    def issue(**changes: Any) -> tuple[Award, bool]:
        outcome = award(
            session=session,
            runtime=runtime,
            issuer=ISSUER,
            request=request.model_copy(update=changes),
        )
        return outcome.award, outcome.created

    first, created = issue()
    assert created and first.idempotency_key and first.idempotency_key.startswith("auto:")
    again, created = issue()
    assert (again.id, created) == (first.id, False)
    assert count_awards(session, email, request.achievement) == 1

    other, created = issue(score="97")  # different content: a different award
    assert created and other.id != first.id
    dated, created = issue(awarded_date=first.awarded.replace(year=2025))
    assert created and dated.id != first.id

    # Revoked, the same content is earned again: a new award, and its retries return it.
    status.revoke(session, runtime, first.id, "awarded in error", "test")
    second, created = issue()
    assert created and second.id != first.id
    assert second.idempotency_key == f"{first.idempotency_key}:r1"
    replay, created = issue()
    assert (replay.id, created) == (second.id, False)
    # Suspended likewise: an award not in force is not what a retry meant.
    status.suspend(session, runtime, second.id, "license under review", "test")
    third, created = issue()
    assert created and third.idempotency_key == f"{first.idempotency_key}:r2"
    replay, created = issue()
    assert (replay.id, created) == (third.id, False)
    assert count_awards(session, email, request.achievement) == 5

    # The caller's own key still names one request, whatever became of its award.
    keyed, created = issue(idempotency_key="lms-4411")
    assert created
    status.revoke(session, runtime, keyed.id, "awarded in error", "test")
    assert issue(idempotency_key="lms-4411")[0].id == keyed.id


def test_revision_0006_marks_the_awards_before_it_done_and_downgrades(tmp_path: Path) -> None:
    """Awards issued before the marker existed had their hooks run at the time: the upgrade
    stamps them with their creation time, so the first start does not redo them all."""
    settings = Settings(data_dir=tmp_path / "fresh", base_url=BASE_URL, key_encryption_key=TEST_KEK)
    engine = make_engine(settings)
    try:
        runtime = start(settings, engine)
        with Session(engine) as fresh:
            load_demo_catalog(session=fresh, runtime=runtime, issuer=make_issuer(fresh, runtime))
            first = award(
                session=fresh,
                runtime=runtime,
                issuer=ISSUER,
                request=AwardCreate.model_validate(GOOD_AWARD),
            ).award
        config = alembic_config(engine)
        command.downgrade(config, "0005")
        assert "post_award_done_at" not in {c["name"] for c in inspect(engine).get_columns("award")}
        command.upgrade(config, "0006")
        with Session(engine) as fresh:
            row = fresh.get(Award, first.id)
            assert row is not None and row.post_award_done_at == row.created
    finally:
        engine.dispose()
