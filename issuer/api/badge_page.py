"""The badge page and the printable certificate: a credential for people, verified live.

Both pages are written against the **verification report**, not against our database: what an
employer sees is what any Open Badges verifier would conclude from the signed credential, its
issuer's key and its status lists, checked at the moment the page is rendered (through the
service's own verifier, whose fetcher answers our own URLs in process: see
:mod:`issuer.self_fetch`). The award's stored status (``Award.status``) is only a fallback hint:
if the issuer has revoked or suspended a credential and the report does not (yet) say so — a
credential issued before status lists existed, a list not re-signed yet — the page still says
it, and says where that comes from.

:func:`standing` turns the report into the one banner a person reads first; every check is
listed below it in plain words.

**A revoked or suspended credential is not offered for sharing** (no LinkedIn link, no
certificate, no colour badge image: :data:`issuer.services.sharing.WITHHELD`); the page says
since when, from the status audit log (:func:`issuer.services.status_machine.entered_at`).

**No database connection is held while verifying.** The live check fetches the service's own
status lists, and each of those in-process requests takes a pooled connection of its own; a
page that still held its request's connection meanwhile needed two at once, and sixteen
viewers (the SQLite pool's fifteen, PostgreSQL's thirty with the in-process helpers) starved
the pool until every request waited out its 30 s timeout. So the pages take the award row,
then give the request's connection back (:func:`issuer.api.deps.release_connection`) before
verifying.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from issuer.api.deps import release_connection
from issuer.api.pages import criteria_links, html_page
from issuer.models import Award, AwardStatus, CatalogAchievement
from issuer.runtime import Runtime
from issuer.services.catalog import translation_for
from issuer.services.sharing import WITHHELD, download_name, linkedin_url
from issuer.services.status_machine import entered_at
from microcred.i18n import add_vary, choose_language
from microcred.messages import Day, Message
from schemas.dates import parse_datetime
from schemas.models import REVOCATION_LIST_TYPE
from verifier.report import (
    CHECK_LABELS,
    CheckId,
    Outcome,
    Verdict,
    VerificationReport,
    headline,
)
from verifier.service import Verifier

__all__ = [
    "Standing",
    "certificate_page",
    "credential_page",
    "standing",
    "verify_award",
]

State = Literal[
    "valid",
    "unrecognised",
    "revoked",
    "suspended",
    "expired",
    "not-yet-valid",
    "invalid",
    "unconfirmed",
]

#: Each outcome's icon: decoration beside its words, which the templates give (``checks.html``).
_OUTCOME_ICONS: dict[str, str] = {
    "passed": "✔",
    "failed": "✘",
    "warning": "!",
    "indeterminate": "?",
    "skipped": "–",
}


@dataclass(frozen=True)
class Standing:
    """The banner: a state (which also picks its icon), a headline, one sentence, and a tone
    (``ok``, ``bad``, ``warn``) for its colour — never colour alone. The words are
    :class:`~microcred.messages.Message` values: English as they are, the page's language with
    the ``t`` filter."""

    state: State
    headline: Message
    summary: Message
    tone: Literal["ok", "bad", "warn"]

    @property
    def trustworthy(self) -> bool:
        return self.state == "valid"


def _failed_purposes(report: VerificationReport) -> set[str]:
    """``revocation`` / ``suspension`` for each status entry the report found set."""
    check = report.check(CheckId.STATUS)
    if check is None or check.outcome is not Outcome.FAILED:
        return set()
    found = set()
    for entry in check.details.get("entries", []):
        if not isinstance(entry, Mapping) or entry.get("outcome") != "failed":
            continue
        if entry.get("type") == REVOCATION_LIST_TYPE:
            found.add("revocation")
        elif entry.get("statusPurpose") in ("revocation", "suspension"):
            found.add(str(entry["statusPurpose"]))
    if not found:  # a failed status check always means revoked or suspended; say which
        found.add("suspension" if "SUSPENDED" in check.message else "revocation")
    return found


@dataclass(frozen=True)
class _Stored:
    """What the pages read from the database besides the award, before giving the connection
    back: since when it is revoked or suspended, and what its credits are (the catalog's)."""

    since: datetime | None
    credit_type: str | None
    #: The catalog version's own document id and its translations (language → Achievement).
    published_id: str | None = None
    translations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session, row: Award) -> _Stored:
        since = (
            entered_at(session, row.id, AwardStatus(row.status)) if row.status in WITHHELD else None
        )
        version = session.get(CatalogAchievement, row.achievement_id)
        if version is None:
            return cls(since, None)
        return cls(
            since,
            version.credit_type,
            str(version.document.get("id")),
            version.translations or {},
        )

    def translation(self, achievement: Mapping[str, Any], code: str) -> Mapping[str, Any] | None:
        """The achievement in language ``code`` as this service published it for the very
        version the credential embeds (same id), or None: a page shows the signed words."""
        if achievement.get("id") != self.published_id:
            return None
        return translation_for(self.translations, code)


