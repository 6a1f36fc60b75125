"""Secrets in URL paths kept out of log lines: ``/claim/<token>…`` is logged as ``/claim/…``.

Four kinds of path carry a bearer secret, and an access log is read by more people than the
educator's mailbox: a claim link's token opens the educator's claim page
(:mod:`issuer.services.claims`); a wallet exchange's id lets whoever holds it complete the
exchange with a DID of their own (``/exchanges/<id>…``, :mod:`issuer.services.exchanges`); an
OID4VCI offer's id holds its pre-authorized code (``/oid4vci/offers/<id>``,
:mod:`issuer.services.oid4vci`); an educator's sign-in link's token signs its holder in
(``/sign-in/<token>``, :mod:`issuer.services.sign_in`). Each is logged as its prefix and
:data:`REDACTED`. uvicorn's access log records every request's path, and our own log lines
name the request in a few places (a database outage, a session that could not be closed);
both go through :func:`redact_path`.

One path carries its secrets in the *query*: an OB 3.0 Host sends the educator back to
``/ob-api/callback?code=…&state=…`` (:mod:`issuer.api.routes.ob_consumer`). The authorization
code and the state together complete a push, so on that path (:data:`SECRET_QUERY_PATHS`) the
values of :data:`SECRET_QUERY_PARAMETERS` are logged as :data:`REDACTED` too.

:class:`SecretPathFilter` is a :class:`logging.Filter` that rewrites a record's message and
string arguments; ``microcred serve`` puts it on uvicorn's handlers through the logging
configuration it gives uvicorn (:func:`uvicorn_log_config`), so every uvicorn worker process
applies it too. Standard library only: the CLI imports this module at start.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote

__all__ = [
    "REDACTED",
    "SECRET_PREFIXES",
    "SECRET_QUERY_PARAMETERS",
    "SECRET_QUERY_PATHS",
    "SecretPathFilter",
    "redact_path",
    "uvicorn_log_config",
]

#: What a token segment becomes.
REDACTED = "…"

#: The path prefixes whose next segment is a secret.
SECRET_PREFIXES = ("/claim/", "/exchanges/", "/oid4vci/offers/", "/sign-in/")

# A secret path segment: the prefix and everything up to the next ``/``, ``?``, ``#``, quote or
# space (a sub-path such as ``/claim/<token>/new-link`` or ``/exchanges/<id>/direct`` keeps its
# tail).
_SECRET_SEGMENT = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in SECRET_PREFIXES) + r")[^/?#\s\"']+"
)

#: Paths whose query carries one-time secrets, and the parameters that do.
SECRET_QUERY_PATHS = ("/ob-api/callback",)
SECRET_QUERY_PARAMETERS = ("code", "state")

# Such a path's query (up to a space or quote), and one secret parameter's value within it.
_SECRET_QUERY = re.compile(
    "(" + "|".join(re.escape(path) for path in SECRET_QUERY_PATHS) + r")/?\?[^\s\"']*"
)
_SECRET_PARAMETER = re.compile(
    r"([?&;](?:" + "|".join(SECRET_QUERY_PARAMETERS) + r")=)[^&;#\s\"']*", re.IGNORECASE
)


def _redact_query(text: str) -> str:
    return _SECRET_QUERY.sub(
        lambda match: _SECRET_PARAMETER.sub(rf"\g<1>{REDACTED}", match.group(0)), text
    )


def _redact(text: str) -> str:
    return _redact_query(_SECRET_SEGMENT.sub(rf"\g<1>{REDACTED}", text))


def _has_secret(text: str) -> bool:
    return bool(_SECRET_SEGMENT.search(text) or _SECRET_QUERY.search(text))


def redact_path(text: str) -> str:
    """``text`` with every secret path segment (:data:`SECRET_PREFIXES`) and every secret
    query value of :data:`SECRET_QUERY_PATHS` replaced by :data:`REDACTED`.

    The router matches the *decoded* path, so ``/cl%61im/<token>`` opens a claim page too; such
    text is decoded before it is redacted (what is logged is then the decoded, redacted form).
    """
    if _has_secret(text):
        text = _redact(text)
    if "%" in text:
        decoded = unquote(text)
        if _has_secret(decoded) and _redact(decoded) != decoded:
            return _redact(decoded)
    return text


class SecretPathFilter(logging.Filter):
    """Redacts secret path segments in a record's message and string arguments; drops
    nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_path(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_path(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: redact_path(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with :class:`SecretPathFilter` on each of its
    handlers (the access log and the error log), for ``uvicorn.Config(log_config=…)``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["secret_paths"] = {"()": f"{__name__}.SecretPathFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("secret_paths")
    return config
