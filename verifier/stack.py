"""Stack-completion claims: does this educator hold everything a stack's rule requires?

:func:`verify_stack` takes a stack credential and its components (files, a presentation, or
fetched from the stack credential's ``evidence`` links), or just components and a rule, and
returns one :class:`~verifier.report.VerificationReport`: the stack credential's own checks (when
one is given) plus a ``stack`` check whose ``details`` list each requirement (met or not, why,
with which credentials), each component's verdict, each evidence link, and the same-educator
finding. The contract is in ``verifier/README.md`` ("Stacks").

What makes the claim hold, all of it checked:

1. **The rule.** ``--rule`` (a file or URL), else the stack credential's ``criteria.id``, fetched
   through the guarded fetcher. A stack credential pins its rule with VC 2.0 ``relatedResource``
   (``{"id": <criteria.id>, "digestSRI": "sha384-…"}``): a rule whose bytes no longer match is
   *a rule document changed after issuance* and fails. The rule must also be the one of this
   achievement (its ``id`` is ``criteria.id``, its ``achievement`` the credential's).
2. **Every component fully verifies** through the same pipeline as ``microcred verify``
   (proof, issuer key, dates, status, trust when lists are given, recipient when given). One
   that does not makes the claim fail (indeterminate if it only could not be checked).
3. **Evidence links are what they claim.** Each ``evidence[].id`` of the stack credential must
   return the credential with that id, for the achievement the entry names (its description is
   ``<achievement name> (<achievement id>)``) and for the same educator: otherwise it is a
   *forged evidence link* and fails.
4. **One educator.** With ``recipient`` (an email), every credential must match it. Without,
   subjects are compared: equal ``credentialSubject.id`` values, or identical salted identity
   hashes. Credentials hashed with different salts cannot be linked without the email: that is
   *indeterminate*, with the message saying to give ``--recipient``.
5. **The rule is met** by the valid components (:func:`schemas.stack_eval.evaluate`, the very
   function the issuer uses to issue stack credentials).

Verdict as everywhere: any failed check → invalid, else any indeterminate → indeterminate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keys.errors import FetchError
from schemas.json_values import as_list, objects
from schemas.models import IdentityObject
from schemas.stack_eval import (
    ComponentEvidence,
    ComponentState,
    RequirementResult,
    StackEvaluation,
    Status,
    component_from_credential,
    evaluate,
)
from schemas.stack_rule import RuleError, StackRule, digest_matches, parse_rule
from verifier.context import NO_EXPECTATIONS, Expectations, Tools
from verifier.inputs import BADGE_LINK_ACCEPT, Parsed, ParsedInput, UnusableInput, parse_input
from verifier.pipeline import unusable_report, verify_many
from verifier.report import (
    CheckId,
    CheckResult,
    Outcome,
    Verdict,
    VerificationReport,
    summarize_credential,
)

__all__ = [
    "MAX_EVIDENCE_FETCHES",
    "GivenRule",
    "StackInput",
    "is_stack_credential",
    "load_rule",
    "rule_reference",
    "verify_stack",
]

#: Most evidence links fetched for one claim (a stack is tens of credentials, not thousands).
MAX_EVIDENCE_FETCHES = 64
_DESCRIBED_ACHIEVEMENT = re.compile(r"\(([a-z][a-z0-9+.-]*:[^\s()]+)\)\s*$", re.IGNORECASE)
_NAMED_COMPONENT = re.compile(r"([a-z][a-z0-9+.-]*:\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StackInput:
    """One input of a claim: raw data as :func:`verifier.inputs.parse_input` reads it (a
    credential, a presentation, a JWS, a baked image), and where it came from."""

    data: bytes | str | Mapping[str, Any]
    source: str = "input"


@dataclass(frozen=True)
class GivenRule:
    """A rule given by the verifier's user (``--rule``), with its bytes as given."""

    rule: StackRule
    raw: bytes
    source: str


