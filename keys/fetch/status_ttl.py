"""How long a fetched document *itself* allows it to be reused (status lists above all).

A status list must never be served from cache past the moment its issuer said it stops being
valid, whatever the HTTP headers say. Bitstring Status List puts ``ttl`` (milliseconds) on the
credential subject; VC 2.0 and 1.1 carry ``validUntil`` / ``expirationDate``.
"""

from __future__ import annotations

from typing import Any

from schemas.dates import parse_datetime

__all__ = ["document_deadline"]


def document_deadline(document: Any, fetched_at: float) -> float | None:
    """The latest instant the document itself allows it to be reused, or ``None`` if unbounded.

    A date we cannot read is taken to have passed: caching on a misread expiry would be the
    unsafe direction. A date without a zone is read as UTC.
    """
    if not isinstance(document, dict):
        return None
    deadlines: list[float] = []
    subjects = document.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if isinstance(subject, dict) and "ttl" in subject:
            ttl = subject["ttl"]
            if isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl == ttl:
                deadlines.append(fetched_at + max(0.0, float(ttl)) / 1000.0)
            else:
                deadlines.append(fetched_at)
    for field in ("validUntil", "expirationDate"):
        if field in document:
            value = document[field]
            moment = parse_datetime(value) if isinstance(value, str) else None
            deadlines.append(fetched_at if moment is None else moment.timestamp())
    return min(deadlines) if deadlines else None
