"""RDFC-1.0 canonicalization in safe mode: the published vectors byte for byte, the escaping
that pyld gets wrong, the terms and IRIs safe mode refuses, and the work budget."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path

import pytest

from schemas.canonical import canonicalize
from schemas.errors import (
    CanonicalizationBudgetExceeded,
    ContextNotBundled,
    RelativeIri,
    UndefinedTerm,
)
from schemas.loader import bundled_loader, preloading_loader
from schemas.rdfc import canonicalize_quads, serialize_iri, serialize_literal

OB_VECTOR = "openbadges-specification/_extracted/impl-linked-data-proof-ob"
OB_CANON = "openbadges-specification/ob_v3p0/impl/test-vectors/obv3p0"
W3C = "vc-di-eddsa/TestVectors"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def w3c_loader(vendor: Path):
    """Bundled contexts plus the W3C examples context the W3C vectors use (test-only)."""
    examples = _json(vendor / "vc-data-model/contexts/credentials/examples/v2")
    return preloading_loader(bundled_loader(), {EXAMPLES_V2: examples})


def test_ob_implementation_guide_vector(vendor: Path) -> None:
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    document = {k: v for k, v in signed.items() if k != "proof"}
    canonical = canonicalize(document, loader=bundled_loader())
    assert canonical == (vendor / OB_CANON / "document-canon.txt").read_text()
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    )
    options = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    options["@context"] = signed["@context"]
    canonical_options = canonicalize(options, loader=bundled_loader())
    assert canonical_options == (vendor / OB_CANON / "proof-canon.txt").read_text()


def test_w3c_vc_di_eddsa_vector(vendor: Path, w3c_loader) -> None:
    base = vendor / W3C / "eddsa-rdfc-2022"
    signed = _json(base / "signedDataInt.json")
    document = {k: v for k, v in signed.items() if k != "proof"}
    assert canonicalize(document, loader=w3c_loader) == (base / "canonDocDataInt.txt").read_text()
    config = _json(base / "proofConfigDataInt.json")
    assert canonicalize(config, loader=w3c_loader) == (base / "proofCanonDataInt.txt").read_text()


def test_rdfc_escaping_of_control_characters() -> None:
    """RDFC-1.0 writes \\b \\f and \\uXXXX where pyld's URDNA2015 writes raw bytes."""
    text = "\b\t\n\u000b\f\r\"\\\u007f\u0001 é"
    assert serialize_literal(text) == '"\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F\\u0001 é"'


def test_blank_node_cycle_needs_n_degree_hashing() -> None:
    """Three blank nodes in a cycle all share a first-degree hash: the N-degree path decides."""
    nxt, prv = serialize_iri("http://example.org/vocab#next"), serialize_iri(
        "http://example.org/vocab#prev"
    )
    quads = [
        ("_:e0", nxt, "_:e1", ""),
        ("_:e0", prv, "_:e2", ""),
        ("_:e1", nxt, "_:e2", ""),
        ("_:e1", prv, "_:e0", ""),
        ("_:e2", nxt, "_:e0", ""),
        ("_:e2", prv, "_:e1", ""),
    ]
    expected = (
        "_:c14n0 <http://example.org/vocab#next> _:c14n2 .\n"
        "_:c14n0 <http://example.org/vocab#prev> _:c14n1 .\n"
        "_:c14n1 <http://example.org/vocab#next> _:c14n0 .\n"
        "_:c14n1 <http://example.org/vocab#prev> _:c14n2 .\n"
        "_:c14n2 <http://example.org/vocab#next> _:c14n1 .\n"
        "_:c14n2 <http://example.org/vocab#prev> _:c14n0 .\n"
    )
    assert canonicalize_quads(quads) == expected
    # Labels in the input never matter.
    renamed = [tuple(t.replace("_:e", "_:zz") for t in q) for q in reversed(quads)]
    assert canonicalize_quads(renamed) == expected


def _vc11(**extra: object) -> dict:
    document = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:6a1676b8-b51f-11ed-937b-d76685a20ff5",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:subject"},
    }
    document.update(extra)
    return document


def test_undefined_term_is_refused_not_dropped() -> None:
    with pytest.raises(UndefinedTerm) as caught:
        canonicalize(_vc11(favouriteColour="green"), loader=bundled_loader())
    assert caught.value.term == "favouriteColour"


def test_undefined_type_is_refused() -> None:
    with pytest.raises(RelativeIri):
        canonicalize(_vc11(type=["VerifiableCredential", "MadeUpType"]), loader=bundled_loader())


def test_relative_iri_is_refused() -> None:
    with pytest.raises(RelativeIri):
        canonicalize(_vc11(id="just-a-name"), loader=bundled_loader())


def test_undefined_term_in_an_ob_credential_is_refused(vendor: Path) -> None:
    """The final VC 2.0 context has no @vocab: an undefined term in an OB 3.0 credential is
    refused too, never signed as an issuer-dependent IRI and never dropped."""
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    document = {k: v for k, v in signed.items() if k != "proof"}
    document["credentialSubject"] = {**document["credentialSubject"], "favouriteColour": "green"}
    with pytest.raises(UndefinedTerm):
        canonicalize(document, loader=bundled_loader())


def test_unknown_context_is_an_error_not_a_fetch() -> None:
    document = _vc11()
    document["@context"] = [*document["@context"], "https://example.com/unknown-context.jsonld"]
    with pytest.raises(ContextNotBundled):
        canonicalize(document, loader=bundled_loader())


def test_poisoned_document_fails_closed_fast(vendor: Path) -> None:
    """Two identical results each holding identical alignments: factorial work in pyld."""
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    document = {k: v for k, v in signed.items() if k != "proof"}
    alignment = {"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.com/x"}
    result = {"type": ["Result"], "alignment": [copy.deepcopy(alignment) for _ in range(10)]}
    document["credentialSubject"] = {
        **document["credentialSubject"],
        "result": [copy.deepcopy(result) for _ in range(2)],
    }
    started = time.monotonic()
    with pytest.raises(CanonicalizationBudgetExceeded):
        canonicalize(document, loader=bundled_loader())
    assert time.monotonic() - started < 5


def test_canonical_form_ignores_json_member_order(vendor: Path) -> None:
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    document = {k: v for k, v in signed.items() if k != "proof"}
    reordered = dict(reversed(list(document.items())))
    loader = bundled_loader()
    assert canonicalize(reordered, loader=loader) == canonicalize(document, loader=loader)


def test_value_that_is_not_an_iri_is_refused_not_dropped(vendor: Path) -> None:
    """pyld silently drops a triple whose IRI is malformed (a type name with a space)."""
    signed = _json(vendor / OB_VECTOR / "signed-credential.json")
    document = {k: v for k, v in signed.items() if k != "proof"}
    document["type"] = [*document["type"], "Extra Type"]
    with pytest.raises(RelativeIri):
        canonicalize(document, loader=bundled_loader())