def standing(report: VerificationReport, stored_status: str | None = None) -> Standing:
    """The banner for ``report`` (see the module docstring for the stored-status fallback).

    Precedence: revoked, suspended, expired, not yet valid, otherwise invalid, then could not
    be confirmed, then valid — the most consequential fact comes first. The headlines of the
    last three are :func:`verifier.report.headline`'s, the words the verify page and the CLI
    show: a valid credential whose issuer no trust list recognises is "Signature valid —
    issuer not recognised", in amber.
    """
    purposes = _failed_purposes(report)
    if "revocation" in purposes or stored_status == AwardStatus.revoked:
        return Standing(
            "revoked",
            Message("Revoked"),
            Message(
                "The issuer has revoked this credential. It is no longer valid and must not be "
                "relied on."
            )
            if "revocation" in purposes
            else _HINTED_REVOKED,
            "bad",
        )
    if "suspension" in purposes or stored_status == AwardStatus.suspended:
        return Standing(
            "suspended",
            Message("Suspended"),
            Message("The issuer has suspended this credential. It is not valid while suspended.")
            if "suspension" in purposes
            else _HINTED_SUSPENDED,
            "bad",
        )
    checked = report.checked_at or datetime.now(UTC)
    summary = report.credential
    validity = report.check(CheckId.VALIDITY)
    if validity is not None and validity.outcome is Outcome.FAILED:
        until = parse_datetime(summary.get("validUntil"))
        start = parse_datetime(summary.get("validFrom"))
        if until is not None and until < checked:
            return Standing(
                "expired",
                Message("Expired"),
                Message("This credential expired on %(day)s.", day=Day(until)),
                "bad",
            )
        if start is not None and start > checked:
            return Standing(
                "not-yet-valid",
                Message("Not yet valid"),
                Message("This credential only becomes valid on %(day)s.", day=Day(start)),
                "bad",
            )
    words = headline(report)
    text = words.text if isinstance(words.text, Message) else Message(words.text)
    if report.verdict is Verdict.INVALID:
        return Standing(
            "invalid",
            text,
            Message(
                "At least one check failed: this credential cannot be trusted. See the checks "
                "below."
            ),
            "bad",
        )
    if report.verdict is Verdict.INDETERMINATE:
        return Standing(
            "unconfirmed",
            text,
            Message(
                "Something needed to confirm this credential could not be checked just now. Do "
                "not rely on it until it can be."
            ),
            "warn",
        )
    with_status = _has_status(report)
    if words.tone == "warn":
        return Standing(
            "unrecognised",
            text,
            Message(
                "The signature is genuine, it is the issuer's own key, and the credential is "
                "within its dates, not revoked or suspended; but no trust list this service "
                "relies on recognises the issuer, and anyone can make an issuer with any name."
            )
            if with_status
            else Message(
                "The signature is genuine, it is the issuer's own key, and the credential is "
                "within its dates; but no trust list this service relies on recognises the "
                "issuer, and anyone can make an issuer with any name."
            ),
            "warn",
        )
    return Standing(
        "valid",
        text,
        Message(
            "The signature is genuine, it is the issuer's own key, and the credential is within "
            "its dates, not revoked or suspended."
        )
        if with_status
        else Message(
            "The signature is genuine, it is the issuer's own key, and the credential is within "
            "its dates."
        ),
        "ok",
    )


