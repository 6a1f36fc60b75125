"""The ``validity`` check: is ``now`` inside the credential's validity period?

VC 2.0 says ``validFrom`` / ``validUntil``; VC 1.1 says ``issuanceDate`` / ``expirationDate``.
``now`` is injected (``--at`` verifies as of another instant), and clocks disagree, so both ends
get :data:`CLOCK_SKEW` of slack, the allowance Digital Bazaar's ``vc`` library uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from microcred.messages import Instant, Message, joined
from schemas.dates import format_datetime, parse_datetime
from verifier.context import VerificationContext
from verifier.report import CheckId, CheckResult, Outcome

__all__ = ["CLOCK_SKEW", "check_validity", "validity_at", "validity_period"]

#: Slack at both ends of the validity period, for clocks that disagree.
CLOCK_SKEW = timedelta(minutes=5)


def validity_period(document: dict[str, Any]) -> tuple[str, str]:
    """The member names of the period's start and end, by data model version."""
    context = document.get("@context")
    first = context[0] if isinstance(context, list) and context else context
    if first == "https://www.w3.org/2018/credentials/v1":
        return "issuanceDate", "expirationDate"
    return "validFrom", "validUntil"


def _iso(moment: datetime) -> Instant:
    """A date of the report: UTC, ``Z``, and the fraction of a second when the credential has
    one (so the message quotes the instant that was compared); a page writes it for its reader."""
    return Instant(format_datetime(moment, fraction=True), moment)


def check_validity(ctx: VerificationContext) -> CheckResult:
    """Failed before the start or after the end (with skew); the dates are listed either way."""
    return validity_at(ctx.document, ctx.now)


def validity_at(document: dict[str, Any], now: datetime) -> CheckResult:
    """:func:`check_validity` of ``document`` at ``now``: what a kept, already verified
    document (a status list in :mod:`verifier.verified_cache`) is judged by at each use."""
    start_name, end_name = validity_period(document)
    # A VC 2.0 credential written with VC 1.1 names (or the reverse) still has a period.
    start_raw = document.get(start_name, document.get("validFrom", document.get("issuanceDate")))
    end_raw = document.get(end_name, document.get("validUntil", document.get("expirationDate")))
    details: dict[str, Any] = {
        "validFrom": start_raw,
        "validUntil": end_raw,
        "checkedAt": _iso(now),
        "clockSkewSeconds": int(CLOCK_SKEW.total_seconds()),
    }
    problems: list[Message] = []
    start = parse_datetime(start_raw)
    # An absent start is the profile's concern (the ``schema`` check): OB 3.0 and VC 1.1
    # require one, VC 2.0 does not; without one the credential is valid from the start.
    if start_raw is not None and start is None:
        problems.append(
            Message(
                "its %(name)s %(value)s is not a date-time", name=start_name, value=repr(start_raw)
            )
        )
    elif start is not None and now + CLOCK_SKEW < start:
        problems.append(
            Message("it is not valid yet: it becomes valid on %(start)s", start=_iso(start))
        )
    end = parse_datetime(end_raw)
    if end_raw is not None:
        if end is None:
            problems.append(
                Message(
                    "its %(name)s %(value)s is not a date-time", name=end_name, value=repr(end_raw)
                )
            )
        elif now - CLOCK_SKEW > end:
            problems.append(Message("it expired on %(end)s", end=_iso(end)))
        elif start is not None and end < start:
            problems.append(
                Message("its %(end)s is before its %(start)s", end=end_name, start=start_name)
            )
    if problems:
        message = Message(
            "The credential is outside its validity period: %(problems)s.",
            problems=joined("; ", problems),
        )
        return CheckResult(CheckId.VALIDITY, Outcome.FAILED, message, details)
    return CheckResult(CheckId.VALIDITY, Outcome.PASSED, _period(start, end), details)


def _period(start: datetime | None, end: datetime | None) -> Message:
    """The passed message in its four forms (a translation may order them its own way)."""
    if start and end:
        return Message("Valid from %(start)s until %(end)s.", start=_iso(start), end=_iso(end))
    if start:
        return Message("Valid from %(start)s with no expiry.", start=_iso(start))
    if end:
        return Message("Valid with no start date until %(end)s.", end=_iso(end))
    return Message("Valid with no start date with no expiry.")
