"""The ``limit``/``offset`` query parameters of the list endpoints, bounded once.

Both end up in SQL ``LIMIT``/``OFFSET``, which SQLite binds as a signed 64-bit integer: an
unbounded ``offset=10**30`` overflowed there as a 500. Bounded here, a value out of range is
FastAPI's 422 naming the parameter. A billion rows is far past any issuer's log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

__all__ = ["MAX_LIST_OFFSET", "ListLimit", "ListOffset"]

#: The largest ``offset`` a list endpoint accepts.
MAX_LIST_OFFSET = 10**9

#: Rows per page: 1 to 1000, 100 by default (give ``= 100`` at the parameter).
ListLimit = Annotated[int, Query(ge=1, le=1000)]
#: Rows to skip: 0 to :data:`MAX_LIST_OFFSET`.
ListOffset = Annotated[int, Query(ge=0, le=MAX_LIST_OFFSET)]
