"""The issuing service: issuer profiles and keys, the catalog, awards, public pages, CLI.

The library surface is small: :func:`create_app` builds the FastAPI service from
:class:`Settings` (environment variables ``MICROCRED_*``, see :func:`get_settings`). The
operations themselves are keyword-only functions in :mod:`issuer.services`, which the HTTP
routes and the ``microcred`` commands share.
"""

from issuer.app import create_app
from issuer.settings import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
