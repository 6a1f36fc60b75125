"""JCS (RFC 8785, JSON Canonicalization Scheme): the canonicalization of the ``*-jcs-*`` suites.

The document is signed as the JSON it is, with sorted members and ECMAScript number and string
serialization; no JSON-LD processing, so no context is loaded. Serialization is the ``rfc8785``
package's (Trail of Bits): a value JCS cannot represent (a non-finite float, an integer beyond
IEEE 754 double precision) is an :class:`InvalidProof`, never a silently different byte string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

from keys.errors import InvalidProof
from schemas.canonical import DocumentLoader


def canonicalize_jcs(document: Mapping[str, Any], loader: DocumentLoader) -> str:
    """The RFC 8785 canonical form of ``document`` (``loader`` is unused: JCS reads no context)."""
    del loader
    try:
        return rfc8785.dumps(document).decode("utf-8")
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise InvalidProof(f"cannot canonicalize with JCS: {error}") from error