#: A revoked or suspended award whose status list does not say so yet.
_HINTED_REVOKED = Message(
    "The issuer has revoked this credential. It is no longer valid and must not be relied on "
    "(the issuer's records say so; its status list will show it shortly)."
)
_HINTED_SUSPENDED = Message(
    "The issuer has suspended this credential. It is not valid while suspended (the issuer's "
    "records say so; its status list will show it shortly)."
)


def _has_status(report: VerificationReport) -> bool:
    return any(c.id is CheckId.STATUS and c.outcome is Outcome.PASSED for c in report.checks)


def verify_award(verifier: Verifier, row: Award) -> VerificationReport:
    """The live verification of the stored credential, as of now."""
    return verifier.verify(row.credential, source=json.loads(row.credential)["id"])


# ------------------------------------------------------------------------------ view model


def result_rows(credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The subject's results as ``{label, value, percent}``, named by the achievement's
    descriptions (a percentage's number is written for the reader's locale by the page)."""
    subject = credential["credentialSubject"]
    descriptions = {rd["id"]: rd for rd in subject["achievement"].get("resultDescription", [])}
    rows: list[dict[str, Any]] = []
    for result in subject.get("result", []):
        rd = descriptions.get(result.get("resultDescription", ""), {})
        if "value" in result:
            rows.append(
                {
                    "label": rd.get("name") or Message("Result"),
                    "value": _result_value(result["value"]),
                    "percent": rd.get("resultType") == "Percent",
                }
            )
        if "achievedLevel" in result:
            levels = {lv["id"]: lv["name"] for lv in rd.get("rubricCriterionLevel", [])}
            level = levels.get(result["achievedLevel"], result["achievedLevel"])
            rows.append({"label": rd.get("name") or Message("Level"), "value": level})
    return rows


def _result_value(value: Any) -> Any:
    """A result value that is a plain decimal number as a :class:`~decimal.Decimal` (the page
    writes it the locale's way: 92,5 in Spanish); anything else as issued."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return Decimal(value.strip())
    return value


_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")


def _checks(report: VerificationReport) -> list[dict[str, Any]]:
    """Each check: its label and message (messages, shown in the page's language) and its
    outcome (whose words the template gives)."""
    return [
        {
            "id": str(check.id),
            "label": CHECK_LABELS.get(check.id, str(check.id)),
            "outcome": str(check.outcome),
            "icon": _OUTCOME_ICONS.get(str(check.outcome), ""),
            "message": check.message,
        }
        for check in report.checks
    ]


def _trust(report: VerificationReport) -> dict[str, Any]:
    """How the issuer was recognised (which list, which entry), or why not: the report's
    ``trust`` member, the matches of its ``trust`` check and the headline's sentence."""
    check = report.check(CheckId.TRUST)
    details = check.details if check is not None else {}
    matches = [m for m in details.get("matches", []) if isinstance(m, Mapping)]
    return {
        **report.trust,
        "trusted": report.trust["status"] == "established",
        "matches": matches,
        "recognition": headline(report).recognition,
    }


def _image_url(achievement: Mapping[str, Any]) -> str | None:
    image = achievement.get("image")
    ref = image.get("id") if isinstance(image, Mapping) else image
    return ref if isinstance(ref, str) and ref else None


def _page_image(runtime: Runtime, achievement: Mapping[str, Any], path: str, withheld: bool) -> str:
    """The badge the page shows: the catalog's image, else the baked download — except for a
    withheld credential, whose download is already marked (the page greys and stamps the
    image itself), so the achievement's own generated image, when it is one of ours."""
    own = str(achievement.get("id", ""))
    if withheld and own.startswith(f"{runtime.urls.base}/achievements/"):
        return _image_url(achievement) or f"{own}/image.svg"
    return _image_url(achievement) or f"{path}/badge.svg"


def _context(
    request: Request,
    runtime: Runtime,
    row: Award,
    report: VerificationReport,
    stored: _Stored,
) -> dict[str, Any]:
    document = json.loads(row.credential)
    subject = document["credentialSubject"]
    achievement = subject["achievement"]
    badge_link = document["id"]
    path = f"/credentials/{row.id}"
    state = standing(report, row.status)
    withheld = state.state in WITHHELD
    return {
        "state": state,
        "report": report,
        "checks": _checks(report),
        "checked_at": report.checked_at,
        "trust": _trust(report),
        "credential": document,
        "achievement": achievement,
        # the achievement in the reader's language when its issuer published it so (this
        # service's own catalog, never fetched); else the signed words
        "translation": stored.translation(achievement, choose_language(request).code),
        "issuer": document["issuer"],
        "recipient_name": subject.get("name"),
        "issued": parse_datetime(document.get("awardedDate") or document.get("validFrom")),
        "valid_from": parse_datetime(document.get("validFrom")),
        "valid_until": parse_datetime(document.get("validUntil")),
        "results": result_rows(document),
        "credits": subject.get("creditsEarned"),
        "credit_type": stored.credit_type,
        **criteria_links(achievement),
        "evidence": document.get("evidence", []),
        "stored_status": row.status,
        # revoked or suspended: no LinkedIn, certificate or colour badge image; since when
        "withheld": withheld,
        "since": stored.since,
        "badge_link": badge_link,
        "path": path,
        "image_url": _page_image(runtime, achievement, path, withheld),
        "og_image": f"{runtime.urls.base}{path}/badge.png",
        "linkedin_url": linkedin_url(document, badge_link),
        "verify_url": f"/verify?url={badge_link}",
        "stem": download_name(row, "x")[:-2],
    }


def credential_page(
    request: Request, runtime: Runtime, verifier: Verifier, row: Award, *, session: Session
) -> HTMLResponse:
    """The badge page (``/credentials/{id}`` for browsers). ``session`` (the request's,
    ``row``'s) gives its connection back first (:func:`issuer.api.deps.release_connection`)."""
    stored = _Stored.read(session, row)
    release_connection(session)
    report = verify_award(verifier, row)
    response = html_page(
        request, "credential.html", **_context(request, runtime, row, report, stored)
    )
    add_vary(response, "Accept")
    response.headers["Cache-Control"] = "no-store"  # the verdict is live
    return response


def certificate_page(
    request: Request, runtime: Runtime, verifier: Verifier, row: Award, *, session: Session
) -> HTMLResponse:
    """The printable certificate (``/credentials/{id}/certificate``): one page with the QR.
    ``session`` gives its connection back first, as for :func:`credential_page`.

    A revoked or suspended credential has none (:data:`issuer.services.sharing.WITHHELD`):
    410 Gone for a revoked one (for good), 409 for a suspended one (while it is), each a page
    saying since when, with the way back to the badge page."""
    stored = _Stored.read(session, row)
    if row.status in WITHHELD:
        achievement = json.loads(row.credential)["credentialSubject"]["achievement"]
        translation = stored.translation(achievement, choose_language(request).code)
        return html_page(
            request,
            "certificate_withheld.html",
            410 if row.status == AwardStatus.revoked else 409,
            state=row.status,
            since=stored.since,
            path=f"/credentials/{row.id}",
            achievement_name=(translation or achievement)["name"],
        )
    release_connection(session)
    report = verify_award(verifier, row)
    response = html_page(
        request, "certificate.html", **_context(request, runtime, row, report, stored)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def outcomes(checks: Sequence[dict[str, str]]) -> dict[str, str]:
    """``{check id: outcome}`` of a page's checks (for tests and logs)."""
    return {c["id"]: c["outcome"] for c in checks}
