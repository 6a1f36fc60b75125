"""Pick a representation from the ``Accept`` header (RFC 9110 §12.5.1, without the exotica).

The public URLs serve several representations of one resource — a credential as JSON, as a
VC-JWT or as a page — and a client states its preference with ``Accept``. Ties go to the order
the server offers, so a browser (``text/html,…,*/*;q=0.8``) gets the page and ``curl`` (``*/*``)
gets the first offer.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["best_match"]


def _parse(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """(q, specificity) of the most specific range matching ``offer``."""
    kind = offer.split("/")[0]
    best = (-1.0, -1)
    for media, quality in ranges:
        if media == offer:
            specificity = 2
        elif media == f"{kind}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def best_match(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None if it accepts none of them."""
    if not accept:
        return offers[0]
    ranges = _parse(accept)
    chosen, chosen_q = None, 0.0
    for offer in offers:
        quality, _ = _quality(offer, ranges)
        if quality > chosen_q:
            chosen, chosen_q = offer, quality
    return chosen
