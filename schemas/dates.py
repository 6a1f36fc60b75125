"""Dates and times, once: reading ``xsd:dateTime`` text, writing it, UTC, and the clock.

Credentials carry their dates as text (OB 3.0 ``DateTimeZ``, VC ``validFrom``/``validUntil``,
proof ``created``); databases hand back naive or aware datetimes; tests need a fixed "now".
Every layer reads and writes them through these few functions so that they agree on the
``Z`` suffix, on what a missing zone means and on fractional seconds.

- ``parse_datetime`` is lenient (``None`` for anything unreadable) because verifiers report
  a bad date as a check outcome, not an exception; ``require_datetime`` raises ``ValueError``
  for callers that refuse bad input outright.
- A value with no zone is taken as UTC: OB requires a zone and schema validation reports its
  absence, but comparisons must still work.
- ``format_datetime`` writes the spec's form, ``YYYY-MM-DDTHH:MM:SSZ``; fractional seconds
  only when asked for and present.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, overload

__all__ = [
    "Clock",
    "as_utc",
    "format_datetime",
    "is_xsd_datetime",
    "parse_datetime",
    "require_datetime",
    "system_clock",
    "utcnow",
]

#: Something that says what time it is. Services take one so tests can pin "now".
Clock = Callable[[], datetime]

#: The ``xsd:dateTime`` lexical form: what a proof's ``created`` must be, character for character.
_XSD_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 / ``xsd:dateTime`` string as an aware datetime; ``None`` if unreadable.

    A ``datetime`` passes through (made aware). Surrounding whitespace is ignored; ``Z`` and
    ``z`` mean UTC; no zone means UTC.
    """
    if isinstance(value, datetime):
        return as_utc(value) if value.tzinfo is None else value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1:] == "z":
        text = text[:-1] + "Z"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def require_datetime(value: Any, *, what: str = "date-time") -> datetime:
    """Like ``parse_datetime`` but raises ``ValueError`` naming ``what`` when unreadable."""
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(f"{what} is not an ISO 8601 date-time: {value!r}")
    return moment


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime; a naive one (as SQLite returns) is taken to be UTC already."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_datetime(moment: datetime, *, fraction: bool = False) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC: the form OB 3.0 (DateTimeZ) and every verifier accept.

    With ``fraction=True`` microseconds are written when there are some (reports and audit
    records, where sub-second order matters); credentials and proofs use whole seconds.
    """
    utc = as_utc(moment).replace(tzinfo=None)
    if not fraction or not utc.microsecond:
        utc = utc.replace(microsecond=0)
        return utc.isoformat(timespec="seconds") + "Z"
    return utc.isoformat(timespec="microseconds") + "Z"


def is_xsd_datetime(value: Any) -> bool:
    """Whether ``value`` is text in the ``xsd:dateTime`` lexical form (zone optional).

    Stricter than :func:`parse_datetime` on purpose: a signature covers the text, so a proof's
    ``created`` is checked as written, not as whatever ``fromisoformat`` can make of it.
    """
    return isinstance(value, str) and bool(_XSD_DATETIME.match(value))


def utcnow() -> datetime:
    """Now, in UTC, to the second: what a credential's DateTimeZ can say."""
    return datetime.now(UTC).replace(microsecond=0)


def system_clock() -> datetime:
    """The default ``Clock``: the wall clock, in UTC, to the second."""
    return utcnow()
