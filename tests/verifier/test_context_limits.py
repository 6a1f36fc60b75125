"""Credentials that ask for too much JSON-LD context work are refused, quickly, with a reason.

The defect: a genuine credential whose ``@context`` repeats the VC 2.0 context 5,000 times
(200 kB; RDFC signs the same dataset, so the signature still holds) took 17 s to verify and was
reported valid. Now the ``context`` check fails naming the limit, the proof is not computed,
and the whole verification takes milliseconds. The time bound below is generous (2 s): it
tells "refused before the work" from "did the work", not how fast the machine is.

Also here, two JCS defects: a credential signed with a JCS suite (which reads no JSON-LD) used
to skip the safe-mode expansion of the ``context`` check whenever its proof verified, so an
unknown context or an undefined term passed as "every term is defined"; and a context added
after signing that redefined signed terms was accepted (the tampering suite found it).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import pytest

from keys.did import did_key
from keys.keypairs import KeyType, SigningKey
from tests.verifier.support import NOW, World, outcomes
from verifier.report import CheckId, Verdict, VerificationReport
from verifier.service import Verifier

VC2 = "https://www.w3.org/ns/credentials/v2"
VC11 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: Far above what refusing costs, far below what processing the abuse costs (17 s and more).
TIME_BOUND_S = 2.0
SUITES = ("eddsa-rdfc-2022", "ecdsa-rdfc-2019", "eddsa-jcs-2022", "Ed25519Signature2020")


def _timed(world: World, document: Any, **options: Any) -> tuple[VerificationReport, float]:
    world.verify(world.signed())  # contexts loaded and processed once, as in a running service
    started = time.perf_counter()
    report = world.verify(document, **options)
    return report, time.perf_counter() - started


def _signed(world: World, suite: str) -> dict[str, Any]:
    if suite.startswith("ecdsa"):
        key = SigningKey.generate(KeyType.P256)
        return world.sign(world.credential(issuer=did_key(key.public_key)), key=key, suite=suite)
    return world.sign(world.credential(), suite=suite)


@pytest.mark.parametrize("suite", SUITES)
def test_a_genuine_credential_with_its_context_repeated_5000_times_is_refused(
    world: World, suite: str
) -> None:
    signed = _signed(world, suite)
    listed = len(signed["@context"])  # Ed25519Signature2020 adds its own context
    signed["@context"] = [*signed["@context"], *[VC2] * 5000]
    report, elapsed = _timed(world, signed)
    assert report.verdict is Verdict.INVALID
    assert elapsed < TIME_BOUND_S, f"{elapsed:.1f}s: the context list was processed"
    context = report.check(CheckId.CONTEXT)
    assert outcomes(report)["context"] == "failed"
    assert "more JSON-LD processing than microcred does" in context.message
    assert f"{listed + 5000} entries in one @context at $.@context; the limit is 32" in (
        context.message
    )
    assert context.details["jsonld"]["errorType"] == "JsonLdLimitExceeded"
    assert len(context.details["@context"]) < 10  # the report does not echo 5,000 entries
    assert outcomes(report)["schema"] == "indeterminate"  # not validated, never passed


def test_the_rdfc_proof_says_why_it_was_not_checked(world: World) -> None:
    signed = world.signed()
    signed["@context"] = [*signed["@context"], *[VC2] * 5000]
    report, _ = _timed(world, signed)
    proof = report.check(CheckId.PROOF)
    assert proof.outcome.value == "failed"
    assert proof.message.startswith(
        "The credential asks for more JSON-LD processing than microcred does for one credential"
    )
    assert "MAX_CONTEXT_ENTRIES" in proof.message


def test_a_context_listed_twice_is_refused(world: World) -> None:
    """One repeat is already refused: the signature (RDFC) still holds, the credential does not."""
    signed = world.signed()
    signed["@context"] = [*signed["@context"], VC2]
    report = world.verify(signed)
    assert report.verdict is Verdict.INVALID
    assert "is listed twice in one @context" in report.check(CheckId.CONTEXT).message


def test_many_node_level_contexts_are_refused(world: World) -> None:
    """The budget is per document: 40 evidence entries each carrying the two contexts already
    in force (the RDF, so the signature, is unchanged by them)."""
    credential = world.credential()
    evidence = credential["evidence"][0]
    credential["evidence"] = [{**evidence, "name": f"part {n}"} for n in range(40)]
    signed = world.sign(credential)
    for entry in signed["evidence"]:
        entry["@context"] = [VC2, OB]
    report, elapsed = _timed(world, signed)
    assert report.verdict is Verdict.INVALID
    assert elapsed < TIME_BOUND_S
    assert "MAX_TOTAL_CONTEXT_ENTRIES" in report.check(CheckId.CONTEXT).message


def test_a_credential_with_8000_tags_is_refused_quickly(world: World) -> None:
    """pyld's duplicate checks are quadratic in a property's values: 8,000 tags (150 kB) took
    40 s per canonicalization, twice per verification."""
    signed = world.signed()
    signed["credentialSubject"]["achievement"]["tag"] = [f"tag {n}" for n in range(8000)]
    report, elapsed = _timed(world, signed)
    assert report.verdict is Verdict.INVALID
    assert elapsed < TIME_BOUND_S
    message = report.check(CheckId.CONTEXT).message
    assert "8000 items in one array at $.credentialSubject.achievement.tag" in message
    assert "MAX_PROPERTY_VALUES" in message


def _scoped(depth: int, terms: int) -> dict[str, Any]:
    """An inline context: ``terms`` definitions, and a term whose scoped context nests
    ``depth`` levels."""
    context: dict[str, Any] = {"leaf": "https://vocab.example/leaf"}
    for level in range(depth):
        context = {"nest": {"@id": f"https://vocab.example/n{level}", "@context": context}}
    return {**context, **{f"t{n}": f"https://vocab.example/{n}" for n in range(terms)}}


@pytest.mark.parametrize(
    ("depth", "terms", "limit"),
    [(12, 0, "MAX_SCOPED_CONTEXT_NESTING"), (1, 5000, "MAX_INLINE_CONTEXT_TERMS")],
    ids=["deep", "wide"],
)
def test_nested_scoped_context_abuse_is_refused_even_where_inline_contexts_are_allowed(
    world: World, depth: int, terms: int, limit: str
) -> None:
    signed = world.signed()
    signed["@context"] = [*signed["@context"], _scoped(depth, terms)]
    signed["credentialSubject"]["@context"] = [_scoped(depth, terms)]
    with Verifier(fetcher=world.fetcher(), loader=world.loader, allow_inline_contexts=True) as v:
        v.verify(world.signed(), now=NOW)
        started = time.perf_counter()
        report = v.verify(signed, now=NOW)
        elapsed = time.perf_counter() - started
    assert report.verdict is Verdict.INVALID
    assert elapsed < TIME_BOUND_S
    assert limit in report.check(CheckId.CONTEXT).message


def test_a_vc_jwt_over_the_limits_is_refused_too(world: World) -> None:
    """A JWT's signature covers its bytes, so JSON-LD problems are only warnings there; a
    document over the limits is not looked at, whatever its format."""
    from tests.verifier.support import raw_jwt, vm_of

    credential = world.credential()
    credential["@context"] = [*credential["@context"], *[VC2] * 100]
    token = raw_jwt(
        {"alg": "EdDSA", "kid": vm_of(world.key_a)},
        {"vc": credential, "iss": world.did_a, "jti": credential["id"], "nbf": 1790726400},
        world.key_a,
    )
    report = world.verify(token)
    assert report.verdict is Verdict.INVALID
    assert "MAX_CONTEXT_ENTRIES" in report.check(CheckId.CONTEXT).message


# ------------------------------------------------------------------ JCS proofs and the context


def test_a_jcs_credential_with_an_unknown_context_is_not_valid(world: World) -> None:
    """JCS signs the JSON, so the proof verifies; but nothing vouches for what the terms mean:
    the context check must still expand the document, and an unbundled context fails it."""
    credential = world.credential()
    credential["@context"] = [*credential["@context"], "https://evil.example/context"]
    report = world.verify(world.sign(credential, suite="eddsa-jcs-2022"))
    assert outcomes(report)["proof"] == "passed"
    assert report.verdict is Verdict.INVALID
    assert "context microcred does not carry" in report.check(CheckId.CONTEXT).message


def test_a_jcs_credential_with_an_undefined_term_is_not_valid(world: World) -> None:
    credential = {
        "@context": [VC11],
        "type": ["VerifiableCredential"],
        "issuer": world.did_a,
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject", "undefinedThing": "not signed as meant"},
    }
    report = world.verify(world.sign(credential, suite="eddsa-jcs-2022"))
    assert outcomes(report)["proof"] == "passed"
    assert report.verdict is Verdict.INVALID
    context = report.check(CheckId.CONTEXT)
    assert "undefinedThing" in context.message
    assert "every term is defined" not in context.message


def test_a_genuine_jcs_credential_is_still_valid(world: World) -> None:
    report = world.verify(world.sign(world.credential(), suite="eddsa-jcs-2022"))
    assert report.verdict is Verdict.VALID, report.to_json()
    assert "every term is defined" in report.check(CheckId.CONTEXT).message


def _ob_on_vc11(world: World) -> dict[str, Any]:
    credential = world.credential()
    credential["@context"] = [VC11, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"]
    credential["issuanceDate"] = credential.pop("validFrom")
    del credential["credentialSchema"]  # its type is not a VC 1.1 / OB 3.0.1 term
    return credential


def test_a_jcs_credential_whose_added_context_redefines_signed_terms_is_not_valid(
    world: World,
) -> None:
    """A JCS proof is verified against the document read under the proof's own @context, which
    the document's may extend (vc-di-eddsa §3.3). The unversioned OB context, added after
    signing an OB 3.0.1 credential on VC 1.1, gives its terms other IRIs and datatypes: the
    signature still verifies, the credential no longer says what was signed."""
    signed = world.sign(_ob_on_vc11(world), suite="eddsa-jcs-2022")
    signed["@context"] = [
        *signed["@context"],
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    ]
    report = world.verify(signed)
    assert outcomes(report)["proof"] == "passed"
    assert report.verdict is Verdict.INVALID
    assert "added after its proof was made" in report.check(CheckId.CONTEXT).message
    assert "change what the signed terms mean" in report.check(CheckId.CONTEXT).message


def test_a_jcs_credential_with_an_added_context_that_changes_nothing_is_valid(
    world: World,
) -> None:
    """The same proof with a context added that defines none of the credential's terms: the
    document means what was signed, as the suite's specification allows."""
    signed = world.sign(_ob_on_vc11(world), suite="eddsa-jcs-2022")
    signed["@context"] = [*signed["@context"], "https://w3id.org/security/multikey/v1"]
    report = world.verify(signed)
    assert report.verdict is Verdict.VALID, report.to_json()


# ------------------------------------------------------------------ the limits' cost


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_each_document_is_walked_once_per_verification(
    world: World, suite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limits are one pass over the JSON (about 1 ms for 1EdTech's ``complete.json``); the
    ``context`` and ``schema`` checks and the expansion share it instead of each walking the
    credential again. (An RDFC proof's canonicalization walks what it signs: the credential
    without its proof, and the proof's options; those are other documents.)"""
    from schemas.jsonld_limits import check_jsonld_limits

    walked: list[str] = []

    def counting(document: Any) -> None:
        walked.append(json.dumps(document, sort_keys=True))
        check_jsonld_limits(document)

    signed = world.sign(world.credential(), suite=suite)
    world.verify(signed)  # contexts loaded once, as in a running service
    for module in list(sys.modules.values()):  # wherever it was imported
        if getattr(module, "check_jsonld_limits", None) is check_jsonld_limits:
            monkeypatch.setattr(module, "check_jsonld_limits", counting)
    report = world.verify(signed)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert walked.count(json.dumps(signed, sort_keys=True)) == 1
    assert len(set(walked)) == len(walked), "a document was walked more than once"
