"""The W3C VC-API verifier side, on :class:`verifier.service.Verifier` (one verifier, two
vocabularies).

The routes are the issuer's (``issuer/api/routes/vcapi.py``, beside the VC-API's issuing half);
reading a verify request and translating reports needs no database, so it lives here.

``POST /credentials/verify`` and ``POST /presentations/verify`` answer in the VC-API shape,
``{"verified", "checks", "warnings", "errors"}``; the pipeline answers with a report of checks
that each *passed*, *failed*, *warned*, were *indeterminate* or *skipped*. The translation:

* ``checks`` names every check that was required and passed (or passed with a warning);
* ``errors`` holds ``{"name", "message", "check"}`` (DCC's error shape) for every required
  check that failed *or could not be carried out*: an indeterminate check never verifies (the
  pipeline's fail-closed rule, unlike DCC, which reports an unreachable status list and
  verifies anyway);
* ``warnings`` holds warnings, and failures of checks the caller did not require.

Proofs follow Data Integrity, here as in the pipeline: every proof of a proof set or
``previousProof`` chain must verify.

Which checks are required: ``options.checks`` when given (names below, with common aliases),
otherwise every check, and then ``verified`` is the report's verdict: ``verified == (verdict ==
"valid")``, the same answer the CLI, ``POST /verify`` and the page give for the same credential.
The pipeline picks the profile from the credential (the OB 3.0 schema for Open Badges, the VC
Data Model's rules for any other VC), so a plain VC 1.1 or 2.0 credential verifies here on its
own terms. An issuer no trust list recognises is a warning (``untrusted_issuer``), as in the
report, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.json_values import type_names
from schemas.validation import json_kind
from verifier.context import PresentationOutcome
from verifier.inputs import UnusableInput, is_compact_jws
from verifier.report import CheckId, CheckResult, Outcome, Verdict, VerificationReport
from verifier.service import Expectations, Verifier

__all__ = [
    "CHECK_NAMES",
    "InvalidVerifyRequest",
    "PresentationVerification",
    "Verification",
    "verify_credential",
    "verify_presentation",
]

#: The checks a caller may require in ``options.checks``, by VC-API name.
CHECK_NAMES: dict[str, CheckId] = {
    "proof": CheckId.PROOF,
    "issuer_key": CheckId.ISSUER_KEY,
    "context": CheckId.CONTEXT,
    "schema": CheckId.SCHEMA,
    "validity": CheckId.VALIDITY,
    "status": CheckId.STATUS,
    "trust": CheckId.TRUST,
    "endorsement": CheckId.ENDORSEMENT,
}
#: Other implementations' names for the same checks.
ALIASES: dict[str, CheckId] = {
    "credentialStatus": CheckId.STATUS,
    "revocation_status": CheckId.STATUS,
    "expiration": CheckId.VALIDITY,
    "validFrom": CheckId.VALIDITY,
    "validUntil": CheckId.VALIDITY,
    "valid_signature": CheckId.PROOF,
    "issuer": CheckId.ISSUER_KEY,
    "registered_issuer": CheckId.TRUST,
    "jsonld": CheckId.CONTEXT,
}


class InvalidVerifyRequest(ValueError):
    """The verify request's body is not what the VC-API asks for (HTTP 400)."""

    def __init__(self, message: str, name: str = "invalid_request") -> None:
        super().__init__(message)
        self.name = name
        self.message = message


# ------------------------------------------------------------------------------ options


@dataclass(frozen=True)
class VerifyOptions:
    """``options`` of a verify request: required checks, and a presentation's challenge."""

    checks: tuple[CheckId, ...] | None = None
    challenge: str | None = None
    domain: str | None = None


def _parse_options(value: Any) -> VerifyOptions:
    if value is None:
        return VerifyOptions()
    if not isinstance(value, dict):
        raise InvalidVerifyRequest(f"options must be an object or null, not {json_kind(value)}")
    checks = value.get("checks")
    required: tuple[CheckId, ...] | None = None
    if checks is not None:
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            raise InvalidVerifyRequest("options.checks must be an array of check names")
        found = []
        for name in checks:
            check = CHECK_NAMES.get(name) or ALIASES.get(name)
            if check is None:
                raise InvalidVerifyRequest(
                    f"options.checks: unknown check {name!r}; known: {', '.join(CHECK_NAMES)}"
                )
            found.append(check)
        required = tuple(dict.fromkeys(found))
    for member in ("challenge", "domain"):
        if value.get(member) is not None and not isinstance(value[member], str):
            raise InvalidVerifyRequest(f"options.{member} must be a string")
    return VerifyOptions(required, value.get("challenge"), value.get("domain"))


