"""The verification report: what was checked, how each check came out, and the verdict.

The JSON form is the public contract (``shared/docs/architecture.md``)::

    {"verdict": "valid" | "invalid" | "indeterminate",
     "credential": {"id", "types", "format", "issuer": {"id", "name"}, "subject": {...},
                    "achievement": {"id", "name", "achievementType"}, "validFrom", "validUntil"},
     "checks": [{"id", "outcome", "message", "details"}, ...]}

plus members the contract leaves room for: ``source`` (which input the report is about),
``checkedAt`` (the instant the credential was judged at, i.e. ``--at``) and ``trust``
(``{"status": "established" | "not-established", "list", "entry", "reason"}``: whether a trust
list the verifier relies on recognises the issuer, and which list and entry; see
:func:`trust_standing`).

A valid credential whose issuer nobody recognises keeps the verdict ``valid`` (the signature and
every other check hold); people read :func:`headline`, one function for the page, the CLI and
the badge page, which says "Signature valid — issuer not recognised" for it.

Reports are built by appending one :class:`CheckResult` per check and never by deleting: a
tampered, expired credential shows both failures. The verdict comes from exactly one place,
:func:`decide_verdict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from microcred.messages import Message, joined
from schemas.dates import format_datetime
from schemas.json_values import as_list, objects, type_names

__all__ = [
    "CHECK_LABELS",
    "HEADLINE_INDETERMINATE",
    "HEADLINE_INVALID",
    "HEADLINE_UNREADABLE",
    "HEADLINE_UNRECOGNISED",
    "HEADLINE_VALID",
    "CheckId",
    "CheckResult",
    "Headline",
    "Outcome",
    "TrustStatus",
    "Verdict",
    "VerificationReport",
    "decide_verdict",
    "headline",
    "summarize_credential",
    "trust_standing",
]


class CheckId(StrEnum):
    """The checks a report can hold, in the order the pipeline runs them."""

    PARSE = "parse"
    CONTEXT = "context"
    SCHEMA = "schema"
    PROOF = "proof"
    ISSUER_KEY = "issuer_key"
    VALIDITY = "validity"
    STATUS = "status"
    TRUST = "trust"
    RECIPIENT = "recipient"
    ENDORSEMENT = "endorsement"
    STACK = "stack"


#: Plain names for the checks, for people (the JSON keeps the ids); messages, so the page shows
#: them in its reader's language.
CHECK_LABELS: dict[CheckId, str] = {
    CheckId.PARSE: Message("Readable credential"),
    CheckId.CONTEXT: Message("JSON-LD context"),
    CheckId.SCHEMA: Message("Format (Open Badges or VC Data Model)"),
    CheckId.PROOF: Message("Signature"),
    CheckId.ISSUER_KEY: Message("Issuer's own key"),
    CheckId.VALIDITY: Message("Dates"),
    CheckId.STATUS: Message("Revoked or suspended"),
    CheckId.TRUST: Message("Issuer recognised"),
    CheckId.RECIPIENT: Message("Recipient"),
    CheckId.ENDORSEMENT: Message("Endorsements"),
    CheckId.STACK: Message("Stack"),
}


class Outcome(StrEnum):
    """How one check came out.

    ``warning`` is a flaw that does not make the credential invalid; ``indeterminate`` means the
    check could not be carried out (a document could not be had), which keeps the verdict from
    being ``valid``; ``skipped`` means there was nothing to check (no ``--recipient``, no trust
    list, no endorsements).
    """

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    INDETERMINATE = "indeterminate"
    SKIPPED = "skipped"


class Verdict(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome, a sentence a person can read, and machine-readable details."""

    id: CheckId
    outcome: Outcome
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "outcome": str(self.outcome),
            "message": self.message,
            "details": dict(self.details),
        }