def load_rule(data: bytes | str | Mapping[str, Any], *, source: str = "rule") -> GivenRule:
    """Read a rule document; :class:`schemas.stack_rule.RuleError` if it is not one."""
    if isinstance(data, Mapping):
        raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    else:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return GivenRule(parse_rule(raw), raw, source)


# --------------------------------------------------------------------------- reading documents


def _subject(document: Mapping[str, Any]) -> Mapping[str, Any]:
    subjects = objects(document.get("credentialSubject"))
    return subjects[0] if subjects else {}


def _achievement(document: Mapping[str, Any]) -> Mapping[str, Any]:
    achievement = _subject(document).get("achievement")
    return achievement if isinstance(achievement, Mapping) else {}


def rule_reference(document: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """``(rule URL, digestSRI or None)`` when ``document`` is a stack credential: one whose
    ``relatedResource`` pins its achievement's ``criteria.id``."""
    criteria = _achievement(document).get("criteria")
    criteria_id = criteria.get("id") if isinstance(criteria, Mapping) else None
    if not isinstance(criteria_id, str):
        return None
    for entry in as_list(document.get("relatedResource")):
        if isinstance(entry, Mapping) and entry.get("id") == criteria_id:
            digest = entry.get("digestSRI")
            return criteria_id, digest if isinstance(digest, str) else None
    return None


def is_stack_credential(document: Mapping[str, Any]) -> bool:
    return rule_reference(document) is not None


def _identity(document: Mapping[str, Any]) -> tuple[str | None, list[IdentityObject]]:
    subject = _subject(document)
    subject_id = subject.get("id") if isinstance(subject.get("id"), str) else None
    identities = []
    for entry in as_list(subject.get("identifier")):
        if isinstance(entry, Mapping):
            try:
                identities.append(IdentityObject.model_validate(entry))
            except ValueError:
                continue
    return subject_id, identities


# --------------------------------------------------------------------------- the work


@dataclass
class _Credential:
    """A credential of the claim, its report, and what this module found about it."""

    parsed: Parsed
    report: VerificationReport
    origin: str  # "given" or "evidence"
    same_educator: Outcome = Outcome.SKIPPED
    educator_note: str = ""

    @property
    def document(self) -> dict[str, Any]:
        return self.parsed.document

    @property
    def id(self) -> str | None:
        value = self.document.get("id")
        return value if isinstance(value, str) else None

    @property
    def ref(self) -> str:
        return self.id or self.parsed.label


@dataclass
class _Evidence:
    """One evidence entry of the stack credential and what its link turned out to be."""

    id: str | None
    name: str | None
    description: str | None
    found: str = "not given"  # given | fetched | unreachable | not given | not a link
    problem: str | None = None
    forged: bool = False
    credential: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "found": self.found,
            "credential": self.credential,
            "forged": self.forged,
            "problem": self.problem,
        }


@dataclass
class _Claim:
    """Everything gathered for one claim, then judged into the ``stack`` check."""

    stack: _Credential | None = None
    components: list[_Credential] = field(default_factory=list)
    evidence: list[_Evidence] = field(default_factory=list)
    rule: StackRule | None = None
    rule_details: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    educator: dict[str, Any] = field(default_factory=dict)


