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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from issuer.api.deps import release_connection
from issuer.api.pages import criteria_links, html_page
from issuer.models import Award, AwardStatus, CatalogAchievement
from issuer.runtime import Runtime
from issuer.services.sharing import WITHHELD, download_name, linkedin_url
from issuer.services.status_machine import entered_at
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
    "status_since",
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

_OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    # outcome: (icon, words) — the icon is decoration, the words carry the meaning
    "passed": ("✔", "Passed"),
    "failed": ("✘", "Failed"),
    "warning": ("!", "Warning"),
    "indeterminate": ("?", "Could not check"),
    "skipped": ("–", "Not applicable"),
}


@dataclass(frozen=True)
class Standing:
    """The banner: a state (which also picks its icon), a headline, one sentence, and a tone
    (``ok``, ``bad``, ``warn``) for its colour — never colour alone."""

    state: State
    headline: str
    summary: str
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


def _day(moment: datetime | None) -> str | None:
    return f"{moment.day} {moment:%B %Y}" if moment else None


def status_since(session: Session, row: Award) -> datetime | None:
    """When a withheld (revoked or suspended) award entered its state, from the audit log;
    None for an active one."""
    if row.status not in WITHHELD:
        return None
    return entered_at(session, row.id, AwardStatus(row.status))


@dataclass(frozen=True)
class _Stored:
    """What the pages read from the database besides the award, before giving the connection
    back: since when it is revoked or suspended, and what its credits are (the catalog's)."""

    since: datetime | None
    credit_type: str | None

    @classmethod
    def read(cls, session: Session, row: Award) -> _Stored:
        version = session.get(CatalogAchievement, row.achievement_id)
        return cls(status_since(session, row), version.credit_type if version else None)


def standing(report: VerificationReport, stored_status: str | None = None) -> Standing:
    """The banner for ``report`` (see the module docstring for the stored-status fallback).

    Precedence: revoked, suspended, expired, not yet valid, otherwise invalid, then could not
    be confirmed, then valid — the most consequential fact comes first. The headlines of the
    last three are :func:`verifier.report.headline`'s, the words the verify page and the CLI
    show: a valid credential whose issuer no trust list recognises is "Signature valid —
    issuer not recognised", in amber.
    """
    purposes = _failed_purposes(report)
    hint = " (the issuer's records say so; its status list will show it shortly)"
    if "revocation" in purposes or stored_status == AwardStatus.revoked:
        return Standing(
            "revoked",
            "Revoked",
            "The issuer has revoked this credential. It is no longer valid and must not be "
            "relied on." + ("" if "revocation" in purposes else hint),
            "bad",
        )
    if "suspension" in purposes or stored_status == AwardStatus.suspended:
        return Standing(
            "suspended",
            "Suspended",
            "The issuer has suspended this credential. It is not valid while suspended."
            + ("" if "suspension" in purposes else hint),
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
                "expired", "Expired", f"This credential expired on {_day(until)}.", "bad"
            )
        if start is not None and start > checked:
            return Standing(
                "not-yet-valid",
                "Not yet valid",
                f"This credential only becomes valid on {_day(start)}.",
                "bad",
            )
    words = headline(report)
    if report.verdict is Verdict.INVALID:
        return Standing(
            "invalid",
            words.text,
            "At least one check failed: this credential cannot be trusted. See the checks below.",
            "bad",
        )
    if report.verdict is Verdict.INDETERMINATE:
        return Standing(
            "unconfirmed",
            words.text,
            "Something needed to confirm this credential could not be checked just now. Do "
            "not rely on it until it can be.",
            "warn",
        )
    checked_facts = (
        "The signature is genuine, it is the issuer's own key, and the credential is within "
        "its dates" + (", not revoked or suspended" if _has_status(report) else "")
    )
    if words.tone == "warn":
        return Standing(
            "unrecognised",
            words.text,
            f"{checked_facts}; but no trust list this service relies on recognises the issuer, "
            "and anyone can make an issuer with any name.",
            "warn",
        )
    return Standing("valid", words.text, f"{checked_facts}.", "ok")


def _has_status(report: VerificationReport) -> bool:
    return any(c.id is CheckId.STATUS and c.outcome is Outcome.PASSED for c in report.checks)


