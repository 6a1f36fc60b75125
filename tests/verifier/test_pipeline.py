"""The pipeline through the library: every check runs, each reports, and the verdict follows.

Each case asserts the outcome of the checks it is about and the verdict; ``outcomes(report)``
gives ``{check id: outcome}`` for the whole report.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from keys.suites.vc_jwt import JwtProfile, sign_jwt
from tests.verifier.support import (
    NOW,
    REVOCATION_URL,
    WEB_DID,
    WEB_VM,
    World,
    outcomes,
    raw_jwt,
    vm_of,
)
from verifier.pipeline import STEPS, MultipleCredentials
from verifier.report import CheckId, Outcome, Verdict, decide_verdict, headline
from verifier.validity import CLOCK_SKEW

ALL_CHECKS = [
    "parse",
    "context",
    "schema",
    "proof",
    "issuer_key",
    "validity",
    "status",
    "trust",
    "recipient",
    "endorsement",
]


def test_a_valid_credential_passes_every_check_that_applies(world: World) -> None:
    report = world.verify(world.signed())
    assert report.verdict is Verdict.VALID
    assert [str(c.id) for c in report.checks] == ALL_CHECKS
    assert outcomes(report) == {
        "parse": "passed",
        "context": "passed",
        "schema": "passed",
        "proof": "passed",
        "issuer_key": "passed",
        "validity": "passed",
        "status": "skipped",
        "trust": "skipped",
        "recipient": "skipped",
        "endorsement": "skipped",
    }
    summary = report.to_json()["credential"]
    assert summary["issuer"]["id"] == world.did_a
    assert summary["format"] == "ldp"
    assert summary["achievement"]["achievementType"] == "MicroCredential"
    assert summary["validFrom"] == "2026-09-30T00:00:00Z"


def test_the_json_report_has_the_contract_shape(world: World) -> None:
    report = world.verify(world.signed()).to_json()
    assert set(report) >= {"verdict", "credential", "checks"}
    assert set(report["credential"]) >= {
        "id",
        "types",
        "format",
        "issuer",
        "subject",
        "achievement",
        "validFrom",
        "validUntil",
    }
    assert set(report["credential"]["achievement"]) == {"id", "name", "achievementType"}
    for check in report["checks"]:
        assert set(check) == {"id", "outcome", "message", "details"}
        assert check["outcome"] in {o.value for o in Outcome}
        assert check["message"]


def test_a_did_web_credential_with_status_entries_is_valid(world: World) -> None:
    report = world.verify(world.web_credential())
    assert report.verdict is Verdict.VALID, report.to_json()
    assert outcomes(report)["status"] == "passed"
    assert outcomes(report)["issuer_key"] == "passed"
    entries = report.check(CheckId.STATUS).details["entries"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert all(e["status"] == 0 and e["listIssuer"] == WEB_DID for e in entries)


def test_tampered(world: World) -> None:
    credential = world.signed()
    credential["credentialSubject"]["result"][0]["value"] = "100"
    report = world.verify(credential)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert "changed after it was signed" in report.check(CheckId.PROOF).message
    assert outcomes(report)["issuer_key"] == "skipped"


def test_tampered_and_expired_shows_both(world: World) -> None:
    credential = world.signed(validUntil="2026-10-15T00:00:00Z")
    credential["name"] = "Advanced Classroom Environment"
    report = world.verify(credential)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert outcomes(report)["validity"] == "failed"
    assert "expired" in report.check(CheckId.VALIDITY).message


def test_wrong_key(world: World) -> None:
    """Signed with key B while naming key A's verification method."""
    credential = world.sign(world.credential(), key=world.key_b, vm=vm_of(world.key_a))
    report = world.verify(credential)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"


def test_issuer_key_mismatch(world: World) -> None:
    """A good signature by B on a credential whose issuer is A: the key is not the issuer's."""
    credential = world.sign(world.credential(issuer=world.did_a), key=world.key_b)
    report = world.verify(credential)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "passed"
    assert outcomes(report)["issuer_key"] == "failed"
    assert world.did_b in report.check(CheckId.ISSUER_KEY).message


def test_expired(world: World) -> None:
    report = world.verify(world.signed(validUntil="2026-10-15T00:00:00Z"))
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["validity"] == "failed"
    assert outcomes(report)["proof"] == "passed"


def test_not_yet_valid(world: World) -> None:
    report = world.verify(world.signed(validFrom="2027-01-01T00:00:00Z"))
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["validity"] == "failed"
    assert "not valid yet" in report.check(CheckId.VALIDITY).message


