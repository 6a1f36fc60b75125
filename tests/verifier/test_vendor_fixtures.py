"""The 1EdTech validator's OB 3.0 fixtures (``shared/vendor-data``), through the pipeline.

Their https issuers publish nothing we can reach, and their verification methods write the key
in the URL fragment (``https://example.com/issuers/876543#z6Mk…``), which we never decode. So
each issuer's controller document, listing those keys, is served as a preload: what an office
verifying offline does with ``--preload``. Every fixture is judged on what it contains.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from schemas.baking import unbake
from tests.verifier.support import World, outcomes
from verifier.report import CheckId, Verdict
from verifier.trust import TrustStore, parse_trust_list

TESTLIST_URL = (
    "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/"
    "main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist"
)
OB_VECTOR_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def _verify(world: World, dcv: Path, name: str, documents: dict[str, Any], **options: Any):  # type: ignore[no-untyped-def]
    return world.verify((dcv / name).read_bytes(), extra=documents, source=name, **options)


@pytest.mark.parametrize(
    "name",
    [
        "simple.json",
        "simple-context-alias.json",
        "simple-context-version.json",
        "simple-did-web-method.json",
        "simple-eddsa-2022.json",
        "simple-multiple-proofs.json",
        "endorsement-valid.json",
        "simple_v1.json",
        "simple-json.png",
        "simple-json.svg",
    ],
)
def test_positive_fixtures_are_valid(world: World, dcv: Path, dcv_documents, name: str) -> None:
    report = _verify(world, dcv, name, dcv_documents)
    assert report.verdict is Verdict.VALID, report.to_json()


def test_simple_v1_warns_about_the_unversioned_context(world: World, dcv: Path, dcv_documents):
    report = _verify(world, dcv, "simple_v1.json", dcv_documents)
    assert outcomes(report)["context"] == "warning"
    assert report.check(CheckId.PROOF).details["proofs"][0]["type"] == "Ed25519Signature2020"


def test_without_the_issuer_document_the_key_cannot_be_confirmed(world: World, dcv: Path):
    """The key is in the URL fragment, but a fragment binds nothing: indeterminate, not valid."""
    report = _verify(world, dcv, "simple.json", {})
    assert report.verdict is Verdict.INDETERMINATE
    assert outcomes(report)["proof"] == "indeterminate"


@pytest.mark.parametrize(
    "name, failing",
    [
        ("simple-err-context.json", "context"),
        ("simple-err-credential-subject-achievement-result-description-type.json", "schema"),
        ("simple-err-credential-subject-identifier-type.json", "schema"),
        ("simple-err-credential-subject-profile-type.json", "schema"),
        ("simple-err-credential-subject-result-type.json", "schema"),
        ("simple-err-credential-subject-type.json", "schema"),
        ("simple-err-evidence-type.json", "schema"),
        ("simple-err-issuer-otheridentifier-type.json", "schema"),
        ("simple-err-issuer-parentorg-type.json", "schema"),
        ("simple-err-issuer-type.json", "schema"),
        ("simple-err-type.json", "schema"),
        ("simple-err-issuer.json", "issuer_key"),
        ("simple-err-expired.json", "validity"),
        ("simple-err-issued.json", "validity"),
        ("simple-err-proof-method.json", "proof"),
        ("simple-err-proof-method-no-scheme.json", "proof"),
        ("simple-err-proof-method-unknown-did-method.json", "proof"),
        ("simple-err-proof-method-unknown-scheme.json", "proof"),
        ("simple-err-proof-value.json", "proof"),
        ("simple-noproof.json", "proof"),
    ],
)
def test_negative_fixtures_fail_the_right_check(
    world: World, dcv: Path, dcv_documents, name: str, failing: str
) -> None:
    report = _verify(world, dcv, name, dcv_documents)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)[failing] == "failed", report.to_json()


def test_expired_fixture_fails_only_on_dates(world: World, dcv: Path, dcv_documents) -> None:
    report = _verify(world, dcv, "simple-err-expired.json", dcv_documents)
    failed = [k for k, v in outcomes(report).items() if v == "failed"]
    assert failed == ["validity"]


def test_did_key_signature_for_a_urn_issuer_needs_a_pin(world: World, dcv: Path) -> None:
    """The key is a did:key, the issuer a urn:uuid: nothing binds one to the other, unless the
    office pins that key to that issuer in its trust list."""
    report = _verify(world, dcv, "simple-did-key-method.json", {})
    assert outcomes(report)["proof"] == "passed"
    assert outcomes(report)["issuer_key"] == "failed"
    issuer = json.loads((dcv / "simple-did-key-method.json").read_text())["issuer"]["id"]
    from keys.multikey import decode_public_multikey

    jwk = decode_public_multikey(OB_VECTOR_KEY).jwk()
    trust = TrustStore(
        [parse_trust_list({"name": "pins", "issuers": [{"id": issuer, "keys": [jwk]}]})]
    )
    report = _verify(world, dcv, "simple-did-key-method.json", {}, trust=trust)
    assert report.verdict is Verdict.VALID, report.to_json()


def _jwk_header(token: str) -> dict[str, Any]:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["jwk"]


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg", "simple-jwt_v1.png"])
def test_baked_jwts_with_a_bare_jwk_header_need_a_pin(world: World, dcv: Path, name: str) -> None:
    data = (dcv / name).read_bytes()
    _, token = unbake(data)  # type: ignore[misc]
    report = world.verify(data, source=name)
    assert outcomes(report)["proof"] == "passed"
    assert outcomes(report)["issuer_key"] == "failed"
    assert report.verdict is Verdict.INVALID
    issuer = report.credential["issuer"]["id"]
    trust = TrustStore(
        [
            parse_trust_list(
                {
                    "name": "1EdTech test issuers",
                    "issuers": [
                        {"id": issuer, "purposes": ["testing"], "keys": [_jwk_header(token)]}
                    ],
                }
            )
        ]
    )
    report = world.verify(data, source=name, trust=trust)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert report.check(CheckId.ISSUER_KEY).details["pinnedBy"] == "1EdTech test issuers"
    assert outcomes(report)["trust"] == "passed"


def test_simple_jwt_names_no_key_at_all(world: World, dcv: Path) -> None:
    """``simple.jwt`` (a parsing fixture) has neither ``kid`` nor ``jwk`` and no published key
    verifies it: it reads, and its proof fails, with or without a trust list for its issuer."""
    report = _verify(world, dcv, "simple.jwt", {})
    assert outcomes(report)["parse"] == "passed"
    assert report.credential["format"] == "jwt"
    assert outcomes(report)["proof"] == "failed"
    assert "'kid' or 'jwk'" in report.check(CheckId.PROOF).message


def test_complete_fixture(world: World, dcv: Path, dcv_documents) -> None:
    """Valid in itself (with its revocation list served), but its five endorsements use the
    spec's typo 'eddsa-rdf-2022' and lack the extensions context: they are reported and not
    trusted (a warning), and the credential is valid on its own checks."""
    revocations = {
        "https://1edtech.edu/credentials/3732/revocations": {
            "id": "https://1edtech.edu/credentials/3732/revocations",
            "revokedCredential": [],
        }
    }
    report = _verify(world, dcv, "complete.json", {**dcv_documents, **revocations})
    assert report.verdict is Verdict.VALID, report.to_json()
    assert [k for k, v in outcomes(report).items() if v == "failed"] == []
    assert outcomes(report)["endorsement"] == "warning"
    endorsements = report.check(CheckId.ENDORSEMENT).details["endorsements"]
    assert len(endorsements) == 5
    assert all(e["verdict"] == "invalid" for e in endorsements)
    assert any("eddsa-rdf-2022" in p for p in endorsements[0]["problems"])


def test_revoked_by_the_1edtech_bitstring_fixture(world: World, dcv: Path, dcv_documents) -> None:
    documents = {**dcv_documents, TESTLIST_URL: (dcv / "bit-string-list/testlist").read_bytes()}
    report = _verify(world, dcv, "bit-string-list/credential-status-revoked.json", documents)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "passed"
    assert outcomes(report)["status"] == "failed"
    [entry] = report.check(CheckId.STATUS).details["entries"]
    assert entry["status"] == 1
    assert "integer" in entry["note"]