def _body(body: Any, member: str) -> tuple[Any, VerifyOptions]:
    if not isinstance(body, dict):
        raise InvalidVerifyRequest(
            f'the request body must be a JSON object {{"{member}": ...}}, not {json_kind(body)}'
        )
    value = body.get(member)
    if value is None:
        raise InvalidVerifyRequest(f"{member} is required")
    if not isinstance(value, dict | str):
        raise InvalidVerifyRequest(
            f"{member} must be an object (or a compact JWS string), not {json_kind(value)}"
        )
    if isinstance(value, str) and not is_compact_jws(value):
        # A credential serialised into a string is not the object the VC-API asks for.
        raise InvalidVerifyRequest(
            f"{member} is a string but not a compact JWS: send the credential as a JSON object",
            "PARSING_ERROR",
        )
    return value, _parse_options(body.get("options"))


# ------------------------------------------------------------------------------ judging


@dataclass(frozen=True)
class Verification:
    """One credential's VC-API result, and the pipeline report it was read from."""

    verified: bool
    checks: list[str]
    warnings: list[dict[str, str]]
    errors: list[dict[str, str]]
    report: VerificationReport | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "verified": self.verified,
            "checks": self.checks,
            "warnings": self.warnings,
            "errors": self.errors,
        }
        if self.report is not None:
            body["credentialId"] = self.report.credential.get("id")
            body["report"] = self.report.to_json()
        return body


def _error_name(check: CheckResult) -> str:
    """A stable, DCC-style name for a check that did not pass."""
    if check.outcome is Outcome.INDETERMINATE:
        proofs = check.details.get("proofs") or []
        if proofs and all(p.get("errorType") == "UnsupportedSuite" for p in proofs):
            return "unsupported_proof_suite"
        return {
            CheckId.PROOF: "key_unresolved",
            CheckId.ISSUER_KEY: "key_unresolved",
            CheckId.STATUS: "status_list_not_found",
        }.get(check.id, f"{check.id}_indeterminate")
    if check.id is CheckId.PROOF:
        return "no_proof" if check.details.get("proofs") == [] else "invalid_signature"
    if check.id is CheckId.STATUS:
        for entry in check.details.get("entries", []):
            if entry.get("outcome") == Outcome.FAILED and entry.get("status"):
                if entry.get("statusPurpose") == "revocation":
                    return "revoked"
                if entry.get("statusPurpose") == "suspension":
                    return "suspended"
        return "revoked" if "REVOKED" in check.message else "invalid_status"
    if check.id is CheckId.VALIDITY:
        if "expired" in check.message:
            return "expired"
        if "not valid yet" in check.message:
            return "not_yet_valid"
        return "invalid_validity_period"
    return {
        CheckId.CONTEXT: "invalid_jsonld",
        CheckId.SCHEMA: "invalid_schema",
        CheckId.ISSUER_KEY: "issuer_key_mismatch",
        CheckId.TRUST: "untrusted_issuer",
        CheckId.ENDORSEMENT: "invalid_endorsement",
    }.get(check.id, f"{check.id}_failed")


def _entry(check: CheckResult) -> dict[str, str]:
    return {"name": _error_name(check), "message": check.message, "check": str(check.id)}


def judge(report: VerificationReport, required: Sequence[CheckId] | None) -> Verification:
    """The VC-API verdict on one pipeline report (see the module docstring).

    Without ``options.checks`` ``verified`` is exactly ``report.verdict == "valid"``: the same
    verdict the CLI, ``POST /verify`` and the page give.
    """
    if report.unusable:
        parse = report.checks[0]
        return Verification(
            False, [], [], [{"name": "invalid_credential", "message": parse.message}], report
        )
    checks = list(report.checks)
    passed: list[str] = []
    warnings: list[dict[str, str]] = []
    errors: list[dict[str, str]] = []
    for check in checks:
        if check.id is CheckId.PARSE:
            continue
        is_required = required is None or check.id in required
        if check.outcome is Outcome.SKIPPED:
            if required is not None and check.id in required:
                warnings.append(
                    {
                        "name": f"{check.id}_not_applicable",
                        "message": check.message,
                        "check": str(check.id),
                    }
                )
            continue
        if check.outcome in (Outcome.PASSED, Outcome.WARNING):
            if is_required:
                passed.append(str(check.id))
            if check.outcome is Outcome.WARNING:
                name = _error_name(check) if check.id is CheckId.TRUST else f"{check.id}_warning"
                warnings.append({**_entry(check), "name": name})
            continue
        (errors if is_required else warnings).append(_entry(check))
    if required is not None:
        missing = [c for c in required if c not in {x.id for x in checks}]
        for check_id in missing:
            warnings.append(
                {
                    "name": f"{check_id}_not_applicable",
                    "message": f"The {check_id} check does not apply to this credential.",
                    "check": str(check_id),
                }
            )
    verified = not errors if required is not None else report.verdict is Verdict.VALID
    return Verification(verified, passed, warnings, errors, report)


