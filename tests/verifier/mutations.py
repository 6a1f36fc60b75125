"""Every single mutation of a signed credential, each classified by what its proof suite signs.

:func:`mutations` walks a signed credential (its proof included) and yields one
:class:`Mutation` per single change: each leaf value changed (strings: a character flipped at
the middle and at the end, text appended, emptied, case swapped, a Latin letter replaced by its
Cyrillic look-alike; dates shifted by one second; numbers ±1; booleans flipped), each member
removed, a member added to each object, each member renamed, each array element dropped and
duplicated, each array reordered, each object's members reversed, each ``type`` switched
between a string and a one-element array, the proof between an object and a one-element array,
and each ``@context`` list extended with an unknown URL and with a bundled context that
redefines Open Badges terms (:data:`REDEFINING_CONTEXT`). Mutations that
produce the document unchanged (the case of ``"92"``) are not yielded.

Each mutation says what it does to what the suite signs (:class:`Effect`):

* :attr:`Effect.CHANGES_CONTENT`: the signed content differs, so the credential must not be
  reported valid;
* :attr:`Effect.NEUTRAL`: what the suite signs is unchanged, so it must still verify (valid);
* :attr:`Effect.MALFORMED`: what the suite signs is unchanged, but the form is one the
  profile or microcred's limits refuse, so it must not be reported valid either.

The neutral set, precisely (everything else changes content, or is malformed):

* **Member order** of any object — for every suite. RDFC reads JSON-LD, where members are
  unordered; JCS sorts members before signing.
* **The proof as an object or a one-element array** — for every suite: the proof is not part
  of the signed document, and a one-element array is a proof set of one.
* **RDFC only** (``eddsa-rdfc-2022``, ``ecdsa-rdfc-2019``, ``Ed25519Signature2020`` and
  ``…2018``: what is signed is the RDF dataset, not the JSON):

  - ``type`` as a string or a one-element array (JSON-LD: one value or a set of one), except
    where the profile requires a string (below);
  - the order of any array but ``@context`` (term precedence), a ``@list`` term's (none of
    our credentials has one; the terms are read from the bundled contexts) and the proof's
    (read as JSON by the proof algorithm): JSON-LD arrays are sets;
  - a duplicated string, number or boolean in an array, or a duplicated object with an ``id``
    (the same node): an RDF dataset is a set of triples. A duplicated object *without* an id is
    a second blank node, new content;
  - dropping an element that has an identical twin in the same array (the reverse);
  - removing a member whose value is ``null`` or ``[]`` (JSON-LD drops both; none of our
    credentials carries one).

  JCS (``eddsa-jcs-2022``, ``ecdsa-jcs-2019``) signs the JSON as written, so for it each of
  these changes content.
* **JCS only**: removing the proof's ``@context`` while it equals the document's. The JCS
  suites sign the proof options under the proof's ``@context``, and a proof without one is
  signed under the document's (vc-di-eddsa / vc-di-ecdsa §3.3), which is the same list.

Malformed (content unchanged, refused on purpose): ``type`` as an array in the proof (Data
Integrity reads ``proof.type`` as a string) and, in an Open Badge, in ``credentialSchema`` and
``credentialStatus`` entries (the OB 3.0 JSON Schema requires a string there); a ``@context``
URL listed twice (refused before processing by :mod:`schemas.jsonld_limits`).
"""

from __future__ import annotations

import copy
import enum
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from schemas.dates import format_datetime, is_xsd_datetime, parse_datetime
from schemas.loader import BUNDLED_CONTEXT_URLS, bundled_document
from schemas.models import is_open_badge

__all__ = ["Effect", "Family", "Mutation", "family_of", "list_terms", "mutations"]

#: A path into a JSON document: member names and array indexes.
Path = tuple[str | int, ...]

#: Latin letters and the Cyrillic letters that look the same.
CONFUSABLES = dict(zip("aceopxyiACEHKMOPTBX", "асеорхуіАСЕНКМОРТВХ", strict=True))
#: A context URL microcred does not carry.
UNKNOWN_CONTEXT = "https://contexts.tamper.example/v1"
#: A bundled context that redefines Open Badges terms: the unversioned OB context (3.0.0) gives
#: them other IRIs and datatypes than OB 3.0.1 (and, not being ``@protected``, may), and under
#: the protected OB 3.0.2+ contexts of a VC 2.0 credential it is a redefinition error.
REDEFINING_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
#: The member a mutation adds to an object.
ADDED_MEMBER = "tamperedWith"


class Effect(enum.StrEnum):
    CHANGES_CONTENT = "changes-content"
    NEUTRAL = "neutral"
    MALFORMED = "malformed"


class Family(enum.StrEnum):
    """What a suite signs: the RDF dataset (RDFC-1.0) or the JSON (JCS)."""

    RDFC = "rdfc"
    JCS = "jcs"


@dataclass(frozen=True)
class Mutation:
    """One single change: its kind, where (a JSON path), the changed credential, its effect."""

    kind: str
    path: str
    document: dict[str, Any]
    effect: Effect

    def describe(self) -> str:
        return f"{self.kind} at {self.path} ({self.effect})"


