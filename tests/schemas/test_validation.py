"""Schema validation: our own OB 3.0 JSON Schemas, run beside 1EdTech's on the same documents."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from schemas.errors import SchemaNotBundled
from schemas.models import (
    OB_ACHIEVEMENT_SCHEMA_ID,
    OB_ENDORSEMENT_SCHEMA_ID,
    OB_EXTENSIONS_CONTEXT,
    OB_PROFILE_SCHEMA_ID,
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    CredentialSchema,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    Result,
    ResultDescription,
    RevocationListStatus,
)
from schemas.validation import (
    BUNDLED_SCHEMA_IDS,
    FORMAT_CHECKER,
    OB_ACHIEVEMENT_V1_SCHEMA_ID,
    OB_ENDORSEMENT_V1_SCHEMA_ID,
    SchemaIssue,
    bundled_schema,
    json_path,
    schema_id_for,
    validate_credential,
)

OB30 = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
OFFICIAL = "openbadges-specification/docs/schema"
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "jsonschema"

# Every DCV ob30 JSON credential: (ours accepts?, 1EdTech's schema accepts?, why they differ).
# 1EdTech's schema here is the gh-pages VC 2.0 one (draft 2019-09). Where the verdicts differ
# the reason is one of:
SINGLE = "OB lets proof/type be a single value; 1EdTech's JSON schema wants arrays"
VC11 = "VC 1.1 document: 1EdTech's schema is VC 2.0 only; ours applies its VC 1.1 variant"
BSL_INDEX = "ours checks the BSL entry: statusListIndex must be a string (it is 23)"
NO_SCHEME = "ours requires absolute URIs: verificationMethod has no scheme"
VERDICTS: dict[str, tuple[bool, bool, str]] = {
    # positives
    "simple.json": (True, True, ""),
    "complete.json": (True, True, ""),
    "endorsement-valid.json": (True, True, ""),
    "simple-did-key-method.json": (True, True, ""),
    "simple-multiple-proofs.json": (True, True, ""),
    "simple-context-version.json": (True, True, ""),  # 3.0.2 matches the [1] pattern
    "simple-context-alias.json": (True, True, ""),
    "simple-did-web-method.json": (True, False, SINGLE),
    "simple-eddsa-2022.json": (True, False, VC11),
    "simple_v1.json": (True, False, VC11),
    "credential-status-revoked.json": (True, False, VC11 + "; " + SINGLE),
    "endorsement-err-schema-status-refresh.json": (True, False, VC11 + "; " + SINGLE),
    # negatives about proofs, dates or status, not about shape
    "simple-err-expired.json": (True, True, ""),
    "simple-err-proof-value.json": (True, True, ""),
    "simple-err-proof-method-unknown-did-method.json": (True, True, ""),
    "simple-err-proof-method-unknown-scheme.json": (True, True, ""),  # "xxx:" is a scheme
    "simple-err-proof-method.json": (True, False, SINGLE),
    "simple-err-proof-method-no-scheme.json": (False, True, NO_SCHEME),
    "bit-string-list/credential-status-revoked.json": (False, False, BSL_INDEX + "; " + SINGLE),
    "bit-string-list/credential-status-revoked-blank-nodes.json": (
        False,
        False,
        BSL_INDEX + "; " + SINGLE,
    ),
    # schema negatives
    "simple-err-type.json": (False, False, ""),
    "simple-err-context.json": (False, False, ""),
    "simple-err-issuer.json": (False, False, ""),
    "simple-err-issued.json": (False, False, ""),  # no achievement, besides the future date
    "simple-noproof.json": (False, False, ""),  # no achievement
    "simple-err-credential-subject-type.json": (False, False, ""),
    "simple-err-issuer-type.json": (False, False, ""),
    "simple-err-credential-subject-identifier-type.json": (False, False, ""),
    "simple-err-credential-subject-result-type.json": (False, False, ""),
    "simple-err-evidence-type.json": (False, False, ""),
    "simple-err-issuer-otheridentifier-type.json": (False, False, ""),
    "simple-err-issuer-parentorg-type.json": (False, False, ""),
    "simple-err-credential-subject-achievement-result-description-type.json": (False, False, ""),
    "simple-err-credential-subject-profile-type.json": (False, False, ""),
    # identityType "email", and embedded endorsements without id/name
    "complete_v1.json": (False, False, ""),
}

#: Schema negatives: the path our first issue must name (the place the fixture breaks).
NEGATIVE_PATHS = {
    "simple-err-type.json": "$.type",
    "simple-err-context.json": "$['@context'][0]",
    "simple-err-credential-subject-type.json": "$.credentialSubject.type",
    "simple-err-issuer-type.json": "$.issuer.type",
    "simple-err-credential-subject-identifier-type.json": "$.credentialSubject.identifier[0].type",
    "simple-err-credential-subject-result-type.json": "$.credentialSubject.result[1].type",
    "simple-err-evidence-type.json": "$.evidence[1].type",
    "simple-err-issuer-otheridentifier-type.json": "$.issuer.otherIdentifier[1].type",
    "simple-err-issuer-parentorg-type.json": "$.issuer.parentOrg.type",
    "simple-err-credential-subject-achievement-result-description-type.json": (
        "$.credentialSubject.achievement.resultDescription[2].type"
    ),
    "simple-err-credential-subject-profile-type.json": "$.credentialSubject.source.type",
    "simple-err-issuer.json": "$.issuer",
}


@pytest.fixture(scope="session")
def ob30(vendor: Path) -> Path:
    return vendor / OB30


@pytest.fixture(scope="session")
def official(vendor: Path) -> dict[str, Validator]:
    """1EdTech's published schemas (draft 2019-09, only internal $refs), same format checks."""
    validators: dict[str, Validator] = {}
    for kind in ("achievementcredential", "endorsementcredential", "profile"):
        schema = json.loads((vendor / OFFICIAL / f"{kind}.json").read_text())
        cls = validator_for(schema)
        cls.check_schema(schema)
        validators[kind] = cls(schema, format_checker=FORMAT_CHECKER)
    return validators