def test_at_verifies_as_of_another_instant(world: World) -> None:
    credential = world.signed(validUntil="2026-10-15T00:00:00Z")
    assert world.verify(credential, now=NOW - timedelta(days=30)).verdict is Verdict.VALID
    assert world.verify(credential, now=NOW).verdict is Verdict.INVALID


def test_clock_skew_is_allowed_at_both_ends(world: World) -> None:
    start = "2026-11-01T12:04:00Z"  # four minutes after NOW
    assert world.verify(world.signed(validFrom=start)).verdict is Verdict.VALID
    late = NOW + CLOCK_SKEW + timedelta(seconds=1)
    credential = world.signed(validUntil="2026-11-01T12:00:00Z")
    assert world.verify(credential, now=late).verdict is Verdict.INVALID


def test_vc11_dates(world: World) -> None:
    credential = world.credential()
    credential["@context"] = [
        "https://www.w3.org/2018/credentials/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    ]
    credential["issuanceDate"] = credential.pop("validFrom")
    credential["expirationDate"] = "2026-10-15T00:00:00Z"
    report = world.verify(world.sign(credential))
    assert outcomes(report)["proof"] == "passed", report.check(CheckId.PROOF).message
    assert outcomes(report)["validity"] == "failed"
    assert report.to_json()["credential"]["validUntil"] == "2026-10-15T00:00:00Z"


def test_unknown_cryptosuite(world: World) -> None:
    """A suite microcred does not know cannot be checked: indeterminate, not invalid (issue 12;
    this test used to expect ``failed``)."""
    credential = world.signed()
    credential["proof"]["cryptosuite"] = "eddsa-quantum-2099"
    report = world.verify(credential)
    assert report.verdict is Verdict.INDETERMINATE
    assert outcomes(report)["proof"] == "indeterminate"
    assert outcomes(report)["issuer_key"] == "indeterminate"
    assert "cannot be checked: unsupported proof suite" in report.check(CheckId.PROOF).message


def test_unknown_suite_beside_a_bad_signature_is_invalid(world: World) -> None:
    """Indeterminate only when nothing was found wrong: a known suite's bad signature fails."""
    credential = world.signed()
    bad = copy.deepcopy(credential["proof"])
    unknown = {**credential["proof"], "cryptosuite": "eddsa-quantum-2099"}
    credential["name"] = "changed"
    credential["proof"] = [unknown, bad]
    report = world.verify(credential)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert "signature does not match" in report.check(CheckId.PROOF).message


def test_a_proof_set_by_the_credentials_profile(world: World) -> None:
    """A wrong proof beside a good one fails any credential. A proof of a suite microcred does
    not know beside a good one: an Open Badge is valid (OB 3.0, as the 1EdTech validator's
    ``simple-multiple-proofs`` fixture), any other VC indeterminate (Data Integrity: every proof
    must verify). Every surface gives the same answer (tests/issuer/test_one_verdict.py)."""
    badge = world.signed()
    good = badge["proof"]
    unknown = {"type": "SomeProofType", "proofPurpose": "assertionMethod"}
    badge["proof"] = [unknown, good]
    report = world.verify(badge)
    assert report.verdict is Verdict.VALID
    assert "set aside" in report.check(CheckId.PROOF).message
    proofs = report.check(CheckId.PROOF).details["proofs"]
    assert [p["verified"] for p in proofs] == [False, True]
    wrong = dict(good, proofValue=good["proofValue"][:-4] + "1111")
    badge["proof"] = [good, wrong]
    report = world.verify(badge)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert "1 of 2 proofs verify; every one must" in report.check(CheckId.PROOF).message
    badge["proof"] = [good, good]
    assert world.verify(badge).verdict is Verdict.VALID

    plain = world.sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": world.did_a,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:teacher"},
        }
    )
    assert world.verify(plain).verdict is Verdict.VALID
    plain["proof"] = [unknown, plain["proof"]]
    report = world.verify(plain)
    assert report.verdict is Verdict.INDETERMINATE
    assert outcomes(report)["proof"] == "indeterminate"
    assert "1 of 2 proofs verify; every one must" in report.check(CheckId.PROOF).message


def test_no_proof(world: World) -> None:
    report = world.verify(world.credential())
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert outcomes(report)["issuer_key"] == "skipped"
    assert "no proof" in report.check(CheckId.PROOF).message


