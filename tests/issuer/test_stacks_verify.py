"""Stack credentials we issue, verified by our verifier's stack check (and by Digital Bazaar's
as a plain OB credential): the issue's test cases end to end, through the service's own URLs.

Components are fetched from the stack credential's evidence links, rules from its criteria.id,
DID documents and status lists from the app (``app_fetcher``); a document is forged by
replacing what the app serves at its URL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.app import create_app
from issuer.models import Issuer
from issuer.runtime import Runtime
from issuer.services.status import revoke
from issuer.settings import Settings
from tests.issuer.stack_support import (
    APL_I_II,
    APL_II_III_ELECTIVES,
    APL_II_III_REQUIRED,
    EDUCATOR,
    OTHER_EDUCATOR,
    app_fetcher,
    award_to,
    masters_degree,
    stack_awards,
    trust_list,
    university_did,
)
from tests.issuer.support import BASE_URL, ISSUER
from verifier.report import VerificationReport
from verifier.service import Expectations, Verifier
from verifier.settings import VerifierSettings
from verifier.stack import StackInput, load_rule


def stack_of(session: Session, slug: str = "apl-i-ii", email: str = EDUCATOR) -> dict[str, Any]:
    [row] = stack_awards(session, slug, email)
    return json.loads(row.credential)


def check(
    client: TestClient,
    *inputs: Any,
    overrides: dict[str, Any] | None = None,
    recipient: str | None = EDUCATOR,
    rule: Any = None,
    trust: Any = None,
) -> VerificationReport:
    with Verifier(fetcher=app_fetcher(client, overrides), trust=trust) as verifier:
        return verifier.verify_stack(
            [StackInput(i, f"input {n}") for n, i in enumerate(inputs)],
            rule=rule,
            now=datetime.now(UTC) + timedelta(minutes=1),
            expect=Expectations(recipient=recipient),
        )


def stack_details(report: VerificationReport) -> dict[str, Any]:
    return dict(report.check("stack").details)


def requirement_status(report: VerificationReport) -> dict[str, str]:
    return {r["id"]: r["status"] for r in stack_details(report)["requirements"]}


@pytest.fixture
def apl_i_ii(session: Session, runtime: Runtime, issuer: Issuer) -> dict[str, Any]:
    for slug in APL_I_II:
        award_to(session, runtime, slug)
    return stack_of(session)


def test_a_complete_apl_i_ii_is_valid_with_components_from_its_evidence_links(
    client: TestClient, apl_i_ii: dict[str, Any]
) -> None:
    report = check(client, apl_i_ii)
    stack = report.check("stack")
    assert report.verdict == "valid", stack.message
    assert stack.outcome == "passed"
    assert stack.message.startswith("The stack is complete: all 5 requirements")
    details = stack_details(report)
    assert details["rule"]["id"] == f"{BASE_URL}/achievements/apl-i-ii/v1/rule.json"
    assert details["rule"]["digest"]["matches"] is True
    assert [e["found"] for e in details["evidence"]] == ["fetched"] * 5
    assert {c["usedFor"] for c in details["components"]} == set(APL_I_II)
    assert all(c["verdict"] == "valid" for c in details["components"])
    assert details["sameEducator"]["method"] == "recipient"
    # The stack credential's own checks come first, as in any report.
    assert [str(c.id) for c in report.checks][:2] == ["parse", "context"]
    assert report.credential["achievement"]["achievementType"] == "License"


def test_without_the_email_salted_hashes_cannot_be_linked(
    client: TestClient, apl_i_ii: dict[str, Any]
) -> None:
    report = check(client, apl_i_ii, recipient=None)
    assert report.verdict == "indeterminate"
    assert "--recipient" in stack_details(report)["sameEducator"]["message"]


def test_a_component_revoked_after_issuance_makes_the_claim_invalid(
    client: TestClient, session: Session, runtime: Runtime, apl_i_ii: dict[str, Any]
) -> None:
    [first] = [e["id"] for e in apl_i_ii["evidence"]][:1]
    revoke(session, runtime, first, "plagiarised evidence", "test")
    report = check(client, apl_i_ii)
    assert report.verdict == "invalid"
    assert requirement_status(report)[APL_I_II[0]] == "unmet"
    assert "revoked" in report.check("stack").message.lower()


def test_a_forged_evidence_link_is_caught(
    client: TestClient, session: Session, runtime: Runtime, apl_i_ii: dict[str, Any]
) -> None:
    # The link of Classroom Environment now returns another educator's Classroom Environment.
    other = award_to(session, runtime, APL_I_II[0], email=OTHER_EDUCATOR)
    link = apl_i_ii["evidence"][0]["id"]
    report = check(client, apl_i_ii, overrides={link: json.loads(other.credential)})
    assert report.verdict == "invalid"
    [forged] = [e for e in stack_details(report)["evidence"] if e["forged"]]
    assert forged["id"] == link and "returns a different credential" in forged["problem"]
    # The same link returning a credential with the right id but for another achievement.
    family = json.loads(award_to(session, runtime, APL_I_II[4]).credential)
    report = check(client, apl_i_ii, overrides={link: {**family, "id": link}})
    assert report.verdict == "invalid"
    [forged] = [e for e in stack_details(report)["evidence"] if e["forged"]]
    assert "is for" in forged["problem"]


def test_a_rule_document_changed_after_issuance_is_caught(
    client: TestClient, apl_i_ii: dict[str, Any]
) -> None:
    url = apl_i_ii["credentialSubject"]["achievement"]["criteria"]["id"]
    rule = client.get(url).json()
    rule["requirements"] = rule["requirements"][:3]  # easier now
    report = check(client, apl_i_ii, overrides={url: rule})
    assert report.verdict == "invalid"
    assert "rule document changed after issuance" in report.check("stack").message
    assert stack_details(report)["rule"]["digest"]["matches"] is False
    # Given with --rule under the same id, the changed copy is refused the same way ...
    refused = check(client, apl_i_ii, rule=load_rule(rule, source="rule.json"))
    assert refused.verdict == "invalid"
    assert "changed after issuance" in refused.check("stack").message
    # ... while the genuine rule, pretty-printed, is the same rule.
    genuine = json.dumps(client.get(url).json(), indent=2).encode()
    assert check(client, apl_i_ii, rule=load_rule(genuine)).verdict == "valid"
    # A rule that cannot be fetched leaves the claim undecided, never valid.
    unknown = check(client, apl_i_ii, overrides={url: None})
    assert unknown.verdict == "indeterminate"


def test_a_component_for_another_educator_given_in_place_of_ones_own(
    client: TestClient, session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    mine = [json.loads(award_to(session, runtime, s).credential) for s in APL_I_II[:4]]
    theirs = json.loads(award_to(session, runtime, APL_I_II[4], email=OTHER_EDUCATOR).credential)
    rule = load_rule(client.get("/achievements/apl-i-ii/v1/rule.json").content)
    report = check(client, *mine, theirs, rule=rule)
    assert report.verdict == "invalid"
    assert requirement_status(report)[APL_I_II[4]] == "unmet"
    [component] = [c for c in stack_details(report)["components"] if c["sameEducator"] == "failed"]
    assert component["id"] == theirs["id"]
    assert check(client, *mine, rule=rule).verdict == "invalid"  # and four are not five


# ------------------------------------------------------------------------------ APL II-III


@pytest.fixture
def office(settings: Settings, engine: Engine, runtime: Runtime, tmp_path: Path) -> FastAPI:
    """The service of an office whose verifier trusts the university (a trust list)."""
    trusted = trust_list(tmp_path / "universities.json", university_did())
    verifier_settings = VerifierSettings(trust_lists=[trusted])
    return create_app(settings, engine=engine, runtime=runtime, verifier_settings=verifier_settings)


def test_apl_ii_iii_with_two_electives_and_a_masters_degree_from_another_issuer(
    office: FastAPI,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    auth: dict[str, str],
    tmp_path: Path,
) -> None:
    for slug in (*APL_II_III_REQUIRED, *APL_II_III_ELECTIVES[2:4]):
        award_to(session, runtime, slug)
    assert stack_awards(session, "apl-ii-iii") == []
    degree = masters_degree()
    with TestClient(office, base_url=BASE_URL) as client:
        response = client.post(
            f"/api/issuers/{ISSUER}/submissions",
            json={"recipient_email": EDUCATOR, "credential": degree},
            headers=auth,
        )
        assert response.status_code == 201, response.text
        result = response.json()
        [accepted] = result["accepted"]
        assert accepted["trusted"] is True and accepted["achievement_type"] == "MasterDegree"
        [issued] = result["stacks_issued"]
        credential = stack_of(session, "apl-ii-iii")
        assert credential["id"] == issued
        evidence = credential["evidence"]
        assert len(evidence) == 5
        assert evidence[-1]["narrative"] == f"Component credential {degree['id']}"
        assert (
            (evidence[-1]["description"])
            == "Master of Arts in Education (https://unm.example/degrees/ma-education)"
        )
        # Submitting it again stores nothing new and issues nothing more.
        again = client.post(
            f"/api/issuers/{ISSUER}/submissions",
            json={"recipient_email": EDUCATOR, "credential": degree},
            headers=auth,
        ).json()
        assert again["accepted"][0]["id"] == accepted["id"] and again["stacks_issued"] == []
        # Verified: the micro-credentials from their links, the degree given by the educator,
        # the university judged by the office's trust list.
        from verifier.trust import TrustStore

        trust = TrustStore.from_files([tmp_path / "universities.json"])
        report = check(client, credential, degree, trust=None)
        assert report.verdict == "indeterminate"  # nobody said the university is approved
        assert requirement_status(report)["masters-degree"] == "indeterminate"
        # With the office's list: the university passes, and so must the issuer of the rest.
        both = TrustStore.from_files(
            [tmp_path / "universities.json", trust_list(tmp_path / "ped.json", issuer.did)]
        )
        report = check(client, credential, degree, trust=both)
        assert report.verdict == "valid", report.check("stack").message
        assert requirement_status(report) == {
            "social-emotional-learning": "met",
            "new-mexico-education-acts": "met",
            "electives": "met",
            "masters-degree": "met",
        }
        assert check(client, credential, trust=both).verdict == "indeterminate"  # degree missing
        assert trust.names


def test_a_submitted_component_must_verify_and_name_the_educator(
    office: FastAPI, session: Session, issuer: Issuer, auth: dict[str, str]
) -> None:
    submissions = f"/api/issuers/{ISSUER}/submissions"
    with TestClient(office, base_url=BASE_URL) as client:
        not_theirs = client.post(
            submissions,
            json={"recipient_email": OTHER_EDUCATOR, "credential": masters_degree()},
            headers=auth,
        )
        assert not_theirs.status_code == 422
        [rejected] = not_theirs.json()["rejected"]
        assert "not issued to this educator" in rejected["reason"]
        expired = masters_degree(
            valid_from="2020-05-15T00:00:00Z", valid_until="2023-05-15T00:00:00Z"
        )
        response = client.post(
            submissions, json={"recipient_email": EDUCATOR, "credential": expired}, headers=auth
        )
        assert response.status_code == 422
        assert any("validity" in p for p in response.json()["rejected"][0]["problems"])
        tampered = masters_degree()
        tampered["credentialSubject"]["achievement"]["name"] = "Doctor of Education"
        response = client.post(
            submissions, json={"recipient_email": EDUCATOR, "credential": tampered}, headers=auth
        )
        assert response.status_code == 422
        neither = client.post(submissions, json={"recipient_email": EDUCATOR}, headers=auth)
        assert neither.status_code == 422
        garbage = client.post(
            submissions, json={"recipient_email": EDUCATOR, "credential": "not a jws"}, headers=auth
        )
        assert garbage.status_code == 422
        assert client.get(submissions, headers=auth).json() == []


def test_the_stack_credential_verifies_in_digital_bazaar(
    js: Any, client: TestClient, apl_i_ii: dict[str, Any], issuer: Issuer
) -> None:
    """A stack credential is a normal OB credential: relatedResource and all, it verifies."""
    did_document = client.get(f"/issuers/{ISSUER}/did.json").json()
    result = js.run("verify-db", credential=apl_i_ii, documents={issuer.did: did_document})
    assert result["verified"] is True, result["errors"]


def test_post_verify_stack_on_the_service_reads_its_own_documents(
    client: TestClient, apl_i_ii: dict[str, Any]
) -> None:
    """The office's own service verifies a claim: evidence links, rule, DID document and status
    lists are answered in process (the service's self-fetcher), nothing goes to the network."""
    response = client.post("/verify/stack", json={"credentials": [apl_i_ii], "recipient": EDUCATOR})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "valid", report["checks"][-1]["message"]
    assert [e["found"] for e in report["checks"][-1]["details"]["evidence"]] == ["fetched"] * 5
    page = client.post(
        "/verify/stack",
        data={"credential": json.dumps(apl_i_ii), "recipient": EDUCATOR},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 200 and "Complete" in page.text
    assert page.text.count('class="s-met"') == 6  # five requirements and one educator
