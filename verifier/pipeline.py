"""The verification pipeline: every input form in, one report per credential out.

``verify_many(data, tools, ...)`` decodes the input (:mod:`verifier.inputs`), checks a
presentation's holder proof once, then runs :data:`STEPS` over each credential, in order::

    parse → context → schema → proof → issuer_key → validity → status → trust → recipient
          → endorsement

Each step is a small function ``check_xxx(ctx) -> CheckResult`` that catches its own typed
errors. Every step runs even after others failed, and the report is built by appending, so a
tampered, expired credential shows both failures. Only an unusable input stops early: its
report holds a single failed ``parse`` check (``report.unusable``). A step that raises anyway (a
bug) is reported as ``indeterminate`` for that check, never as ``passed``, and the remaining
steps still run: the top level never throws for a credential, whatever it contains.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from microcred.messages import Message, as_clause, joined
from schemas.json_values import objects, type_names
from verifier.conformance import check_context, check_schema
from verifier.context import (
    MAX_DEPTH,
    NO_EXPECTATIONS,
    Expectations,
    Tools,
    VerificationContext,
)
from verifier.inputs import Parsed, ParsedInput, UnusableInput, parse_input
from verifier.proofs import check_issuer_key, check_presentation, check_proof
from verifier.report import (
    CheckId,
    CheckResult,
    Outcome,
    Verdict,
    VerificationReport,
    summarize_credential,
)
from verifier.status import check_status
from verifier.validity import check_validity

__all__ = [
    "STEPS",
    "MultipleCredentials",
    "check_endorsement",
    "check_recipient",
    "check_trust",
    "unusable_report",
    "verify_many",
]

logger = logging.getLogger(__name__)

Step = Callable[[VerificationContext], CheckResult]


class MultipleCredentials(ValueError):
    """``Verifier.verify`` was given an input holding several credentials: use
    ``Verifier.verify_many``."""


# --------------------------------------------------------------------------- trust


def _quoted(name: str) -> str:
    """A list's name in quotes, as ``repr`` writes it (the JSON report's English), that stays
    translatable when the name is a message (the service's own list: ``issuer.own_trust``)."""
    written = repr(name)
    if isinstance(name, Message) and written[1:-1] == str(name):  # nothing escaped
        return joined("", [written[0], name, written[-1]])
    return written


def check_trust(ctx: VerificationContext) -> CheckResult:
    """Is the issuer on a trust list the verifier chose (for this achievement)?

    An issuer on none is a *warning*, not a failure: the signature still shows who issued the
    credential and that it is unchanged, only nobody the verifier relies on vouches for that
    issuer. The verdict stays ``valid`` and the report's ``trust`` says ``not-established``;
    the headline (:func:`verifier.report.headline`) makes the difference plain to a person.
    """
    if ctx.role != "credential":
        return CheckResult(CheckId.TRUST, Outcome.SKIPPED, _NOT_FOR_ROLE.get(ctx.role, _NOT_FOR))
    trust = ctx.tools.trust
    if not trust:
        return CheckResult(
            CheckId.TRUST,
            Outcome.SKIPPED,
            Message("No trust list was given, so trust was not judged."),
        )
    issuer, achievement = ctx.issuer_id, ctx.achievement_id
    details: dict[str, Any] = {"issuer": issuer, "lists": trust.names}
    if issuer is None:
        return CheckResult(
            CheckId.TRUST,
            Outcome.WARNING,
            Message("The credential names no issuer id, so it cannot be on any trust list."),
            details,
        )
    matches = trust.lookup(issuer, achievement)
    if matches:
        details["matches"] = [m.to_json() for m in matches]
        described: list[str] = []
        for match in matches:
            text = _quoted(match.list_name)
            if match.jurisdiction:
                text = joined(" ", [text, f"({match.jurisdiction})"])
            if match.purposes:
                text = Message(
                    "%(list)s for %(purposes)s", list=text, purposes=", ".join(match.purposes)
                )
            described.append(text)
        return CheckResult(
            CheckId.TRUST,
            Outcome.PASSED,
            Message(
                "The issuer %(issuer)s is on the trust list %(lists)s.",
                issuer=issuer,
                lists=joined("; ", described),
            ),
            details,
        )
    listed_for_other = trust.entries(issuer)
    if listed_for_other:
        details["listedFor"] = [
            {"list": trust_list.name, "achievements": sorted(entry.achievements or ())}
            for trust_list, entry in listed_for_other
        ]
        message = Message(
            "The issuer %(issuer)s is on %(lists)s, but not for the achievement %(achievement)s.",
            issuer=issuer,
            lists=joined(", ", [_quoted(t.name) for t, _ in listed_for_other]),
            achievement=achievement,
        )
    else:
        message = Message(
            "The issuer %(issuer)s is on none of the trust lists given (%(lists)s): the "
            "signature is valid, but nobody this verifier relies on recognises the issuer.",
            issuer=issuer,
            lists=joined(", ", [_quoted(name) for name in trust.names]),
        )
    return CheckResult(CheckId.TRUST, Outcome.WARNING, message, details)


# --------------------------------------------------------------------------- recipient


def check_recipient(ctx: VerificationContext) -> CheckResult:
    """Does ``--recipient`` identify the credential's subject (OB 3.0 verification step 5)?

    ``credentialSubject.id`` equal to the value (or to ``mailto:`` + it), or an IdentityObject
    that matches: salted md5/sha256 hashes compared case-insensitively, plaintext values too.
    """
    recipient = ctx.recipient
    if recipient is None:
        return CheckResult(
            CheckId.RECIPIENT, Outcome.SKIPPED, Message("No recipient was given to match against.")
        )
    # The pydantic models: only when a recipient is to be matched (not on every `verify`).
    from schemas.models import IdentityObject

    candidates = {recipient, f"mailto:{recipient}"}
    checked: list[str] = []
    for subject in objects(ctx.document.get("credentialSubject")):
        subject_id = subject.get("id")
        if isinstance(subject_id, str) and subject_id in candidates:
            return CheckResult(
                CheckId.RECIPIENT,
                Outcome.PASSED,
                Message("The credential was issued to the given recipient (credentialSubject.id)."),
                {"matchedBy": "credentialSubject.id"},
            )
        identifiers = subject.get("identifier")
        for entry in identifiers if isinstance(identifiers, list) else [identifiers]:
            if not isinstance(entry, Mapping):
                continue
            try:
                identity = IdentityObject.model_validate(entry)
            except ValueError:
                continue
            checked.append(identity.identityType)
            if identity.matches(recipient):
                return CheckResult(
                    CheckId.RECIPIENT,
                    Outcome.PASSED,
                    Message(
                        "The credential was issued to the given recipient (its hashed "
                        "%(identity)s matches).",
                        identity=identity.identityType,
                    )
                    if identity.hashed
                    else Message(
                        "The credential was issued to the given recipient (its %(identity)s "
                        "matches).",
                        identity=identity.identityType,
                    ),
                    {"matchedBy": "identifier", "identityType": identity.identityType},
                )
    return CheckResult(
        CheckId.RECIPIENT,
        Outcome.FAILED,
        Message(
            "The credential was not issued to the given recipient: neither its subject id nor "
            "any of its identifiers match."
        ),
        {"identifiersChecked": checked},
    )


# --------------------------------------------------------------------------- endorsements


def _embedded_endorsements(value: Any, path: str = "$") -> Iterator[tuple[str, Any, str]]:
    """``(path, endorsement, kind)`` for every ``endorsement[]`` / ``endorsementJwt[]`` member
    anywhere in the credential (issuer, achievement, creator, ...), not inside proofs and not
    inside the endorsements themselves (those are verified recursively)."""
    if isinstance(value, Mapping):
        for key, member in value.items():
            if key == "proof":
                continue
            if key in ("endorsement", "endorsementJwt"):
                items = member if isinstance(member, list) else [member]
                kind = "jwt" if key == "endorsementJwt" else "ldp"
                for index, item in enumerate(items):
                    yield f"{path}.{key}[{index}]", item, kind
                continue
            yield from _embedded_endorsements(member, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _embedded_endorsements(item, f"{path}[{index}]")


def check_endorsement(ctx: VerificationContext) -> CheckResult:
    """Every embedded EndorsementCredential, verified through this same pipeline.

    An endorsement is a third party's statement *about* the credential (or its issuer or
    achievement), not part of what the issuer signed. So, as in the 1EdTech validator, one that
    does not verify (bad proof, unsupported suite, expired, revoked, unknown context, too deep
    to check) is reported and not trusted, but does not decide the credential's verdict: the
    check is a ``warning`` listing each endorsement's problems, never ``failed`` or
    ``indeterminate``. The credential's verdict comes from its own checks.
    """
    found = list(_embedded_endorsements(ctx.document))
    if not found:
        return CheckResult(
            CheckId.ENDORSEMENT, Outcome.SKIPPED, Message("There are no endorsements.")
        )
    if ctx.depth >= MAX_DEPTH:
        return CheckResult(
            CheckId.ENDORSEMENT,
            Outcome.WARNING,
            Message(
                "Endorsements are nested more than %(depth)s deep; deeper ones were not checked "
                "and are not trusted. The credential's verdict does not depend on them.",
                depth=MAX_DEPTH,
            ),
        )
    summaries = [_endorsement_summary(ctx, path, item, kind) for path, item, kind in found]
    details = {"endorsements": summaries}
    count = len(summaries)
    untrusted = [s for s in summaries if s["verdict"] != str(Verdict.VALID)]
    if untrusted:
        first = untrusted[0]
        return CheckResult(
            CheckId.ENDORSEMENT,
            Outcome.WARNING,
            Message(
                "%(failed)s of %(count)s endorsement(s) did not verify, so they are not trusted; "
                "the credential's verdict does not depend on them. The first, at %(path)s: "
                "%(problems)s.",
                failed=len(untrusted),
                count=count,
                path=first["path"],
                problems=joined("; ", [as_clause(p) for p in first["problems"][:3]]),
            ),
            details,
        )
    return CheckResult(
        CheckId.ENDORSEMENT,
        Outcome.PASSED,
        Message("All %(count)s endorsement(s) are valid.", count=count),
        details,
    )


def _endorsement_summary(
    ctx: VerificationContext, path: str, item: Any, kind: str
) -> dict[str, Any]:
    """One endorsement's verdict and problems (each a failed or indeterminate check)."""
    try:
        parsed_input = parse_input(item if kind == "ldp" else str(item), source=path)
        [parsed] = parsed_input.credentials
        if kind == "jwt" and parsed.kind != "jwt":
            raise UnusableInput(Message("endorsementJwt holds no compact JWS"), source=path)
    except (UnusableInput, ValueError) as error:
        problem = error.message if isinstance(error, UnusableInput) else str(error)
        return {"path": path, "verdict": str(Verdict.INVALID), "problems": [problem]}
    if "EndorsementCredential" not in type_names(parsed.document):
        return {
            "path": path,
            "verdict": str(Verdict.INVALID),
            "problems": [Message("not an EndorsementCredential")],
        }
    report = _run(ctx.derive(parsed, role="endorsement"))
    return {
        "path": path,
        "id": report.credential.get("id"),
        "issuer": report.credential.get("issuer", {}).get("id"),
        "verdict": str(report.verdict),
        "problems": report.problems(),
    }


# --------------------------------------------------------------------------- the pipeline

#: The checks, in report order (``parse`` is produced by decoding the input).
STEPS: tuple[tuple[CheckId, Step], ...] = (
    (CheckId.CONTEXT, check_context),
    (CheckId.SCHEMA, check_schema),
    (CheckId.PROOF, check_proof),
    (CheckId.ISSUER_KEY, check_issuer_key),
    (CheckId.VALIDITY, check_validity),
    (CheckId.STATUS, check_status),
    (CheckId.TRUST, check_trust),
    (CheckId.RECIPIENT, check_recipient),
    (CheckId.ENDORSEMENT, check_endorsement),
)


_SHAPES = {"ldp": Message("a JSON credential"), "jwt": Message("a VC-JWT (compact JWS)")}
_CARRIERS: dict[str, Callable[[Message], Message]] = {
    "png": lambda shape: Message("%(shape)s baked in a PNG", shape=shape),
    "svg": lambda shape: Message("%(shape)s baked in an SVG", shape=shape),
    "presentation": lambda shape: Message("%(shape)s inside a presentation", shape=shape),
}
#: The trust step's answer for what is not the credential (``VerificationContext.role``).
_NOT_FOR_ROLE = {
    "endorsement": Message(
        "Trust lists apply to the credential's issuer, not to an endorsement's."
    ),
    "status list": Message("Trust lists apply to the credential's issuer, not to a status list's."),
}
_NOT_FOR = Message("Trust lists apply to the credential's issuer only.")


def _parse_check(parsed: Parsed) -> CheckResult:
    what: Message = _SHAPES[parsed.kind]
    if parsed.container in _CARRIERS:
        what = _CARRIERS[parsed.container](what)
    return CheckResult(
        CheckId.PARSE,
        Outcome.PASSED,
        Message("Read %(what)s (%(path)s).", what=what, path=parsed.path)
        if parsed.path
        else Message("Read %(what)s.", what=what),
        {"format": parsed.kind, "container": parsed.container, "path": parsed.path},
    )


def _run_step(check_id: CheckId, step: Step, ctx: VerificationContext) -> CheckResult:
    try:
        return step(ctx)
    except Exception as error:  # noqa: BLE001 - a bug in one check must not hide the others
        logger.exception("check %s raised while verifying %s", check_id, ctx.parsed.label)
        return CheckResult(
            check_id,
            Outcome.INDETERMINATE,
            Message(
                "This check could not be completed because of an internal error (%(error)s); "
                "the credential is not considered valid.",
                error=type(error).__name__,
            ),
            {"error": str(error)[:500]},
        )


def _run(ctx: VerificationContext) -> VerificationReport:
    checks = [_parse_check(ctx.parsed)]
    for check_id, step in STEPS:
        checks.append(_run_step(check_id, step, ctx))
    return VerificationReport.build(
        checks,
        credential=summarize_credential(ctx.document, ctx.kind),
        source=ctx.parsed.label,
        checked_at=ctx.now,
    )


def unusable_report(
    message: str,
    *,
    source: str,
    now: datetime | None = None,
    outcome: Outcome = Outcome.FAILED,
) -> VerificationReport:
    """The report for an input that holds no readable credential: one ``parse`` check.

    ``outcome`` is ``failed`` for input that is not a credential (CLI exit 64) and
    ``indeterminate`` for a credential that could not be *obtained* (an unreachable badge link).
    """
    check = CheckResult(CheckId.PARSE, outcome, message, {})
    return VerificationReport.build(
        [check], credential=summarize_credential(None, None), source=source, checked_at=now
    )


def verify_many(
    data: bytes | str | Mapping[str, Any] | ParsedInput,
    tools: Tools,
    *,
    now: datetime,
    expect: Expectations = NO_EXPECTATIONS,
    source: str = "input",
) -> list[VerificationReport]:
    """Verify every credential ``data`` holds; one report each (a single one for most inputs).

    ``data`` is raw input (bytes, text, a parsed JSON object) or an already decoded
    :class:`ParsedInput`. An unusable input yields one report whose only check is a failed
    ``parse``. A presentation's holder proof is checked against ``expect.challenge`` /
    ``expect.domain`` and reported in each credential's ``proof`` check. Callers go through
    :class:`verifier.service.Verifier`, which builds ``tools`` and reads the clock.
    """
    if isinstance(data, ParsedInput):
        parsed_input = data
    else:
        try:
            parsed_input = parse_input(data, source=source)
        except UnusableInput as error:
            return [unusable_report(error.message, source=error.source, now=now)]
    presentation = None
    if parsed_input.presentation is not None:
        presentation = check_presentation(
            parsed_input.presentation,
            loader=tools.loader,
            resolver=tools.resolver,
            challenge=expect.challenge,
            domain=expect.domain,
        )
    shared: dict[str, Any] = {}
    reports = []
    for parsed in parsed_input.credentials:
        ctx = VerificationContext(
            parsed=parsed,
            tools=tools,
            now=now,
            recipient=expect.recipient,
            presentation=presentation,
            shared=shared,
        )
        reports.append(_run(ctx))
    return reports