def decide_verdict(checks: Iterable[CheckResult]) -> Verdict:
    """Any failed check → invalid; else any indeterminate → indeterminate; else valid.

    Warnings and skipped checks never block. Fail closed: a check that could not be carried out
    can never yield ``valid``.
    """
    outcomes = {check.outcome for check in checks}
    if Outcome.FAILED in outcomes:
        return Verdict.INVALID
    if Outcome.INDETERMINATE in outcomes:
        return Verdict.INDETERMINATE
    return Verdict.VALID


class TrustStatus(StrEnum):
    """Whether a trust list the verifier relies on recognises the credential's issuer."""

    ESTABLISHED = "established"
    NOT_ESTABLISHED = "not-established"


def trust_standing(checks: Iterable[CheckResult]) -> dict[str, Any]:
    """The report's ``trust`` member, read from its ``trust`` check.

    ``established`` only when the check passed: ``list`` names the first list that recognises
    the issuer and ``entry`` its entry there (``{"id", "name"}``). Otherwise ``not-established``
    with ``list`` and ``entry`` null and ``reason`` the check's sentence (no list given, on no
    list, listed for other achievements, or no usable credential).
    """
    check = next((c for c in checks if c.id is CheckId.TRUST), None)
    if check is not None and check.outcome is Outcome.PASSED:
        matches = check.details.get("matches") or [{}]
        first = matches[0]
        return {
            "status": str(TrustStatus.ESTABLISHED),
            "list": first.get("list"),
            "entry": {"id": check.details.get("issuer"), "name": first.get("issuerName")},
            "reason": check.message,
        }
    return {
        "status": str(TrustStatus.NOT_ESTABLISHED),
        "list": None,
        "entry": None,
        "reason": (
            check.message if check is not None else Message("The credential was not checked.")
        ),
    }


@dataclass(frozen=True)
class Headline:
    """What a person reads first about a report: the words, a tone for their colour (``ok``
    green, ``warn`` amber, ``bad`` red, ``unknown`` grey — never colour alone) and a line saying
    how the issuer was recognised, or why not."""

    text: str
    tone: Literal["ok", "warn", "bad", "unknown"]
    recognition: str


#: The words of :func:`headline`, by case (tests and templates refer to them); messages, so a
#: page shows them in its reader's language and the CLI in English.
HEADLINE_VALID = Message("Valid")
HEADLINE_UNRECOGNISED = Message("Signature valid — issuer not recognised")
HEADLINE_INVALID = Message("Invalid")
HEADLINE_INDETERMINATE = Message("Cannot be checked")
HEADLINE_UNREADABLE = Message("Not a readable credential")


def headline(report: VerificationReport) -> Headline:
    """The one headline the verify page, the CLI and the badge page all show for ``report``."""
    trust = report.trust
    recognition: Message
    if trust["status"] == TrustStatus.ESTABLISHED:
        name = (trust.get("entry") or {}).get("name")
        if name:
            recognition = Message(
                "Issuer recognised: %(list)s (as %(name)s)", list=trust["list"], name=name
            )
        else:
            recognition = Message("Issuer recognised: %(list)s", list=trust["list"])
    else:
        recognition = Message("Issuer not recognised: %(reason)s", reason=trust["reason"])
    if report.unusable:
        return Headline(HEADLINE_UNREADABLE, "bad", recognition)
    if report.verdict is Verdict.INVALID:
        return Headline(HEADLINE_INVALID, "bad", recognition)
    if report.verdict is Verdict.INDETERMINATE:
        return Headline(HEADLINE_INDETERMINATE, "unknown", recognition)
    if trust["status"] == TrustStatus.ESTABLISHED:
        return Headline(HEADLINE_VALID, "ok", recognition)
    return Headline(HEADLINE_UNRECOGNISED, "warn", recognition)


# --------------------------------------------------------------------------- credential summary


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _first_subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subjects = objects(credential.get("credentialSubject"))
    return subjects[0] if subjects else {}


