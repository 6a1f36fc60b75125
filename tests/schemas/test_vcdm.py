"""The W3C VC Data Model rules for credentials that are not Open Badges (schemas.vcdm)."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.vcdm import VC2_PROFILE, VC11_PROFILE, typed_member_issues, validate_data_model

VC2 = "https://www.w3.org/ns/credentials/v2"
VC11 = "https://www.w3.org/2018/credentials/v1"


def vc2(**fields: Any) -> dict[str, Any]:
    return {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "name": "Pat"},
        **fields,
    }


def vc11(**fields: Any) -> dict[str, Any]:
    return {**vc2(**fields), "@context": [VC11], "issuanceDate": "2024-01-01T00:00:00Z"}


def _without(document: dict[str, Any], member: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != member}


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(vc2(), id="minimal VC 2.0, no validFrom"),
        pytest.param(vc2(issuer={"id": "https://example.org/i", "name": "X"}), id="issuer object"),
        pytest.param(
            vc2(validFrom="2024-01-01T00:00:00Z", validUntil="2025-01-01T00:00:00Z"), id="dates"
        ),
        pytest.param(vc2(credentialSubject=[{"name": "a"}, {"name": "b"}]), id="two subjects"),
        pytest.param(
            vc2(credentialSchema={"id": "https://example.org/s", "type": "JsonSchema"}),
            id="credentialSchema",
        ),
        pytest.param(vc11(), id="VC 1.1 with issuanceDate"),
    ],
)
def test_conforming_credentials_have_no_issues(document: dict[str, Any]) -> None:
    assert validate_data_model(document) == []


@pytest.mark.parametrize(
    ("document", "path"),
    [
        pytest.param(vc2(**{"@context": VC2}), "$['@context']", id="context a string"),
        pytest.param(
            vc2(**{"@context": ["https://example.org/c"]}), "$['@context'][0]", id="context first"
        ),
        pytest.param(_without(vc2(), "type"), "$.type", id="no type"),
        pytest.param(vc2(type=["OtherCredential"]), "$.type", id="no VerifiableCredential"),
        pytest.param(_without(vc2(), "issuer"), "$.issuer", id="no issuer"),
        pytest.param(vc2(issuer="New Mexico"), "$.issuer", id="issuer not a URL"),
        pytest.param(vc2(issuer={"name": "x"}), "$.issuer.id", id="issuer object without id"),
        pytest.param(_without(vc2(), "credentialSubject"), "$.credentialSubject", id="no subject"),
        pytest.param(vc2(credentialSubject={}), "$.credentialSubject", id="empty subject"),
        pytest.param(
            vc2(credentialSubject={"id": "learner"}),
            "$.credentialSubject.id",
            id="subject id relative",
        ),
        pytest.param(vc2(validFrom="yesterday"), "$.validFrom", id="validFrom"),
        pytest.param(vc2(validUntil="2024-01-01"), "$.validUntil", id="validUntil a date"),
        pytest.param(_without(vc11(), "issuanceDate"), "$.issuanceDate", id="VC 1.1 no date"),
        pytest.param(vc2(id="credential 12"), "$.id", id="id"),
        pytest.param(
            vc2(evidence=[{"id": "https://example.org/e"}]),
            "$.evidence[0].type",
            id="evidence untyped",
        ),
        pytest.param(
            vc2(credentialSchema={"type": "JsonSchema"}),
            "$.credentialSchema.id",
            id="schema without id",
        ),
        pytest.param(vc2(termsOfUse=[]), "$.termsOfUse", id="termsOfUse empty"),
        pytest.param(vc2(refreshService="x"), "$.refreshService", id="refreshService string"),
    ],
)
def test_each_rule_names_the_path(document: dict[str, Any], path: str) -> None:
    issues = validate_data_model(document)
    assert path in {i.path for i in issues}, issues
    issue = next(i for i in issues if i.path == path)
    assert issue.message.startswith(path + " ")


def test_the_profile_follows_the_base_context() -> None:
    assert {i.schema_id for i in validate_data_model(vc2(issuer=None))} == {VC2_PROFILE}
    assert {i.schema_id for i in validate_data_model(vc11(issuer=None))} == {VC11_PROFILE}


def test_typed_member_issues_are_the_typed_rules_alone() -> None:
    document = vc2(issuer=None, credentialStatus={"id": "https://example.org/s#1"})
    assert [i.path for i in typed_member_issues(document)] == ["$.credentialStatus.type"]