def test_undefined_term(world: World) -> None:
    """A member no context defines would sit outside the signature: refused, and named."""
    credential = world.signed()
    credential["favouriteColour"] = "blue"
    report = world.verify(credential)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["context"] == "failed"
    assert outcomes(report)["proof"] == "failed"
    assert "favouriteColour" in report.check(CheckId.CONTEXT).message


def test_context_order(world: World) -> None:
    credential = world.credential()
    credential["@context"] = list(reversed(credential["@context"][:2])) + credential["@context"][2:]
    report = world.verify(credential)
    assert outcomes(report)["context"] == "failed"
    assert "@context[0]" in report.check(CheckId.CONTEXT).message


def test_schema_failure_is_reported_with_paths(world: World) -> None:
    credential = world.credential()
    del credential["credentialSubject"]["achievement"]["criteria"]
    report = world.verify(world.sign(credential))
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["schema"] == "failed"
    assert outcomes(report)["proof"] == "passed"
    paths = [i["path"] for i in report.check(CheckId.SCHEMA).details["issues"]]
    assert "$.credentialSubject.achievement.criteria" in paths


def test_credential_schema_naming_an_unbundled_schema_is_a_warning(world: World) -> None:
    credential = world.credential()
    credential["credentialSchema"].append(
        {"id": "https://issuer.example/schemas/mine.json", "type": "1EdTechJsonSchemaValidator2019"}
    )
    report = world.verify(world.sign(credential))
    assert outcomes(report)["schema"] == "warning"
    assert report.check(CheckId.SCHEMA).details["unchecked"] == [
        "https://issuer.example/schemas/mine.json"
    ]


# --------------------------------------------------------------------------- VC-JWT


def _jwt(world: World, **kwargs: object) -> str:
    return sign_jwt(world.credential(), key=world.key_a, **kwargs)  # type: ignore[arg-type]


UNDEFINED_TERMS = "https://www.w3.org/ns/credentials/undefined-terms/v2"


def test_a_credential_using_the_w3c_undefined_terms_context_is_valid(world: World) -> None:
    """W3C's undefined-terms/v2 is bundled: its extra term is defined (as undefined) and signed."""
    credential = world.credential(favouriteColour="teal")
    credential["@context"] = [*credential["@context"], UNDEFINED_TERMS]
    signed = world.sign(credential)
    report = world.verify(signed)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert outcomes(report)["context"] == "passed"
    tampered = {**signed, "favouriteColour": "red"}
    assert outcomes(world.verify(tampered))["proof"] == "failed"


def test_jwt_with_a_kid_is_valid(world: World) -> None:
    report = world.verify(_jwt(world, kid=vm_of(world.key_a)))
    assert report.verdict is Verdict.VALID, report.to_json()
    assert report.to_json()["credential"]["format"] == "jwt"
    assert report.check(CheckId.PROOF).details["alg"] == "EdDSA"


@pytest.mark.parametrize("profile", [JwtProfile.OB3, JwtProfile.VC2])
def test_jwt_profiles(world: World, profile: JwtProfile) -> None:
    report = world.verify(_jwt(world, kid=vm_of(world.key_a), profile=profile))
    assert report.verdict is Verdict.VALID


def test_jwt_alg_none(world: World) -> None:
    credential = world.credential()
    payload = {**credential, "iss": world.did_a, "jti": credential["id"], "nbf": 1790000000}
    token = raw_jwt({"alg": "none", "typ": "JWT", "kid": vm_of(world.key_a)}, payload, None)
    report = world.verify(token)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["parse"] == "passed"
    assert outcomes(report)["proof"] == "failed"
    assert "'none'" in report.check(CheckId.PROOF).message


def test_jwt_claims_mismatch(world: World) -> None:
    """A correctly signed token whose 'iss' claim says someone else than the credential."""
    credential = world.credential()
    payload = {
        **credential,
        "iss": world.did_b,
        "jti": credential["id"],
        "nbf": 1790726400,
    }
    token = raw_jwt({"alg": "EdDSA", "typ": "JWT", "kid": vm_of(world.key_a)}, payload, world.key_a)
    report = world.verify(token)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert "'iss'" in report.check(CheckId.PROOF).message


def test_jwt_with_only_a_jwk_header_binds_no_issuer(world: World) -> None:
    """did_a's credential signed by key_b, which names itself in a jwk header: did_a's DID does
    not list that key, so nothing binds it to the issuer."""
    token = sign_jwt(world.credential(), key=world.key_b, embed_jwk=True)
    report = world.verify(token)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "passed"
    assert outcomes(report)["issuer_key"] == "failed"
    assert "binds the key to nobody" in report.check(CheckId.ISSUER_KEY).message