class _ClaimRun:
    """One :func:`verify_stack` run: the tools, the instant, the expectations, and the claim
    being built."""

    def __init__(self, tools: Tools, *, now: datetime, expect: Expectations) -> None:
        self.tools = tools
        self.now = now
        self.expect = expect

    def verify(
        self, data: bytes | str | Mapping[str, Any] | ParsedInput, source: str
    ) -> list[tuple[Parsed, VerificationReport]]:
        """Verify an input; raises :class:`UnusableInput` when it holds no credential."""
        parsed = data if isinstance(data, ParsedInput) else parse_input(data, source=source)
        reports = verify_many(parsed, self.tools, now=self.now, expect=self.expect, source=source)
        return list(zip(parsed.credentials, reports, strict=True))

    # -- 1. which credential is the stack's, and the rule

    def pick_stack(
        self, credentials: list[_Credential], given: GivenRule | None
    ) -> _Credential | None:
        if given is not None:
            for credential in credentials:
                achievement = _achievement(credential.document)
                criteria = achievement.get("criteria")
                criteria_id = criteria.get("id") if isinstance(criteria, Mapping) else None
                if given.rule.achievement == achievement.get("id") or criteria_id == given.rule.id:
                    return credential
            return None
        stacks = [c for c in credentials if is_stack_credential(c.document)]
        if stacks:
            return stacks[0]
        return credentials[0] if len(credentials) == 1 else None

    def load_rule(self, claim: _Claim, given: GivenRule | None) -> None:
        stack = claim.stack
        reference = rule_reference(stack.document) if stack is not None else None
        criteria = _achievement(stack.document).get("criteria") if stack is not None else None
        criteria_id = criteria.get("id") if isinstance(criteria, Mapping) else None
        pinned = reference[1] if reference is not None else None
        details = claim.rule_details
        if given is not None:
            claim.rule = given.rule
            details.update(id=given.rule.id, source=given.source, given=True)
            if stack is not None and criteria_id == given.rule.id and pinned is not None:
                matches = digest_matches(pinned, given.raw)
                details["digest"] = {"expected": pinned, "matches": matches}
                if matches is False:
                    claim.failures.append(
                        f"The rule given ({given.source}) is not the rule this stack credential "
                        "was issued under: its content differs from the digest the credential "
                        "pins, so the rule document changed after issuance."
                    )
            elif stack is not None and criteria_id != given.rule.id:
                claim.warnings.append(
                    f"Judged by the rule given ({given.rule.id}), not by the one the stack "
                    f"credential names ({criteria_id})."
                )
            self._rule_belongs(claim, stack, given.rule, check_id=criteria_id == given.rule.id)
            return
        if stack is None or criteria_id is None:
            return
        details.update(id=criteria_id, source="criteria.id", given=False)
        try:
            fetched = self.tools.fetcher.fetch(criteria_id, accept="application/json")
        except FetchError as error:
            claim.unknowns.append(
                f"The stack's rule could not be fetched from {criteria_id}: {error}"
            )
            return
        try:
            rule = parse_rule(fetched.body)
        except RuleError as error:
            claim.failures.append(
                f"The document at the stack's criteria.id ({criteria_id}) is {error}."
            )
            return
        claim.rule = rule
        if pinned is None:
            claim.warnings.append(
                "The stack credential does not pin its rule with a digest (relatedResource), so a "
                "change to the rule since issuance could not be detected."
            )
        else:
            matches = digest_matches(pinned, fetched.body)
            details["digest"] = {"expected": pinned, "matches": matches}
            if matches is False:
                claim.failures.append(
                    f"The rule document changed after issuance: what {criteria_id} serves now "
                    "does not match the digest the stack credential was signed with."
                )
            elif matches is None:
                claim.warnings.append(f"The rule's digest ({pinned}) uses an unknown algorithm.")
        self._rule_belongs(claim, stack, rule, check_id=True)

    @staticmethod
    def _rule_belongs(
        claim: _Claim, stack: _Credential | None, rule: StackRule, *, check_id: bool
    ) -> None:
        claim.rule_details.update(
            version=rule.version, name=rule.name, achievement=rule.achievement
        )
        if stack is None:
            return
        achievement_id = _achievement(stack.document).get("id")
        if check_id and rule.achievement != achievement_id:
            claim.failures.append(
                f"The rule {rule.id} is the rule of {rule.achievement}, not of this stack "
                f"credential's achievement ({achievement_id})."
            )

    # -- 2. evidence links

    def follow_evidence(self, claim: _Claim, seen: dict[str, _Credential]) -> None:
        assert claim.stack is not None
        fetched = 0
        for entry in as_list(claim.stack.document.get("evidence")):
            if not isinstance(entry, Mapping):
                continue
            item = _Evidence(
                id=entry.get("id") if isinstance(entry.get("id"), str) else None,
                name=entry.get("name") if isinstance(entry.get("name"), str) else None,
                description=entry.get("description")
                if isinstance(entry.get("description"), str)
                else None,
            )
            claim.evidence.append(item)
            target = item.id
            if target is None:
                named = _NAMED_COMPONENT.search(str(entry.get("narrative") or ""))
                target = named.group(1) if named else None
                if target is None:
                    item.found = "not a link"
                    continue
            if target in seen:
                item.found, item.credential = "given", target
                self._check_evidence(item, seen[target])
                continue
            if not target.lower().startswith(("https://", "http://")):
                item.found = "not given"
                item.problem = f"{target} is not a link; give that credential to check it"
                continue
            if fetched >= MAX_EVIDENCE_FETCHES:
                item.found = "unreachable"
                item.problem = f"not fetched: more than {MAX_EVIDENCE_FETCHES} evidence links"
                continue
            fetched += 1
            try:
                body = self.tools.fetcher.fetch(target, accept=BADGE_LINK_ACCEPT).body
            except FetchError as error:
                item.found, item.problem = "unreachable", f"could not be retrieved: {error}"
                continue
            try:
                verified = self.verify(body, target)
            except UnusableInput as error:
                item.found, item.forged = "fetched", True
                item.problem = f"the evidence link does not return a credential: {error.message}"
                continue
            item.found = "fetched"
            if len(verified) != 1:
                item.forged = True
                item.problem = f"the evidence link returns {len(verified)} credentials, not one"
                continue
            parsed, report = verified[0]
            credential = _Credential(parsed, report, origin="evidence")
            item.credential = credential.id
            self._check_evidence(item, credential)
            if credential.id is not None and credential.id in seen:
                continue  # the link returns another credential of the claim: judged above
            claim.components.append(credential)
            seen[credential.ref] = credential

    @staticmethod
    def _check_evidence(item: _Evidence, credential: _Credential) -> None:
        """Does the credential behind ``item`` match what the stack credential says of it?"""
        link = item.id or item.credential
        if item.id is not None and credential.id != item.id:
            item.forged = True
            item.problem = (
                f"forged evidence link: {item.id} returns a different credential "
                f"({credential.id or 'one without an id'})"
            )
            return
        described = _DESCRIBED_ACHIEVEMENT.search(item.description or "")
        actual = _achievement(credential.document).get("id")
        if described and described.group(1) != actual:
            item.forged = True
            item.problem = (
                f"forged evidence link: the stack credential says {link} is for "
                f"{described.group(1)}, but that credential is for {actual}"
            )

    # -- 3. one educator

    def same_educator(self, claim: _Claim) -> None:
        everyone = ([claim.stack] if claim.stack is not None else []) + claim.components
        if not everyone:
            return
        recipient = self.expect.recipient
        if recipient is not None:
            for credential in everyone:
                check = credential.report.check(CheckId.RECIPIENT)
                passed = check is not None and check.outcome is Outcome.PASSED
                credential.same_educator = Outcome.PASSED if passed else Outcome.FAILED
                if not passed:
                    credential.educator_note = "it was not issued to the given recipient"
            failed = [c for c in everyone if c.same_educator is Outcome.FAILED]
            claim.educator = {
                "outcome": str(Outcome.FAILED if failed else Outcome.PASSED),
                "method": "recipient",
                "message": (
                    f"{len(failed)} credential(s) were not issued to {recipient}."
                    if failed
                    else f"Every credential was issued to {recipient}."
                ),
            }
            return
        reference = everyone[0]
        ref_id, ref_identities = _identity(reference.document)
        reference.same_educator = Outcome.PASSED
        methods: set[str] = set()
        for credential in everyone[1:]:
            subject_id, identities = _identity(credential.document)
            if ref_id is not None and subject_id is not None:
                methods.add("subject id")
                same = subject_id == ref_id
                credential.same_educator = Outcome.PASSED if same else Outcome.FAILED
                if not same:
                    credential.educator_note = f"it was issued to {subject_id}, not {ref_id}"
                continue
            outcome, note = _compare_identities(ref_identities, identities)
            methods.add("identifier hash")
            credential.same_educator, credential.educator_note = outcome, note
        outcomes = {c.same_educator for c in everyone}
        if Outcome.FAILED in outcomes:
            summary = Outcome.FAILED
            message = "Some credentials were issued to another educator."
        elif Outcome.INDETERMINATE in outcomes:
            summary = Outcome.INDETERMINATE
            message = (
                "The credentials identify their recipient by salted hashes that cannot be "
                "compared with each other; give the educator's email (--recipient, or "
                "'recipient' over HTTP) to check they all belong to the same person."
            )
        else:
            summary = Outcome.PASSED
            message = "Every credential names the same educator."
        claim.educator = {
            "outcome": str(summary),
            "method": " and ".join(sorted(methods)) or "one credential",
            "message": message,
        }

    # -- 4. judging

    def evidence_for_rule(self, claim: _Claim) -> list[ComponentEvidence]:
        result = []
        for credential in claim.components:
            report = credential.report
            problems = report.problems()
            if credential.same_educator is Outcome.FAILED:
                state = ComponentState.INVALID
                problems.insert(0, f"recipient: {credential.educator_note}")
            elif report.verdict is Verdict.INVALID:
                state = ComponentState.INVALID
            elif (
                report.verdict is Verdict.INDETERMINATE
                or credential.same_educator is Outcome.INDETERMINATE
            ):
                state = ComponentState.INDETERMINATE
                if credential.same_educator is Outcome.INDETERMINATE:
                    problems.insert(0, f"recipient: {credential.educator_note}")
            else:
                state = ComponentState.VALID
            trust = report.check(CheckId.TRUST)
            trusted = (
                None
                if trust is None or trust.outcome is Outcome.SKIPPED
                else trust.outcome is Outcome.PASSED
            )
            result.append(
                component_from_credential(
                    credential.document,
                    ref=credential.ref,
                    state=state,
                    problem="; ".join(p.rstrip(".") for p in problems[:3]) or None,
                    trusted=trusted,
                )
            )
        return result


