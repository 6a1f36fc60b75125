"""Preloads: documents the operator supplies (``--preload URL=FILE``), served without a network.

They are configuration, not input: a preloaded URL bypasses every check and never expires.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from keys.fetch.document import FetchedDocument
from keys.fetch.policy import strip_fragment
from schemas.json_values import parse_json

__all__ = ["parse_preload_args", "preloaded_document"]


def preloaded_document(url: str, body: bytes, *, now: float) -> FetchedDocument:
    """The document a preload stands for: status 200, JSON if the body parses, no expiry."""
    try:
        parse_json(body)
        content_type = "application/json"
    except (ValueError, RecursionError):
        content_type = "application/octet-stream"
    return FetchedDocument(
        url=url,
        status=200,
        content_type=content_type,
        body=body,
        headers={},
        fetched_at=now,
        expires_at=None,
    )


def parse_preload_args(args: Iterable[str]) -> dict[str, bytes]:
    """Turn ``--preload URL=FILE`` values into the ``preloads`` mapping.

    The split is at the *last* ``=`` because URLs carry query strings and file names rarely
    contain ``=``. Only ``http``/``https`` URLs make sense; the fragment is dropped. Raises
    ``ValueError`` (naming the argument) for a malformed pair, an unreadable file or a URL
    given twice.
    """
    preloads: dict[str, bytes] = {}
    for arg in args:
        url, sep, file = arg.rpartition("=")
        if not sep or not url or not file:
            raise ValueError(f"--preload expects URL=FILE, got {arg!r}")
        url = strip_fragment(url.strip())
        if not url.lower().startswith(("https://", "http://")):
            raise ValueError(f"--preload URL must be http(s), got {url!r}")
        if url in preloads:
            raise ValueError(f"--preload given twice for {url}")
        try:
            preloads[url] = Path(file).expanduser().read_bytes()
        except OSError as exc:
            raise ValueError(f"--preload {url}: cannot read {file}: {exc}") from exc
    return preloads
