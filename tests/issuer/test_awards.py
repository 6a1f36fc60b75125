"""Awards over HTTP: what is issued, what is refused, idempotency, concurrency, privacy."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from issuer.app import create_app
from issuer.models import Award, AwardCreate
from issuer.runtime import Runtime
from issuer.services.awards import award
from issuer.services.context import SigningContext
from issuer.services.errors import IssuanceFailed
from keys.suites.vc_jwt import verify_jwt
from schemas.models import AchievementCredential, IdentityObject
from schemas.validation import validate_credential
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, award_http, verified_by

AWARDS = f"/api/issuers/{ISSUER}/awards"


def count_awards(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Award)).one()


def test_an_award_is_a_signed_ob3_credential(client: TestClient, auth, issuer, resolver) -> None:
    response = client.post(AWARDS, json=GOOD_AWARD, headers=auth)
    assert response.status_code == 201, response.text
    body = response.json()
    credential = body["credential"]
    assert "jwt" not in body
    assert validate_credential(credential) == []
    AchievementCredential.model_validate(credential)

    assert credential["id"] == f"{BASE_URL}/credentials/{body['id']}" == body["url"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][1:] == [
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ]
    assert credential["issuer"]["id"] == issuer.did
    assert credential["awardedDate"] == credential["validFrom"]
    assert credential["credentialSchema"] == [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    proof = credential["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "eddsa-rdfc-2022")
    assert verified_by(credential, resolver).startswith(issuer.did + "#z6Mk")

    subject = credential["credentialSubject"]
    assert "id" not in subject  # no DID given: identified by the hashed email only
    [identity] = subject["identifier"]
    assert identity["identityHash"].startswith("sha256$") and identity["salt"]
    assert IdentityObject.model_validate(identity).matches("maria.lopez@schools.nm.example")
    assert "maria" not in json.dumps(subject["identifier"]).lower()
    assert subject["name"] == "María López"
    assert subject["achievement"]["id"] == f"{BASE_URL}/achievements/classroom-environment/v1"
    rd = {r["resultType"]: r["id"] for r in subject["achievement"]["resultDescription"]}
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": rd["Percent"], "value": "92"},
        {
            "type": ["Result"],
            "resultDescription": rd["RubricCriterionLevel"],
            "achievedLevel": rd["RubricCriterionLevel"] + "-level-proficient",
        },
    ]
    assert subject["creditsEarned"] == 1.0
    # only the evidence without student data is published; the assessor never is
    assert credential["evidence"] == [
        {
            "id": "https://lms.nm.example/submissions/4411",
            "type": ["Evidence"],
            "name": "Scored submission",
        }
    ]
    assert "Rivera" not in json.dumps(credential)


def test_the_vc_jwt_form(client: TestClient, auth, issuer, resolver) -> None:
    body = client.post(AWARDS + "?format=jwt", json=GOOD_AWARD, headers=auth).json()
    assert "credential" not in body
    checked = verify_jwt(body["jwt"], resolver=resolver)
    assert checked.header["alg"] == "ES256"
    assert checked.method.id.startswith(issuer.did + "#zDn")
    assert checked.claims["iss"] == issuer.did
    assert checked.claims["jti"] == body["url"]
    stored = client.get(f"/credentials/{body['id']}.json").json()
    assert checked.credential == stored  # the JWT carries the LD-signed credential


def test_a_recipient_did_becomes_the_subject_id_and_jwt_sub(
    client: TestClient, auth, issuer, resolver
) -> None:
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    body = award_http(client, auth, recipient_did=did)
    assert body["credential"]["credentialSubject"]["id"] == did
    token = client.get(f"/credentials/{body['id']}.jwt").text
    assert verify_jwt(token, resolver=resolver, require_sub=True).claims["sub"] == did


def test_dates_and_activity_period(client: TestClient, auth, issuer) -> None:
    body = award_http(
        client,
        auth,
        awarded_date="2026-09-30T17:00:00-06:00",
        activity_start_date="2026-07-01T00:00:00Z",
        activity_end_date="2026-09-15T00:00:00Z",
    )
    credential = body["credential"]
    assert credential["validFrom"] == credential["awardedDate"] == "2026-09-30T23:00:00Z"
    subject = credential["credentialSubject"]
    assert subject["activityStartDate"] == "2026-07-01T00:00:00Z"
    assert subject["activityEndDate"] == "2026-09-15T00:00:00Z"


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"score": 84}, "score", "below the pass mark of 85"),
        ({"score": 84.99}, "score", "below the pass mark"),
        ({"score": None}, "score", "a score is required"),
        ({"score": "ninety"}, "score", "not a number"),
        ({"score": 101}, "score", "outside 0..100"),
        ({"rubric_level": "legendary"}, "rubric_level", "not a rubric level"),
        ({"achievement": "no-such-thing"}, "achievement", "no achievement"),
        ({"awarded_date": "2099-01-01T00:00:00Z"}, "awarded_date", "future"),
    ],
)
def test_the_pass_rule_and_the_catalog_refuse(
    client: TestClient, auth, issuer, engine: Engine, change: dict, loc: str, message: str
) -> None:
    body = {k: v for k, v in {**GOOD_AWARD, **change}.items() if v is not None}
    response = client.post(AWARDS, json=body, headers=auth)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", loc]
    assert message in error["msg"]
    assert count_awards(engine) == 0


BAD_FIELDS: dict[str, tuple[str, Any]] = {
    "achievement": ("achievement", "Classroom Environment"),
    "recipient_name empty": ("recipient_name", "  "),
    "recipient_name control": ("recipient_name", "Ana\x00"),
    "recipient_name long": ("recipient_name", "A" * 201),
    "recipient_email": ("recipient_email", "maria at schools"),
    "recipient_email type": ("recipient_email", 42),
    "recipient_did": ("recipient_did", "https://example.org/me"),
    "score bool": ("score", True),
    "score list": ("score", [92]),
    "rubric_level": ("rubric_level", ""),
    "evidence url": ("evidence", [{"url": "file:///etc/passwd"}]),
    "evidence empty": ("evidence", [{}]),
    "evidence flag": ("evidence", [{"name": "x", "contains_student_data": "maybe"}]),
    "evidence extra": ("evidence", [{"name": "x", "public": True}]),
    "evidence not a list": ("evidence", "a video"),
    "assessor": ("assessor", "x" * 500),
    "awarded_date naive": ("awarded_date", "2026-09-30T10:00:00"),
    "awarded_date garbage": ("awarded_date", "last tuesday"),
    "activity_start_date": ("activity_start_date", "soon"),
    "activity_end_date": ("activity_end_date", "2026-01-01"),
    "idempotency_key": ("idempotency_key", "has spaces"),
    "unknown field": ("recipient_emial", "typo@x.org"),
}


@pytest.mark.parametrize("case", BAD_FIELDS, ids=list(BAD_FIELDS))
def test_bad_input_of_every_field_is_refused_naming_it(
    client: TestClient, auth, issuer, case: str
) -> None:
    field, value = BAD_FIELDS[case]
    response = client.post(AWARDS, json={**GOOD_AWARD, field: value}, headers=auth)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(field in e["loc"] for e in errors), errors
    assert all(e["msg"] for e in errors)


def test_required_fields_and_activity_order(client: TestClient, auth, issuer) -> None:
    for field in ("achievement", "recipient_name", "recipient_email"):
        body = {k: v for k, v in GOOD_AWARD.items() if k != field}
        response = client.post(AWARDS, json=body, headers=auth)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]
    backwards = {
        **GOOD_AWARD,
        "activity_start_date": "2026-09-01T00:00:00Z",
        "activity_end_date": "2026-08-01T00:00:00Z",
    }
    response = client.post(AWARDS, json=backwards, headers=auth)
    assert response.status_code == 422
    assert "before activity_start_date" in response.json()["detail"][0]["msg"]
    assert client.post(AWARDS, content="{not json", headers=auth).status_code == 422


def test_an_achievement_of_another_issuer_cannot_be_awarded(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime
) -> None:
    from tests.issuer.support import make_issuer

    make_issuer(session, runtime, "district")
    response = client.post("/api/issuers/district/awards", json=GOOD_AWARD, headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "achievement"]


# ------------------------------------------------------------------------------ idempotency


def test_the_same_idempotency_key_returns_the_same_credential(
    client: TestClient, auth, issuer, engine: Engine
) -> None:
    headers = {**auth, "Idempotency-Key": "lms-submission-4411"}
    first = client.post(AWARDS, json=GOOD_AWARD, headers=headers)
    again = client.post(AWARDS, json=GOOD_AWARD, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    in_body = client.post(
        AWARDS, json={**GOOD_AWARD, "idempotency_key": "lms-submission-4411"}, headers=auth
    )
    assert in_body.status_code == 200 and in_body.json()["id"] == first.json()["id"]
    assert count_awards(engine) == 1

    different = client.post(AWARDS, json={**GOOD_AWARD, "score": 99}, headers=headers)
    assert different.status_code == 409
    assert "different award" in different.json()["detail"]
    clash = client.post(AWARDS, json={**GOOD_AWARD, "idempotency_key": "other"}, headers=headers)
    assert clash.status_code == 422
    assert client.post(AWARDS, json=GOOD_AWARD, headers=auth).status_code == 201  # no key: new
    assert count_awards(engine) == 2


def test_concurrent_retries_make_one_credential(
    client: TestClient, auth, issuer, engine: Engine
) -> None:
    headers = {**auth, "Idempotency-Key": "retry-storm"}

    def post(_: int) -> tuple[int, str]:
        response = client.post(AWARDS, json=GOOD_AWARD, headers=headers)
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, range(16)))
    assert {credential_id for _, credential_id in results} == {results[0][1]}
    assert sorted(code for code, _ in results) == [200] * 15 + [201]
    assert count_awards(engine) == 1


def test_concurrent_retries_through_the_service_with_separate_sessions(
    runtime: Runtime, engine: Engine, issuer
) -> None:
    """The race the unique constraint settles: no shared session, no HTTP in between."""
    request = AwardCreate.model_validate({**GOOD_AWARD, "idempotency_key": "race"})

    def issue(_: int) -> tuple[str, bool]:
        with Session(engine) as session:
            outcome = award(session=session, runtime=runtime, issuer=ISSUER, request=request)
            return str(outcome.award.id), outcome.created

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(issue, range(12)))
    assert len({r[0] for r in results}) == 1
    assert sum(created for _, created in results) == 1
    assert count_awards(engine) == 1


def test_concurrent_awards_are_all_issued_and_verify(
    client: TestClient, auth, issuer, engine: Engine, resolver
) -> None:
    def post(n: int) -> dict[str, Any]:
        return award_http(client, auth, recipient_email=f"educator{n}@schools.nm.example")

    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(post, range(24)))
    assert len({b["id"] for b in bodies}) == 24
    assert count_awards(engine) == 24
    for body in bodies[:6]:
        verified_by(body["credential"], resolver)


# ------------------------------------------------------------------------------ pre-sign hooks


def test_pre_sign_hooks_run_before_signing_inside_the_transaction(
    settings, engine: Engine, runtime: Runtime, issuer, auth, resolver, fetcher
) -> None:
    seen: list[tuple[str, str]] = []  # what the hook saw (its context is valid while it runs)

    def add_terms(credential: dict[str, Any], context: SigningContext) -> dict[str, Any]:
        seen.append((str(context.award.id), context.achievement.slug))
        return {**credential, "description": f"Issued by {context.issuer.slug}"}

    hooked = create_app(
        settings,
        engine=engine,
        runtime=dataclasses.replace(runtime, pre_sign_hooks=(add_terms,)),
    )
    with TestClient(hooked, base_url=BASE_URL) as client:
        body = award_http(client, auth)
    assert body["credential"]["description"] == "Issued by nm-ped"
    assert seen == [(body["id"], GOOD_AWARD["achievement"])]
    verified_by(body["credential"], resolver)  # the hook's addition is signed


def test_a_failing_hook_or_an_invalid_credential_stores_nothing(
    runtime: Runtime, engine: Engine, issuer
) -> None:
    def breaks_schema(credential: dict[str, Any], _: SigningContext) -> dict[str, Any]:
        return {**credential, "validFrom": "yesterday"}

    broken = dataclasses.replace(runtime, pre_sign_hooks=(breaks_schema,))
    request = AwardCreate.model_validate(GOOD_AWARD)
    with Session(engine) as session, pytest.raises(IssuanceFailed, match="OB 3.0 schema"):
        award(session=session, runtime=broken, issuer=ISSUER, request=request)
    assert count_awards(engine) == 0


# ------------------------------------------------------------------------------ reading back


def test_public_credential_representations(client: TestClient, auth, issuer) -> None:
    body = award_http(client, auth)
    path = f"/credentials/{body['id']}"
    stored = client.get(path + ".json")
    assert stored.headers["content-type"].startswith("application/json")
    assert stored.json() == body["credential"]
    for accept in ("application/vc+ld+json", "application/ld+json", "application/json"):
        response = client.get(path, headers={"accept": accept})
        assert response.headers["content-type"].startswith(accept)
        assert response.json() == body["credential"]
    token = client.get(path + ".jwt")
    assert token.headers["content-type"].startswith("text/plain") and token.text.count(".") == 2
    assert client.get(path, headers={"accept": "text/plain"}).text == token.text
    page = client.get(path, headers={"accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html")
    assert "María López" in page.text and "Classroom Environment" in page.text
    assert "92%" in page.text and "Proficient" in page.text
    assert client.get(path, headers={"accept": "image/png"}).status_code == 406
    assert client.get("/credentials/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/credentials/not-a-uuid").status_code == 404


def test_public_documents_expose_nothing_beyond_the_credential(
    client: TestClient, auth, issuer
) -> None:
    body = award_http(client, auth)
    public = (
        "".join(
            client.get(path, headers={"accept": accept}).text
            for path in (f"/credentials/{body['id']}", "/issuers/nm-ped", "/")
            for accept in ("text/html", "application/json")
        )
        + client.get(f"/credentials/{body['id']}.jwt").text
    )
    for secret in ("maria.lopez@", "Rivera", "students' faces", "14 September"):
        assert secret.lower() not in public.lower(), secret


def test_admin_listing_and_detail(client: TestClient, auth, issuer) -> None:
    first = award_http(client, auth)
    award_http(client, auth, achievement="family-engagement", recipient_email="b@x.example")
    by_email = {"recipient_email": "MARIA.LOPEZ@schools.nm.example"}
    listing = client.get(AWARDS, headers=auth, params=by_email)
    assert [a["id"] for a in listing.json()] == [first["id"]]
    by_slug = client.get(AWARDS, headers=auth, params={"achievement": "family-engagement"}).json()
    assert [a["achievement"] for a in by_slug] == ["family-engagement"]
    assert "credential" not in by_slug[0]
    detail = client.get(f"{AWARDS}/{first['id']}", headers=auth).json()
    assert detail["credential"] == first["credential"]
    jwt = client.get(f"{AWARDS}/{first['id']}", params={"format": "jwt"}, headers=auth).json()
    assert jwt["jwt"].count(".") == 2
    assert (
        client.get(f"{AWARDS}/{'0' * 8}-0000-4000-8000-{'0' * 12}", headers=auth).status_code == 404
    )


def test_a_time_in_the_past_is_fine(client: TestClient, auth, issuer) -> None:
    past = (datetime.now(UTC) - timedelta(days=400)).replace(microsecond=0)
    body = award_http(client, auth, awarded_date=past.isoformat())
    assert body["credential"]["awardedDate"] == past.strftime("%Y-%m-%dT%H:%M:%SZ")
