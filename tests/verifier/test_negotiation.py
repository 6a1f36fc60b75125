"""One reading of ``Accept`` for the issuer's public URLs and the verifier's page."""

from __future__ import annotations

import pytest

from verifier.negotiation import best_match

OFFERS = ("application/json", "text/html")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),  # no header: the first offer
        ("", "application/json"),
        ("*/*", "application/json"),  # a tie goes to the first offer (mimeparse: the last)
        (BROWSER, "text/html"),
        ("text/*", "text/html"),
        ("application/json, text/html", "application/json"),
        ("text/html;q=0.5, application/json", "application/json"),
        ("TEXT/HTML", "text/html"),
        ("text/html;q=0, */*", "application/json"),  # q=0: not acceptable, however specific
        ("image/png", None),
        ("application/json;q=0, text/html;q=0", None),
        ("nonsense, text/html", "text/html"),  # a malformed range matches nothing
    ],
)
def test_best_match(accept: str | None, chosen: str | None) -> None:
    assert best_match(accept, OFFERS) == chosen