def test_jwt_jwk_pinned_by_a_trust_list(world: World) -> None:
    """key_b is not did_a's DID key, but the trust list pins it to did_a."""
    token = sign_jwt(world.credential(), key=world.key_b, embed_jwk=True)
    trust = world.trust(
        {"id": world.did_a, "name": "Issuer A", "keys": [world.key_b.public_key.jwk()]}
    )
    report = world.verify(token, trust=trust)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert report.check(CheckId.ISSUER_KEY).details["pinnedBy"] == "NM PED approved providers"


def test_a_pin_for_another_issuer_does_not_help(world: World) -> None:
    token = sign_jwt(world.credential(), key=world.key_b, embed_jwk=True)
    trust = world.trust(
        {"id": world.did_a, "name": "Issuer A"},
        {"id": world.did_b, "name": "Issuer B", "keys": [world.key_b.public_key.jwk()]},
    )
    report = world.verify(token, trust=trust)
    assert outcomes(report)["issuer_key"] == "failed"
    assert outcomes(report)["trust"] == "passed"


def test_a_tampered_jwt(world: World) -> None:
    header, payload, signature = _jwt(world, kid=vm_of(world.key_a)).split(".")
    other = _jwt(world, kid=vm_of(world.key_b))  # same payload shape, other signature
    report = world.verify(f"{header}.{payload}.{other.split('.')[2]}")
    assert outcomes(report)["proof"] == "failed"
    assert signature != other.split(".")[2]


# --------------------------------------------------------------------------- trust and recipient


def test_untrusted_issuer(world: World) -> None:
    trust = world.trust({"id": world.did_b, "name": "Someone else", "jurisdiction": "US-NM"})
    report = world.verify(world.signed(), trust=trust)
    # Issue 12: the signature holds, so the verdict stays valid; trust is not established.
    assert report.verdict is Verdict.VALID
    assert outcomes(report)["trust"] == "warning"
    assert "none of the trust lists" in report.check(CheckId.TRUST).message
    assert report.trust["status"] == "not-established"
    assert headline(report).text == "Signature valid — issuer not recognised"
    assert headline(report).tone == "warn"


def test_trusted_issuer_says_which_list_and_purposes(world: World) -> None:
    trust = world.trust(
        {
            "id": world.did_a,
            "name": "New Mexico PED",
            "jurisdiction": "US-NM",
            "purposes": ["license-advancement", "renewal-credit"],
        }
    )
    report = world.verify(world.signed(), trust=trust)
    assert report.verdict is Verdict.VALID
    check = report.check(CheckId.TRUST)
    assert check.outcome is Outcome.PASSED
    assert check.details["matches"] == [
        {
            "list": "NM PED approved providers",
            "issuerName": "New Mexico PED",
            "jurisdiction": "US-NM",
            "purposes": ["license-advancement", "renewal-credit"],
            "source": "trust list",
        }
    ]
    assert "license-advancement" in check.message and "US-NM" in check.message


def test_trust_restricted_to_achievements(world: World) -> None:
    credential = world.signed()
    achievement = credential["credentialSubject"]["achievement"]["id"]
    allowed = world.trust({"id": world.did_a, "achievements": [achievement]})
    other = world.trust({"id": world.did_a, "achievements": ["https://elsewhere.example/a"]})
    assert outcomes(world.verify(credential, trust=allowed))["trust"] == "passed"
    report = world.verify(credential, trust=other)
    assert outcomes(report)["trust"] == "warning"
    assert "not for the achievement" in report.check(CheckId.TRUST).message


def test_recipient_matches_the_salted_hash(world: World) -> None:
    credential = world.signed()
    for email in ("maria.lopez@schools.nm.example", "Maria.Lopez@Schools.NM.example"):
        report = world.verify(credential, recipient=email)
        assert outcomes(report)["recipient"] == "passed", email
    report = world.verify(credential, recipient="someone.else@schools.nm.example")
    assert outcomes(report)["recipient"] == "failed"
    assert report.verdict is Verdict.INVALID


def test_recipient_matches_the_subject_id(world: World) -> None:
    credential = world.credential()
    credential["credentialSubject"]["id"] = "mailto:maria@example.org"
    report = world.verify(world.sign(credential), recipient="maria@example.org")
    assert outcomes(report)["recipient"] == "passed"


