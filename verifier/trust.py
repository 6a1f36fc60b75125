"""Trust lists: whom the verifier's owner (a licensure office, a district) chose to trust.

A signature says *who* issued a credential; a trust list says whether that issuer counts, for
what, and in which jurisdiction. The verifier never decides this by itself: with no list the
``trust`` check is ``skipped``; with lists, an issuer on none of them fails it. Two formats are
read (see ``verifier/TRUST_LISTS.md``):

* ``microcred``: ``{"name", "issuers": [{"id", "name", "jurisdiction", "purposes",
  "achievements"?, "keys"?}]}``. ``achievements`` narrows the entry to those achievement ids;
  ``keys`` pins public JWKs to the issuer (how an office accepts an issuer that signs VC-JWTs
  with a bare ``jwk`` header, which by itself binds the key to nobody).
* ``dcc-legacy``: the DCC known-issuer registry, ``{"registry": {DID: {name, url, location}}}``.

Loading is strict and names the file and the field at fault (:class:`TrustListError`): a trust
list typo must stop the verifier at start-up, not silently trust or distrust someone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keys.errors import KeysError
from keys.keypairs import VerificationKey
from schemas.json_values import parse_json

__all__ = [
    "MAX_TRUST_LIST_BYTES",
    "TrustList",
    "TrustListError",
    "TrustMatch",
    "TrustStore",
    "TrustedIssuer",
    "load_trust_list",
    "parse_trust_list",
]

#: A trust list is configuration; one larger than this is a mistake, not a list.
MAX_TRUST_LIST_BYTES = 16 * 1024 * 1024


class TrustListError(ValueError):
    """A trust list that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class TrustedIssuer:
    """One issuer on one list."""

    id: str
    name: str | None = None
    jurisdiction: str | None = None
    purposes: tuple[str, ...] = ()
    #: ``None``: every achievement of this issuer; otherwise only these achievement ids.
    achievements: frozenset[str] | None = None
    keys: tuple[VerificationKey, ...] = ()
    #: Format-specific extras kept for the report (e.g. a DCC entry's ``url`` and ``location``).
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrustList:
    name: str
    format: str
    issuers: tuple[TrustedIssuer, ...]
    source: str


@dataclass(frozen=True)
class TrustMatch:
    """An issuer found on a list, and what the list trusts it for."""

    list_name: str
    issuer_name: str | None
    jurisdiction: str | None
    purposes: tuple[str, ...]
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "issuerName": self.issuer_name,
            "jurisdiction": self.jurisdiction,
            "purposes": list(self.purposes),
            "source": self.source,
        }


# --------------------------------------------------------------------------- parsing


