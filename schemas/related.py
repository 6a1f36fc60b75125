"""``relatedResource`` (VC DM 2.0 §5.3): the shape of each entry, and the digests we can check.

An issuer that signs a credential naming a related resource vouches for that resource's digest;
one that signs a wrong digest of a document it knows has signed a falsehood. So the issuer
checks every entry (objects only, an ``id`` that is a URL, ids unique, at least one
``digestSRI`` / ``digestMultibase``, each well formed) and, for a resource whose published
digests it knows, that the given digest is one of them. Nothing is fetched: an unknown resource
is accepted on the issuer's word, as the data model allows.

The known digests are the ones W3C published for the base context
``https://www.w3.org/ns/credentials/v2``. Two revisions of that document were published: the
Recommendation's (VC DM 2.0 §B.1, sha256 ``59955ced…``, the vendored
``vc-data-model/contexts/credentials/v2``), and the July 2024 revision the Candidate
Recommendation cited (w3c/vc-data-model commit ``8d0ee107``, sha256 ``24a18c90…``), which the
W3C test suite's fixtures still name. The bundled npm copy in ``schemas/contexts`` is
re-serialised and hashes to neither, so the digests are pinned here rather than computed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.base64url import decode as b64url_decode
from schemas.json_values import as_list
from schemas.models import VC2_CONTEXT
from schemas.validation import json_kind
from schemas.vcdm import is_url

__all__ = ["PUBLISHED_DIGESTS", "related_resource_problems"]

#: Published digests of documents, by URL: algorithm → the set of accepted digests (raw bytes).
PUBLISHED_DIGESTS: dict[str, dict[str, frozenset[bytes]]] = {
    VC2_CONTEXT: {
        "sha256": frozenset(
            {
                bytes.fromhex("59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"),
                bytes.fromhex("24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9"),
            }
        ),
        "sha384": frozenset(
            {
                base64.b64decode(
                    "l/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU"
                ),
                base64.b64decode(
                    "NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"
                ),
            }
        ),
    },
}

#: Digest lengths in bytes, by the names SRI uses.
_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
#: Multihash prefixes (code, length) of the same algorithms.
_MULTIHASH = {b"\x12\x20": "sha256", b"\x20\x30": "sha384", b"\x13\x40": "sha512"}
_SRI = re.compile(r"^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$")


@dataclass(frozen=True)
class _Digest:
    algorithm: str
    value: bytes


def _sri_digests(value: Any, where: str) -> Iterator[_Digest | str]:
    """Each digest of a ``digestSRI`` (space-separated ``alg-base64`` expressions), or a problem."""
    if not isinstance(value, str) or not value.strip():
        yield f"{where} must be a string of sha256-/sha384-/sha512- base64 digests"
        return
    for expression in value.split():
        match = _SRI.match(expression.split("?", 1)[0])
        if match is None:
            yield f"{where} {expression[:100]!r} is not a well-formed SRI digest"
            continue
        algorithm, encoded = match.groups()
        try:
            digest = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            digest = b""
        if len(digest) != _LENGTHS[algorithm]:
            yield f"{where} {expression[:100]!r} is not a {algorithm} digest"
            continue
        yield _Digest(algorithm, digest)


def _multibase_digest(value: Any, where: str) -> _Digest | str:
    """The digest a ``digestMultibase`` holds (base64url ``u…``: a bare digest or a multihash)."""
    if not isinstance(value, str) or not value.startswith("u"):
        return f"{where} must be a base64url multibase string (starting with 'u')"
    try:
        raw = b64url_decode(value[1:], canonical=False)
    except ValueError:
        return f"{where} {value[:100]!r} is not valid base64url"
    if raw[:2] in _MULTIHASH and len(raw) == 2 + _LENGTHS[_MULTIHASH[raw[:2]]]:
        return _Digest(_MULTIHASH[raw[:2]], raw[2:])
    for algorithm, length in _LENGTHS.items():
        if len(raw) == length:
            return _Digest(algorithm, raw)
    return f"{where} {value[:100]!r} is not a sha256, sha384 or sha512 digest"


def _entry_problems(entry: Any, where: str) -> Iterator[str]:
    if not isinstance(entry, Mapping):
        yield f"{where} must be an object with an id and a digest, not {json_kind(entry)}"
        return
    resource = entry.get("id")
    if not isinstance(resource, str) or not is_url(resource):
        yield f"{where}.id is required and must be a URL"
        return
    if "digestSRI" not in entry and "digestMultibase" not in entry:
        yield f"{where} must have a digestSRI or a digestMultibase"
        return
    digests: list[_Digest] = []
    if "digestSRI" in entry:
        for found in _sri_digests(entry["digestSRI"], f"{where}.digestSRI"):
            if isinstance(found, str):
                yield found
            else:
                digests.append(found)
    if "digestMultibase" in entry:
        found_one = _multibase_digest(entry["digestMultibase"], f"{where}.digestMultibase")
        if isinstance(found_one, str):
            yield found_one
        else:
            digests.append(found_one)
    if "mediaType" in entry and not isinstance(entry["mediaType"], str):
        yield f"{where}.mediaType must be a string"
    published = PUBLISHED_DIGESTS.get(resource)
    if published is None:
        return
    for digest in digests:
        known = published.get(digest.algorithm)
        if known is not None and digest.value not in known:
            yield (
                f"{where}: the {digest.algorithm} digest of {resource} does not match the "
                "digest W3C publishes for it"
            )


def related_resource_problems(value: Any, where: str = "relatedResource") -> list[str]:
    """Every problem with a ``relatedResource`` value (an object or a non-empty array of them);
    an empty list means it is acceptable."""
    if isinstance(value, list) and not value:
        return [f"{where} must be an object or a non-empty array of objects"]
    entries = as_list(value)
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        here = f"{where}[{index}]" if isinstance(value, list) else where
        problems.extend(_entry_problems(entry, here))
        resource = entry.get("id") if isinstance(entry, Mapping) else None
        if isinstance(resource, str):
            if resource in seen:
                problems.append(f"{here}.id {resource[:100]!r} appears twice; ids must be unique")
            seen.add(resource)
    return problems
