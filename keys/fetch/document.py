"""What a fetch hands back, and what its media type and first bytes say about it.

:class:`FetchedDocument` is the one result type of every fetcher (guarded, preloaded, in-process).
The strict JSON reading the fetcher, its cache and its preloads share is
:func:`schemas.json_values.parse_json`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from keys.errors import FetchError
from schemas.json_values import parse_json

__all__ = ["FetchResponse", "FetchedDocument", "json_of", "looks_like_json", "media_type"]


@dataclasses.dataclass(frozen=True)
class FetchedDocument:
    """A response body that passed every check, with what the cache needs to know about it.

    ``url`` is the final URL after redirects (fragment removed). ``body`` is the decoded body
    (``Content-Encoding`` undone); ``headers`` are the response headers as sent, lower-cased.
    ``expires_at`` is the instant until which the document may be reused without asking the
    server again; ``None`` means there is no such instant (``no-store``, or a preload).
    """

    url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]
    fetched_at: float
    expires_at: float | None

    def copy(self) -> FetchedDocument:
        """A copy with a private ``headers`` dict, so no caller can edit what a cache holds."""
        return dataclasses.replace(self, headers=dict(self.headers))


@dataclasses.dataclass(frozen=True)
class FetchResponse:
    """What a guarded POST got back, whatever its status: a protocol's error answer (an OAuth
    ``error`` object, an ``Imsx_StatusInfo``) is information the caller needs, so a non-2xx
    status is not an exception here. The body is bounded and decoded like a fetched document's;
    nothing about it is cached.
    """

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-cased, without parameters."""
        return media_type(self.headers.get("content-type", ""))

    def json(self) -> Any:
        """The body parsed as JSON, strictly; :class:`~keys.errors.FetchError` if it is not."""
        try:
            return parse_json(self.body)
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"{self.url} did not answer JSON: {exc}", url=self.url) from exc


def looks_like_json(content_type: str, body: bytes) -> bool:
    """Worth trying to parse as JSON: a JSON media type, or a body that starts like one."""
    return "json" in content_type or body.lstrip()[:1] in (b"{", b"[")


def media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def json_of(document: FetchedDocument) -> Any:
    """The body parsed as JSON (whatever the declared content type), strictly; a body that is
    not JSON raises :class:`~keys.errors.FetchError` naming the URL (``fetch_json``'s rule)."""
    try:
        return parse_json(document.body)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"{document.url} did not return JSON: {exc}", url=document.url) from exc
