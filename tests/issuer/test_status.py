"""Credential status: entries in every credential, published lists, revoke/suspend/unsuspend.

Every test runs on SQLite and PostgreSQL (the ``database_url`` fixture). Our verifier reads
the lists through the app itself (``status_support.app_fetcher``), a fresh fetcher each time,
so what it sees is what a verifier without a cached copy would see.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from issuer.app import create_app
from issuer.models import (
    Award,
    AwardCreate,
    KeyPurpose,
    Scope,
    StatusAllocation,
    StatusList,
)
from issuer.runtime import Runtime
from issuer.services import status as status_service
from issuer.services.apikeys import create_api_key
from issuer.services.awards import award
from issuer.services.errors import Conflict, InvalidInput, IssuanceFailed, NotFound
from issuer.services.issuers import current_key, signing_key
from keys.suites import ProofOptions, add_proof, verify_proofs
from schemas.bitstring import MIN_LIST_ENTRIES, Bitstring
from schemas.dates import as_utc, format_datetime, utcnow
from schemas.loader import bundled_loader
from tests.issuer.status_support import (
    entries,
    list_bit,
    path_of,
    status_check,
    summary,
    verify_here,
    with_settings,
)
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, award_http, bearer, make_issuer

ACTOR = "test:registrar"


def issue(session: Session, runtime: Runtime, n: int = 1, **fields: Any) -> list[dict[str, Any]]:
    """``n`` credentials through the service (what the API and the CLI call)."""
    out = []
    for i in range(n):
        request = AwardCreate.model_validate(
            {**GOOD_AWARD, "recipient_email": f"educator{i}@schools.nm.example", **fields}
        )
        row = award(session=session, runtime=runtime, issuer=ISSUER, request=request).award
        out.append(json.loads(row.credential))
    return out


def short_id(credential: dict[str, Any]) -> str:
    return credential["id"].rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------ entries


def test_every_credential_has_a_revocation_and_a_suspension_entry(
    client: TestClient, auth, issuer
) -> None:
    credential = award_http(client, auth)["credential"]
    status = credential["credentialStatus"]
    assert isinstance(status, list) and len(status) == 2
    by_purpose = entries(credential)
    assert set(by_purpose) == {"revocation", "suspension"}
    for purpose, entry in by_purpose.items():
        assert entry["type"] == "BitstringStatusListEntry"
        assert re.fullmatch(r"[0-9]+", entry["statusListIndex"])  # a base-10 string
        assert 0 <= int(entry["statusListIndex"]) < MIN_LIST_ENTRIES
        url = entry["statusListCredential"]
        assert url.startswith(BASE_URL + "/status/")
        # the list's id in the URL is random, not a counter
        assert len(url.rsplit("/", 1)[1]) >= 16 and not url.rsplit("/", 1)[1].isdigit()
        assert entry["id"] == f"{url}#{entry['statusListIndex']}" != url
        document = client.get(path_of(url)).json()
        assert document["credentialSubject"]["statusPurpose"] == purpose
        assert list_bit(client, entry) == 0
    assert (
        by_purpose["revocation"]["statusListCredential"]
        != by_purpose["suspension"]["statusListCredential"]
    )
    report = verify_here(client, credential)
    assert report.verdict == "valid", summary(report)
    assert status_check(report) == ("passed", "Not revoked. Not suspended.")


def test_indexes_are_random_unique_and_recorded(
    session: Session, runtime: Runtime, engine: Engine, issuer
) -> None:
    credentials = issue(session, runtime, 30)
    for purpose in ("revocation", "suspension"):
        indexes = [int(entries(c)[purpose]["statusListIndex"]) for c in credentials]
        assert len(set(indexes)) == len(indexes)
        assert all(0 <= i < MIN_LIST_ENTRIES for i in indexes)
        assert indexes != sorted(indexes)  # not issue order (chance 1/30! of a false alarm)
    with Session(engine) as check:
        rows = check.exec(select(StatusAllocation)).all()
        assert len(rows) == 60
        by_award = {(str(r.award_id), r.purpose): r.status_index for r in rows}
        for credential in credentials:
            for purpose, entry in entries(credential).items():
                assert by_award[(short_id(credential), purpose)] == int(entry["statusListIndex"])
        lists = check.exec(select(StatusList)).all()
        assert sorted((r.purpose, r.allocated, r.is_full, r.size) for r in lists) == [
            ("revocation", 30, False, MIN_LIST_ENTRIES),
            ("suspension", 30, False, MIN_LIST_ENTRIES),
        ]


def test_a_full_list_rolls_over_to_a_new_one(
    session: Session, runtime: Runtime, engine: Engine, client: TestClient, issuer
) -> None:
    """Rollover at a threshold made low for the test (lists keep their spec size)."""
    small = with_settings(runtime, status_fill_limit=3 / MIN_LIST_ENTRIES)
    assert status_service.StatusPolicy.from_settings(small.settings).rollover_at == 3
    credentials = issue(session, small, 7)
    urls = [entries(c)["revocation"]["statusListCredential"] for c in credentials]
    assert [urls.count(u) for u in dict.fromkeys(urls)] == [3, 3, 1]
    with Session(engine) as check:
        lists = check.exec(
            select(StatusList).where(StatusList.purpose == "revocation").order_by(StatusList.id)
        ).all()
        assert [(r.allocated, r.is_full, r.size) for r in lists] == [
            (3, True, MIN_LIST_ENTRIES),
            (3, True, MIN_LIST_ENTRIES),
            (1, False, MIN_LIST_ENTRIES),
        ]
    for url in dict.fromkeys(urls):  # full lists are still published
        assert client.get(path_of(url)).status_code == 200
    report = verify_here(client, credentials[0])
    assert report.verdict == "valid", summary(report)


def test_an_award_that_fails_frees_its_indexes(
    runtime: Runtime, engine: Engine, session: Session, issuer
) -> None:
    """Allocations of a failed award are rolled back with it, and are not counted."""
    issue(session, runtime)

    def breaks_schema(credential: dict[str, Any], _: Any) -> dict[str, Any]:
        return {**credential, "validFrom": "yesterday"}

    def crashes(credential: dict[str, Any], _: Any) -> dict[str, Any]:
        raise RuntimeError("a hook crashed after the status hook allocated")

    request = AwardCreate.model_validate(GOOD_AWARD)
    broken = dataclasses.replace(runtime, pre_sign_hooks=(*runtime.pre_sign_hooks, breaks_schema))
    with pytest.raises(IssuanceFailed, match="OB 3.0 schema"):
        award(session=session, runtime=broken, issuer=ISSUER, request=request)
    crashing = dataclasses.replace(runtime, pre_sign_hooks=(*runtime.pre_sign_hooks, crashes))
    with pytest.raises(RuntimeError):
        award(session=session, runtime=crashing, issuer=ISSUER, request=request)
    # No rollback by the caller: award() undoes its own failed transaction, so the next award
    # on the same session (as in a batch) commits only its own indexes.
    issue(session, runtime, recipient_email="another.educator@schools.nm.example")
    with Session(engine) as check:
        assert len(check.exec(select(StatusAllocation)).all()) == 4
        assert {r.allocated for r in check.exec(select(StatusList))} == {2}


# ------------------------------------------------------------------------------ the lists


def test_the_list_is_a_signed_cacheable_status_list_credential(
    client: TestClient, auth, issuer, resolver
) -> None:
    credential = award_http(client, auth)["credential"]
    url = entries(credential)["revocation"]["statusListCredential"]
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vc+ld+json"
    assert response.headers["cache-control"] == "public, max-age=300"
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag)  # strong
    document = response.json()
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert document["id"] == url
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["issuer"] == issuer.did
    subject = document["credentialSubject"]
    assert subject["id"] == f"{url}#list"
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert subject["ttl"] == 300_000
    assert Bitstring.decode(subject["encodedList"]).entries == MIN_LIST_ENTRIES
    valid_from = datetime.fromisoformat(document["validFrom"])
    valid_until = datetime.fromisoformat(document["validUntil"])
    assert valid_until - valid_from == timedelta(hours=24)
    [result] = verify_proofs(document, loader=bundled_loader(), resolver=resolver)
    assert result.verified, result.error
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"

    again = client.get(path_of(url), headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(path_of(url)).content == response.content  # not re-signed: same bytes
    assert (
        client.get(path_of(url), headers={"if-none-match": '"other", ' + etag}).status_code == 304
    )
    assert client.get("/status/no-such-list").status_code == 404


def test_changes_are_batched_into_the_next_fetch(
    client: TestClient, auth, issuer, engine: Engine
) -> None:
    credentials = [
        award_http(client, auth, recipient_email=f"b{i}@schools.nm.example")["credential"]
        for i in range(3)
    ]
    url = entries(credentials[0])["revocation"]["statusListCredential"]
    first = client.get(path_of(url))
    for credential in credentials:
        client.post(
            f"/api/issuers/{ISSUER}/credentials/{short_id(credential)}/revoke",
            json={"reason": "awarded in error"},
            headers=auth,
        ).raise_for_status()
    with Session(engine) as check:
        row = check.exec(select(StatusList).where(col(StatusList.purpose) == "revocation")).one()
        assert row.version == 3 and row.signed_version == 0  # three changes, not yet signed
    stale = client.get(path_of(url), headers={"if-none-match": first.headers["etag"]})
    assert stale.status_code == 200 and stale.headers["etag"] != first.headers["etag"]
    assert all(list_bit(client, entries(c)["revocation"]) == 1 for c in credentials)
    with Session(engine) as check:
        row = check.exec(select(StatusList).where(col(StatusList.purpose) == "revocation")).one()
        assert row.signed_version == 3  # one signature for the three
    assert client.get(path_of(url)).headers["etag"] == stale.headers["etag"]


def test_a_list_is_re_signed_before_it_expires(
    settings, engine: Engine, runtime: Runtime, auth, issuer
) -> None:
    now = [utcnow()]
    clocked = dataclasses.replace(runtime, clock=lambda: now[0])
    app = create_app(settings, engine=engine, runtime=clocked)
    with TestClient(app, base_url=BASE_URL) as client:
        credential = award_http(client, auth)["credential"]
        url = entries(credential)["suspension"]["statusListCredential"]
        first = client.get(path_of(url)).json()
        now[0] += timedelta(hours=13)  # less than half of the 24 h left
        renewed = client.get(path_of(url)).json()
    assert renewed["validFrom"] == format_datetime(now[0])
    assert renewed["validUntil"] == format_datetime(now[0] + timedelta(hours=24))
    assert renewed["proof"]["proofValue"] != first["proof"]["proofValue"]
    with Session(engine) as check:
        row = check.exec(select(StatusList).where(col(StatusList.purpose) == "suspension")).one()
        assert row.valid_until is not None
        assert as_utc(row.valid_until) == now[0] + timedelta(hours=24)


# ------------------------------------------------------------------------------ changes


def test_revoke_suspend_unsuspend_through_the_api_and_our_verifier(
    client: TestClient, auth, issuer
) -> None:
    revoked = award_http(client, auth, recipient_email="r@schools.nm.example")["credential"]
    suspended = award_http(client, auth, recipient_email="s@schools.nm.example")["credential"]
    bystander = award_http(client, auth, recipient_email="b@schools.nm.example")["credential"]

    response = client.post(
        f"/api/issuers/{ISSUER}/credentials/{short_id(revoked)}/revoke",
        json={"reason": "awarded in error (wrong cohort)"},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential_id"] == revoked["id"]
    assert (body["previous_status"], body["status"], body["changed"]) == ("active", "revoked", True)
    assert sorted(body["status_lists"]) == sorted(
        e["statusListCredential"] for e in revoked["credentialStatus"]
    )
    report = verify_here(client, revoked)
    assert report.verdict == "invalid"
    assert status_check(report) == ("failed", "The issuer has REVOKED this credential.")
    assert list_bit(client, entries(revoked)["revocation"]) == 1
    assert list_bit(client, entries(revoked)["suspension"]) == 0

    # suspension, by the uuid in upper case
    client.post(
        f"/api/issuers/{ISSUER}/credentials/{short_id(suspended).upper()}/suspend",
        json={"reason": "license suspended pending review"},
        headers=auth,
    ).raise_for_status()
    report = verify_here(client, suspended)
    assert report.verdict == "invalid"
    assert status_check(report) == ("failed", "The issuer has SUSPENDED this credential.")
    assert verify_here(client, bystander).verdict == "valid"

    unsuspended = client.post(
        f"/api/issuers/{ISSUER}/credentials/{short_id(suspended)[:8]}/unsuspend",
        json={"reason": "review closed"},
        headers=auth,
    )
    assert unsuspended.status_code == 200, unsuspended.text
    assert unsuspended.json()["status"] == "active"
    report = verify_here(client, suspended)
    assert report.verdict == "valid", summary(report)

    # the award's status column follows
    states = {
        a["id"]: a["status"]
        for a in client.get(f"/api/issuers/{ISSUER}/awards", headers=auth).json()
    }
    assert states[short_id(revoked)] == "revoked"
    assert states[short_id(suspended)] == "active"


def test_revocation_is_permanent_and_revoking_twice_is_harmless(
    client: TestClient, auth, issuer
) -> None:
    credential = award_http(client, auth)["credential"]
    base = f"/api/issuers/{ISSUER}/credentials/{short_id(credential)}"
    assert client.post(base + "/suspend", json={"reason": "a"}, headers=auth).status_code == 200
    assert client.post(base + "/revoke", json={"reason": "b"}, headers=auth).status_code == 200
    again = client.post(base + "/revoke", json={"reason": "c"}, headers=auth)
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["changed"]) == ("revoked", False)
    for action in ("suspend", "unsuspend"):
        refused = client.post(f"{base}/{action}", json={"reason": "d"}, headers=auth)
        assert refused.status_code == 409
        assert "revocation is permanent" in refused.json()["detail"]
    assert verify_here(client, credential).verdict == "invalid"

    suspended_twice = award_http(client, auth, recipient_email="t@schools.nm.example")
    other = f"/api/issuers/{ISSUER}/credentials/{suspended_twice['id'][:13]}"
    for _ in range(2):
        client.post(other + "/suspend", json={"reason": "x"}, headers=auth).raise_for_status()
    active = client.post(other + "/unsuspend", json={"reason": "y"}, headers=auth).json()
    assert active["status"] == "active"
    idle = client.post(other + "/unsuspend", json={"reason": "y"}, headers=auth).json()
    assert (idle["status"], idle["changed"]) == ("active", False)


def test_api_refusals(client: TestClient, auth, issuer, session: Session, runtime: Runtime) -> None:
    credential = award_http(client, auth)["credential"]
    base = f"/api/issuers/{ISSUER}/credentials"
    unknown = client.post(f"{base}/{uuid.uuid4()}/revoke", json={"reason": "r"}, headers=auth)
    assert unknown.status_code == 404
    assert client.post(f"{base}/abc/revoke", json={"reason": "r"}, headers=auth).status_code == 404
    no_reason = client.post(f"{base}/{short_id(credential)}/revoke", json={}, headers=auth)
    assert no_reason.status_code == 422
    blank = client.post(f"{base}/{short_id(credential)}/revoke", json={"reason": " "}, headers=auth)
    assert blank.status_code == 422
    assert (
        client.post(f"{base}/{short_id(credential)}/revoke", json={"reason": "r"}).status_code
        == 401
    )

    issue_only = create_api_key(session=session, name="lms", scopes=[Scope.issue], issuer=issuer)[1]
    forbidden = client.post(
        f"{base}/{short_id(credential)}/revoke", json={"reason": "r"}, headers=bearer(issue_only)
    )
    assert forbidden.status_code == 403
    assert (
        client.get(f"/api/issuers/{ISSUER}/status/events", headers=bearer(issue_only)).status_code
        == 403
    )

    # a credential of another issuer is not found through this one
    make_issuer(session, runtime, "other-district", name="Other District")
    revoker = create_api_key(
        session=session, name="registrar", scopes=[Scope.revoke], issuer=issuer
    )
    elsewhere = client.post(
        f"/api/issuers/other-district/credentials/{short_id(credential)}/revoke",
        json={"reason": "r"},
        headers=auth,
    )
    assert elsewhere.status_code == 404
    ok = client.post(
        f"{base}/{short_id(credential)}/revoke", json={"reason": "r"}, headers=bearer(revoker[1])
    )
    assert ok.status_code == 200
    [event] = client.get(f"/api/issuers/{ISSUER}/status/events", headers=bearer(revoker[1])).json()
    assert event["actor"] == f"api:{revoker[0].prefix}"


def test_the_audit_log_says_who_when_and_why(
    client: TestClient, auth, admin_token: str, issuer
) -> None:
    first = award_http(client, auth)["credential"]
    second = award_http(client, auth, recipient_email="z@schools.nm.example")["credential"]
    base = f"/api/issuers/{ISSUER}/credentials"
    steps = [
        (first, "suspend", "license suspended pending review"),
        (first, "unsuspend", "review closed: no finding"),
        (second, "revoke", "awarded in error"),
        (second, "revoke", "duplicate request from the registrar"),
    ]
    before = utcnow()
    for credential, action, reason in steps:
        client.post(
            f"{base}/{short_id(credential)}/{action}", json={"reason": reason}, headers=auth
        ).raise_for_status()
    log = client.get(f"/api/issuers/{ISSUER}/status/events", headers=auth).json()
    prefix = admin_token.split("_")[1]
    assert [
        (
            e["credential_id"],
            e["action"],
            e["reason"],
            e["previous_status"],
            e["new_status"],
            e["changed"],
        )
        for e in log
    ] == [
        (first["id"], "suspend", steps[0][2], "active", "suspended", True),
        (first["id"], "unsuspend", steps[1][2], "suspended", "active", True),
        (second["id"], "revoke", steps[2][2], "active", "revoked", True),
        (second["id"], "revoke", steps[3][2], "revoked", "revoked", False),
    ]
    assert {e["actor"] for e in log} == {f"api:{prefix}"}
    assert all(
        before - timedelta(seconds=1)
        <= datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
        <= utcnow() + timedelta(seconds=1)
        for e in log
    )
    only_first = client.get(
        f"/api/issuers/{ISSUER}/status/events",
        params={"credential": short_id(first)[:10]},
        headers=auth,
    ).json()
    assert [e["action"] for e in only_first] == ["suspend", "unsuspend"]
    paged = client.get(
        f"/api/issuers/{ISSUER}/status/events", params={"limit": 1, "offset": 3}, headers=auth
    ).json()
    assert [e["reason"] for e in paged] == [steps[3][2]]


def test_short_ids_and_ambiguity(
    session: Session, runtime: Runtime, engine: Engine, issuer
) -> None:
    [credential] = issue(session, runtime)
    full = uuid.UUID(short_id(credential))
    for reference in (credential["id"], str(full), str(full)[:8], str(full).upper()[:13], full):
        assert status_service.find_award(session, reference).id == full
    with pytest.raises(NotFound, match="at least 8"):
        status_service.find_award(session, str(full)[:7])
    with pytest.raises(NotFound):
        status_service.find_award(session, "not-a-credential")
    # a second award whose uuid starts with the same 8 hex digits
    twin_id = uuid.UUID(str(full)[:9] + "0000-4000-8000-000000000000")
    twin = Award(
        **{**session.get(Award, full).model_dump(), "id": twin_id, "idempotency_key": None}
    )
    session.add(twin)
    session.commit()
    with pytest.raises(status_service.AmbiguousCredential) as caught:
        status_service.find_award(session, str(full)[:8])
    assert sorted(caught.value.candidates) == sorted([str(full), str(twin_id)])
    assert status_service.find_award(session, str(full)[:19]).id == full


def test_service_functions(session: Session, runtime: Runtime, issuer) -> None:
    [credential] = issue(session, runtime)
    change = status_service.suspend(session, runtime, credential["id"], "pending review", ACTOR)
    assert (change.previous_status, change.status, change.changed) == ("active", "suspended", True)
    with pytest.raises(InvalidInput, match="reason"):
        status_service.revoke(session, runtime, credential["id"], "   ", ACTOR)
    status_service.revoke(session, runtime, credential["id"], "final", ACTOR)
    with pytest.raises(Conflict):
        status_service.unsuspend(session, runtime, credential["id"], "oops", ACTOR)
    assert [e.action for e in status_service.events(session, issuer=issuer)] == [
        "suspend",
        "revoke",
    ]
    assert session.get(Award, uuid.UUID(short_id(credential))).status == "revoked"


def test_a_credential_issued_before_status_lists_can_still_be_revoked(
    session: Session, runtime: Runtime, engine: Engine, issuer
) -> None:
    plain = dataclasses.replace(runtime, pre_sign_hooks=())
    [credential] = issue(session, plain)
    assert "credentialStatus" not in credential
    change = status_service.revoke(session, runtime, credential["id"], "legacy", ACTOR)
    assert change.changed and change.status_lists == ()
    exported = status_service.export_revocation_list(session, runtime, issuer)
    assert [c["id"] for c in exported["revokedCredential"]] == [credential["id"]]


def test_bulk_changes_are_all_or_nothing(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime, engine: Engine
) -> None:
    credentials = issue(session, runtime, 5)
    ids = [short_id(c) for c in credentials]
    url = f"/api/issuers/{ISSUER}/status/changes"
    revoked = client.post(
        url, json={"action": "revoke", "credentials": ids[:1], "reason": "first"}, headers=auth
    )
    assert revoked.status_code == 200, revoked.text
    # a revoked credential among them: nothing at all is suspended
    refused = client.post(
        url, json={"action": "suspend", "credentials": ids, "reason": "review"}, headers=auth
    )
    assert refused.status_code == 409
    unknown = client.post(
        url,
        json={"action": "suspend", "credentials": [*ids[1:], str(uuid.uuid4())], "reason": "r"},
        headers=auth,
    )
    assert unknown.status_code == 404
    states = {
        a["id"]: a["status"]
        for a in client.get(f"/api/issuers/{ISSUER}/awards", headers=auth).json()
    }
    assert [states[i] for i in ids] == ["revoked", "active", "active", "active", "active"]

    # the same credential twice, by uuid and by prefix, counts once
    body = {"action": "suspend", "credentials": [*ids[1:], ids[1][:8]], "reason": "board order 7"}
    done = client.post(url, json=body, headers=auth)
    assert done.status_code == 200, done.text
    assert [(c["id"], c["status"], c["changed"]) for c in done.json()] == [
        (i, "suspended", True) for i in ids[1:]
    ]
    with Session(engine) as check:
        row = check.exec(select(StatusList).where(col(StatusList.purpose) == "suspension")).one()
        assert row.version == 4  # one bump per bit changed
    for credential in credentials[1:3]:
        assert list_bit(client, entries(credential)["suspension"]) == 1
        assert verify_here(client, credential).verdict == "invalid"
    log = client.get(f"/api/issuers/{ISSUER}/status/events", headers=auth).json()
    assert [e["reason"] for e in log] == ["first"] + ["board order 7"] * 4
    too_many = client.post(
        url, json={"action": "revoke", "credentials": ["x"] * 10_001, "reason": "r"}, headers=auth
    )
    assert too_many.status_code == 422


# ------------------------------------------------------------------------------ 1EdTech export


def test_the_1edtech_revocation_list_export(
    client: TestClient, auth, issuer, settings, engine: Engine, runtime: Runtime
) -> None:
    revoked = award_http(client, auth)["credential"]
    kept = award_http(client, auth, recipient_email="k@schools.nm.example")["credential"]
    base = f"/api/issuers/{ISSUER}/credentials"
    client.post(
        f"{base}/{short_id(revoked)}/revoke", json={"reason": "awarded in error"}, headers=auth
    )
    client.post(f"{base}/{short_id(revoked)}/revoke", json={"reason": "again"}, headers=auth)
    client.post(f"{base}/{short_id(kept)}/suspend", json={"reason": "review"}, headers=auth)
    exported = client.get(f"/api/issuers/{ISSUER}/status/revocations", headers=auth).json()
    assert exported == {
        "id": f"{BASE_URL}/issuers/{ISSUER}/revocations.json",
        "type": "1EdTechRevocationList",
        "issuer": issuer.did,
        "revokedCredential": [
            {"id": revoked["id"], "revoked": True, "revocationReason": "awarded in error"}
        ],
    }
    # not public unless the operator turns it on, and then without reasons
    assert client.get(f"/issuers/{ISSUER}/revocations.json").status_code == 404
    published = create_app(
        settings, engine=engine, runtime=with_settings(runtime, status_publish_revocation_list=True)
    )
    with TestClient(published, base_url=BASE_URL) as public_client:
        served = public_client.get(f"/issuers/{ISSUER}/revocations.json")
    assert served.status_code == 200
    assert served.json()["revokedCredential"] == [{"id": revoked["id"], "revoked": True}]


def test_the_lists_summary(client: TestClient, auth, issuer) -> None:
    credential = award_http(client, auth)["credential"]
    client.post(
        f"/api/issuers/{ISSUER}/credentials/{short_id(credential)}/revoke",
        json={"reason": "r"},
        headers=auth,
    ).raise_for_status()
    lists = client.get(f"/api/issuers/{ISSUER}/status/lists", headers=auth).json()
    assert sorted((s["purpose"], s["allocated"], s["set"], s["needs_signing"]) for s in lists) == [
        ("revocation", 1, 1, True),
        ("suspension", 1, 0, True),
    ]


# ------------------------------------------------------------------------------ bad lists


def _sign_as_issuer(
    session: Session, runtime: Runtime, issuer: Any, document: dict[str, Any]
) -> dict[str, Any]:
    key_row = current_key(session, issuer, KeyPurpose.ldp)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return add_proof(
        unsigned,
        suite="eddsa-rdfc-2022",
        key=signing_key(runtime, key_row),
        options=ProofOptions(verification_method=key_row.verification_method),
        loader=runtime.loader,
    )


def test_our_verifier_catches_bad_lists(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime
) -> None:
    """Tampered, unsigned, wrong-purpose and too-short variants of the issuer's own list."""
    credential = award_http(client, auth)["credential"]
    client.post(
        f"/api/issuers/{ISSUER}/credentials/{short_id(credential)}/revoke",
        json={"reason": "awarded in error"},
        headers=auth,
    ).raise_for_status()
    revocation = entries(credential)["revocation"]
    url = revocation["statusListCredential"]
    genuine = client.get(path_of(url)).json()
    suspension_list = client.get(
        path_of(entries(credential)["suspension"]["statusListCredential"])
    ).json()
    assert verify_here(client, credential).verdict == "invalid"

    # tampered: the revoked bit cleared, the proof left as it was
    tampered = copy.deepcopy(genuine)
    bits = Bitstring.decode(tampered["credentialSubject"]["encodedList"])
    bits.set(int(revocation["statusListIndex"]), 0)
    tampered["credentialSubject"]["encodedList"] = bits.encode()
    # unsigned: the proof removed
    unsigned = {k: v for k, v in genuine.items() if k != "proof"}
    # the suspension list served where the revocation list should be (validly signed)
    wrong_purpose = suspension_list
    # too short: signed by the issuer, but only 8,192 entries
    short = copy.deepcopy(genuine)
    import base64
    import gzip

    raw = gzip.compress(bytes(1024), mtime=0)
    short["credentialSubject"]["encodedList"] = (
        "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    )
    short = _sign_as_issuer(session, runtime, issuer, short)

    expectations = {
        "tampered": (tampered, "its proof does not verify"),
        "unsigned": (unsigned, "its proof does not verify"),
        "wrong purpose": (wrong_purpose, "is for suspension, not for revocation"),
        "too short": (short, "too short"),
    }
    for name, (document, message) in expectations.items():
        report = verify_here(client, credential, {url: document})
        outcome, text = status_check(report)
        assert report.verdict != "valid", name
        assert outcome == "indeterminate", (name, text)
        assert message in text, (name, text)
