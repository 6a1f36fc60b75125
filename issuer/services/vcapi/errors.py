"""What a refused VC-API request is: a ``status_code``, a stable ``name`` and the field at fault.

The VC-API routes answer these with ``{"name", "message", "field"}`` bodies (what DCC's clients
and the W3C test suites read), not with the admin API's error shape.
"""

from __future__ import annotations

from typing import Any

from issuer.services.errors import ServiceError

__all__ = [
    "CredentialNotFound",
    "IdTaken",
    "MalformedRequest",
    "StatusConflict",
    "Unprocessable",
    "VcApiError",
]


class VcApiError(ServiceError):
    """A refused VC-API request: ``status_code``, a stable ``name`` and the ``field`` at fault."""

    status_code = 400

    def __init__(self, name: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class MalformedRequest(VcApiError):
    """The body is not what the VC-API asks for (HTTP 400, the W3C test suites' expectation)."""

    status_code = 400


class Unprocessable(VcApiError):
    """A well-formed request that cannot be carried out: an undefined term, a context we do not
    carry, an issuer this key may not use (HTTP 422)."""

    status_code = 422


class IdTaken(VcApiError):
    """The credential id was issued by another issuer (HTTP 409)."""

    status_code = 409


class StatusConflict(VcApiError):
    """The credential's state forbids the change: revoked for good, or no status entry (409)."""

    status_code = 409


class CredentialNotFound(VcApiError):
    """No VC-API credential with that id, of an issuer this key may act for (HTTP 404)."""

    status_code = 404
