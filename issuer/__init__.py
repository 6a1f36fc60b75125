"""The issuing service: issuer profiles and keys, the catalog, awards, public pages, CLI.

The library surface is small: :func:`create_app` builds the FastAPI service from
:class:`Settings` (environment variables ``MICROCRED_*``, see :func:`get_settings`). The
operations themselves are keyword-only functions in :mod:`issuer.services`, which the HTTP
routes and the ``microcred`` commands share.
"""

from typing import TYPE_CHECKING

from schemas.lazy import lazy_exports

if TYPE_CHECKING:
    from issuer.app import create_app
    from issuer.settings import Settings, get_settings

#: name → the module that defines it; imported on first use (schemas.lazy).
_EXPORTS = {
    "Settings": "issuer.settings",
    "create_app": "issuer.app",
    "get_settings": "issuer.settings",
}
__all__ = [
    "Settings",
    "create_app",
    "get_settings",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

del TYPE_CHECKING, lazy_exports  # helpers of this module, not part of its surface