def _compare_identities(
    reference: Sequence[IdentityObject], other: Sequence[IdentityObject]
) -> tuple[Outcome, str]:
    """Same educator by identity objects alone: identical (hash, salt) pairs say yes; the same
    salt with another hash says no; anything else cannot be told without the email."""
    for mine in reference:
        for theirs in other:
            if mine.identityType != theirs.identityType:
                continue
            if (mine.salt or "") != (theirs.salt or ""):
                continue
            if mine.identityHash.lower() == theirs.identityHash.lower():
                return Outcome.PASSED, ""
            return Outcome.FAILED, "its recipient hash differs under the same salt"
    return Outcome.INDETERMINATE, "it cannot be linked to the same educator without the email"


def _used_for(results: Sequence[RequirementResult]) -> dict[str, RequirementResult]:
    """Credential ref → the (innermost) requirement that used it."""
    found: dict[str, RequirementResult] = {}
    for result in results:
        if result.children:
            found.update(_used_for(result.children))
        for ref in result.used:
            found.setdefault(ref, result)
    return found


def _component_json(
    credential: _Credential, evidence: ComponentEvidence, used_for: Mapping[str, RequirementResult]
) -> dict[str, Any]:
    summary = credential.report.credential
    used = used_for.get(credential.ref)
    return {
        "id": credential.id,
        "source": credential.parsed.label,
        "origin": credential.origin,
        "name": summary.get("name"),
        "achievement": summary.get("achievement"),
        "issuer": summary.get("issuer"),
        "issued": evidence.issued.isoformat().replace("+00:00", "Z") if evidence.issued else None,
        "verdict": str(credential.report.verdict),
        "state": str(evidence.state),
        "sameEducator": str(credential.same_educator),
        "problems": [evidence.problem] if evidence.problem else [],
        "usedFor": used.id if used is not None else None,
        "usedForName": used.name if used is not None else None,
        "checks": {str(c.id): str(c.outcome) for c in credential.report.checks},
    }