def test_md5_and_uppercase_hex(world: World) -> None:
    import hashlib

    credential = world.credential()
    digest = hashlib.md5(b"a@example.comSALT").hexdigest().upper()
    credential["credentialSubject"]["identifier"] = [
        {
            "type": "IdentityObject",
            "hashed": True,
            "identityHash": f"md5${digest}",
            "identityType": "emailAddress",
            "salt": "SALT",
        }
    ]
    report = world.verify(world.sign(credential), recipient="a@example.com")
    assert outcomes(report)["recipient"] == "passed"


# --------------------------------------------------------------------------- endorsements


def _endorsement(world: World, **members: object) -> dict:
    endorsement = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0c5b8a9e-3f7c-4f7e-8f5e-2b0a5d1c9e77",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Quality assurance endorsement",
        "issuer": {"id": world.did_b, "type": ["Profile"], "name": "digiLEARN QA"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://ped.nm.example/achievements/classroom-environment/v1",
            "type": ["EndorsementSubject"],
            "endorsementComment": "Meets the QAS standard.",
        },
    }
    endorsement.update(members)
    return world.sign(endorsement, key=world.key_b)


def test_endorsements_are_verified_the_same_way(world: World) -> None:
    credential = world.credential()
    credential["credentialSubject"]["achievement"]["endorsement"] = [_endorsement(world)]
    report = world.verify(world.sign(credential))
    assert report.verdict is Verdict.VALID, report.to_json()
    check = report.check(CheckId.ENDORSEMENT)
    assert check.outcome is Outcome.PASSED
    [entry] = check.details["endorsements"]
    assert entry["path"] == "$.credentialSubject.achievement.endorsement[0]"
    assert entry["issuer"] == world.did_b


def _tampered(endorsement: dict) -> dict:
    return {**endorsement, "name": "tampered"}


def _unsupported_suite(endorsement: dict) -> dict:
    return {**endorsement, "proof": {**endorsement["proof"], "cryptosuite": "eddsa-rdf-2022"}}


def _unknown_context(world: World) -> dict:
    """Signed by someone whose loader knows the context; microcred's does not."""
    from schemas.loader import preloading_loader

    extra = "https://unknown.example/context/v1"
    endorsement = _endorsement(world)
    del endorsement["proof"]
    endorsement["@context"] = [*endorsement["@context"], extra]
    signer = World(
        loader=preloading_loader(world.loader, {extra: {"@context": {"note": "urn:x:note"}}}),
        key_a=world.key_a,
        key_b=world.key_b,
        web_key=world.web_key,
    )
    return signer.sign(endorsement, key=world.key_b)


#: (case, the endorsement, the checks of the endorsement its problems must name). An embedded
#: endorsement's context is part of the credential's own JSON-LD, so the credential carrying
#: one with an unknown context is a VC-JWT (whose signature covers bytes, not JSON-LD).
BAD_ENDORSEMENTS = [
    ("bad proof", lambda w: _tampered(_endorsement(w)), ["proof"]),
    ("expired", lambda w: _endorsement(w, validUntil="2026-06-01T00:00:00Z"), ["validity"]),
    (
        "expired and tampered",
        lambda w: _tampered(_endorsement(w, validUntil="2026-06-01T00:00:00Z")),
        ["proof", "validity"],
    ),
    ("unsupported suite", lambda w: _unsupported_suite(_endorsement(w)), ["proof"]),
    ("unknown context", _unknown_context, ["context", "proof"]),
]


def _carrying(world: World, endorsement: dict, jwt: bool, **members: object) -> object:
    credential = world.credential(**members)
    credential["issuer"]["endorsement"] = [endorsement]
    if jwt:
        return sign_jwt(credential, key=world.key_a, kid=vm_of(world.key_a))
    return world.sign(credential)


@pytest.mark.parametrize(
    ("case", "make", "named", "jwt"),
    [
        pytest.param(*case, jwt, id=f"{case[0]}-{'jwt' if jwt else 'ldp'}")
        for case in BAD_ENDORSEMENTS
        for jwt in (False, True)
        if jwt or case[0] != "unknown context"
    ],
)
def test_a_bad_endorsement_is_reported_and_not_trusted_but_does_not_decide(
    world: World, case: str, make, named: list[str], jwt: bool
) -> None:
    report = world.verify(_carrying(world, make(world), jwt))
    assert report.verdict is Verdict.VALID, report.to_json()
    check = report.check(CheckId.ENDORSEMENT)
    assert check.outcome is Outcome.WARNING
    assert "not trusted" in check.message and "does not depend on them" in check.message
    # The first endorsement's problems are quoted as clauses: one full stop at the end.
    assert ".;" not in check.message and not check.message.endswith("..")
    [entry] = check.details["endorsements"]
    assert entry["verdict"] != "valid" and entry["problems"]
    for check_id in named:
        assert any(p.startswith(f"{check_id}:") for p in entry["problems"]), entry
    # ... and the credential's own checks still decide: an expired credential stays invalid.
    expired = _carrying(world, make(world), jwt, validUntil="2026-10-15T00:00:00Z")
    report = world.verify(expired)
    assert report.verdict is Verdict.INVALID
    assert [k for k, v in outcomes(report).items() if v == "failed"] == ["validity"]


