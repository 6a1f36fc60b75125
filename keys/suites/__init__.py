"""Embedded proof suites, looked up by proof type and cryptosuite, and the proof-set logic.

The suites: ``DataIntegrityProof`` with ``eddsa-rdfc-2022``, ``ecdsa-rdfc-2019`` (P-256 and
P-384), ``eddsa-jcs-2022`` or ``ecdsa-jcs-2019``, the legacy ``Ed25519Signature2020``, and the
older ``Ed25519Signature2018`` (verified, never written). A proof of any other type or
cryptosuite is an :class:`UnsupportedSuite`, which the verifier reports as "cannot be checked"
(indeterminate), not as a bad signature.

``add_proof`` signs (appending to any proofs already there: a proof *set*, or a *chain* when
``previousProof`` names earlier ones); ``verify_proofs`` checks every proof and returns one
result per proof instead of raising, so a verifier can report each (Digital Bazaar's
``ProofSet.verify`` shape).

:data:`SUITES` lists the embedded (Linked Data) suites ``verify_proofs`` recognises. VC-JWT is an
enveloping format and lives in :mod:`keys.suites.vc_jwt`; its :data:`keys.suites.vc_jwt.suite`
implements the same :class:`ProofSuite` protocol (``add_proof(..., suite=vc_jwt.suite)`` works)
but is not in :data:`SUITES`, so an embedded ``JwtProof2020`` is not accepted by ``verify_proofs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keys.did import KeyResolver, VerificationMethod
from keys.errors import InvalidProof, KeysError, UnsupportedSuite
from keys.keypairs import SigningKey
from keys.suites import (
    ecdsa_jcs_2019,
    ecdsa_rdfc_2019,
    ed25519_signature_2018,
    ed25519_signature_2020,
    eddsa_jcs_2022,
    eddsa_rdfc_2022,
)
from keys.suites.base import ProofExpectations, ProofOptions, ProofSuite
from keys.suites.data_integrity import with_previous_proofs
from schemas.canonical import DocumentLoader
from schemas.errors import SchemasError

__all__ = [
    "SUITES",
    "ProofExpectations",
    "ProofOptions",
    "ProofResult",
    "ProofSuite",
    "add_proof",
    "get_suite",
    "proofs_of",
    "suite_for_proof",
    "verify_proofs",
]

#: Every embedded proof suite microcred verifies, by name; it signs with all but the legacy
#: Ed25519Signature2018 (verified only).
SUITES: dict[str, ProofSuite] = {
    s.name: s
    for s in (
        eddsa_rdfc_2022.suite,
        ecdsa_rdfc_2019.suite,
        eddsa_jcs_2022.suite,
        ecdsa_jcs_2019.suite,
        ed25519_signature_2020.suite,
        ed25519_signature_2018.suite,
    )
}


def get_suite(name: str) -> ProofSuite:
    try:
        return SUITES[name]
    except KeyError:
        raise UnsupportedSuite(
            f"unknown proof suite {name!r}; supported: {', '.join(SUITES)}"
        ) from None


def suite_for_proof(proof: Mapping[str, Any]) -> ProofSuite:
    for suite in SUITES.values():
        if suite.handles(proof):
            return suite
    described = proof.get("type")
    if proof.get("cryptosuite"):
        described = f"{described}/{proof.get('cryptosuite')}"
    raise UnsupportedSuite(
        f"unsupported proof suite {described!r} (microcred verifies {', '.join(SUITES)})"
    )


def proofs_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's proofs as a list (``proof`` may be one object or an array)."""
    proof = document.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def add_proof(
    document: Mapping[str, Any],
    *,
    suite: ProofSuite | str,
    key: SigningKey,
    options: ProofOptions,
    loader: DocumentLoader,
) -> dict[str, Any]:
    """A copy of ``document`` with one more proof (the others are kept: a proof set)."""
    chosen = get_suite(suite) if isinstance(suite, str) else suite
    prepared = chosen.prepare_document(document)
    proof = chosen.create_proof(prepared, key=key, options=options, loader=loader)
    existing = proofs_of(prepared)
    prepared["proof"] = [*existing, proof] if existing else proof
    return prepared