def family_of(credential: Mapping[str, Any]) -> Family:
    """The family of the credential's (first) proof's suite."""
    proof = credential["proof"]
    proof = proof[0] if isinstance(proof, list) else proof
    cryptosuite = str(proof.get("cryptosuite", ""))
    return Family.JCS if "-jcs-" in cryptosuite else Family.RDFC


@cache
def list_terms() -> frozenset[str]:
    """Every term some bundled context defines with ``"@container": "@list"`` (its array is
    ordered, even under RDFC)."""
    found: set[str] = set()
    stack: list[Any] = [bundled_document(url) for url in sorted(BUNDLED_CONTEXT_URLS)]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for term, definition in node.items():
                if isinstance(definition, Mapping):
                    container = definition.get("@container")
                    containers = container if isinstance(container, list) else [container]
                    if "@list" in containers:
                        found.add(term)
                stack.append(definition)
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def _render(path: Path) -> str:
    text = "$"
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


def _get(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def _changed(document: Mapping[str, Any], path: Path, change: Callable[[Any], Any]) -> Any:
    """A deep copy of ``document`` with the value at ``path`` replaced by ``change(value)``."""
    copied = copy.deepcopy(document)
    if not path:
        return change(copied)
    parent = _get(copied, path[:-1])
    parent[path[-1]] = change(parent[path[-1]])
    return copied


# --------------------------------------------------------------------------- leaf values


def _flip(text: str, index: int) -> str:
    char = text[index]
    if char.isdigit():
        new = str((int(char) + 1) % 10)
    elif "a" <= char.lower() <= "z":
        base = ord("a") if char.islower() else ord("A")
        new = chr(base + (ord(char) - base + 1) % 26)
    else:
        new = "_" if char != "_" else "-"
    return text[:index] + new + text[index + 1 :]


def _confusable(text: str) -> str:
    for index, char in enumerate(text):
        if char in CONFUSABLES:
            return text[:index] + CONFUSABLES[char] + text[index + 1 :]
    return text


def _shift_second(text: str) -> str:
    return format_datetime(parse_datetime(text) + timedelta(seconds=1))


def _string_changes(text: str) -> Iterator[tuple[str, str]]:
    if text:
        yield "string.flip-middle", _flip(text, len(text) // 2)
        yield "string.flip-last", _flip(text, len(text) - 1)
    yield "string.append", text + "x"
    yield "string.empty", ""
    yield "string.swapcase", text.swapcase()
    yield "string.confusable", _confusable(text)
    if is_xsd_datetime(text):
        yield "date.plus-1s", _shift_second(text)


def _leaf_changes(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, bool):
        yield "boolean.flip", not value
    elif isinstance(value, (int, float)):
        yield "number.plus-1", value + 1
        yield "number.minus-1", value - 1
    elif isinstance(value, str):
        yield from _string_changes(value)
    elif value is None:
        yield "null.to-string", "x"


# --------------------------------------------------------------------------- the walk


@dataclass(frozen=True)
class _Where:
    """What the classification needs to know about a location."""

    path: Path
    in_proof: bool
    in_context: bool

    def child(self, step: str | int) -> _Where:
        return _Where(
            (*self.path, step),
            self.in_proof or (len(self.path) == 0 and step == "proof"),
            self.in_context or step == "@context",
        )


def _locations(document: Any) -> Iterator[tuple[_Where, Any]]:
    stack: list[tuple[_Where, Any]] = [(_Where((), False, False), document)]
    while stack:
        where, value = stack.pop()
        yield where, value
        if isinstance(value, Mapping):
            items: list[tuple[str | int, Any]] = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        for step, child in reversed(items):
            stack.append((where.child(step), child))


class _Classifier:
    """The effect of each mutation kind at a location, for one credential and suite family."""

    def __init__(self, credential: Mapping[str, Any], family: Family) -> None:
        self.credential = credential
        self.family = family
        self.rdfc = family is Family.RDFC
        self.open_badge = is_open_badge(credential)

    def changes(self, neutral_under_rdfc: bool) -> Effect:
        return Effect.NEUTRAL if neutral_under_rdfc and self.rdfc else Effect.CHANGES_CONTENT

    def type_form_malformed(self, path: Path) -> bool:
        """Where the profile reads ``type`` as a JSON string (see the module docstring)."""
        if path and path[0] == "proof":
            return True
        profile_strings = ("credentialSchema", "credentialStatus")
        return self.open_badge and bool(path) and path[0] in profile_strings

    def ordered_array(self, where: _Where) -> bool:
        """An array whose order is content even in JSON-LD."""
        last = where.path[-1] if where.path else None
        return where.in_context or where.in_proof or last in list_terms()


def _is_node_with_id(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("id"), str)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class _Maker:
    """Makes the mutations at one location: ``maker(kind, change, effect)``."""

    def __init__(self, credential: Mapping[str, Any], path: Path) -> None:
        self.credential = credential
        self.path = path
        self.original = json.dumps(credential)

    def __call__(self, kind: str, change: Callable[[Any], Any], effect: Effect) -> Mutation | None:
        document = _changed(self.credential, self.path, change)
        if json.dumps(document) == self.original:  # order-sensitive: truly unchanged
            return None
        return Mutation(kind, _render(self.path), document, effect)


def mutations(credential: Mapping[str, Any], family: Family | None = None) -> Iterator[Mutation]:
    """Every single mutation of ``credential`` (see the module docstring), in a fixed order."""
    rules = _Classifier(credential, family or family_of(credential))
    for where, value in _locations(credential):
        path = where.path
        make = _Maker(credential, path)
        found: list[Mutation | None] = []
        if not isinstance(value, (Mapping, list)):
            for kind, new in _leaf_changes(value):
                found.append(make(kind, lambda _, new=new: new, Effect.CHANGES_CONTENT))
        if path and path[-1] == "type" and not where.in_context:
            found.extend(_type_forms(where, value, make, rules))
        if path == ("proof",):
            found.append(_proof_form(value, make))
        if isinstance(value, Mapping) and not where.in_context:
            found.extend(_object_mutations(where, value, make, rules))
        if isinstance(value, list):
            found.extend(_array_mutations(where, value, make, rules))
        if path and path[-1] == "@context":
            found.extend(_context_mutations(value, make))
        yield from (m for m in found if m is not None)


def _type_forms(where: _Where, value: Any, make: _Maker, rules: _Classifier) -> list[Any]:
    malformed = rules.type_form_malformed(where.path)
    if isinstance(value, str):
        effect = Effect.MALFORMED if malformed and rules.rdfc else rules.changes(True)
        return [make("type.string-to-array", lambda v: [v], effect)]
    if isinstance(value, list) and len(value) == 1:
        return [make("type.array-to-string", lambda v: v[0], rules.changes(True))]
    return []


def _proof_form(value: Any, make: _Maker) -> Mutation | None:
    if isinstance(value, Mapping):
        return make("proof.object-to-array", lambda v: [v], Effect.NEUTRAL)
    if isinstance(value, list) and len(value) == 1:
        return make("proof.array-to-object", lambda v: v[0], Effect.NEUTRAL)
    return None


def _reversed_members(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(value.items())))


def _object_mutations(
    where: _Where, value: Mapping[str, Any], make: _Maker, rules: _Classifier
) -> list[Any]:
    found: list[Any] = []
    if len(value) > 1:
        found.append(make("object.reverse-members", _reversed_members, Effect.NEUTRAL))
    found.append(
        make("object.add-member", lambda v: {**v, ADDED_MEMBER: "x"}, Effect.CHANGES_CONTENT)
    )
    for key, member in value.items():
        if where.path == () and key == "proof":
            effect = Effect.CHANGES_CONTENT
        elif where.path == ("proof",) and key == "@context" and not rules.rdfc:
            document_context = rules.credential.get("@context")
            effect = Effect.NEUTRAL if _same(member, document_context) else Effect.CHANGES_CONTENT
        else:
            effect = rules.changes(member is None or member == [])
        found.append(
            make(
                f"object.remove-member[{key}]",
                lambda v, key=key: {k: m for k, m in v.items() if k != key},
                effect,
            )
        )
        found.append(
            make(
                f"object.rename-member[{key}]",
                lambda v, key=key: {(k + "X" if k == key else k): m for k, m in v.items()},
                Effect.CHANGES_CONTENT,
            )
        )
    return found


def _array_mutations(
    where: _Where, value: list[Any], make: _Maker, rules: _Classifier
) -> list[Any]:
    found: list[Any] = []
    ordered = rules.ordered_array(where)
    for index, item in enumerate(value):
        twins = sum(1 for other in value if _same(other, item))
        found.append(
            make(
                f"array.drop[{index}]",
                lambda v, index=index: v[:index] + v[index + 1 :],
                rules.changes(twins > 1 and not ordered),
            )
        )
        if where.in_context:
            duplicate = Effect.MALFORMED if isinstance(item, str) else Effect.CHANGES_CONTENT
        else:
            same_node = not isinstance(item, (Mapping, list)) or _is_node_with_id(item)
            duplicate = rules.changes(same_node and not ordered)
        found.append(make(f"array.duplicate[{index}]", lambda v, item=item: [*v, item], duplicate))
    if len(value) > 1:
        found.append(make("array.reverse", lambda v: list(reversed(v)), rules.changes(not ordered)))
    return found


def _context_mutations(value: Any, make: _Maker) -> list[Any]:
    entries = value if isinstance(value, list) else [value]
    unknown = [*entries, UNKNOWN_CONTEXT]
    found = [make("context.append-unknown", lambda _: unknown, Effect.CHANGES_CONTENT)]
    if REDEFINING_CONTEXT not in entries:
        redefining = [*entries, REDEFINING_CONTEXT]
        found.append(
            make("context.append-redefining", lambda _: redefining, Effect.CHANGES_CONTENT)
        )
    return found