def test_a_revoked_endorsement_does_not_decide(world: World) -> None:
    """An endorsement from the did:web issuer whose status entry is set in the revocation list."""
    endorsement = _endorsement(world, issuer={"id": WEB_DID, "type": ["Profile"], "name": "QA"})
    del endorsement["proof"]
    endorsement["credentialStatus"] = {
        "id": f"{REVOCATION_URL}#99",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "99",
        "statusListCredential": REVOCATION_URL,
    }
    credential = world.credential()
    credential["issuer"]["endorsement"] = [world.sign(endorsement, key=world.web_key, vm=WEB_VM)]
    report = world.verify(world.sign(credential))
    assert report.verdict is Verdict.VALID, report.to_json()
    check = report.check(CheckId.ENDORSEMENT)
    assert check.outcome is Outcome.WARNING
    [entry] = check.details["endorsements"]
    assert entry["verdict"] == "invalid"
    assert any(p.startswith("status:") for p in entry["problems"]), entry


def test_endorsement_jwt(world: World) -> None:
    """``endorsementJwt`` is not in the OB 3.0.3 context, so it travels in VC-JWT credentials
    (whose signature covers the bytes; the context check warns about the undefined term)."""
    endorsement = _endorsement(world)
    del endorsement["proof"]
    token = sign_jwt(endorsement, key=world.key_b, kid=vm_of(world.key_b))
    credential = world.credential(endorsementJwt=[token])
    report = world.verify(sign_jwt(credential, key=world.key_a, kid=vm_of(world.key_a)))
    assert outcomes(report)["endorsement"] == "passed", report.check(CheckId.ENDORSEMENT)
    assert outcomes(report)["context"] == "warning"
    assert report.verdict is Verdict.VALID


# --------------------------------------------------------------------------- the machinery


def test_every_step_runs_even_when_one_raises(world: World, monkeypatch) -> None:
    import verifier.pipeline as pipeline

    def broken(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    steps = tuple((cid, broken if cid is CheckId.SCHEMA else step) for cid, step in STEPS)
    monkeypatch.setattr(pipeline, "STEPS", steps)
    report = world.verify(world.signed())
    assert outcomes(report)["schema"] == "indeterminate"
    assert outcomes(report)["proof"] == "passed"
    assert report.verdict is Verdict.INDETERMINATE


def test_decide_verdict() -> None:
    from verifier.report import CheckResult

    def checks(*values: Outcome) -> list[CheckResult]:
        return [CheckResult(CheckId.PROOF, v, "m") for v in values]

    assert decide_verdict(checks(Outcome.PASSED, Outcome.WARNING)) is Verdict.VALID
    assert decide_verdict(checks(Outcome.SKIPPED)) is Verdict.VALID
    assert decide_verdict(checks(Outcome.PASSED, Outcome.INDETERMINATE)) is Verdict.INDETERMINATE
    assert decide_verdict(checks(Outcome.INDETERMINATE, Outcome.FAILED)) is Verdict.INVALID


def test_unusable_input_is_one_failed_parse_check(world: World) -> None:
    for data in (b"hello", b"[1, 2]", b"\x00\x01\x02", '{"type": ["Thing"]}', "a.b"):
        report = world.verify(data)
        assert report.unusable, data
        assert [str(c.id) for c in report.checks] == ["parse"]
        assert report.verdict is Verdict.INVALID


def test_verify_refuses_several_credentials(world: World) -> None:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [world.signed(), world.signed()],
    }
    with pytest.raises(MultipleCredentials):
        world.verify(presentation)
    assert len(world.verify_many(presentation)) == 2


def test_the_input_is_not_modified(world: World) -> None:
    credential = world.web_credential()
    before = copy.deepcopy(credential)
    with world.verifier() as verifier:
        verifier.verify(credential, now=NOW)
    assert credential == before
