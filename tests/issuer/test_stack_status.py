"""A stack credential follows the components it counted: revoked or suspended with a component
its rule cannot do without, kept when the rule is still met (an elective replaced), unsuspended
with the component that suspended it. On SQLite and PostgreSQL (the issuer fixtures); a
verifier reading the published lists sees the stack credential's bit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from issuer.db import alembic_config, migrate
from issuer.models import Award, Issuer, StackCreate, StatusAction, StatusEvent
from issuer.runtime import Runtime
from issuer.services import stack_status, stacks
from issuer.services import status as status_service
from tests.issuer.stack_support import (
    APL_I_II,
    APL_II_III_ELECTIVES,
    APL_II_III_REQUIRED,
    EDUCATOR,
    OTHER_EDUCATOR,
    award_outcome,
    award_to,
    stack_awards,
)
from tests.issuer.status_support import entries, list_bit, status_check, verify_here
from tests.issuer.support import BASE_URL, ISSUER
from tests.issuer.test_vcapi_status import fresh_engine, status

__all__ = ["fresh_engine"]  # the fixture, used here too

ACTOR = "test:registrar"
REASON = "assessor error"


def complete_apl_i_ii(
    session: Session, runtime: Runtime, email: str = EDUCATOR
) -> tuple[list[Award], Award]:
    """The five APL I-II components, and the stack credential they issued."""
    components = [award_to(session, runtime, slug, email=email) for slug in APL_I_II]
    [stack] = stack_awards(session, "apl-i-ii", email)
    return components, stack


def reloaded(session: Session, row: Award) -> Award:
    session.commit()  # a fresh snapshot
    found = session.get(Award, row.id, populate_existing=True)
    assert found is not None
    return found


def audit_of(session: Session, row: Award) -> list[StatusEvent]:
    session.commit()
    return list(
        session.exec(
            select(StatusEvent).where(StatusEvent.award_id == row.id).order_by(col(StatusEvent.id))
        ).all()
    )


def achievement_name(row: Award) -> str:
    return str(json.loads(row.credential)["credentialSubject"]["achievement"]["name"])


def named(runtime: Runtime, row: Award) -> str:
    return f"component {runtime.urls.credential(row.id)} ({achievement_name(row)})"


def bits(client: TestClient, row: Award) -> dict[str, int]:
    """What the published lists say of ``row``: its revocation and suspension bits."""
    credential = json.loads(row.credential)
    return {purpose: list_bit(client, entry) for purpose, entry in entries(credential).items()}


def elective_pathway(session: Session, runtime: Runtime, issuer: Issuer) -> stacks.StackVersion:
    """A stack with one required component and any 2 of 3 electives."""

    def component(slug: str) -> dict[str, Any]:
        return {
            "type": "component",
            "id": slug,
            "name": slug,
            "anyVersionOf": [f"{BASE_URL}/achievements/{slug}"],
            "issuers": [issuer.did],
        }

    data = StackCreate.model_validate(
        {
            "slug": "elective-pathway",
            "name": "Elective Pathway",
            "description": "One required micro-credential and any two of three electives.",
            "requirements": [
                component(APL_II_III_REQUIRED[0]),
                {
                    "type": "choose",
                    "id": "electives",
                    "name": "Electives",
                    "n": 2,
                    "of": [component(s) for s in APL_II_III_ELECTIVES[:3]],
                },
            ],
        }
    )
    return stacks.create_stack(session=session, runtime=runtime, issuer=issuer, data=data)


# ------------------------------------------------------------------------------ revoke


def test_revoking_a_required_component_revokes_the_stack_credential(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    assert verify_here(client, json.loads(stack.credential)).verdict == "valid"
    revoked = components[2]
    change = status_service.revoke(session, runtime, revoked, REASON, ACTOR)
    assert change.changed and change.status == "revoked"
    [effect] = change.stacks
    assert effect.award_id == stack.id
    assert effect.credential_id == runtime.urls.credential(stack.id)
    assert effect.stack == "apl-i-ii v1"
    assert (effect.outcome, effect.previous_status, effect.status) == (
        "revoked",
        "active",
        "revoked",
    )
    assert reloaded(session, stack).status == "revoked"
    # The audit entry names the component, its achievement and the reason.
    *_, event = audit_of(session, stack)
    assert event.id == effect.event_id
    assert event.reason == f"{named(runtime, revoked)} revoked: {REASON}"
    assert achievement_name(revoked) in event.reason
    assert (event.action, event.previous_status, event.new_status) == (
        "revoke",
        "active",
        "revoked",
    )
    assert event.actor == ACTOR and event.cause_award_id == revoked.id
    # A verifier reading the published list sees the stack credential revoked.
    assert bits(client, stack) == {"revocation": 1, "suspension": 0}
    report = verify_here(client, json.loads(stack.credential))
    assert report.verdict == "invalid"
    assert status_check(report)[0] == "failed" and "revoked" in status_check(report)[1].lower()
    # The other components are untouched.
    assert [reloaded(session, c).status for c in components] == [
        "active",
        "active",
        "revoked",
        "active",
        "active",
    ]


def test_revoking_an_elective_that_another_elective_replaces_keeps_the_stack_credential(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    elective_pathway(session, runtime, issuer)
    required = award_to(session, runtime, APL_II_III_REQUIRED[0])
    first, second = (award_to(session, runtime, s) for s in APL_II_III_ELECTIVES[:2])
    [stack] = stack_awards(session, "elective-pathway")
    assert {e["url"] for e in stack.evidence} == {
        runtime.urls.credential(c.id) for c in (required, first, second)
    }
    third = award_to(session, runtime, APL_II_III_ELECTIVES[2])  # earned after the stack
    assert len(stack_awards(session, "elective-pathway")) == 1

    change = status_service.revoke(session, runtime, first, REASON, ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.status, effect.event_id) == ("kept", "active", None)
    assert effect.detail.startswith("kept: rule still met by ")
    assert achievement_name(third) in effect.detail
    assert achievement_name(first) not in effect.detail
    assert reloaded(session, stack).status == "active"
    assert audit_of(session, stack) == []
    assert bits(client, stack) == {"revocation": 0, "suspension": 0}

    # The second counted elective too: only one of three is left, and the rule needs two.
    change = status_service.revoke(session, runtime, second, REASON, ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.status) == ("revoked", "revoked")
    assert reloaded(session, stack).status == "revoked"
    [event] = audit_of(session, stack)
    assert event.reason == f"{named(runtime, second)} revoked: {REASON}"
    assert bits(client, stack)["revocation"] == 1
    del third


def test_a_revoked_stack_credential_stays_revoked(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    status_service.revoke(session, runtime, stack, "issued in error", ACTOR)
    change = status_service.suspend(session, runtime, components[0], REASON, ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.status, effect.detail) == (
        "unchanged",
        "revoked",
        "already revoked",
    )
    change = status_service.revoke(session, runtime, components[1], REASON, ACTOR)
    assert [e.outcome for e in change.stacks] == ["unchanged"]
    assert [e.reason for e in audit_of(session, stack)] == ["issued in error"]
    # Unsuspending the component does not touch a revoked stack credential.
    assert status_service.unsuspend(session, runtime, components[0], "ok", ACTOR).stacks == ()
    assert reloaded(session, stack).status == "revoked"


def test_the_component_and_its_stack_credential_change_in_one_transaction(
    session: Session, runtime: Runtime, issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(stack_status, "_apply", broken)
    with pytest.raises(RuntimeError):
        status_service.revoke(session, runtime, components[0], REASON, ACTOR)
    assert reloaded(session, components[0]).status == "active"
    assert reloaded(session, stack).status == "active"
    assert audit_of(session, components[0]) == []


# ------------------------------------------------------------------------------ suspend


def test_suspend_suspends_the_stack_credential_and_unsuspend_restores_it(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    suspended = components[4]
    change = status_service.suspend(session, runtime, suspended, "under review", ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.previous_status, effect.status) == (
        "suspended",
        "active",
        "suspended",
    )
    assert reloaded(session, stack).status == "suspended"
    [event] = audit_of(session, stack)
    assert event.reason == f"{named(runtime, suspended)} suspended: under review"
    assert event.action == "suspend" and event.cause_award_id == suspended.id
    assert bits(client, stack) == {"revocation": 0, "suspension": 1}
    report = verify_here(client, json.loads(stack.credential))
    assert status_check(report)[0] == "failed" and "suspended" in status_check(report)[1].lower()

    change = status_service.unsuspend(session, runtime, suspended, "review done", ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.previous_status, effect.status) == (
        "unsuspended",
        "suspended",
        "active",
    )
    assert reloaded(session, stack).status == "active"
    *_, event = audit_of(session, stack)
    assert event.reason == f"{named(runtime, suspended)} unsuspended: review done"
    assert (event.action, event.new_status) == ("unsuspend", "active")
    assert bits(client, stack) == {"revocation": 0, "suspension": 0}
    assert verify_here(client, json.loads(stack.credential)).verdict == "valid"


def test_a_stack_credential_suspended_by_hand_stays_suspended(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    status_service.suspend(session, runtime, stack, "license board inquiry", ACTOR)
    change = status_service.suspend(session, runtime, components[0], "under review", ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.status, effect.detail) == (
        "unchanged",
        "suspended",
        "already suspended",
    )
    change = status_service.unsuspend(session, runtime, components[0], "review done", ACTOR)
    [effect] = change.stacks
    assert (effect.outcome, effect.status) == ("unchanged", "suspended")
    assert "its own reasons" in effect.detail
    assert reloaded(session, stack).status == "suspended"
    assert [e.reason for e in audit_of(session, stack)] == ["license board inquiry"]
    assert bits(client, stack)["suspension"] == 1


def test_an_operator_who_confirms_a_component_suspension_keeps_it(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    """Suspended with a component, then suspended again by an operator: theirs now."""
    components, stack = complete_apl_i_ii(session, runtime)
    status_service.suspend(session, runtime, components[0], "under review", ACTOR)
    status_service.suspend(session, runtime, stack, "license board inquiry", ACTOR)
    [effect] = status_service.unsuspend(session, runtime, components[0], "ok", ACTOR).stacks
    assert effect.outcome == "unchanged"
    assert reloaded(session, stack).status == "suspended"


def test_a_stack_credential_stays_suspended_while_another_component_is(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    first, second = components[:2]
    status_service.suspend(session, runtime, first, "under review", ACTOR)
    [effect] = status_service.suspend(session, runtime, second, "under review", ACTOR).stacks
    assert effect.outcome == "unchanged"
    [effect] = status_service.unsuspend(session, runtime, first, "ok", ACTOR).stacks
    assert (effect.outcome, effect.status) == ("unchanged", "suspended")
    assert "not met" in effect.detail
    [effect] = status_service.unsuspend(session, runtime, second, "ok", ACTOR).stacks
    assert (effect.outcome, effect.status) == ("unsuspended", "active")
    assert reloaded(session, stack).status == "active"


def test_revoking_a_component_revokes_a_stack_credential_suspended_by_another(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    status_service.suspend(session, runtime, components[0], "under review", ACTOR)
    [effect] = status_service.revoke(session, runtime, components[1], REASON, ACTOR).stacks
    assert (effect.outcome, effect.previous_status, effect.status) == (
        "revoked",
        "suspended",
        "revoked",
    )
    assert bits(client, stack) == {"revocation": 1, "suspension": 1}
    # Unsuspending the first component leaves it revoked.
    assert status_service.unsuspend(session, runtime, components[0], "ok", ACTOR).stacks == ()
    assert reloaded(session, stack).status == "revoked"


# ------------------------------------------------------------------------------ bulk


def test_bulk_revoke_of_several_components(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    mine, my_stack = complete_apl_i_ii(session, runtime)
    theirs, their_stack = complete_apl_i_ii(session, runtime, OTHER_EDUCATOR)
    untouched = award_to(session, runtime, APL_II_III_REQUIRED[0])
    changes = status_service.change_statuses(
        session,
        runtime,
        [mine[0], mine[3], theirs[1], untouched],
        StatusAction.revoke,
        "bulk correction",
        ACTOR,
    )
    by_component = {c.award_id: [(e.award_id, e.outcome) for e in c.stacks] for c in changes}
    # One stack credential, counted by two of the components: revoked once, listed under both.
    assert by_component == {
        mine[0].id: [(my_stack.id, "revoked")],
        mine[3].id: [(my_stack.id, "revoked")],
        theirs[1].id: [(their_stack.id, "revoked")],
        untouched.id: [],
    }
    [event] = audit_of(session, my_stack)
    assert event.reason == (
        f"components {runtime.urls.credential(mine[0].id)} ({achievement_name(mine[0])}), "
        f"{runtime.urls.credential(mine[3].id)} ({achievement_name(mine[3])}) revoked: "
        "bulk correction"
    )
    [event] = audit_of(session, their_stack)
    assert event.reason == f"{named(runtime, theirs[1])} revoked: bulk correction"
    for stack in (my_stack, their_stack):
        assert reloaded(session, stack).status == "revoked"
        assert bits(client, stack)["revocation"] == 1


def test_revoking_the_stack_credential_with_its_component_in_one_request(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    changes = status_service.change_statuses(
        session, runtime, [stack, components[0]], StatusAction.revoke, "withdrawn", ACTOR
    )
    assert [c.stacks for c in changes] == [(), ()]  # its own revocation stands
    [event] = audit_of(session, stack)
    assert event.reason == "withdrawn" and event.cause_award_id is None


# ------------------------------------------------------------------------------ HTTP


def test_the_api_says_which_stack_credentials_a_change_affected(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    client: TestClient,
    auth: dict[str, str],
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    base = f"/api/issuers/{ISSUER}"
    response = client.post(
        f"{base}/credentials/{components[0].id}/suspend", json={"reason": "review"}, headers=auth
    )
    assert response.status_code == 200, response.text
    [effect] = response.json()["stacks"]
    assert effect == {
        "credential_id": runtime.urls.credential(stack.id),
        "id": str(stack.id),
        "stack": "apl-i-ii v1",
        "outcome": "suspended",
        "previous_status": "active",
        "status": "suspended",
        "detail": f"{named(runtime, components[0])} suspended: review",
        "event_id": effect["event_id"],
    }
    assert isinstance(effect["event_id"], int)
    response = client.post(
        f"{base}/status/changes",
        json={"action": "unsuspend", "credentials": [str(components[0].id)], "reason": "ok"},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    [change] = response.json()
    assert [(e["id"], e["outcome"], e["status"]) for e in change["stacks"]] == [
        (str(stack.id), "unsuspended", "active")
    ]
    response = client.post(
        f"{base}/credentials/{components[1].id}/revoke", json={"reason": "fraud"}, headers=auth
    )
    [effect] = response.json()["stacks"]
    assert (effect["outcome"], effect["status"]) == ("revoked", "revoked")
    events = client.get(
        f"{base}/status/events", params={"credential": str(stack.id)}, headers=auth
    ).json()
    assert [e["reason"] for e in events][-1] == f"{named(runtime, components[1])} revoked: fraud"
    assert [e["cause_credential_id"] for e in events] == [
        runtime.urls.credential(components[0].id),
        runtime.urls.credential(components[0].id),
        runtime.urls.credential(components[1].id),
    ]


def test_a_component_earned_again_issues_a_new_stack_credential(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    """The stack credential revoked with a component does not block the next one: the
    educator who earns the component again earns the stack again, once."""
    components, stack = complete_apl_i_ii(session, runtime)
    status_service.revoke(session, runtime, components[0], REASON, ACTOR)
    again = award_to(session, runtime, APL_I_II[0])
    # Both were created within the same second: tell them apart by status, not by order.
    by_status = {row.status: row for row in stack_awards(session, "apl-i-ii")}
    assert set(by_status) == {"revoked", "active"}
    old, new = by_status["revoked"], by_status["active"]
    assert old.id == stack.id
    assert runtime.urls.credential(again.id) in {e["url"] for e in new.evidence}
    assert verify_here(client, json.loads(new.credential)).verdict == "valid"
    award_to(session, runtime, APL_I_II[1], score=99)
    assert len(stack_awards(session, "apl-i-ii")) == 2
    # Revoked again, and earned again: a third.
    status_service.revoke(session, runtime, again, REASON, ACTOR)
    assert reloaded(session, new).status == "revoked"
    award_to(session, runtime, APL_I_II[0])
    # Same-second rows again: their order is the database's to choose.
    assert sorted(r.status for r in stack_awards(session, "apl-i-ii")) == [
        "active",
        "revoked",
        "revoked",
    ]


def test_a_stack_credential_an_operator_revoked_is_not_issued_again(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    status_service.revoke(session, runtime, stack, "issued in error", ACTOR)
    award_to(session, runtime, APL_I_II[0], score=99)
    assert [r.id for r in stack_awards(session, "apl-i-ii")] == [stack.id]
    assert (
        stacks.issue_completed_stacks(session=session, runtime=runtime, recipient_email=EDUCATOR)
        == []
    )


def test_the_vc_api_status_path_says_what_it_did_to_the_stack_credential(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    client: TestClient,
    auth: dict[str, str],
) -> None:
    components, stack = complete_apl_i_ii(session, runtime)
    response = status(client, auth, runtime.urls.credential(components[3].id), "revoked")
    assert response.status_code == 200, response.text
    [effect] = response.json()["stacks"]
    assert (effect["id"], effect["outcome"], effect["status"]) == (
        str(stack.id),
        "revoked",
        "revoked",
    )
    assert reloaded(session, stack).status == "revoked"
    assert bits(client, stack)["revocation"] == 1


def test_revision_0005_adds_the_cause_and_downgrades(fresh_engine: Engine) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in inspect(fresh_engine).get_columns("status_event")}

    config = alembic_config(fresh_engine)
    command.upgrade(config, "0004")
    assert "cause_award_id" not in columns()
    command.upgrade(config, "0005")
    assert "cause_award_id" in columns()
    command.downgrade(config, "0004")
    assert "cause_award_id" not in columns()
    migrate(fresh_engine)
    assert "cause_award_id" in columns()


def test_a_stack_that_counted_a_stack_credential_follows_it(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    data = StackCreate.model_validate(
        {
            "slug": "apl-plus",
            "name": "APL I-II and Social-Emotional Learning",
            "description": "The APL I-II stack credential and one more micro-credential.",
            "requirements": [
                {
                    "type": "stack",
                    "id": "apl",
                    "name": "APL I-II",
                    "anyVersionOf": [f"{BASE_URL}/achievements/apl-i-ii"],
                    "issuers": [issuer.did],
                },
                {
                    "type": "component",
                    "id": "sel",
                    "name": "Social-Emotional Learning",
                    "anyVersionOf": [f"{BASE_URL}/achievements/{APL_II_III_REQUIRED[0]}"],
                    "issuers": [issuer.did],
                },
            ],
        }
    )
    stacks.create_stack(session=session, runtime=runtime, issuer=issuer, data=data)
    award_to(session, runtime, APL_II_III_REQUIRED[0])
    components = [award_to(session, runtime, slug) for slug in APL_I_II[:-1]]
    last = award_outcome(session, runtime, APL_I_II[-1])
    components.append(last.award)
    [apl] = stack_awards(session, "apl-i-ii")
    [outer] = stack_awards(session, "apl-plus")
    # the last component's outcome names both: the stack it completed, and the one that did
    assert [s.id for s in last.stacks_issued] == [apl.id, outer.id]
    assert runtime.urls.credential(apl.id) in {e["url"] for e in outer.evidence}

    change = status_service.revoke(session, runtime, components[0], REASON, ACTOR)
    assert [(e.award_id, e.outcome) for e in change.stacks] == [
        (apl.id, "revoked"),
        (outer.id, "revoked"),
    ]
    assert reloaded(session, outer).status == "revoked"
    [event] = audit_of(session, outer)
    assert event.reason == f"{named(runtime, apl)} revoked: {REASON}"
    assert event.cause_award_id == apl.id
    assert bits(client, outer)["revocation"] == 1


def test_a_stack_credential_waiting_on_a_suspended_component_is_suspended_not_revoked(
    session: Session, runtime: Runtime, issuer: Issuer, client: TestClient
) -> None:
    """Its rule is unmet only while a component is under review: a revoked elective then
    suspends it (a suspension is not a verdict), and lifting the review restores it."""
    elective_pathway(session, runtime, issuer)
    award_to(session, runtime, APL_II_III_REQUIRED[0])
    first, second = (award_to(session, runtime, s) for s in APL_II_III_ELECTIVES[:2])
    [stack] = stack_awards(session, "elective-pathway")
    award_to(session, runtime, APL_II_III_ELECTIVES[2])
    [effect] = status_service.suspend(session, runtime, first, "under review", ACTOR).stacks
    assert effect.outcome == "kept"  # the second and third electives
    [effect] = status_service.revoke(session, runtime, second, REASON, ACTOR).stacks
    assert (effect.outcome, effect.previous_status, effect.status) == (
        "suspended",
        "active",
        "suspended",
    )
    [event] = audit_of(session, stack)
    assert (event.action, event.cause_award_id) == ("suspend", second.id)
    assert event.reason == f"{named(runtime, second)} revoked: {REASON}"
    assert bits(client, stack) == {"revocation": 0, "suspension": 1}
    [effect] = status_service.unsuspend(session, runtime, first, "review done", ACTOR).stacks
    assert (effect.outcome, effect.status) == ("unsuspended", "active")
    assert bits(client, stack) == {"revocation": 0, "suspension": 0}
