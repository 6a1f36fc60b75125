"""Pick a representation from the ``Accept`` header (RFC 9110 §12.5.1), for every route.

The public URLs serve several representations of one resource — a credential as JSON, as a
VC-JWT or as a page; a verification report as JSON or as a page — and a client states its
preference with ``Accept``. The issuer's routes and the verifier's page ask this one function,
so they cannot disagree about what a client wants.

Parsing and matching are ``python-mimeparse``'s (the most specific range that matches an offer
gives its quality). Two rules are ours: ties go to the order the server offers (mimeparse gives
them to the last), so a browser (``text/html,…,*/*;q=0.8``) gets the page and ``curl``
(``*/*``) gets the first offer; and ``q=0`` means "not acceptable", never a last resort.
"""

from __future__ import annotations

from collections.abc import Sequence

import mimeparse

__all__ = ["best_match", "prefers_page"]

_ParsedRange = tuple[str, str, dict[str, str]]


def _ranges(accept: str) -> list[_ParsedRange]:
    """The header's media ranges; a malformed one (no ``type/subtype``) matches nothing."""
    ranges = []
    for part in accept.lower().split(","):
        if not part.strip():
            continue
        try:
            ranges.append(mimeparse.parse_media_range(part))
        except mimeparse.MimeTypeParseException:
            continue
    return ranges


def best_match(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None if it accepts none of them (no header: the first).

    ``offers`` are in the server's order of preference, which breaks ties.
    """
    if not accept:
        return offers[0]
    ranges = _ranges(accept)
    chosen, chosen_q = None, 0.0
    for offer in offers:
        quality = mimeparse.quality_parsed(offer, ranges)
        if quality > chosen_q:
            chosen, chosen_q = offer, quality
    return chosen


#: What a URL that is both a document and a page offers: JSON first, so ties (``*/*``) get it.
_JSON_OR_PAGE = ("application/json", "text/html")


def prefers_page(accept: str | None) -> bool:
    """Whether a client prefers the HTML page to JSON (a browser does; ``curl``'s ``*/*``, no
    header and ``application/json`` do not): the verify page and the 404 page ask this."""
    return best_match(accept, _JSON_OR_PAGE) == "text/html"