def _load(ob30: Path, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ob30 / name).read_text())
    return document


def _official_accepts(official: dict[str, Validator], document: dict[str, Any]) -> bool:
    kind = (
        "endorsementcredential"
        if "EndorsementCredential" in document["type"]
        else "achievementcredential"
    )
    return official[kind].is_valid(document)


def _paths(issues: list[SchemaIssue]) -> list[str]:
    return [issue.path for issue in issues]


# --------------------------------------------------------------------------- our schema files


def test_our_schema_files_are_ours_and_valid() -> None:
    files = sorted(SCHEMA_DIR.glob("*.json"))
    assert [f.name for f in files] == [
        "ob_v3p0_achievementcredential_schema.json",
        "ob_v3p0_achievementcredential_v1_schema.json",
        "ob_v3p0_endorsementcredential_schema.json",
        "ob_v3p0_endorsementcredential_v1_schema.json",
        "ob_v3p0_profile_schema.json",
    ]
    for path in files:
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/" + path.name)
        assert "microcred's own JSON Schema" in schema["$comment"]


def test_every_fixture_is_in_the_verdict_table(ob30: Path) -> None:
    found = {str(p.relative_to(ob30)) for p in ob30.rglob("*.json")} - {"sd/derivedcredential.json"}
    assert found == set(VERDICTS)


# --------------------------------------------------------------------------- ours vs 1EdTech


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_ours_and_official_side_by_side(
    ob30: Path, official: dict[str, Validator], name: str
) -> None:
    ours_ok, official_ok, why = VERDICTS[name]
    document = _load(ob30, name)
    issues = validate_credential(document)
    assert (issues == []) is ours_ok, [i.message for i in issues]
    assert _official_accepts(official, document) is official_ok
    if ours_ok != official_ok:
        assert why, "explain every disagreement"


def test_bitstring_fixture_is_rejected_by_both_for_different_reasons(
    ob30: Path, official: dict[str, Validator]
) -> None:
    """DCV's Bitstring fixture: 1EdTech's schema objects to the single proof object (which OB
    allows); ours to the integer statusListIndex (which BSL forbids)."""
    document = _load(ob30, "bit-string-list/credential-status-revoked.json")
    assert _paths(validate_credential(document)) == ["$.credentialStatus.statusListIndex"]
    document["proof"] = [document["proof"]]
    assert official["achievementcredential"].is_valid(document)
    document["credentialStatus"]["statusListIndex"] = "23"
    assert validate_credential(document) == []


@pytest.mark.parametrize("name", sorted(NEGATIVE_PATHS))
def test_schema_negatives_name_the_failing_place(ob30: Path, name: str) -> None:
    issues = validate_credential(_load(ob30, name))
    assert NEGATIVE_PATHS[name] in _paths(issues)
    for issue in issues:
        assert issue.message.startswith(issue.path + " ")
        assert issue.schema_id == OB_ACHIEVEMENT_SCHEMA_ID


