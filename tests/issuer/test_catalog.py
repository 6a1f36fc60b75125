"""The catalog: the New Mexico APL demo data, versioning, public pages, refused input."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.demo_catalog import (
    APL_I_II,
    APL_II_III_ELECTIVES,
    APL_II_III_REQUIRED,
    DEMO_ACHIEVEMENTS,
)
from issuer.runtime import Runtime
from issuer.services.catalog import list_achievements
from issuer.services.demo import load_demo_catalog
from schemas.models import Achievement
from tests.issuer.support import award_http, make_issuer

SLUGS = [
    "classroom-environment",
    "multi-layered-systems-of-support",
    "assessment-literacy",
    "culturally-linguistically-responsive-instruction",
    "family-engagement",
    "social-emotional-learning",
    "new-mexico-education-acts",
    "restorative-practices",
    "vocabulary-development-through-cognates",
    "engaging-students-in-learning",
    "mentoring-coaching-teachers",
    "trauma-informed-classroom",
    "building-collaborative-inclusive-teams",
]

MINIMAL: dict[str, Any] = {
    "slug": "new-course",
    "name": "Reading Foundations",
    "description": "The educator teaches foundational reading skills.",
    "criteria": {"narrative": "Submit a scored lesson."},
}


def test_the_demo_catalog_is_new_mexicos_apl(session: Session, issuer) -> None:
    rows = {r.slug: r.document for r in list_achievements(session)}
    stacks = {"apl-i-ii", "apl-ii-iii"}  # made of these (tests/issuer/test_stacks.py)
    assert sorted(rows) == sorted([*SLUGS, *stacks])
    rows = {slug: document for slug, document in rows.items() if slug not in stacks}
    assert list(APL_I_II) == SLUGS[:5]
    assert list(APL_II_III_REQUIRED) == SLUGS[5:7]
    assert list(APL_II_III_ELECTIVES) == SLUGS[7:]
    codes = lambda slug: [a["targetCode"] for a in rows[slug].get("alignment", [])]  # noqa: E731
    assert codes("classroom-environment") == ["1B", "1E", "2C"]
    assert codes("social-emotional-learning") == ["1B", "2A", "2B", "2C", "2D", "3A", "3B", "4C"]
    for slug, document in rows.items():
        Achievement.model_validate(document)
        assert document["achievementType"] == "MicroCredential"
        [mastery, rubric] = document["resultDescription"]
        assert (mastery["resultType"], mastery["requiredValue"]) == ("Percent", "85")
        assert [lv["name"] for lv in rubric["rubricCriterionLevel"]][:2] == [
            "Exemplary",
            "Proficient",
        ]
        assert document["creditsAvailable"] == 1.0
        assert document["humanCode"].startswith(("APL-I-II-", "APL-II-III-"))
        assert document["id"] == f"https://issuer.test/achievements/{slug}/v1"
    assert len({a.human_code for a in DEMO_ACHIEVEMENTS}) == 13


def test_loading_the_demo_catalog_again_changes_nothing(
    session: Session, runtime: Runtime, issuer
) -> None:
    assert load_demo_catalog(session=session, runtime=runtime, issuer=issuer) == []
    assert len(list_achievements(session)) == 15  # 13 micro-credentials and 2 stacks


def test_achievement_json_page_and_image(client: TestClient, issuer) -> None:
    url = "/achievements/classroom-environment/v1"
    negotiated = client.get(url, headers={"accept": "application/json"})
    document = negotiated.json()
    assert document == client.get(url + ".json").json()
    # the JSON chosen by Accept says so, as the page does: a cache keeps the two apart
    assert "Accept" in negotiated.headers["vary"]
    assert "vary" not in client.get(url + ".json").headers
    profile = client.get("/issuers/nm-ped", headers={"accept": "application/json"})
    assert profile.json()["type"] and "Accept" in profile.headers["vary"]
    assert document["name"] == "Classroom Environment"
    page = client.get(url)
    assert page.headers["content-type"].startswith("text/html")
    assert (
        'id="criteria"' in page.text and "85" in page.text and "Elevate NM Domain 1B" in page.text
    )
    image = client.get(document["image"]["id"].removeprefix("https://issuer.test"))
    assert image.headers["content-type"] == "image/svg+xml" and "<svg" in image.text
    assert client.get("/achievements/classroom-environment/v9").status_code == 404
    assert client.get("/achievements/nope/v1").status_code == 404
    assert client.get("/achievements/classroom-environment/latest").status_code == 404


def test_create_edit_and_versions(client: TestClient, auth, issuer) -> None:
    created = client.post("/api/issuers/nm-ped/achievements", json=MINIMAL, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["achievement"]["criteria"]["id"].endswith("/new-course/v1#criteria")
    listing = client.get("/api/issuers/nm-ped/achievements", headers=auth).json()
    assert "new-course" in [a["slug"] for a in listing]

    v1 = client.get("/achievements/classroom-environment/v1.json").json()
    before = award_http(client, auth)
    edited = copy.deepcopy(v1)
    content = {
        "name": "Classroom Environment",
        "description": "Revised: respect, rapport and well-managed procedures.",
        "criteria": {"narrative": "Revised criteria."},
        "resultDescription": [
            {"key": "mastery", "name": "Mastery", "resultType": "Percent", "requiredValue": 90}
        ],
        "tag": ["revised"],
    }
    response = client.put(
        "/api/issuers/nm-ped/achievements/classroom-environment", json=content, headers=auth
    )
    assert response.status_code == 201, response.text
    v2 = response.json()
    assert (v2["version"], v2["current"]) == (2, True)
    assert v2["id"] == "https://issuer.test/achievements/classroom-environment/v2"
    assert v2["achievement"]["resultDescription"][0]["requiredValue"] == "90"

    # version 1 is served unchanged, and says a newer version exists
    assert client.get("/achievements/classroom-environment/v1.json").json() == v1
    assert "a newer version exists" in client.get("/achievements/classroom-environment/v1").text
    redirect = client.get("/achievements/classroom-environment", follow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["location"].endswith("/v2")
    versions = client.get(
        "/api/issuers/nm-ped/achievements/classroom-environment/versions", headers=auth
    ).json()
    assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]

    # credentials issued before keep what they said; new ones embed version 2
    old = client.get(f"/credentials/{before['id']}.json").json()
    assert old["credentialSubject"]["achievement"] == edited
    assert (
        client.post(
            "/api/issuers/nm-ped/awards",
            json={**_award(), "score": 88, "rubric_level": None},
            headers=auth,
        ).status_code
        == 422
    )  # v2 needs 90
    after = award_http(client, auth, score=95, rubric_level=None)
    assert after["credential"]["credentialSubject"]["achievement"]["id"].endswith("/v2")


def _award() -> dict[str, Any]:
    from tests.issuer.support import GOOD_AWARD

    return dict(GOOD_AWARD)


def test_slugs_are_unique_across_issuers(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime
) -> None:
    make_issuer(session, runtime, "district")
    taken = {**MINIMAL, "slug": "classroom-environment"}
    response = client.post("/api/issuers/district/achievements", json=taken, headers=auth)
    assert response.status_code == 409
    other = client.put(
        "/api/issuers/district/achievements/classroom-environment",
        json={k: v for k, v in MINIMAL.items() if k != "slug"},
        headers=auth,
    )
    assert other.status_code == 404


BAD_ACHIEVEMENTS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "slug": (("slug",), {"slug": "Has Spaces"}),
    "name": (("name",), {"name": ""}),
    "description": (("description",), {"description": None}),
    "achievementType": (("achievementType",), {"achievementType": "Trophy"}),
    "criteria": (("criteria",), {"criteria": {}}),
    "criteria.id": (("criteria", "id"), {"criteria": {"id": "not a url"}}),
    "image": (("image", "id"), {"image": {"id": "ftp://x/y.png"}}),
    "alignment.targetUrl": (("alignment", 0, "targetUrl"), {"alignment": [{"targetName": "x"}]}),
    "alignment.targetType": (
        ("alignment", 0, "targetType"),
        {"alignment": [{"targetName": "x", "targetUrl": "https://x.example", "targetType": "Foo"}]},
    ),
    "resultType": (
        ("resultDescription", 0, "resultType"),
        {"resultDescription": [{"name": "Score", "resultType": "Vibes"}]},
    ),
    "requiredValue": (
        ("resultDescription", 0, "requiredValue"),
        {"resultDescription": [{"name": "S", "resultType": "Percent", "requiredValue": "high"}]},
    ),
    "requiredValue range": (
        ("resultDescription", 0, "requiredValue"),
        {
            "resultDescription": [
                {"name": "S", "resultType": "Percent", "requiredValue": 120, "valueMax": 100}
            ]
        },
    ),
    "valueMax": (
        ("resultDescription", 0, "valueMax"),
        {
            "resultDescription": [
                {"name": "S", "resultType": "Percent", "valueMin": 50, "valueMax": 10}
            ]
        },  # fmt: skip
    ),
    "requiredLevel": (
        ("resultDescription", 0, "requiredLevel"),
        {
            "resultDescription": [
                {
                    "name": "Level",
                    "resultType": "RubricCriterionLevel",
                    "requiredLevel": "gold",
                    "rubricCriterionLevel": [{"name": "Silver"}],
                }
            ]
        },
    ),
    "result keys": (
        ("resultDescription", 1, "key"),
        {
            "resultDescription": [
                {"name": "Score", "resultType": "Percent"},
                {"name": "score", "resultType": "RawScore"},
            ]
        },
    ),
    "creditsAvailable": (("creditsAvailable",), {"creditsAvailable": -1}),
    "tag": (("tag", 0), {"tag": [""]}),
    "fieldOfStudy": (("fieldOfStudy",), {"fieldOfStudy": "x" * 201}),
    "humanCode": (("humanCode",), {"humanCode": "APL\x07"}),
    "inLanguage": (("inLanguage",), {"inLanguage": "english!"}),
    "specialization": (("specialization",), {"specialization": 5}),
    "unknown field": (("colour",), {"colour": "blue"}),
}


@pytest.mark.parametrize("case", BAD_ACHIEVEMENTS, ids=list(BAD_ACHIEVEMENTS))
def test_bad_achievement_input_is_refused_naming_the_field(
    client: TestClient, auth, issuer, case: str
) -> None:
    loc, change = BAD_ACHIEVEMENTS[case]
    body = {k: v for k, v in {**MINIMAL, **change}.items() if v is not None}
    response = client.post("/api/issuers/nm-ped/achievements", json=body, headers=auth)
    assert response.status_code == 422, response.text
    locs = [tuple(e["loc"][1:]) for e in response.json()["detail"]]
    assert any(found[: len(loc)] == loc for found in locs), (loc, response.json())
    assert all(e["msg"] for e in response.json()["detail"])
