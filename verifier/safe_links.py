"""``safe_url``: the one gate between a credential's data and an ``href``.

A credential (or a stack rule) is written by whoever issued it, and a verifier shows
credentials from strangers: an ``id``, ``url`` or ``targetUrl`` of ``javascript:alert(1)``
rendered as a link runs script in this service's origin when clicked. Browsers strip ASCII
whitespace and control characters from a URL and match its scheme case-insensitively, so
``" JaVaScRiPt:..."`` is as dangerous as the plain form; we normalise the same way and let
through only http(s). Every template environment (the verify page, the issuer's pages)
registers this one function as the ``safe_url`` filter, and every href that can come from
credential or rule data goes through it; anything else renders as plain text.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["register_safe_url", "safe_url"]

#: What browsers drop from a URL before reading its scheme (C0 controls, space, DEL, tab/CR/LF).
_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_SCHEMES = ("http://", "https://")


def safe_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL, else ``None`` (so the template shows plain text)."""
    if not isinstance(value, str):
        return None
    if not _IGNORED.sub("", value).lower().startswith(_SCHEMES):
        return None
    return value.strip()


def register_safe_url(environment: Any) -> None:
    """Add :func:`safe_url` as a filter of a Jinja ``environment`` (``{{ url | safe_url }}``)."""
    environment.filters["safe_url"] = safe_url