def test_negative_messages_read_as_english(ob30: Path) -> None:
    messages = {
        i.path: i.message for i in validate_credential(_load(ob30, "simple-err-issuer-type.json"))
    }
    assert messages["$.issuer.type"] == (
        "$.issuer.type must include 'Profile', but it is [\"InvalidProfile\"]"
    )
    issues = validate_credential(_load(ob30, "simple-err-type.json"))
    assert any("must include one of 'OpenBadgeCredential'" in i.message for i in issues)
    issues = validate_credential(_load(ob30, "simple-err-issuer.json"))
    assert "$.issuer is required but missing" in [i.message for i in issues]


def test_built_credential_passes_ours_and_official(official: dict[str, Validator]) -> None:
    """What our models emit conforms to both schemas (both accept arrays for `type`)."""
    credential = AchievementCredential(
        context=[
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            OB_EXTENSIONS_CONTEXT,
        ],
        id="urn:uuid:2f0b5bd4-4a8b-4fa4-9a4f-1c0a8f0c3b2e",
        name="Classroom Assessment Micro-credential",
        issuer=Profile(id="https://example.edu/issuers/1", name="Example College"),
        validFrom=datetime(2024, 5, 1, tzinfo=UTC),
        credentialSubject=AchievementSubject(
            identifier=[IdentityObject.hashed_email("teacher@example.org")],
            achievement=Achievement(
                id="https://example.edu/achievements/assessment",
                name="Classroom Assessment",
                description="Designs valid formative assessments.",
                criteria=Criteria(narrative="Submit a portfolio of three assessments."),
                achievementType="MicroCredential",
                image=Image(id="https://example.edu/badge.png", caption="Badge"),
                alignment=[
                    Alignment(
                        targetName="Assessment literacy",
                        targetUrl="https://example.org/frameworks/1#a",
                        targetType="ext:TeacherStandard",
                    )
                ],
                resultDescription=[
                    ResultDescription(id="urn:uuid:1", name="Status", resultType="Status")
                ],
            ),
            result=[Result(resultDescription="urn:uuid:1", status="Completed")],
        ),
        evidence=[Evidence(id="https://example.edu/portfolio/1", name="Portfolio")],
        credentialSchema=[CredentialSchema(id=OB_ACHIEVEMENT_SCHEMA_ID)],
        credentialStatus=RevocationListStatus(id="https://example.edu/revocations"),
    )
    document = credential.model_dump_ob()
    assert validate_credential(document) == []
    assert official["achievementcredential"].is_valid(document)


def test_profiles_side_by_side(ob30: Path, official: dict[str, Validator]) -> None:
    complete = _load(ob30, "complete.json")
    for profile in (complete["issuer"], complete["credentialSubject"]["achievement"]["creator"]):
        assert validate_credential(profile, schema_id=OB_PROFILE_SCHEMA_ID) == []
        assert official["profile"].is_valid(profile)
    broken = copy.deepcopy(complete["issuer"])
    broken["parentOrg"]["type"] = ["Organization"]
    issues = validate_credential(broken, schema_id=OB_PROFILE_SCHEMA_ID)
    assert _paths(issues) == ["$.parentOrg.type"]
    assert issues[0].schema_id == OB_PROFILE_SCHEMA_ID
    assert not official["profile"].is_valid(broken)


# --------------------------------------------------------------------------- rules in code


