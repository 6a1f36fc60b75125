"""What service functions raise, and what each means to a caller (HTTP status in brackets).

    ServiceError
    ├── NotFound        a named thing does not exist                            [404]
    ├── Conflict        the request clashes with what is stored (slug taken,
    │                   idempotency key reused for a different request)         [409]
    ├── InvalidInput    a field's value is refused; ``loc`` names the field     [422]
    └── IssuanceFailed  we could not produce a valid signed credential (a bug
                        or a broken key, never the caller's input)              [500]

Services never import FastAPI: :mod:`issuer.api.errors` maps these to responses, the CLI to
messages, and bulk awards to a per-row reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "Conflict",
    "Gone",
    "InvalidInput",
    "IssuanceFailed",
    "LimitReached",
    "NotFound",
    "ServiceError",
    "Unavailable",
    "not_found",
]


class ServiceError(Exception):
    """Base class of the service layer's errors."""


class NotFound(ServiceError):
    """A named issuer, achievement, credential or batch does not exist."""


def not_found(what: str, name: str, known: Iterable[str]) -> NotFound:
    """``no achievement 'clasroom-environment'; did you mean 'classroom-environment'?``: the
    one place a misspelled slug gets its suggestions (the close matches among ``known``)."""
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return NotFound(f"no {what} {name!r}{hint}")


class Gone(ServiceError):
    """What was named existed but is no more usable: an expired or revoked link (HTTP 410)."""


class Unavailable(ServiceError):
    """The service cannot do this as configured (no SMTP server for email): HTTP 503, the
    CLI's exit 69. The message says what to configure."""


class Conflict(ServiceError):
    """The request contradicts what is stored."""


class LimitReached(ServiceError):
    """Asked for more often than a stated limit allows (HTTP 429); the message says which."""


class InvalidInput(ServiceError):
    """A value is refused; ``loc`` is the field's path, e.g. ``("score",)``."""

    def __init__(self, loc: tuple[str | int, ...] | str, message: str) -> None:
        self.loc = (loc,) if isinstance(loc, str) else tuple(loc)
        self.message = message
        super().__init__(f"{'.'.join(str(p) for p in self.loc)}: {message}")


class IssuanceFailed(ServiceError):
    """The credential could not be built or signed."""
