"""The service's own status lists, as its verifier may reuse them: which copy is still current.

The badge pages and ``/verify`` verify credentials whose status lists this service publishes,
and fetch them in process (:mod:`issuer.self_fetch`). A kept copy may be reused while it is
still what ``GET /status/{id}`` would answer; :func:`own_list_etags` tells, from the list's
row alone (its ``ETag``, version and validity, not the signed body), through
:func:`issuer.services.status.current_etag`. A change of status — through this process, the
CLI or another worker — moves the list's version, so a copy is never reused past it.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlmodel import Session

from issuer.self_fetch import CurrentEtag
from issuer.services.context import Runtime
from issuer.services.status import current_etag

__all__ = ["own_list_etags"]

#: The path of a published list under the base path (see :mod:`issuer.api.routes.status`).
_STATUS_PATH = re.compile(r"/status/([^/]+)")


def own_list_etags(engine: Engine, runtime: Runtime) -> CurrentEtag:
    """``current_etag`` for the service's :class:`~issuer.self_fetch.SelfFetcher`: the ETag of
    a status list path if its signed copy is current, None for any other path (never kept)."""

    def etag(path: str) -> str | None:
        match = _STATUS_PATH.fullmatch(path)
        if match is None:
            return None
        with Session(engine) as session:
            return current_etag(session, runtime, match.group(1))

    return etag