# ------------------------------------------------------------------------------ credentials


def verify_credential(verifier: Verifier, body: Any, *, now: datetime) -> Verification:
    """``POST /credentials/verify``: one credential (JSON, or a VC-JWT string).

    Raises :class:`InvalidVerifyRequest` for a body that is not a verify request.
    """
    credential, options = _body(body, "verifiableCredential")
    if "VerifiablePresentation" in type_names(credential):
        raise InvalidVerifyRequest(
            "verifiableCredential is a presentation: send it to /presentations/verify"
        )
    report = verifier.verify(credential, source="verifiableCredential", now=now)
    return judge(report, options.checks)


# ------------------------------------------------------------------------------ presentations


@dataclass(frozen=True)
class PresentationVerification:
    """A presentation's VC-API result: its holder proof, then every credential in it."""

    verified: bool
    presentation: Verification
    credentials: list[Verification]

    def to_json(self) -> dict[str, Any]:
        # Entries of a credential say which one (its index), so they hold a number too.
        errors: list[Mapping[str, str | int]] = [*self.presentation.errors]
        warnings: list[Mapping[str, str | int]] = [*self.presentation.warnings]
        for index, result in enumerate(self.credentials):
            errors += [{**e, "credential": index} for e in result.errors]
            warnings += [{**w, "credential": index} for w in result.warnings]
        return {
            "verified": self.verified,
            "checks": self.presentation.checks,
            "warnings": warnings,
            "errors": errors,
            "presentationResult": {
                "verified": self.presentation.verified,
                "checks": self.presentation.checks,
                "errors": self.presentation.errors,
                "warnings": self.presentation.warnings,
            },
            "credentialResults": [c.to_json() for c in self.credentials],
        }


def _holder_result(outcome: PresentationOutcome, challenge: str | None) -> Verification:
    details = outcome.details
    if not details.get("signed", False):
        return Verification(
            False,
            [],
            [],
            [
                {
                    "name": "no_proof",
                    "message": "The presentation has no proof: an authentication proof by its "
                    "holder is required.",
                    "check": "proof",
                }
            ],
        )
    if not outcome.ok:
        name = "key_unresolved" if outcome.indeterminate else "invalid_signature"
        return Verification(
            False, [], [], [{"name": name, "message": outcome.message, "check": "proof"}]
        )
    warnings = []
    if challenge is None:
        warnings.append(
            {
                "name": "no_challenge",
                "message": "No options.challenge was given, so a replayed presentation cannot "
                "be told from a fresh one.",
                "check": "proof",
            }
        )
    return Verification(True, ["proof"], warnings, [])


def verify_presentation(
    verifier: Verifier, body: Any, *, now: datetime
) -> PresentationVerification:
    """``POST /presentations/verify``: the holder's ``authentication`` proof, with the expected
    ``options.challenge`` / ``options.domain``, then each credential on its own."""
    presentation, options = _body(body, "verifiablePresentation")
    if not isinstance(presentation, dict):
        raise InvalidVerifyRequest(
            "verifiablePresentation must be a JSON object (VP-JWT is not supported)"
        )
    if "VerifiablePresentation" not in type_names(presentation):
        raise InvalidVerifyRequest(
            'verifiablePresentation.type must include "VerifiablePresentation"'
        )
    try:
        result = verifier.verify_presentation(
            presentation,
            source="verifiablePresentation",
            now=now,
            expect=Expectations(challenge=options.challenge, domain=options.domain),
        )
    except UnusableInput as error:
        raise InvalidVerifyRequest(error.message) from None
    holder = _holder_result(result.holder, options.challenge)
    results: list[Verification] = []
    for _parsed, report in result.credentials:
        results.append(judge(report, options.checks))
    verified = holder.verified and all(r.verified for r in results)
    return PresentationVerification(verified, holder, results)