def summarize_credential(credential: Mapping[str, Any] | None, fmt: str | None) -> dict[str, Any]:
    """The report's ``credential`` member: who issued what to whom, and when.

    Reads the document defensively (it may be anything a stranger sent) and always returns the
    full shape, with ``None`` where the document says nothing. VC 1.1 dates
    (``issuanceDate``/``expirationDate``) fill ``validFrom``/``validUntil``. The subject is
    summarised, not copied: its id, type, name, and the kinds of identifier it carries (the
    hashes themselves are not repeated).
    """
    credential = credential if isinstance(credential, Mapping) else {}
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer_summary = {"id": _text(issuer.get("id")), "name": _text(issuer.get("name"))}
    else:
        issuer_summary = {"id": _text(issuer), "name": None}
    subject = _first_subject(credential)
    subject_summary: dict[str, Any] = {
        "id": _text(subject.get("id")),
        "type": type_names(subject),
    }
    if _text(subject.get("name")):
        subject_summary["name"] = subject["name"]
    identifiers = [
        {"identityType": i.get("identityType"), "hashed": i.get("hashed")}
        for i in as_list(subject.get("identifier"))
        if isinstance(i, Mapping)
    ]
    if identifiers:
        subject_summary["identifier"] = identifiers
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    return {
        "id": _text(credential.get("id")),
        "types": type_names(credential),
        "format": fmt,
        "name": _text(credential.get("name")),
        "issuer": issuer_summary,
        "subject": subject_summary,
        "achievement": {
            "id": _text(achievement.get("id")),
            "name": _text(achievement.get("name")),
            "achievementType": _text(achievement.get("achievementType")),
        },
        "validFrom": _text(credential.get("validFrom")) or _text(credential.get("issuanceDate")),
        "validUntil": _text(credential.get("validUntil"))
        or _text(credential.get("expirationDate")),
    }


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class VerificationReport:
    """Everything the verifier found out about one credential."""

    verdict: Verdict
    credential: Mapping[str, Any]
    checks: Sequence[CheckResult]
    source: str = "input"
    checked_at: datetime | None = None

    @classmethod
    def build(
        cls,
        checks: Sequence[CheckResult],
        *,
        credential: Mapping[str, Any],
        source: str,
        checked_at: datetime | None,
    ) -> VerificationReport:
        """A report whose verdict follows from ``checks`` (the only way the pipeline makes one)."""
        return cls(
            verdict=decide_verdict(checks),
            credential=credential,
            checks=tuple(checks),
            source=source,
            checked_at=checked_at,
        )

    @property
    def unusable(self) -> bool:
        """The input could not be read as a credential at all (CLI exit 64, HTTP 400).

        Distinct from a credential that was read and found invalid (exit 1).
        """
        return any(c.id is CheckId.PARSE and c.outcome is Outcome.FAILED for c in self.checks)

    @property
    def trust(self) -> dict[str, Any]:
        """Whether a trust list recognises the issuer (see :func:`trust_standing`)."""
        return trust_standing(self.checks)

    def check(self, check_id: CheckId | str) -> CheckResult | None:
        """The result of one check, or ``None`` if the report does not hold it."""
        for result in self.checks:
            if result.id == check_id:
                return result
        return None

    def problems(self) -> list[str]:
        """``"<check id>: <message>"`` for every check that failed or could not be decided: the
        short account a stack's component list and an issuer's stack review show (a new list,
        the caller may add to it)."""
        return [
            joined(": ", [str(c.id), c.message])
            for c in self.checks
            if c.outcome in (Outcome.FAILED, Outcome.INDETERMINATE)
        ]

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON shape (see the module docstring)."""
        return {
            "verdict": str(self.verdict),
            "credential": dict(self.credential),
            "checks": [check.to_json() for check in self.checks],
            "source": self.source,
            "checkedAt": (
                format_datetime(self.checked_at, fraction=True) if self.checked_at else None
            ),
            "trust": self.trust,
        }