def _string(value: Any, where: str, source: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TrustListError(f"{source}: {where} must be a non-empty string")
    return value


def _strings(value: Any, where: str, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TrustListError(f"{source}: {where} must be an array of strings")
    return tuple(
        _string(item, f"{where}[{i}]", source, required=True)  # type: ignore[misc]
        for i, item in enumerate(value)
    )


def _keys(value: Any, where: str, source: str) -> tuple[VerificationKey, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TrustListError(f"{source}: {where} must be an array of public JWKs")
    keys = []
    for i, jwk in enumerate(value):
        if not isinstance(jwk, dict):
            raise TrustListError(f"{source}: {where}[{i}] must be a JWK object")
        if "d" in jwk:
            raise TrustListError(
                f"{source}: {where}[{i}] is a PRIVATE key (it has 'd'); list public keys only"
            )
        try:
            keys.append(VerificationKey.from_jwk(jwk))
        except (KeysError, ValueError, TypeError) as exc:
            raise TrustListError(
                f"{source}: {where}[{i}] is not a usable public JWK: {exc}"
            ) from None
    return tuple(keys)


def _microcred_issuer(entry: Any, where: str, source: str) -> TrustedIssuer:
    if not isinstance(entry, dict):
        raise TrustListError(f"{source}: {where} must be an object")
    achievements = entry.get("achievements")
    return TrustedIssuer(
        id=_string(entry.get("id"), f"{where}.id", source, required=True),  # type: ignore[arg-type]
        name=_string(entry.get("name"), f"{where}.name", source),
        jurisdiction=_string(entry.get("jurisdiction"), f"{where}.jurisdiction", source),
        purposes=_strings(entry.get("purposes"), f"{where}.purposes", source),
        achievements=(
            None
            if achievements is None
            else frozenset(_strings(achievements, f"{where}.achievements", source))
        ),
        keys=_keys(entry.get("keys"), f"{where}.keys", source),
    )


def _dcc_issuer(did: str, entry: Any, source: str) -> TrustedIssuer:
    where = f"registry[{did!r}]"
    if not isinstance(entry, dict):
        raise TrustListError(f"{source}: {where} must be an object")
    extra = {k: entry[k] for k in ("url", "location") if isinstance(entry.get(k), str) and entry[k]}
    return TrustedIssuer(
        id=did,
        name=_string(entry.get("name"), f"{where}.name", source),
        jurisdiction=None,
        extra=extra,
    )


def parse_trust_list(document: Any, *, source: str = "trust list") -> TrustList:
    """Read a trust list in either format from parsed JSON (see the module docstring)."""
    if not isinstance(document, dict):
        raise TrustListError(f"{source}: a trust list must be a JSON object")
    if "issuers" in document:
        issuers = document["issuers"]
        if not isinstance(issuers, list):
            raise TrustListError(f"{source}: issuers must be an array")
        name = _string(document.get("name"), "name", source, required=True)
        parsed = tuple(
            _microcred_issuer(entry, f"issuers[{i}]", source) for i, entry in enumerate(issuers)
        )
        return TrustList(name=name, format="microcred", issuers=parsed, source=source)  # type: ignore[arg-type]
    if "registry" in document:
        registry = document["registry"]
        if not isinstance(registry, dict):
            raise TrustListError(f"{source}: registry must be an object keyed by issuer DID")
        meta = document.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        name = document.get("name") or meta.get("name") or Path(source).stem or source
        if not isinstance(name, str):
            raise TrustListError(f"{source}: name must be a string")
        parsed = tuple(_dcc_issuer(did, entry, source) for did, entry in registry.items())
        return TrustList(name=name, format="dcc-legacy", issuers=parsed, source=source)
    raise TrustListError(
        f"{source}: not a trust list: expected 'issuers' (microcred format) or 'registry' "
        "(DCC known-issuer registry)"
    )


def load_trust_list(path: str | Path) -> TrustList:
    """Read and check a trust list file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_TRUST_LIST_BYTES:
            raise TrustListError(f"{path}: larger than {MAX_TRUST_LIST_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TrustListError(f"{path}: cannot read trust list: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TrustListError(f"{path}: a trust list must be UTF-8 JSON") from None
    try:
        document = parse_json(text)  # strict, and nesting bounded (not a RecursionError)
    except ValueError as exc:
        raise TrustListError(f"{path}: not valid JSON: {exc}") from None
    return parse_trust_list(document, source=str(path))


# --------------------------------------------------------------------------- the store


class TrustStore:
    """The trust lists one verifier uses, in the order given (the first match is listed first)."""

    def __init__(self, lists: Sequence[TrustList] = ()) -> None:
        self.lists: tuple[TrustList, ...] = tuple(lists)
        self._by_issuer: dict[str, list[tuple[TrustList, TrustedIssuer]]] = {}
        for trust_list in self.lists:
            for issuer in trust_list.issuers:
                self._by_issuer.setdefault(issuer.id, []).append((trust_list, issuer))

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> TrustStore:
        return cls([load_trust_list(path) for path in paths])

    def __bool__(self) -> bool:
        return bool(self.lists)

    @property
    def names(self) -> list[str]:
        return [trust_list.name for trust_list in self.lists]

    def entries(self, issuer_id: str | None) -> list[tuple[TrustList, TrustedIssuer]]:
        """Every (list, entry) naming ``issuer_id`` exactly, whatever its achievements."""
        if not isinstance(issuer_id, str):
            return []
        return list(self._by_issuer.get(issuer_id, ()))

    def lookup(self, issuer_id: str | None, achievement_id: str | None = None) -> list[TrustMatch]:
        """The lists that trust ``issuer_id`` for ``achievement_id``.

        Issuer ids compare exactly: an office lists the DID or URL it means, and a near miss is
        a different issuer. An entry with ``achievements`` matches only those achievement ids.
        """
        matches = []
        for trust_list, issuer in self.entries(issuer_id):
            if issuer.achievements is not None and achievement_id not in issuer.achievements:
                continue
            matches.append(
                TrustMatch(
                    list_name=trust_list.name,
                    issuer_name=issuer.name,
                    jurisdiction=issuer.jurisdiction,
                    purposes=issuer.purposes,
                    source=trust_list.source,
                )
            )
        return matches

    def pinned_keys(self, issuer_id: str | None) -> list[VerificationKey]:
        """Public keys some list binds to ``issuer_id``."""
        return [key for _, issuer in self.entries(issuer_id) for key in issuer.keys]

    def pinning_list(self, issuer_id: str | None, key: VerificationKey) -> str | None:
        """The name of the first list that pins ``key`` to ``issuer_id``, if any."""
        for trust_list, issuer in self.entries(issuer_id):
            if any(key == pinned for pinned in issuer.keys):
                return trust_list.name
        return None
