"""Stacks in the issuer: the demo stacks and their rules, automatic stack credentials (exactly
once), what does not count, new versions. On SQLite and PostgreSQL (the issuer fixtures)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.models import Award, Issuer, StackRuleRecord
from issuer.runtime import Runtime
from issuer.services import stacks
from issuer.services.catalog import get_achievement, list_achievements
from issuer.services.demo import load_demo_catalog
from issuer.services.status import revoke, suspend
from schemas.models import AchievementCredential
from schemas.stack_rule import digest_matches, parse_rule, rule_digest
from schemas.validation import validate_credential
from tests.issuer.stack_support import (
    APL_I_II,
    APL_II_III_ELECTIVES,
    APL_II_III_REQUIRED,
    EDUCATOR,
    OTHER_EDUCATOR,
    award_to,
    stack_awards,
)
from tests.issuer.support import BASE_URL, ISSUER


def stack_credential(session: Session, slug: str = "apl-i-ii") -> dict[str, Any]:
    [row] = stack_awards(session, slug)
    return json.loads(row.credential)


def complete_apl_i_ii(session: Session, runtime: Runtime, email: str = EDUCATOR) -> list[Award]:
    return [award_to(session, runtime, slug, email=email) for slug in APL_I_II]


# ------------------------------------------------------------------------------ the demo stacks


def test_the_demo_catalog_has_the_two_apl_stacks(session: Session, issuer: Issuer) -> None:
    slugs = {row.slug for row in list_achievements(session)}
    assert {"apl-i-ii", "apl-ii-iii"} <= slugs
    assert len(slugs) == 15  # 13 micro-credentials and 2 stacks
    for slug in ("apl-i-ii", "apl-ii-iii"):
        stack = stacks.get_stack(session, slug)
        document = stack.achievement.document
        assert document["achievementType"] == "License"
        assert document["criteria"]["id"] == f"{BASE_URL}/achievements/{slug}/v1/rule.json"
        assert stack.rule.id == document["criteria"]["id"]
        assert stack.rule.achievement == document["id"]
        assert stack.rule.version == 1
        assert "85%" in document["criteria"]["narrative"]
    apl = stacks.get_stack(session, "apl-i-ii").rule
    assert [r.id for r in apl.requirements] == list(APL_I_II)
    for requirement in apl.requirements:
        assert requirement.minResult is not None and requirement.minResult.value == "85"
        assert [i.id for i in requirement.issuers or []] == [issuer.did]
    level3 = stacks.get_stack(session, "apl-ii-iii").rule
    assert [r.id for r in level3.requirements] == [
        *APL_II_III_REQUIRED,
        "electives",
        "masters-degree",
    ]
    electives = level3.requirements[2]
    assert electives.n == 2 and [o.id for o in electives.of] == list(APL_II_III_ELECTIVES)
    masters = level3.requirements[3]
    assert masters.achievementType == ["MasterDegree"] and masters.issuers is None
    narrative = stacks.get_stack(session, "apl-ii-iii").achievement.document["criteria"]
    assert "any 2 of the following 6" in narrative["narrative"]


def test_loading_the_demo_catalog_again_adds_nothing(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    assert load_demo_catalog(session=session, runtime=runtime, issuer=issuer) == []


def test_the_rule_is_served_byte_for_byte_as_digested(
    client: TestClient, session: Session, issuer: Issuer
) -> None:
    stack = stacks.get_stack(session, "apl-i-ii")
    response = client.get("/achievements/apl-i-ii/v1/rule.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "immutable" in response.headers["cache-control"]
    assert response.content == stack.record.rule.encode()
    assert digest_matches(stack.record.digest, response.content) is True
    assert rule_digest(parse_rule(response.content)) == stack.record.digest
    assert client.get("/achievements/classroom-environment/v1/rule.json").status_code == 404
    assert client.get("/achievements/apl-i-ii/v9/rule.json").status_code == 404
    assert client.get("/achievements/apl-i-ii/latest/rule.json").status_code == 404


# ------------------------------------------------------------------------------ issuing


def test_the_fifth_apl_i_ii_component_issues_the_stack_credential_once(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    components = [award_to(session, runtime, slug) for slug in APL_I_II[:4]]
    assert stack_awards(session, "apl-i-ii") == []
    components.append(award_to(session, runtime, APL_I_II[4]))
    credential = stack_credential(session)
    assert validate_credential(credential) == []
    AchievementCredential.model_validate(credential)
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE_URL}/achievements/apl-i-ii/v1"
    assert achievement["achievementType"] == "License"
    assert credential["issuer"]["id"] == issuer.did
    # One evidence entry per component: its id URL, its name, and its achievement.
    evidence = credential["evidence"]
    assert [e["id"] for e in evidence] == [runtime.urls.credential(c.id) for c in components]
    for entry, component in zip(evidence, components, strict=True):
        stored = json.loads(component.credential)
        ach = stored["credentialSubject"]["achievement"]
        assert entry["type"] == ["Evidence"]
        assert entry["name"] == stored["name"]
        assert entry["description"] == f"{ach['name']} ({ach['id']})"
    # The rule is pinned with VC 2.0 relatedResource, and the rule is what is served.
    record = session.get(StackRuleRecord, get_achievement(session, "apl-i-ii").id)
    assert credential["relatedResource"] == [
        {
            "id": achievement["criteria"]["id"],
            "digestSRI": record.digest,
            "mediaType": "application/json",
        }
    ]
    # The same educator: the same email (hashed with the stack credential's own salt).
    from schemas.models import IdentityObject

    [identity] = credential["credentialSubject"]["identifier"]
    assert IdentityObject.model_validate(identity).matches(EDUCATOR)
    assert credential["credentialSubject"]["name"] == "María López"
    # More awards issue nothing more.
    award_to(session, runtime, APL_I_II[0], score=99)
    assert len(stack_awards(session, "apl-i-ii")) == 1
    assert (
        stacks.issue_completed_stacks(session=session, runtime=runtime, recipient_email=EDUCATOR)
        == []
    )


def test_components_of_two_educators_do_not_add_up(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    for slug in APL_I_II[:3]:
        award_to(session, runtime, slug)
    for slug in APL_I_II[3:]:
        award_to(session, runtime, slug, email=OTHER_EDUCATOR)
    assert stack_awards(session, "apl-i-ii") == []
    assert stack_awards(session, "apl-i-ii", OTHER_EDUCATOR) == []


@pytest.mark.parametrize("change", [revoke, suspend])
def test_a_revoked_or_suspended_component_does_not_count(
    session: Session, runtime: Runtime, issuer: Issuer, change: Any
) -> None:
    first = award_to(session, runtime, APL_I_II[0])
    for slug in APL_I_II[1:4]:
        award_to(session, runtime, slug)
    change(session, runtime, first, "assessor error", "test")
    award_to(session, runtime, APL_I_II[4])
    assert stack_awards(session, "apl-i-ii") == []
    stack = stacks.get_stack(session, "apl-i-ii")
    evaluation = stacks.progress(session, stack, EDUCATOR)
    [unmet] = [r for r in evaluation.requirements if not r.met]
    assert unmet.id == APL_I_II[0]
    assert "revoked" in unmet.reason or "suspended" in unmet.reason
    # Earned again, it counts: the stack credential lists the new award, not the old one.
    again = award_to(session, runtime, APL_I_II[0])
    evidence_ids = [e["id"] for e in stack_credential(session)["evidence"]]
    assert runtime.urls.credential(again.id) in evidence_ids
    assert runtime.urls.credential(first.id) not in evidence_ids


def test_progress_says_what_is_missing(session: Session, runtime: Runtime, issuer: Issuer) -> None:
    for slug in APL_I_II[:3]:
        award_to(session, runtime, slug)
    evaluation = stacks.progress(session, stacks.get_stack(session, "apl-i-ii"), EDUCATOR)
    assert not evaluation.met
    assert [r.met for r in evaluation.requirements] == [True, True, True, False, False]
    assert evaluation.requirements[3].reason == (
        "No credential for Culturally and Linguistically Responsive Instruction was found."
    )


def test_a_failing_stack_evaluation_never_undoes_the_award(
    session: Session, runtime: Runtime, issuer: Issuer, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    def broken(**_: Any) -> Any:
        raise RuntimeError("the signing key is away")

    for slug in APL_I_II[:4]:
        award_to(session, runtime, slug)
    monkeypatch.setattr(stacks, "issue_stack", broken)
    last = award_to(session, runtime, APL_I_II[4])
    assert session.get(Award, last.id) is not None
    assert stack_awards(session, "apl-i-ii") == []
    assert "its post-award work (stack credentials) failed" in caplog.text
    assert last.post_award_done_at is None  # owed: a replay or the next start finishes it
    monkeypatch.undo()
    [issued] = stacks.issue_completed_stacks(
        session=session, runtime=runtime, recipient_email=EDUCATOR
    )
    assert issued.achievement_slug == "apl-i-ii"


def test_apl_ii_iii_needs_its_masters_degree(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    for slug in (*APL_II_III_REQUIRED, *APL_II_III_ELECTIVES[:3]):
        award_to(session, runtime, slug)
    assert stack_awards(session, "apl-ii-iii") == []
    evaluation = stacks.progress(session, stacks.get_stack(session, "apl-ii-iii"), EDUCATOR)
    assert [(r.id, r.met) for r in evaluation.requirements] == [
        ("social-emotional-learning", True),
        ("new-mexico-education-acts", True),
        ("electives", True),
        ("masters-degree", False),
    ]
    assert len(evaluation.requirements[2].used) == 2  # two of the three electives count


# ------------------------------------------------------------------------------ versions


def test_a_new_rule_is_a_new_version_and_the_old_rule_stays(
    client: TestClient, auth: dict[str, str], session: Session, issuer: Issuer
) -> None:
    before = client.get("/achievements/apl-i-ii/v1/rule.json").content
    current = client.get(f"/api/issuers/{ISSUER}/stacks/apl-i-ii", headers=auth).json()
    rule = current["rule"]
    body = {
        "name": current["achievement"]["name"],
        "description": current["achievement"]["description"],
        "achievementType": "License",
        "requirements": rule["requirements"][:4],
        "within": {"years": 3},
    }
    response = client.put(f"/api/issuers/{ISSUER}/stacks/apl-i-ii", json=body, headers=auth)
    assert response.status_code == 201, response.text
    v2 = response.json()
    assert v2["version"] == 2 and v2["rule"]["version"] == 2
    assert v2["rule_url"] == f"{BASE_URL}/achievements/apl-i-ii/v2/rule.json"
    assert v2["achievement"]["criteria"]["id"] == v2["rule_url"]
    assert "within 3 years" in v2["achievement"]["criteria"]["narrative"]
    assert client.get("/achievements/apl-i-ii/v1/rule.json").content == before
    served = client.get("/achievements/apl-i-ii/v2/rule.json")
    assert digest_matches(v2["rule_digest"], served.content)
    listed = client.get(f"/api/issuers/{ISSUER}/stacks", headers=auth).json()
    assert {s["slug"]: s["version"] for s in listed} == {"apl-i-ii": 2, "apl-ii-iii": 1}


def test_a_stack_is_created_through_the_api(
    client: TestClient, auth: dict[str, str], issuer: Issuer
) -> None:
    body = {
        "slug": "family-partnership-pathway",
        "name": "Family Partnership Pathway",
        "description": "Family Engagement and Assessment Literacy, within two years.",
        "requirements": [
            {
                "type": "component",
                "id": "fe",
                "name": "Family Engagement",
                "anyVersionOf": [f"{BASE_URL}/achievements/family-engagement"],
                "issuers": [issuer.did],
                "minResult": {"resultType": "Percent", "value": 90},
            },
            {
                "type": "component",
                "id": "al",
                "name": "Assessment Literacy",
                "anyVersionOf": [f"{BASE_URL}/achievements/assessment-literacy"],
                "issuers": [issuer.did],
            },
        ],
        "within": {"years": 2},
        "order": True,
    }
    response = client.post(f"/api/issuers/{ISSUER}/stacks", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["achievement"]["achievementType"] == "Certificate"
    assert created["rule"]["requirements"][0]["minResult"] == {
        "resultType": "Percent",
        "value": "90",
    }
    assert client.post(f"/api/issuers/{ISSUER}/stacks", json=body, headers=auth).status_code == 409
    bad = {
        **body,
        "slug": "bad-stack",
        "requirements": [
            {"type": "choose", "id": "x", "name": "X", "n": 3, "of": body["requirements"]}
        ],
    }
    refused = client.post(f"/api/issuers/{ISSUER}/stacks", json=bad, headers=auth)
    assert refused.status_code == 422
    assert "chooses 3 of only 2" in refused.text


def test_stack_admin_needs_the_right_scopes(
    client: TestClient, session: Session, issuer: Issuer
) -> None:
    from issuer.models import Scope
    from issuer.services.apikeys import create_api_key
    from tests.issuer.support import bearer

    _, issue_only = create_api_key(session=session, name="lms", scopes=[Scope.issue], issuer=issuer)
    headers = bearer(issue_only)
    assert client.get(f"/api/issuers/{ISSUER}/stacks", headers=headers).status_code == 200
    body = {
        "slug": "x",
        "name": "X",
        "description": "X",
        "requirements": [
            {"type": "component", "id": "a", "name": "A", "achievementType": ["MasterDegree"]}
        ],
    }
    assert (
        client.post(f"/api/issuers/{ISSUER}/stacks", json=body, headers=headers).status_code == 403
    )
    assert client.get(f"/api/issuers/{ISSUER}/stacks").status_code == 401