def test_subject_needs_an_id_or_an_identifier(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    del document["credentialSubject"]["id"]
    issues = validate_credential(document)
    assert _paths(issues) == ["$.credentialSubject"]
    assert "must have an id or at least one identifier" in issues[0].message
    document["credentialSubject"]["identifier"] = []
    assert _paths(validate_credential(document)) == ["$.credentialSubject"]
    document["credentialSubject"]["identifier"] = [
        IdentityObject.hashed_email("a@example.com").model_dump_ob()
    ]
    assert validate_credential(document) == []


def test_criteria_needs_an_id_or_a_narrative(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    document["credentialSubject"]["achievement"]["criteria"] = {}
    issues = validate_credential(document)
    assert _paths(issues) == ["$.credentialSubject.achievement.criteria"]
    assert "an id (a URL describing the criteria) or a narrative" in issues[0].message
    document["credentialSubject"]["achievement"]["criteria"] = {"id": "https://e.edu/c"}
    assert validate_credential(document) == []


def test_status_result_needs_a_status(ob30: Path) -> None:
    document = _load(ob30, "complete.json")
    results = document["credentialSubject"]["result"]
    status_description = "urn:uuid:b07c0387-f2d6-4b65-a3f4-f4e4302ea8f7"  # resultType Status
    results.append({"type": ["Result"], "resultDescription": status_description})
    issues = validate_credential(document)
    assert _paths(issues) == ["$.credentialSubject.result[3].status"]
    assert "resultType 'Status'" in issues[0].message
    results[3]["status"] = "Completed"
    assert validate_credential(document) == []
    # a resultDescription that is not in the document cannot be checked: no issue
    results.append({"type": ["Result"], "resultDescription": "urn:uuid:elsewhere"})
    assert validate_credential(document) == []


# --------------------------------------------------------------------------- details


def test_issues_are_sorted_by_path(ob30: Path) -> None:
    issues = validate_credential(_load(ob30, "complete_v1.json"))
    assert len(issues) > 3
    assert _paths(issues) == sorted(_paths(issues))
    assert "$.credentialSubject.identifier[0].identityType" in _paths(issues)


def test_date_times_need_rfc3339_with_a_zone(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    for good in ("2010-01-01T00:00:00Z", "2010-01-01T00:00:00.5-08:00", "2016-12-31T23:59:60Z"):
        document["validFrom"] = good
        assert validate_credential(document) == [], good
    for bad in ("2010-01-01T00:00:00", "2010-13-01T00:00:00Z", "2010-01-01", "yesterday"):
        document["validFrom"] = bad
        issues = validate_credential(document)
        assert _paths(issues) == ["$.validFrom"], bad
        assert "not a valid date-time" in issues[0].message


def test_extensible_vocabularies(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    achievement = document["credentialSubject"]["achievement"]
    for good in ("Badge", "ext:TeacherBadge", "ext:micro-credential_v1.0"):
        achievement["achievementType"] = good
        assert validate_credential(document) == [], good
    for bad in ("badge", "ext:", "my ext:Badge"):
        achievement["achievementType"] = bad
        issues = validate_credential(document)
        assert _paths(issues) == ["$.credentialSubject.achievement.achievementType"], bad
        assert "nor an extension value" in issues[0].message


def test_hashed_identity_must_look_like_a_hash(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    identity = IdentityObject.hashed_email("a@example.com").model_dump_ob()
    document["credentialSubject"]["identifier"] = [identity]
    assert validate_credential(document) == []
    identity["identityHash"] = "sha256$not-hex"
    issues = validate_credential(document)
    assert _paths(issues) == ["$.credentialSubject.identifier[0].identityHash"]
    identity["hashed"] = False  # plaintext: anything goes
    assert validate_credential(document) == []
    identity["unexpected"] = 1
    assert _paths(validate_credential(document)) == ["$.credentialSubject.identifier[0].unexpected"]


def test_single_values_and_status_entries(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    document["proof"] = document["proof"][0]
    document["credentialSchema"] = {"id": OB_ACHIEVEMENT_SCHEMA_ID, "type": "1Ed"}
    document["credentialStatus"] = [
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://example.edu/status/1",
        },
        {"id": "https://example.edu/revocations", "type": "1EdTechRevocationList"},
    ]
    assert validate_credential(document) == []
    document["credentialStatus"][1] = {"type": "1EdTechRevocationList"}
    assert _paths(validate_credential(document)) == ["$.credentialStatus[1].id"]


def test_context_rules(ob30: Path) -> None:
    document = _load(ob30, "simple.json")
    document["@context"][1] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.json"
    assert _paths(validate_credential(document)) == ["$['@context'][1]"]
    document["@context"] = list(reversed(_load(ob30, "simple.json")["@context"]))
    assert _paths(validate_credential(document)) == ["$['@context'][0]", "$['@context'][1]"]


def test_not_an_object() -> None:
    issues = validate_credential([])  # type: ignore[arg-type]
    assert [(i.path, i.message) for i in issues] == [("$", "$ must be a JSON object")]


# --------------------------------------------------------------------------- schema ids


def test_schema_selection_follows_the_document(ob30: Path) -> None:
    assert schema_id_for(_load(ob30, "simple.json")) == OB_ACHIEVEMENT_SCHEMA_ID
    assert schema_id_for(_load(ob30, "simple_v1.json")) == OB_ACHIEVEMENT_V1_SCHEMA_ID
    assert schema_id_for(_load(ob30, "endorsement-valid.json")) == OB_ENDORSEMENT_SCHEMA_ID
    v1_endorsement = _load(ob30, "endorsement-err-schema-status-refresh.json")
    assert schema_id_for(v1_endorsement) == OB_ENDORSEMENT_V1_SCHEMA_ID
    # a credentialSchema entry naming the official id, on a VC 1.1 document: the VC 1.1 variant
    v1 = _load(ob30, "simple_v1.json")
    assert schema_id_for(v1, OB_ACHIEVEMENT_SCHEMA_ID) == OB_ACHIEVEMENT_V1_SCHEMA_ID
    del v1["name"]  # VC 1.1 OB credentials need a name
    issues = validate_credential(v1, schema_id=OB_ACHIEVEMENT_SCHEMA_ID)
    assert [(i.path, i.schema_id) for i in issues] == [("$.name", OB_ACHIEVEMENT_V1_SCHEMA_ID)]


def test_explicit_schema_id_applies(ob30: Path) -> None:
    simple = _load(ob30, "simple.json")
    issues = validate_credential(simple, schema_id=OB_ENDORSEMENT_SCHEMA_ID)
    assert {"$.credentialSubject.type", "$.type"} <= set(_paths(issues))
    assert {i.schema_id for i in issues} == {OB_ENDORSEMENT_SCHEMA_ID}
    endorsement = _load(ob30, "endorsement-valid.json")
    assert validate_credential(endorsement, schema_id=OB_ENDORSEMENT_SCHEMA_ID) == []


def test_bundled_schema_ids() -> None:
    base = "https://purl.imsglobal.org/spec/ob/v3p0/schema/"
    for kind, ours in (
        ("achievementcredential", OB_ACHIEVEMENT_SCHEMA_ID),
        ("endorsementcredential", OB_ENDORSEMENT_SCHEMA_ID),
        ("profile", OB_PROFILE_SCHEMA_ID),
    ):
        for alias in (
            f"{base}json/ob_v3p0_{kind}_schema.json",
            f"{base}json-ld/ob_v3p0_{kind}_schema.json",
            f"{base}json/ob_v3p0_{kind}-jsonschema1.json",
        ):
            assert alias in BUNDLED_SCHEMA_IDS
            assert bundled_schema(alias)["$id"] == ours
    assert bundled_schema(OB_ACHIEVEMENT_V1_SCHEMA_ID)["$id"] == OB_ACHIEVEMENT_V1_SCHEMA_ID
    assert len(BUNDLED_SCHEMA_IDS) == 11


def test_unbundled_schema_ids_raise(ob30: Path) -> None:
    unknown = "https://accrediter.edu/schema/endorsementcredential.json"
    with pytest.raises(SchemaNotBundled) as raised:
        bundled_schema(unknown)
    assert raised.value.url == unknown
    with pytest.raises(SchemaNotBundled):
        validate_credential(_load(ob30, "simple.json"), schema_id=unknown)


def test_bundled_schema_returns_a_copy() -> None:
    schema = bundled_schema(OB_ACHIEVEMENT_SCHEMA_ID)
    schema["required"].clear()
    assert "credentialSubject" in bundled_schema(OB_ACHIEVEMENT_SCHEMA_ID)["required"]


def test_json_path() -> None:
    assert json_path([]) == "$"
    assert json_path(["credentialSubject", "result", 2, "status"]) == (
        "$.credentialSubject.result[2].status"
    )
    assert json_path(["@context", 0]) == "$['@context'][0]"
    assert json_path(["it's"]) == "$['it\\'s']"


# --------------------------------------------------------------------------- robustness

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
MEMBERS = st.sampled_from(
    ["@context", "type", "issuer", "validFrom", "credentialSubject", "proof", "credentialStatus"]
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(member=MEMBERS, value=JSON_VALUES)
def test_garbage_in_any_member_gives_issues_not_exceptions(
    ob30: Path, member: str, value: Any
) -> None:
    """A verifier validates strangers' documents: every input must come back as issues."""
    document = _load(ob30, "complete.json")
    document[member] = value
    issues = validate_credential(document)
    assert all(isinstance(issue, SchemaIssue) for issue in issues)
    assert _paths(issues) == sorted(_paths(issues))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subject=st.dictionaries(
        st.sampled_from(["id", "identifier", "achievement", "result"]), JSON_VALUES, max_size=4
    )
)
def test_garbage_subjects_give_issues_not_exceptions(ob30: Path, subject: dict[str, Any]) -> None:
    document = _load(ob30, "simple.json")
    document["credentialSubject"] = {"type": ["AchievementSubject"], **subject}
    assert isinstance(validate_credential(document), list)