#: Checks whose failure means a genuine credential is no longer in force, not a bad one.
_LAPSE_CHECKS = frozenset({CheckId.STATUS, CheckId.VALIDITY})


def _only_lapsed(credential: _Credential) -> bool:
    """Invalid only because it was revoked, suspended or expired: signed by its issuer, about
    this educator, and unchanged. Such a component is left out of the count; a component whose
    proof, key or recipient fails makes the whole claim suspect instead."""
    if credential.same_educator is Outcome.FAILED:
        return False
    failed = {check.id for check in credential.report.checks if check.outcome is Outcome.FAILED}
    return bool(failed) and failed <= _LAPSE_CHECKS


def _judge(
    claim: _Claim, evaluation: StackEvaluation | None, components: Sequence[ComponentEvidence]
) -> CheckResult:
    """The ``stack`` check: the rule met by valid components of one educator, and nothing in
    the claim forged, changed or invalid."""
    failures = list(claim.failures)
    unknowns = list(claim.unknowns)
    #: Evidence that could not be had: what it would show could still change an unmet rule.
    missing: list[str] = []
    for item in claim.evidence:
        if item.forged:
            failures.append(f"Evidence {item.id or item.credential}: {item.problem}.")
        elif item.found in ("unreachable", "not given"):
            missing.append(f"Evidence {item.id or item.name}: {item.problem}.")
    invalid: list[tuple[str, str]] = []
    #: Genuine components of this educator that are no longer valid (revoked, suspended,
    #: expired): not counted, and no reason to doubt the claim when the rule is met without them.
    lapsed: list[tuple[str, str]] = []
    for credential, component in zip(claim.components, components, strict=True):
        if component.state is ComponentState.INVALID and _only_lapsed(credential):
            lapsed.append(
                (component.label, f"{component.label} is not counted: {component.problem}.")
            )
        elif component.state is ComponentState.INVALID:
            invalid.append(
                (component.label, f"{component.label} is not valid: {component.problem}.")
            )
        elif component.state is ComponentState.INDETERMINATE:
            unknowns.append(f"{component.label} could not be fully checked: {component.problem}.")
    requirements = evaluation.requirements if evaluation is not None else ()
    used_for = _used_for(requirements)
    details: dict[str, Any] = {
        "rule": claim.rule_details or None,
        "status": str(evaluation.status) if evaluation is not None else None,
        "requirements": [r.to_json() for r in requirements],
        "components": [
            _component_json(c, e, used_for)
            for c, e in zip(claim.components, components, strict=True)
        ],
        "evidence": [e.to_json() for e in claim.evidence],
        "sameEducator": claim.educator or None,
    }
    if evaluation is None:
        if not failures and not unknowns:
            failures.append("There is no stack rule to judge the claim by.")
        outcome = Outcome.FAILED if failures else Outcome.INDETERMINATE
        return CheckResult(CheckId.STACK, outcome, " ".join([*failures, *unknowns]), details)
    unmet = [r for r in requirements if r.status is Status.UNMET]
    maybe = [r for r in requirements if r.status is Status.INDETERMINATE]
    total = len(requirements)
    if unmet:
        listed = "; ".join(
            f"{r.name}: {r.reason.removeprefix('Not met: ').rstrip('.')}" for r in unmet[:3]
        )
        statement = f"{len(unmet)} of {total} requirements are not met ({listed})"
        # Components whose failure the unmet requirements already tell are not told twice.
        others = [text for label, text in [*invalid, *lapsed] if label not in listed]
        if missing and not failures and not others:
            outcome = Outcome.INDETERMINATE
            message = f"The stack cannot be confirmed: {statement}. " + " ".join(missing)
        else:
            outcome = Outcome.FAILED
            message = f"The stack is not complete: {statement}. " + " ".join(
                [*failures, *others, *missing]
            )
        return CheckResult(CheckId.STACK, outcome, message.strip(), details)
    failures += [text for _, text in invalid]
    unknowns += missing
    if failures:
        return CheckResult(
            CheckId.STACK, Outcome.FAILED, "The stack claim fails: " + " ".join(failures), details
        )
    if maybe or unknowns:
        reasons = [f"{r.name}: {r.reason.removeprefix('Cannot be confirmed: ')}" for r in maybe]
        message = "The stack cannot be confirmed: " + " ".join(
            [*(f"{r}" for r in reasons), *unknowns]
        )
        return CheckResult(CheckId.STACK, Outcome.INDETERMINATE, message, details)
    used = len(evaluation.used)
    name = claim.rule.name if claim.rule is not None else "the rule"
    message = (
        f"The stack is complete: all {total} requirements of {name} are met by {used} valid "
        f"credential{'s' if used != 1 else ''} of the same educator."
    )
    warnings = [*claim.warnings, *(text for _, text in lapsed)]
    if warnings:
        return CheckResult(
            CheckId.STACK, Outcome.WARNING, f"{message} {' '.join(warnings)}", details
        )
    return CheckResult(CheckId.STACK, Outcome.PASSED, message, details)


