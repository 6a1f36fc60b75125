"""The fetcher protocol: what the layers above need from whatever retrieves remote documents.

:class:`~keys.fetch.GuardedFetcher` implements it (SSRF guard, size and time limits) and raises
:class:`keys.errors.FetchError` subclasses; the issuer wraps it to serve its own URLs in-process
and tests pass fakes. The key resolver (:class:`keys.did.KeyResolver`) only calls
:meth:`Fetcher.fetch_json`; the verifier also needs the raw :meth:`Fetcher.fetch`.
"""

from __future__ import annotations

from typing import Any, Protocol

from keys.fetch.document import FetchedDocument

__all__ = ["Fetcher"]


class Fetcher(Protocol):
    """Retrieves remote documents by URL, raising :class:`keys.errors.FetchError` on failure."""

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        """The document at ``url`` with its body, headers and freshness."""
        ...

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        """The document at ``url`` parsed as JSON."""
        ...