def verify_award(verifier: Verifier, row: Award) -> VerificationReport:
    """The live verification of the stored credential, as of now."""
    return verifier.verify(row.credential, source=json.loads(row.credential)["id"])


# ------------------------------------------------------------------------------ view model


def result_rows(credential: Mapping[str, Any]) -> list[dict[str, str]]:
    """The subject's results as ``{label, value}``, named by the achievement's descriptions."""
    subject = credential["credentialSubject"]
    descriptions = {rd["id"]: rd for rd in subject["achievement"].get("resultDescription", [])}
    rows = []
    for result in subject.get("result", []):
        rd = descriptions.get(result.get("resultDescription", ""), {})
        if "value" in result:
            suffix = "%" if rd.get("resultType") == "Percent" else ""
            rows.append({"label": rd.get("name", "Result"), "value": result["value"] + suffix})
        if "achievedLevel" in result:
            levels = {lv["id"]: lv["name"] for lv in rd.get("rubricCriterionLevel", [])}
            level = levels.get(result["achievedLevel"], result["achievedLevel"])
            rows.append({"label": rd.get("name", "Level"), "value": level})
    return rows


def _checks(report: VerificationReport) -> list[dict[str, str]]:
    rows = []
    for check in report.checks:
        icon, words = _OUTCOME_WORDS.get(str(check.outcome), ("", str(check.outcome)))
        rows.append(
            {
                "id": str(check.id),
                "label": CHECK_LABELS.get(check.id, str(check.id)),
                "outcome": str(check.outcome),
                "icon": icon,
                "words": words,
                "message": check.message,
            }
        )
    return rows


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


def _truncate(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


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
    base = runtime.urls.base
    issued = parse_datetime(document.get("awardedDate") or document.get("validFrom"))
    state = standing(report, row.status)
    withheld = state.state in WITHHELD
    title = f"{achievement['name']} — {subject.get('name', 'credential')}"
    return {
        "title": title,
        "state": state,
        "report": report,
        "checks": _checks(report),
        "checked_at": report.checked_at,
        "checked_text": (
            f"{_day(report.checked_at)}, {report.checked_at:%H:%M} UTC"
            if report.checked_at
            else "just now"
        ),
        "trust": _trust(report),
        "credential": document,
        "achievement": achievement,
        "issuer": document["issuer"],
        "recipient_name": subject.get("name"),
        "issued": issued,
        "issued_day": _day(issued),
        "valid_from_day": _day(parse_datetime(document.get("validFrom"))),
        "valid_until_day": _day(parse_datetime(document.get("validUntil"))),
        "results": result_rows(document),
        "credits": subject.get("creditsEarned"),
        "credit_type": stored.credit_type,
        **criteria_links(achievement),
        "evidence": document.get("evidence", []),
        "stored_status": row.status,
        # revoked or suspended: no LinkedIn, certificate or colour badge image; since when
        "withheld": withheld,
        "since": stored.since,
        "since_day": _day(stored.since),
        "badge_link": badge_link,
        "path": path,
        "image_url": _page_image(runtime, achievement, path, withheld),
        "og": {
            "title": title,
            "description": _truncate(
                f"{subject.get('name', 'An educator')} earned {achievement['name']} from "
                f"{document['issuer'].get('name', 'the issuer')}. "
                f"{achievement.get('description', '')}"
            ),
            "image": f"{base}{path}/badge.png",
            "image_alt": f"Badge: {achievement['name']}",
            "url": badge_link,
        },
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
    response = html_page("credential.html", **_context(request, runtime, row, report, stored))
    response.headers["Vary"] = "Accept"
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
        return html_page(
            "certificate_withheld.html",
            410 if row.status == AwardStatus.revoked else 409,
            state=row.status,
            since=stored.since,
            since_day=_day(stored.since),
            path=f"/credentials/{row.id}",
            achievement_name=achievement["name"],
        )
    release_connection(session)
    report = verify_award(verifier, row)
    response = html_page("certificate.html", **_context(request, runtime, row, report, stored))
    response.headers["Cache-Control"] = "no-store"
    return response


def outcomes(checks: Sequence[dict[str, str]]) -> dict[str, str]:
    """``{check id: outcome}`` of a page's checks (for tests and logs)."""
    return {c["id"]: c["outcome"] for c in checks}