def verify_stack(
    inputs: Sequence[StackInput],
    tools: Tools,
    *,
    rule: GivenRule | None = None,
    now: datetime,
    expect: Expectations = NO_EXPECTATIONS,
) -> VerificationReport:
    """Verify a stack-completion claim (see the module docstring): one report.

    ``inputs`` hold the stack credential and/or components (a presentation may hold them all).
    ``rule`` is the rule to judge by (``--rule``); without it the stack credential's own rule
    is fetched from its ``criteria.id``. An input that holds no credential makes the whole claim
    unusable (a single failed ``parse`` check, exit 64), as does a claim with no rule at all.
    Callers go through :meth:`verifier.service.Verifier.verify_stack`.
    """
    run = _ClaimRun(tools, now=now, expect=expect)
    credentials: list[_Credential] = []
    for item in inputs:
        try:
            verified = run.verify(item.data, item.source)
        except UnusableInput as error:
            return unusable_report(error.message, source=error.source, now=now)
        credentials += [_Credential(p, r, origin="given") for p, r in verified]
    if not credentials:
        return unusable_report("No credential was given.", source="stack claim", now=now)
    claim = _Claim()
    claim.stack = run.pick_stack(credentials, rule)
    if claim.stack is None and rule is None:
        return unusable_report(
            "No stack rule to judge by: give the stack credential (whose criteria.id names its "
            "rule), or a rule (--rule FILE|URL) with the component credentials.",
            source="stack claim",
            now=now,
        )
    seen: dict[str, _Credential] = {}
    for credential in credentials:
        if credential is claim.stack or credential.ref in seen:
            continue
        seen[credential.ref] = credential
        claim.components.append(credential)
    if claim.stack is not None:
        seen.setdefault(claim.stack.ref, claim.stack)
    run.load_rule(claim, rule)
    if claim.stack is not None:
        run.follow_evidence(claim, seen)
    run.same_educator(claim)
    components = run.evidence_for_rule(claim)
    evaluation = evaluate(claim.rule, components) if claim.rule is not None else None
    stack_check = _judge(claim, evaluation, components)
    if claim.stack is not None:
        checks = [*claim.stack.report.checks, stack_check]
        summary = claim.stack.report.credential
        source = claim.stack.parsed.label
    else:
        assert claim.rule is not None
        count = len(credentials)
        parse = CheckResult(
            CheckId.PARSE,
            Outcome.PASSED,
            f"Read {count} component credential{'s' if count != 1 else ''} and the rule "
            f"{claim.rule.id}; there is no stack credential, so only the rule is judged.",
            {"components": count},
        )
        checks = [parse, stack_check]
        summary = summarize_credential(None, None)
        summary["achievement"] = {
            "id": claim.rule.achievement,
            "name": claim.rule.name,
            "achievementType": None,
        }
        summary["name"] = claim.rule.name
        source = "stack claim"
    return VerificationReport.build(checks, credential=summary, source=source, checked_at=now)