@dataclass(frozen=True)
class ProofResult:
    """The outcome for one proof: the key that verified it, or the error that stopped it.

    ``expanded_jsonld``: verifying it expanded the document as JSON-LD in safe mode (an RDFC
    suite), so a verified proof also vouches that every term is defined; a JCS one does not."""

    proof: Mapping[str, Any]
    suite: str | None
    method: VerificationMethod | None
    error: Exception | None
    expanded_jsonld: bool = False

    @property
    def verified(self) -> bool:
        return self.error is None and self.method is not None


def verify_proofs(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    resolver: KeyResolver,
    expected: ProofExpectations | None = None,
) -> list[ProofResult]:
    """Verify every embedded proof; never raises for a bad proof (each result says why)."""
    expected = expected or ProofExpectations()
    proofs = proofs_of(document)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    by_id = {p.get("id"): p for p in proofs if isinstance(p, Mapping) and p.get("id")}
    results: list[ProofResult] = []
    outcome_by_id: dict[str, bool] = {}
    # Chains are verified in dependency order; a proof is only as good as the ones it covers.
    for proof in _dependency_order(proofs, by_id):
        result = _verify_one(document, unsecured, proof, loader, resolver, expected, outcome_by_id)
        if isinstance(proof, Mapping) and proof.get("id"):
            outcome_by_id[proof["id"]] = result.verified
        results.append(result)
    order = {id(p): i for i, p in enumerate(proofs)}
    return sorted(results, key=lambda r: order.get(id(r.proof), 0))


def _previous_ids(previous: Any) -> list[str] | None:
    """The proof ids ``previousProof`` names (none when absent), or ``None`` when it is neither
    a string nor an array of strings: such a proof is malformed, and fails as such."""
    if previous is None or isinstance(previous, str):
        return [] if previous is None else [previous]
    if isinstance(previous, list) and all(isinstance(item, str) for item in previous):
        return list(previous)
    return None


def _dependency_order(
    proofs: list[Mapping[str, Any]], by_id: Mapping[Any, Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    ordered: list[Mapping[str, Any]] = []
    seen: set[int] = set()

    def visit(proof: Mapping[str, Any], depth: int) -> None:
        if id(proof) in seen or depth > len(proofs):
            return
        previous = proof.get("previousProof") if isinstance(proof, Mapping) else None
        for name in _previous_ids(previous) or []:
            if name in by_id:
                visit(by_id[name], depth + 1)
        seen.add(id(proof))
        ordered.append(proof)

    for proof in proofs:
        visit(proof, 0)
    return ordered


def _verify_one(
    document: Mapping[str, Any],
    unsecured: dict[str, Any],
    proof: Any,
    loader: DocumentLoader,
    resolver: KeyResolver,
    expected: ProofExpectations,
    outcome_by_id: Mapping[str, bool],
) -> ProofResult:
    if not isinstance(proof, Mapping):
        return ProofResult({"value": proof}, None, None, InvalidProof("proof is not an object"))
    name: str | None = None
    try:
        suite = suite_for_proof(proof)
        name = suite.name
        target = unsecured
        previous = proof.get("previousProof")
        if previous is not None:
            ids = _previous_ids(previous)
            if ids is None:
                raise InvalidProof("previousProof must be a proof id or an array of proof ids")
            for dep in ids:
                if not outcome_by_id.get(dep, False):
                    raise InvalidProof(f"previousProof {dep!r} is missing or does not verify")
            target = with_previous_proofs(document, previous)
        method = suite.verify_proof(
            target, proof, loader=loader, resolver=resolver, expected=expected
        )
        return ProofResult(proof, name, method, None, expanded_jsonld=suite.reads_jsonld)
    except (KeysError, SchemasError) as error:
        return ProofResult(proof, name, None, error)
