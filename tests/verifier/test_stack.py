"""Stack-completion claims through the library: the issue's cases, each failure, the report.

A provider (``world.did_a``) issues the APL micro-credentials, a university (``world.did_b``)
the master's degree; rules and evidence links are served as preloads.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from schemas.stack_rule import canonical_rule_bytes
from tests.verifier.stack_support import (
    APL_I_II,
    EDUCATOR,
    ELECTIVES,
    OTHER_EDUCATOR,
    REQUIRED_II_III,
    apl_i_ii_rule,
    apl_ii_iii_rule,
    component,
    masters_degree,
    published,
    stack_credential,
)
from tests.verifier.support import (
    NOW,
    REVOCATION_URL,
    SUSPENSION_URL,
    WEB_DID,
    WEB_VM,
    World,
)
from verifier.report import Verdict, VerificationReport
from verifier.service import Expectations
from verifier.stack import StackInput, is_stack_credential, load_rule
from verifier.trust import TrustStore


def claim(
    world: World,
    *inputs: Any,
    rule: dict[str, Any] | bytes | None = None,
    extra: dict[str, Any] | None = None,
    recipient: str | None = EDUCATOR,
    trust: TrustStore | None = None,
) -> VerificationReport:
    with world.verifier(extra, trust=trust) as verifier:
        return verifier.verify_stack(
            [StackInput(copy.deepcopy(i), f"input {n}") for n, i in enumerate(inputs)],
            rule=load_rule(rule, source="rule.json") if rule is not None else None,
            now=NOW,
            expect=Expectations(recipient=recipient),
        )


def stack(report: VerificationReport) -> dict[str, Any]:
    check = report.check("stack")
    assert check is not None
    return {"outcome": str(check.outcome), "message": check.message, **check.details}


def statuses(report: VerificationReport) -> dict[str, str]:
    return {r["id"]: r["status"] for r in stack(report)["requirements"]}


@pytest.fixture(scope="module")
def apl(world: World) -> list[dict[str, Any]]:
    return [component(world, slug) for slug in APL_I_II]


@pytest.fixture(scope="module")
def rule(world: World) -> dict[str, Any]:
    return apl_i_ii_rule([world.did_a])


# ------------------------------------------------------------------------------ APL I-II


def test_apl_i_ii_complete_from_components_and_a_rule(world, apl, rule) -> None:
    report = claim(world, *apl, rule=rule)
    assert report.verdict is Verdict.VALID, stack(report)["message"]
    details = stack(report)
    assert details["outcome"] == "passed"
    assert details["status"] == "met"
    assert statuses(report) == dict.fromkeys(APL_I_II, "met")
    assert [c["usedFor"] for c in details["components"]] == list(APL_I_II)
    assert details["rule"]["id"] == rule["id"] and details["rule"]["given"] is True
    # No stack credential: the report is about the claim; its checks are parse and stack.
    assert [str(c.id) for c in report.checks] == ["parse", "stack"]
    assert report.credential["achievement"]["id"] == rule["achievement"]
    assert report.to_json()["checks"][1]["details"]["requirements"][0]["description"] == (
        f"Classroom Environment, from {world.did_a}, with 85% or higher on each mastery component"
    )


def test_apl_i_ii_complete_as_a_stack_credential_whose_components_are_fetched(
    world, apl, rule
) -> None:
    credential = stack_credential(world, rule, apl)
    assert is_stack_credential(credential)
    report = claim(world, credential, extra=published(rule, *apl))
    assert report.verdict is Verdict.VALID, stack(report)["message"]
    details = stack(report)
    assert details["rule"]["source"] == "criteria.id"
    assert details["rule"]["digest"]["matches"] is True
    assert [e["found"] for e in details["evidence"]] == ["fetched"] * 5
    assert {c["origin"] for c in details["components"]} == {"evidence"}
    ids = [str(c.id) for c in report.checks]
    assert ids[0] == "parse" and ids[-1] == "stack" and "proof" in ids


def test_a_presentation_holds_the_stack_credential_and_its_components(world, apl, rule) -> None:
    credential = stack_credential(world, rule, apl)
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential, *apl],
    }
    report = claim(world, presentation, extra={rule["id"]: canonical_rule_bytes(rule)})
    assert report.verdict is Verdict.VALID, stack(report)["message"]
    assert [e["found"] for e in stack(report)["evidence"]] == ["given"] * 5


# ------------------------------------------------------------------------------ APL II-III


def test_apl_ii_iii_with_two_electives_and_a_masters_degree_from_another_issuer(world) -> None:
    rule = apl_ii_iii_rule([world.did_a])
    parts = [component(world, s) for s in (*REQUIRED_II_III, ELECTIVES[1], ELECTIVES[4])]
    degree = masters_degree(world)
    trust = world.trust({"id": world.did_a}, {"id": world.did_b})
    report = claim(world, *parts, degree, rule=rule, trust=trust)
    assert report.verdict is Verdict.VALID, stack(report)["message"]
    assert statuses(report) == {
        "social-emotional-learning": "met",
        "new-mexico-education-acts": "met",
        "electives": "met",
        "masters-degree": "met",
    }
    [electives] = [r for r in stack(report)["requirements"] if r["id"] == "electives"]
    assert [c["status"] for c in electives["children"]].count("met") == 2
    # Without a trust list nobody says the university is approved: not valid, not invalid.
    unjudged = claim(world, *parts, degree, rule=rule)
    assert unjudged.verdict is Verdict.INDETERMINATE
    assert statuses(unjudged)["masters-degree"] == "indeterminate"
    assert "no trust list was given" in stack(unjudged)["message"]
    # A degree from a university on no list given fails the claim.
    only_provider = world.trust({"id": world.did_a})
    assert claim(world, *parts, degree, rule=rule, trust=only_provider).verdict is Verdict.INVALID


def test_a_missing_elective(world) -> None:
    rule = apl_ii_iii_rule([world.did_a])
    parts = [component(world, s) for s in (*REQUIRED_II_III, ELECTIVES[0])]
    trust = world.trust({"id": world.did_a}, {"id": world.did_b})
    report = claim(world, *parts, masters_degree(world), rule=rule, trust=trust)
    assert report.verdict is Verdict.INVALID
    assert statuses(report)["electives"] == "unmet"
    assert "1 of the 2 needed" in stack(report)["message"]


# ------------------------------------------------------------------------------ each failure


def test_a_revoked_component(world, apl, rule) -> None:
    revoked = component(
        world,
        APL_I_II[0],
        issuer=WEB_DID,
        key=world.web_key,
        vm=WEB_VM,
        sign=True,
        credentialStatus=[
            {
                "id": f"{url}#99",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": "99",
                "statusListCredential": url,
            }
            for url, purpose in ((REVOCATION_URL, "revocation"), (SUSPENSION_URL, "suspension"))
        ],
    )
    report = claim(world, revoked, *apl[1:], rule=apl_i_ii_rule([world.did_a, WEB_DID]))
    assert report.verdict is Verdict.INVALID
    assert statuses(report)[APL_I_II[0]] == "unmet"
    assert "revoked" in stack(report)["message"].lower()


def test_a_lapsed_elective_replaced_by_another_is_not_counted_and_does_not_fail(world) -> None:
    """An elective that expired (or was revoked) while another still meets the choose-2: the
    issuer keeps the stack credential, and the verifier agrees — the lapsed one is listed as not
    counted (a warning), the claim stands on the valid ones."""
    rule = apl_ii_iii_rule([world.did_a])
    expired = component(world, ELECTIVES[0], validUntil="2026-10-15T00:00:00Z")
    parts = [component(world, s) for s in (*REQUIRED_II_III, ELECTIVES[1], ELECTIVES[4])]
    trust = world.trust({"id": world.did_a}, {"id": world.did_b})
    report = claim(world, expired, *parts, masters_degree(world), rule=rule, trust=trust)
    assert report.verdict is Verdict.VALID, stack(report)["message"]
    assert stack(report)["outcome"] == "warning"
    assert "is not counted" in stack(report)["message"]
    assert statuses(report)["electives"] == "met"
    # A spare elective whose signature does not hold is not "lapsed": the claim fails.
    tampered = copy.deepcopy(component(world, ELECTIVES[2]))
    tampered["name"] = "Changed after signing"
    report = claim(world, tampered, *parts, masters_degree(world), rule=rule, trust=trust)
    assert report.verdict is Verdict.INVALID
    assert "is not valid" in stack(report)["message"]


def test_a_component_for_another_educator(world, apl, rule) -> None:
    theirs = component(world, APL_I_II[4], email=OTHER_EDUCATOR)
    report = claim(world, *apl[:4], theirs, rule=rule)
    assert report.verdict is Verdict.INVALID
    assert statuses(report)[APL_I_II[4]] == "unmet"
    [odd] = [c for c in stack(report)["components"] if c["sameEducator"] == "failed"]
    assert odd["id"] == theirs["id"]


def test_a_score_below_85(world, apl, rule) -> None:
    low = component(world, APL_I_II[2], score=80)
    report = claim(world, *apl[:2], low, *apl[3:], rule=rule)
    assert report.verdict is Verdict.INVALID
    [unmet] = [r for r in stack(report)["requirements"] if r["status"] == "unmet"]
    assert unmet["id"] == APL_I_II[2]
    assert "scored 80% on Mastery component score, below the 85% required" in unmet["reason"]


def test_a_component_from_an_issuer_the_rule_does_not_accept(world, apl, rule) -> None:
    elsewhere = component(world, APL_I_II[1], issuer=world.did_b, key=world.key_b)
    report = claim(world, apl[0], elsewhere, *apl[2:], rule=rule)
    assert report.verdict is Verdict.INVALID
    assert "an issuer this requirement does not accept" in stack(report)["message"]


def test_an_expired_component(world, apl, rule) -> None:
    expired = component(world, APL_I_II[3], validUntil="2026-10-15T00:00:00Z")
    report = claim(world, *apl[:3], expired, apl[4], rule=rule)
    assert report.verdict is Verdict.INVALID
    [bad] = [c for c in stack(report)["components"] if c["state"] == "invalid"]
    assert bad["id"] == expired["id"] and any("validity" in p for p in bad["problems"])


def test_a_forged_evidence_link(world, apl, rule) -> None:
    credential = stack_credential(world, rule, apl)
    documents = published(rule, *apl)
    # The link of Assessment Literacy serves somebody else's Assessment Literacy ...
    other = component(world, APL_I_II[2], email=OTHER_EDUCATOR)
    documents[apl[2]["id"]] = other
    report = claim(world, credential, extra=documents)
    assert report.verdict is Verdict.INVALID
    [forged] = [e for e in stack(report)["evidence"] if e["forged"]]
    assert "returns a different credential" in forged["problem"]
    # ... or a credential with that id for another achievement (the evidence says which).
    documents[apl[2]["id"]] = component(world, APL_I_II[4], tag="x") | {"id": apl[2]["id"]}
    resigned = world.sign({k: v for k, v in documents[apl[2]["id"]].items() if k != "proof"})
    documents[apl[2]["id"]] = resigned
    report = claim(world, credential, extra=documents)
    assert report.verdict is Verdict.INVALID
    [forged] = [e for e in stack(report)["evidence"] if e["forged"]]
    assert "but that credential is for" in forged["problem"]


def test_a_rule_document_changed_after_issuance(world, apl, rule) -> None:
    credential = stack_credential(world, rule, apl)
    changed = copy.deepcopy(rule)
    changed["requirements"][0]["minResult"]["value"] = "70"
    documents = published(rule, *apl) | {rule["id"]: canonical_rule_bytes(changed)}
    report = claim(world, credential, extra=documents)
    assert report.verdict is Verdict.INVALID
    assert "rule document changed after issuance" in stack(report)["message"]
    # A credential that pins no digest cannot tell: it says so (a warning), and passes.
    unpinned = stack_credential(world, rule, apl, pin=False)
    warned = claim(world, unpinned, extra=published(rule, *apl))
    assert warned.verdict is Verdict.VALID and stack(warned)["outcome"] == "warning"
    assert "does not pin its rule" in stack(warned)["message"]


def test_a_rule_of_another_achievement_is_refused(world, apl, rule) -> None:
    credential = stack_credential(world, rule, apl)
    other = apl_ii_iii_rule([world.did_a]) | {"id": rule["id"]}
    documents = published(rule, *apl) | {rule["id"]: canonical_rule_bytes(other)}
    digest = stack_credential(world, other, apl)["relatedResource"][0]["digestSRI"]
    pinned_to_other = stack_credential(world, rule, apl, digest=digest)
    report = claim(world, pinned_to_other, extra=documents)
    assert report.verdict is Verdict.INVALID
    assert "is the rule of" in stack(report)["message"]
    assert claim(world, credential, extra=documents).verdict is Verdict.INVALID


def test_unreachable_evidence_is_indeterminate_not_invalid(world, apl, rule) -> None:
    credential = stack_credential(world, rule, apl)
    documents = published(rule, *apl)
    del documents[apl[0]["id"]]
    report = claim(world, credential, extra=documents)
    assert report.verdict is Verdict.INDETERMINATE
    [missing] = [e for e in stack(report)["evidence"] if e["found"] == "unreachable"]
    assert missing["id"] == apl[0]["id"]
    # Given by the educator instead, it is found and counts.
    assert claim(world, credential, apl[0], extra=documents).verdict is Verdict.VALID


# ------------------------------------------------------------------------------ one educator


def test_one_educator_without_the_email(world, rule) -> None:
    did = "did:example:maria"
    same_did = [component(world, s, subject_id=did) for s in APL_I_II]
    assert claim(world, *same_did, rule=rule, recipient=None).verdict is Verdict.VALID
    other = component(world, APL_I_II[0], subject_id="did:example:jose")
    report = claim(world, other, *same_did[1:], rule=rule, recipient=None)
    assert report.verdict is Verdict.INVALID
    assert stack(report)["sameEducator"]["outcome"] == "failed"
    # Salted hashes: the same salt compares; different salts cannot be linked.
    same_salt = [component(world, s, salt="shared") for s in APL_I_II]
    assert claim(world, *same_salt, rule=rule, recipient=None).verdict is Verdict.VALID
    impostor = component(world, APL_I_II[3], email=OTHER_EDUCATOR, salt="shared")
    report = claim(world, *same_salt[:3], impostor, same_salt[4], rule=rule, recipient=None)
    assert report.verdict is Verdict.INVALID
    salted = [component(world, s) for s in APL_I_II]
    report = claim(world, *salted, rule=rule, recipient=None)
    assert report.verdict is Verdict.INDETERMINATE
    assert "--recipient" in stack(report)["sameEducator"]["message"]


# ------------------------------------------------------------------------------ inputs


def test_a_claim_with_no_rule_is_unusable(world, apl) -> None:
    report = claim(world, *apl)
    assert report.unusable
    assert "No stack rule" in report.checks[0].message
    assert claim(world, b"not a credential", rule=apl_i_ii_rule([world.did_a])).unusable


def test_the_stack_check_json_shape(world, apl, rule) -> None:
    credential = stack_credential(world, rule, apl)
    check = claim(world, credential, extra=published(rule, *apl)).to_json()["checks"][-1]
    assert check["id"] == "stack"
    assert set(check["details"]) == {
        "rule",
        "status",
        "requirements",
        "components",
        "evidence",
        "sameEducator",
    }
    requirement = check["details"]["requirements"][0]
    assert set(requirement) >= {"id", "name", "description", "status", "met", "reason", "used"}
    component_json = check["details"]["components"][0]
    assert set(component_json) >= {"id", "achievement", "issuer", "verdict", "usedFor", "checks"}
    json.dumps(check)  # all of it is JSON
