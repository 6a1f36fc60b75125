"""The VC-JWT payload shapes (:mod:`keys.suites.vc_jwt` describes each), standard library only.

``microcred sign --jwt-profile`` takes one as its option type, and Typer reads that signature
to build even ``microcred --help``; :mod:`keys.suites.vc_jwt` costs jwcrypto, every proof
suite and pyld, so the enumeration lives here and that module re-exports it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["JwtProfile"]


class JwtProfile(StrEnum):
    """Which VC-JWT shape a token has (see :mod:`keys.suites.vc_jwt`)."""

    VC2 = "vc2"
    OB3 = "ob3"
    VC11 = "vc11"
