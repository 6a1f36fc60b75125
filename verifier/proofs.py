"""The ``proof`` and ``issuer_key`` checks, and the holder proof of a presentation.

Two questions, kept apart on purpose because a credential can pass one and fail the other:

* ``proof``: do the proofs verify, i.e. is the content exactly what the key holder signed?
  Every proof is verified and listed. A proof found wrong fails; one that cannot be checked
  (unknown suite) makes a VC indeterminate (Data Integrity: every proof must verify) and is
  set aside for an Open Badge with another verified proof (OB 3.0, as the 1EdTech validator).
* ``issuer_key``: is the key that verified it the *issuer's*? It is when the verification
  method's controller is the issuer (a did:key / did:jwk issuer is its own controller; a did:web
  or https issuer lists the method under ``assertionMethod`` in its document, which the resolver
  already required), or when a trust list the verifier chose pins that key to the issuer. A
  VC-JWT ``jwk`` header binds only a key the issuer's DID itself lists for assertionMethod (a
  did:key / did:jwk issuer is that key; a did:web issuer publishes it), and a key written in a
  URL fragment binds nothing (the resolver never decodes one).

A document that could not be fetched (a did:web document, a controller document) makes these
checks ``indeterminate``, not ``failed``: nothing was found wrong, we could not look.

**Presentations.** A credential that arrives inside a VerifiablePresentation is reported on its
own (one report per credential), and the presentation's holder proof is reported inside each of
those reports' ``proof`` check, under ``details.presentation``. The holder proof must verify
with ``proofPurpose: authentication``, carry the challenge and domain the verifier expects (when
it expects them), and be made by a key the ``holder`` controls (when a holder is named). If it
does not, the ``proof`` check of every credential in the presentation fails (or is
indeterminate if the holder's key could not be fetched): the credential itself may be genuine,
but this presentation of it is not one the verifier can accept (a replay, or someone else's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keys.did import KeyResolver, VerificationMethod, check_controller
from keys.errors import (
    ControllerMismatch,
    InvalidProof,
    InvalidSignature,
    KeyFormatError,
    KeyResolutionError,
    UnsupportedSuite,
)
from keys.keypairs import VerificationKey
from keys.suites import ProofExpectations, ProofResult, proofs_of, verify_proofs
from keys.suites.base import AUTHENTICATION
from microcred.messages import Message, joined
from schemas.canonical import DocumentLoader
from schemas.errors import CanonicalizationError, ContextNotBundled, JsonLdLimitExceeded
from schemas.vocabulary import is_open_badge
from verifier.context import PresentationOutcome, VerificationContext, is_retrieval_failure
from verifier.inputs import Presentation
from verifier.report import CheckId, CheckResult, Outcome

__all__ = ["check_issuer_key", "check_presentation", "check_proof", "explain_proof_error"]


def explain_proof_error(error: BaseException | None) -> Message:
    """A plain-English sentence for a proof failure, followed by the technical reason."""
    if error is None:
        return Message("The proof did not verify.")
    reason = str(error)
    if is_retrieval_failure(error):
        return Message(
            "The signing key could not be retrieved, so the signature cannot be checked: "
            "%(reason)s",
            reason=reason,
        )
    if isinstance(error, InvalidSignature):
        return Message(
            "The signature does not match: the credential was changed after it was signed, or "
            "it was not signed with the key it names (%(reason)s).",
            reason=reason,
        )
    if isinstance(error, UnsupportedSuite):
        return Message("The proof cannot be checked: %(reason)s.", reason=reason)
    if isinstance(error, ContextNotBundled):
        return Message(
            "The credential uses a JSON-LD context microcred does not carry, so what it says "
            "cannot be established: %(reason)s",
            reason=reason,
        )
    if isinstance(error, JsonLdLimitExceeded):
        return Message(
            "The credential asks for more JSON-LD processing than microcred does for one "
            "credential, so its signature was not checked and it is not accepted: %(reason)s",
            reason=reason,
        )
    if isinstance(error, CanonicalizationError):
        return Message(
            "Part of the credential is not covered by its @context, so a signature over it "
            "would not cover everything it shows: %(reason)s",
            reason=reason,
        )
    if isinstance(error, KeyFormatError):
        return Message("The signing key is unusable: %(reason)s", reason=reason)
    if isinstance(error, KeyResolutionError):
        return Message("The signing key could not be confirmed: %(reason)s", reason=reason)
    if isinstance(error, InvalidProof):
        return Message(
            "The proof is malformed or does not match the credential: %(reason)s", reason=reason
        )
    return Message("The proof did not verify: %(reason)s", reason=reason)


def _proof_entry(result: ProofResult) -> dict[str, Any]:
    proof = result.proof
    entry: dict[str, Any] = {
        "type": proof.get("type"),
        "cryptosuite": proof.get("cryptosuite"),
        "verificationMethod": proof.get("verificationMethod"),
        "proofPurpose": proof.get("proofPurpose"),
        "created": proof.get("created"),
        "verified": result.verified,
    }
    if result.method is not None:
        entry["controller"] = result.method.controller
    if result.error is not None:
        entry["error"] = str(result.error)
        entry["errorType"] = type(result.error).__name__
    return {k: v for k, v in entry.items() if v is not None}


def _judge_results(
    results: list[ProofResult], *, presentation: bool = False, open_badge: bool = False
) -> tuple[Outcome, Message, list[dict[str, Any]]]:
    """A proof set or ``previousProof`` chain, judged by the credential's profile.

    Every profile: a proof found *wrong* (a known suite whose signature does not hold) fails the
    credential whatever the others say — a bad proof beside a good one is a tampering sign.
    A proof microcred *cannot check* (a suite it does not know, a key it could not fetch):

    * VC Data Integrity (any VC): every proof must verify, so it leaves the credential
      indeterminate, never passed;
    * Open Badges 3.0: one verified proof suffices and a proof of a type the verifier does not
      support is set aside, as the 1EdTech validator does (its ``simple-multiple-proofs``
      fixture is valid).
    """
    entries = [_proof_entry(r) for r in results]
    verified = [r for r in results if r.verified]
    failures = [r.error for r in results if not r.verified]
    wrong = [e for e in failures if not _cannot_be_checked(e)]
    if wrong or (failures and not (verified and open_badge)):
        explained = [explain_proof_error((wrong or failures)[0])]
        if verified:
            explained.append(
                Message(
                    "%(verified)s of %(count)s proofs verify; every one must.",
                    verified=len(verified),
                    count=len(results),
                )
            )
        outcome = Outcome.FAILED if wrong else Outcome.INDETERMINATE
        return outcome, joined(" ", explained), entries
    first = verified[0]
    assert first.method is not None
    used = {"suite": first.suite, "key": first.method.id}
    if len(verified) > 1:
        said = [
            Message(
                "All %(count)s proofs verify (the first: %(suite)s, key %(key)s).",
                count=len(verified),
                **used,
            )
        ]
    elif presentation:
        said = [Message("The presentation's proof verifies (%(suite)s, key %(key)s).", **used)]
    else:
        said = [Message("The signature verifies (%(suite)s, key %(key)s).", **used)]
    if failures:
        said.append(
            Message(
                "%(count)s other proof(s) could not be checked and are set aside (Open Badges "
                "3.0: one verified proof suffices).",
                count=len(failures),
            )
        )
    return Outcome.PASSED, joined(" ", said), entries


def _cannot_be_checked(error: BaseException | None) -> bool:
    return isinstance(error, UnsupportedSuite) or is_retrieval_failure(error)


def _embedded_proof(ctx: VerificationContext) -> CheckResult:
    results = ctx.proof_results
    if not results:
        return CheckResult(
            CheckId.PROOF,
            Outcome.FAILED,
            Message(
                "The credential has no proof: nothing shows who issued it or that it is unchanged."
            ),
            {"format": "ldp", "proofs": []},
        )
    outcome, message, entries = _judge_results(results, open_badge=is_open_badge(ctx.document))
    return CheckResult(CheckId.PROOF, outcome, message, {"format": "ldp", "proofs": entries})


def _jwt_proof(ctx: VerificationContext) -> CheckResult:
    outcome = ctx.jwt
    if outcome.result is None:
        error = outcome.error
        verdict = Outcome.INDETERMINATE if is_retrieval_failure(error) else Outcome.FAILED
        return CheckResult(
            CheckId.PROOF,
            verdict,
            explain_proof_error(error),
            {"format": "jwt", "error": str(error), "errorType": type(error).__name__},
        )
    result = outcome.result
    details: dict[str, Any] = {
        "format": "jwt",
        "alg": result.header.get("alg"),
        "kid": result.header.get("kid"),
        "jwkHeader": "jwk" in result.header,
        "profile": str(result.profile),
        "warnings": list(result.warnings),
    }
    message = Message("The VC-JWT signature verifies (%(alg)s).", alg=result.header.get("alg"))
    if result.warnings:
        notes = Message("Notes: %(notes)s.", notes="; ".join(result.warnings))
        message = joined(" ", [message, notes])
    return CheckResult(CheckId.PROOF, Outcome.PASSED, message, details)


def _with_presentation(result: CheckResult, presentation: PresentationOutcome) -> CheckResult:
    details = {**result.details, "presentation": dict(presentation.details)}
    if presentation.ok:
        return CheckResult(
            result.id, result.outcome, joined(" ", [result.message, presentation.message]), details
        )
    outcome = (
        Outcome.INDETERMINATE
        if presentation.indeterminate and result.outcome is not Outcome.FAILED
        else Outcome.FAILED
    )
    message = Message(
        "%(presentation)s (The credential's own proof: %(proof)s)",
        presentation=presentation.message,
        proof=result.message,
    )
    return CheckResult(result.id, outcome, message, details)


def check_proof(ctx: VerificationContext) -> CheckResult:
    """Every proof verified; passed if one of a supported suite verifies."""
    result = _jwt_proof(ctx) if ctx.kind == "jwt" else _embedded_proof(ctx)
    if ctx.presentation is not None:
        result = _with_presentation(result, ctx.presentation)
    return result


# --------------------------------------------------------------------------- issuer_key


def _how_bound(method: VerificationMethod) -> Message:
    if method.id.startswith(("did:key:", "did:jwk:")):
        return Message("the issuer's DID is the key itself")
    if method.id.startswith("did:web:"):
        return Message("the issuer's DID document lists it for assertionMethod")
    return Message("the issuer's controller document lists it for assertionMethod")


def _binding(
    ctx: VerificationContext, issuer: str, method: VerificationMethod | None, key: VerificationKey
) -> tuple[Message, dict[str, Any]] | None:
    """How ``key`` is bound to ``issuer``: by its controller, or by a trust-list pin."""
    if method is not None:
        try:
            check_controller(method, issuer)
        except ControllerMismatch:
            pass
        else:
            return _how_bound(method), {"method": method.id, "controller": method.controller}
    pinned_by = ctx.tools.trust.pinning_list(issuer, key)
    if pinned_by is not None:
        entry: dict[str, Any] = {"pinnedBy": pinned_by}
        if method is not None:
            entry |= {"method": method.id, "controller": method.controller}
        return Message("the trust list %(list)s pins it to the issuer", list=repr(pinned_by)), entry
    return None


def _no_key(ctx: VerificationContext, proof: CheckResult | None, has_proofs: bool) -> CheckResult:
    if not has_proofs:
        return CheckResult(
            CheckId.ISSUER_KEY,
            Outcome.SKIPPED,
            Message("There is no proof, so there is no key to check."),
        )
    if proof is not None and proof.outcome is Outcome.INDETERMINATE:
        return CheckResult(
            CheckId.ISSUER_KEY,
            Outcome.INDETERMINATE,
            Message(
                "The proof could not be checked (its key could not be retrieved, or its suite is "
                "not one microcred knows), so whose key it is cannot be established."
            ),
        )
    return CheckResult(
        CheckId.ISSUER_KEY,
        Outcome.SKIPPED,
        Message("No proof verified, so there is no key to bind to the issuer."),
    )


def check_issuer_key(ctx: VerificationContext) -> CheckResult:
    """Passed when a key that verified the credential belongs to its issuer."""
    issuer = ctx.issuer_id
    if issuer is None:
        return CheckResult(
            CheckId.ISSUER_KEY,
            Outcome.FAILED,
            Message("The credential names no issuer id, so no key can be bound to an issuer."),
        )
    if ctx.kind == "jwt":
        result = ctx.jwt.result
        if result is None:
            return _no_key(ctx, _jwt_proof(ctx), has_proofs=True)
        candidates = [(result.method, result.key)]
    else:
        verified = [r for r in ctx.proof_results if r.verified and r.method is not None]
        if not verified:
            return _no_key(ctx, _embedded_proof(ctx), has_proofs=bool(ctx.proof_results))
        candidates = [(r.method, r.method.key) for r in verified if r.method is not None]

    tried = []
    for method, key in candidates:
        bound = _binding(ctx, issuer, method, key)
        if bound is not None:
            how, details = bound
            name = (
                method.id
                if method is not None
                else Message("the key %(thumbprint)s", thumbprint=key.thumbprint())
            )
            return CheckResult(
                CheckId.ISSUER_KEY,
                Outcome.PASSED,
                Message(
                    "The signing key %(key)s belongs to the issuer %(issuer)s: %(how)s.",
                    key=name,
                    issuer=issuer,
                    how=how,
                ),
                {"issuer": issuer, **details},
            )
        tried.append(
            {"method": method.id, "controller": method.controller}
            if method is not None
            else {"jwkThumbprint": key.thumbprint()}
        )
    method, key = candidates[0]
    if method is None:
        message = Message(
            "The VC-JWT names its key only in its own 'jwk' header, and the issuer's DID does "
            "not list that key for assertionMethod, so it binds the key to nobody: anyone can "
            "sign as %(issuer)s that way. The issuer must publish the key (its DID or a 'kid' "
            "it lists) or a trust list must pin it.",
            issuer=issuer,
        )
    else:
        message = Message(
            "The credential was signed with %(key)s, which is controlled by %(controller)s, not "
            "by the issuer %(issuer)s.",
            key=method.id,
            controller=method.controller,
            issuer=issuer,
        )
    return CheckResult(
        CheckId.ISSUER_KEY, Outcome.FAILED, message, {"issuer": issuer, "keys": tried}
    )


# --------------------------------------------------------------------------- presentations


def _holder_id(document: Mapping[str, Any]) -> str | None:
    holder = document.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    return holder if isinstance(holder, str) and holder else None


def check_presentation(
    presentation: Presentation,
    *,
    loader: DocumentLoader,
    resolver: KeyResolver,
    challenge: str | None,
    domain: str | None,
) -> PresentationOutcome:
    """Verify the holder proof of ``presentation`` against the expected challenge and domain."""
    document = presentation.document
    holder = _holder_id(document)
    details: dict[str, Any] = {
        "holder": holder,
        "expectedChallenge": challenge,
        "expectedDomain": domain,
    }
    if not proofs_of(document):
        if challenge is not None or domain is not None:
            return PresentationOutcome(
                False,
                False,
                Message(
                    "The presentation is not signed, so it cannot show that its holder answered "
                    "this verifier's challenge."
                ),
                {**details, "signed": False},
            )
        return PresentationOutcome(
            True,
            False,
            Message("The presentation is not signed (no challenge was expected)."),
            {**details, "signed": False},
        )
    expected = ProofExpectations(proof_purpose=AUTHENTICATION, challenge=challenge, domain=domain)
    results = verify_proofs(document, loader=loader, resolver=resolver, expected=expected)
    outcome, message, entries = _judge_results(results, presentation=True)
    details |= {"signed": True, "proofs": entries}
    if outcome is not Outcome.PASSED:
        indeterminate = outcome is Outcome.INDETERMINATE
        return PresentationOutcome(
            False,
            indeterminate,
            Message("The presentation's holder proof does not verify: %(why)s", why=message),
            {**details, "verified": False},
        )
    verified = [r for r in results if r.verified and r.method is not None]
    if holder is not None:
        bound = []
        for r in verified:
            assert r.method is not None
            try:
                check_controller(r.method, holder)
            except ControllerMismatch:
                continue
            bound.append(r)
        if not bound:
            method = verified[0].method
            assert method is not None
            return PresentationOutcome(
                False,
                False,
                Message(
                    "The presentation was signed with %(key)s, which the holder %(holder)s does "
                    "not control.",
                    key=method.id,
                    holder=holder,
                ),
                {**details, "verified": False},
            )
    note = (
        Message("The presentation's holder proof verifies and answers the expected challenge.")
        if challenge is not None
        else Message(
            "The presentation's holder proof verifies (no challenge was expected, so a replay "
            "cannot be ruled out)."
        )
    )
    return PresentationOutcome(True, False, note, {**details, "verified": True})
