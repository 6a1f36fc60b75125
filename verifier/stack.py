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
from microcred.messages import Message, as_clause, joined, plural_message
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
                        Message(
                            "The rule given (%(source)s) is not the rule this stack credential "
                            "was issued under: its content differs from the digest the "
                            "credential pins, so the rule document changed after issuance.",
                            source=given.source,
                        )
                    )
            elif stack is not None and criteria_id != given.rule.id:
                claim.warnings.append(
                    Message(
                        "Judged by the rule given (%(given)s), not by the one the stack "
                        "credential names (%(named)s).",
                        given=given.rule.id,
                        named=criteria_id,
                    )
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
                Message(
                    "The stack's rule could not be fetched from %(url)s: %(why)s",
                    url=criteria_id,
                    why=str(error),
                )
            )
            return
        try:
            rule = parse_rule(fetched.body)
        except RuleError as error:
            # Translators: %(problem)s is English ("not JSON", "not a stack rule: …").
            claim.failures.append(
                Message(
                    "The document at the stack's criteria.id (%(url)s) is %(problem)s.",
                    url=criteria_id,
                    problem=str(error),
                )
            )
            return
        claim.rule = rule
        if pinned is None:
            claim.warnings.append(
                Message(
                    "The stack credential does not pin its rule with a digest (relatedResource), "
                    "so a change to the rule since issuance could not be detected."
                )
            )
        else:
            matches = digest_matches(pinned, fetched.body)
            details["digest"] = {"expected": pinned, "matches": matches}
            if matches is False:
                claim.failures.append(
                    Message(
                        "The rule document changed after issuance: what %(url)s serves now does "
                        "not match the digest the stack credential was signed with.",
                        url=criteria_id,
                    )
                )
            elif matches is None:
                claim.warnings.append(
                    Message(
                        "The rule's digest (%(digest)s) uses an unknown algorithm.", digest=pinned
                    )
                )
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
                Message(
                    "The rule %(rule)s is the rule of %(achievement)s, not of this stack "
                    "credential's achievement (%(own)s).",
                    rule=rule.id,
                    achievement=rule.achievement,
                    own=str(achievement_id),
                )
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
                item.problem = Message(
                    "%(target)s is not a link; give that credential to check it", target=target
                )
                continue
            if fetched >= MAX_EVIDENCE_FETCHES:
                item.found = "unreachable"
                item.problem = Message(
                    "not fetched: more than %(limit)s evidence links", limit=MAX_EVIDENCE_FETCHES
                )
                continue
            fetched += 1
            try:
                body = self.tools.fetcher.fetch(target, accept=BADGE_LINK_ACCEPT).body
            except FetchError as error:
                item.found = "unreachable"
                item.problem = Message("could not be retrieved: %(why)s", why=str(error))
                continue
            try:
                verified = self.verify(body, target)
            except UnusableInput as error:
                item.found, item.forged = "fetched", True
                item.problem = Message(
                    "the evidence link does not return a credential: %(why)s", why=error.message
                )
                continue
            item.found = "fetched"
            if len(verified) != 1:
                item.forged = True
                item.problem = Message(
                    "the evidence link returns %(count)s credentials, not one",
                    count=len(verified),
                )
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
            item.problem = Message(
                "forged evidence link: %(link)s returns a different credential (%(other)s)",
                link=item.id,
                other=credential.id or Message("one without an id"),
            )
            return
        described = _DESCRIBED_ACHIEVEMENT.search(item.description or "")
        actual = _achievement(credential.document).get("id")
        if described and described.group(1) != actual:
            item.forged = True
            item.problem = Message(
                "forged evidence link: the stack credential says %(link)s is for %(said)s, but "
                "that credential is for %(actual)s",
                link=str(link),
                said=described.group(1),
                actual=str(actual),
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
                    credential.educator_note = Message("it was not issued to the given recipient")
            failed = [c for c in everyone if c.same_educator is Outcome.FAILED]
            claim.educator = {
                "outcome": str(Outcome.FAILED if failed else Outcome.PASSED),
                "method": "recipient",
                "message": (
                    # The English says "credential(s)" whatever the number (the JSON contract);
                    # a translation may choose its word by the number.
                    plural_message(
                        "%(n)s credential(s) were not issued to %(recipient)s.",
                        "%(n)s credential(s) were not issued to %(recipient)s.",
                        len(failed),
                        recipient=recipient,
                    )
                    if failed
                    else Message(
                        "Every credential was issued to %(recipient)s.", recipient=recipient
                    )
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
                    credential.educator_note = Message(
                        "it was issued to %(subject)s, not %(reference)s",
                        subject=subject_id,
                        reference=ref_id,
                    )
                continue
            outcome, note = _compare_identities(ref_identities, identities)
            methods.add("identifier hash")
            credential.same_educator, credential.educator_note = outcome, note
        outcomes = {c.same_educator for c in everyone}
        if Outcome.FAILED in outcomes:
            summary = Outcome.FAILED
            message = Message("Some credentials were issued to another educator.")
        elif Outcome.INDETERMINATE in outcomes:
            summary = Outcome.INDETERMINATE
            message = Message(
                "The credentials identify their recipient by salted hashes that cannot be "
                "compared with each other; give the educator's email (--recipient, or "
                "'recipient' over HTTP) to check they all belong to the same person."
            )
        else:
            summary = Outcome.PASSED
            message = Message("Every credential names the same educator.")
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
                problems.insert(0, joined(": ", ["recipient", credential.educator_note]))
            elif report.verdict is Verdict.INVALID:
                state = ComponentState.INVALID
            elif (
                report.verdict is Verdict.INDETERMINATE
                or credential.same_educator is Outcome.INDETERMINATE
            ):
                state = ComponentState.INDETERMINATE
                if credential.same_educator is Outcome.INDETERMINATE:
                    problems.insert(0, joined(": ", ["recipient", credential.educator_note]))
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
                    problem=joined("; ", [as_clause(p) for p in problems[:3]])
                    if problems
                    else None,
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
            return Outcome.FAILED, Message("its recipient hash differs under the same salt")
    return Outcome.INDETERMINATE, Message(
        "it cannot be linked to the same educator without the email"
    )


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
    the claim forged, changed or invalid. Its sentences are messages (English in the JSON,
    the page's language on the page), put together with ``joined``."""
    failures = list(claim.failures)
    unknowns = list(claim.unknowns)
    #: Evidence that could not be had: what it would show could still change an unmet rule.
    missing: list[str] = []
    for item in claim.evidence:
        if item.forged:
            failures.append(_evidence_problem(item.id or item.credential, item.problem))
        elif item.found in ("unreachable", "not given"):
            missing.append(_evidence_problem(item.id or item.name, item.problem))
    invalid: list[tuple[str, str]] = []
    #: Genuine components of this educator that are no longer valid (revoked, suspended,
    #: expired): not counted, and no reason to doubt the claim when the rule is met without them.
    lapsed: list[tuple[str, str]] = []
    for credential, component in zip(claim.components, components, strict=True):
        label, problem = component.label, component.problem
        if component.state is ComponentState.INVALID and _only_lapsed(credential):
            lapsed.append(
                (
                    label,
                    Message(
                        "%(credential)s is not counted: %(problem)s.",
                        credential=label,
                        problem=problem,
                    ),
                )
            )
        elif component.state is ComponentState.INVALID:
            invalid.append(
                (
                    label,
                    Message(
                        "%(credential)s is not valid: %(problem)s.",
                        credential=label,
                        problem=problem,
                    ),
                )
            )
        elif component.state is ComponentState.INDETERMINATE:
            unknowns.append(
                Message(
                    "%(credential)s could not be fully checked: %(problem)s.",
                    credential=label,
                    problem=problem,
                )
            )
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
            failures.append(Message("There is no stack rule to judge the claim by."))
        outcome = Outcome.FAILED if failures else Outcome.INDETERMINATE
        return CheckResult(CheckId.STACK, outcome, joined(" ", [*failures, *unknowns]), details)
    unmet = [r for r in requirements if r.status is Status.UNMET]
    maybe = [r for r in requirements if r.status is Status.INDETERMINATE]
    total = len(requirements)
    if unmet:
        listed = joined("; ", [joined(": ", [r.name, r.why]) for r in unmet[:3]])
        # The English says "are" whatever the number (the JSON contract); a translation may
        # choose its words by the number of requirements not met.
        statement = plural_message(
            "%(n)s of %(total)s requirements are not met (%(listed)s)",
            "%(n)s of %(total)s requirements are not met (%(listed)s)",
            len(unmet),
            total=total,
            listed=listed,
        )
        # Components whose failure the unmet requirements already tell are not told twice.
        others = [text for label, text in [*invalid, *lapsed] if label not in listed]
        if missing and not failures and not others:
            outcome = Outcome.INDETERMINATE
            message = joined(
                " ",
                [
                    Message("The stack cannot be confirmed: %(statement)s.", statement=statement),
                    *missing,
                ],
            )
        else:
            outcome = Outcome.FAILED
            message = joined(
                " ",
                [
                    Message("The stack is not complete: %(statement)s.", statement=statement),
                    *failures,
                    *others,
                    *missing,
                ],
            )
        return CheckResult(CheckId.STACK, outcome, message, details)
    failures += [text for _, text in invalid]
    unknowns += missing
    if failures:
        return CheckResult(
            CheckId.STACK,
            Outcome.FAILED,
            Message("The stack claim fails: %(failures)s", failures=joined(" ", failures)),
            details,
        )
    if maybe or unknowns:
        reasons = [joined("", [joined(": ", [r.name, r.why]), "."]) for r in maybe]
        message = Message(
            "The stack cannot be confirmed: %(reasons)s", reasons=joined(" ", [*reasons, *unknowns])
        )
        return CheckResult(CheckId.STACK, Outcome.INDETERMINATE, message, details)
    used = len(evaluation.used)
    message = plural_message(
        "The stack is complete: all %(total)s requirements of %(rule)s are met by %(n)s valid "
        "credential of the same educator.",
        "The stack is complete: all %(total)s requirements of %(rule)s are met by %(n)s valid "
        "credentials of the same educator.",
        used,
        total=total,
        rule=claim.rule.name if claim.rule is not None else Message("the rule"),
    )
    warnings = [*claim.warnings, *(text for _, text in lapsed)]
    if warnings:
        return CheckResult(
            CheckId.STACK, Outcome.WARNING, joined(" ", [message, *warnings]), details
        )
    return CheckResult(CheckId.STACK, Outcome.PASSED, message, details)


def _evidence_problem(link: str | None, problem: str | None) -> Message:
    """``Evidence <link>: <problem>.``, as the stack check's message lists it."""
    return Message(
        "Evidence %(link)s: %(problem)s.",
        link=str(link),
        problem=problem,
    )


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
        return unusable_report(Message("No credential was given."), source="stack claim", now=now)
    claim = _Claim()
    claim.stack = run.pick_stack(credentials, rule)
    if claim.stack is None and rule is None:
        return unusable_report(
            Message(
                "No stack rule to judge by: give the stack credential (whose criteria.id names "
                "its rule), or a rule (--rule FILE|URL) with the component credentials."
            ),
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
            plural_message(
                "Read %(n)s component credential and the rule %(rule)s; there is no stack "
                "credential, so only the rule is judged.",
                "Read %(n)s component credentials and the rule %(rule)s; there is no stack "
                "credential, so only the rule is judged.",
                count,
                rule=claim.rule.id,
            ),
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
