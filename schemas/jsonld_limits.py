"""How much JSON-LD work one document may ask for: checked before any pyld processing.

Why: expanding a document processes every context it lists, at every level, and pyld does that
work again for each entry however often it repeats (and compares every value of a property with
every other, below). A credential of 200 kB whose ``@context``
lists the VC 2.0 context 5,000 times took 17 s to canonicalize (twice per proof), and still
verified; two such requests made an honest ``/verify`` wait half a minute. Genuine credentials
list two to four contexts (eighteen in all for an Open Badge carrying endorsements, each with
its own ``@context``), so the limits below leave them a wide margin and turn the abuse into an
error that costs one pass over the JSON.

:func:`check_jsonld_limits` is called by :func:`schemas.canonical.to_quads`, the one place
microcred hands a document to pyld, so every path that canonicalizes (verifying any RDFC or
2018/2020 proof, a presentation's, a status list's; signing awards, VC-API credentials and status
lists) is bounded by the same limits; the verifier's ``context`` check calls it too, so the
report names the limit for any credential, whatever its proof suite. A document over a limit
raises :class:`schemas.errors.JsonLdLimitExceeded`, which says which limit, where, and what was
found.

The limits, per document:

* :data:`MAX_CONTEXT_ENTRIES` entries in any one ``@context`` (at the top, in a node, or in a
  scoped context of an inline context);
* a context URL listed twice in one ``@context`` is refused: the second entry adds nothing
  but work (a node repeating a URL of its parent, as an embedded endorsement does, is fine);
* :data:`MAX_TOTAL_CONTEXT_ENTRIES` context entries in the whole document, every level and
  every scoped context counted, plus each ``@import``;
* :data:`MAX_INLINE_CONTEXT_TERMS` term definitions in the document's own inline (object)
  contexts, scoped contexts included (bundled contexts are ours and are not counted);
* :data:`MAX_SCOPED_CONTEXT_NESTING` levels of scoped contexts inside an inline context;
* :data:`schemas.json_values.MAX_JSON_DEPTH` levels of JSON nesting, the limit
  :func:`schemas.json_values.parse_json` applies to text, applied here to documents handed in
  as Python objects too;
* :data:`MAX_JSON_VALUES` JSON values in the document (every member and array item), and
  :data:`MAX_PROPERTY_VALUES` values in one property: one JSON array, or one member of one
  node across the document (objects with the same ``id`` are one node, whose values pyld
  gathers); and :data:`MAX_VALUE_COMPARISONS` for the document, the sum over its properties of
  the square of their number of values. pyld compares each value it adds to a property with
  every value already there: a credential of 150 kB whose ``tag`` listed 8,000 strings took
  40 s to canonicalize, 4,000 evidence objects 10 s, 256 alignments of 64 codes each 2 s.
  (A property can still be reached through a few spellings of its name — its term, a compact
  and an absolute IRI — each counted on its own: a small factor, not a square.)

A ``@context`` member inside an ``@json`` literal is counted as if it were one (the check reads
JSON, not JSON-LD); no credential needs a literal that large.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urldefrag

from schemas.errors import JsonLdLimitExceeded
from schemas.json_values import MAX_JSON_DEPTH

__all__ = [
    "MAX_CONTEXT_ENTRIES",
    "MAX_INLINE_CONTEXT_TERMS",
    "MAX_JSON_VALUES",
    "MAX_PROPERTY_VALUES",
    "MAX_SCOPED_CONTEXT_NESTING",
    "MAX_TOTAL_CONTEXT_ENTRIES",
    "MAX_VALUE_COMPARISONS",
    "check_jsonld_limits",
]

#: Entries in one ``@context`` value. Genuine credentials list 1–4.
MAX_CONTEXT_ENTRIES: Final = 32
#: Context entries in a whole document, at every level. The largest genuine one we know (an
#: Open Badge whose achievement carries endorsements, 1EdTech's ``complete_v1``) has 18.
MAX_TOTAL_CONTEXT_ENTRIES: Final = 64
#: Term definitions in the document's own inline contexts (the VC 1.1 context, the largest
#: we bundle, defines about 300; inline contexts in credentials define a handful).
MAX_INLINE_CONTEXT_TERMS: Final = 256
#: Scoped contexts within scoped contexts of an inline context.
MAX_SCOPED_CONTEXT_NESTING: Final = 4
#: JSON values (members and array items) in a document: a linear cost (about 50 µs each). Our
#: sample credential has about 100, 1EdTech's ``complete.json`` (an Open Badge with
#: endorsements and every optional member) 539; a presentation of 64 credentials (the most
#: the verifier takes at once) of 250 each fits.
MAX_JSON_VALUES: Final = 16_384
#: Values of one property: one JSON array, or one member of one node across the document.
#: Genuine credentials have a handful (the longest array in the vendor fixtures has 4).
MAX_PROPERTY_VALUES: Final = 128
#: The sum over the document's properties of the square of their number of values: pyld's
#: duplicate checks, about 0.6 µs a unit. A credential needs a few hundred (complete.json:
#: about 500), so 64 of them in a presentation fit; eight properties at
#: :data:`MAX_PROPERTY_VALUES` use it all, for some 80 ms.
MAX_VALUE_COMPARISONS: Final = 8 * MAX_PROPERTY_VALUES**2


class _Budget:
    """What the document has used so far, and the first limit it goes over."""

    __slots__ = ("comparisons", "entries", "node_values", "terms", "values")

    def __init__(self) -> None:
        self.entries = 0
        self.terms = 0
        self.values = 0
        self.comparisons = 0
        #: Values each (node id, member) was given so far.
        self.node_values: dict[tuple[str, str], int] = {}

    def add_entries(self, count: int, where: str) -> None:
        self.entries += count
        if self.entries > MAX_TOTAL_CONTEXT_ENTRIES:
            raise JsonLdLimitExceeded(
                "MAX_TOTAL_CONTEXT_ENTRIES",
                MAX_TOTAL_CONTEXT_ENTRIES,
                where,
                f"more than {MAX_TOTAL_CONTEXT_ENTRIES} context entries in the document",
            )

    def add_values(self, count: int, where: str) -> None:
        self.values += count
        if self.values > MAX_JSON_VALUES:
            raise JsonLdLimitExceeded(
                "MAX_JSON_VALUES",
                MAX_JSON_VALUES,
                where,
                f"more than {MAX_JSON_VALUES} JSON values in the document",
            )

    def add_property(self, before: int, after: int, where: str) -> None:
        """A property that had ``before`` values now has ``after`` (at most
        :data:`MAX_PROPERTY_VALUES`: the caller checks, saying what the values are)."""
        self.comparisons += after * after - before * before
        if self.comparisons > MAX_VALUE_COMPARISONS:
            raise JsonLdLimitExceeded(
                "MAX_VALUE_COMPARISONS",
                MAX_VALUE_COMPARISONS,
                where,
                "properties with too many values in all (the sum of the squares of their "
                f"numbers of values is over {MAX_VALUE_COMPARISONS})",
            )

    def add_node_values(self, node_id: str, key: str, value: Any, where: str) -> None:
        """Values of ``key`` of the node ``node_id``, gathered across the document."""
        slot = (node_id, key)
        before = self.node_values.get(slot, 0)
        after = before + (len(value) if isinstance(value, list) else 1)
        self.node_values[slot] = after
        if after > MAX_PROPERTY_VALUES:
            what = (
                f"more than {MAX_PROPERTY_VALUES} values of {key[:100]} for the node "
                f"{node_id[:200]} (objects with one id are one node)"
            )
            raise JsonLdLimitExceeded("MAX_PROPERTY_VALUES", MAX_PROPERTY_VALUES, where, what)
        self.add_property(before, after, where)

    def add_term(self, where: str) -> None:
        self.terms += 1
        if self.terms > MAX_INLINE_CONTEXT_TERMS:
            raise JsonLdLimitExceeded(
                "MAX_INLINE_CONTEXT_TERMS",
                MAX_INLINE_CONTEXT_TERMS,
                where,
                f"more than {MAX_INLINE_CONTEXT_TERMS} term definitions in inline contexts",
            )


def _check_context_value(value: Any, where: str, nesting: int, budget: _Budget) -> None:
    """One ``@context`` value: its length, its duplicates, its inline definitions."""
    entries = value if isinstance(value, list) else [value]
    if len(entries) > MAX_CONTEXT_ENTRIES:
        raise JsonLdLimitExceeded(
            "MAX_CONTEXT_ENTRIES",
            MAX_CONTEXT_ENTRIES,
            where,
            f"{len(entries)} entries in one @context",
        )
    budget.add_entries(len(entries), where)
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        at = f"{where}[{index}]" if isinstance(value, list) else where
        if isinstance(entry, str):
            url = urldefrag(entry).url
            if url in seen:
                raise JsonLdLimitExceeded(
                    "duplicate context",
                    1,
                    at,
                    f"the context {entry[:200]} is listed twice in one @context",
                )
            seen.add(url)
        elif isinstance(entry, Mapping):
            _check_inline(entry, at, nesting, budget)


def _check_inline(context: Mapping[str, Any], where: str, nesting: int, budget: _Budget) -> None:
    """An inline context: count its term definitions and walk its scoped contexts."""
    for term, definition in context.items():
        at = f"{where}.{term}"
        if term == "@import":
            budget.add_entries(1, at)
            continue
        if term.startswith("@"):
            continue  # @version, @vocab, @base, @protected …: settings, not definitions
        budget.add_term(at)
        if isinstance(definition, Mapping) and "@context" in definition:
            if nesting + 1 > MAX_SCOPED_CONTEXT_NESTING:
                raise JsonLdLimitExceeded(
                    "MAX_SCOPED_CONTEXT_NESTING",
                    MAX_SCOPED_CONTEXT_NESTING,
                    at,
                    f"scoped contexts nested more than {MAX_SCOPED_CONTEXT_NESTING} deep",
                )
            _check_context_value(definition["@context"], f"{at}.@context", nesting + 1, budget)


def _check_array(array: list[Any], where: str) -> None:
    """One JSON array: at most :data:`MAX_PROPERTY_VALUES` items."""
    if len(array) > MAX_PROPERTY_VALUES:
        what = f"{len(array)} items in one array"
        raise JsonLdLimitExceeded("MAX_PROPERTY_VALUES", MAX_PROPERTY_VALUES, where, what)


def check_jsonld_limits(document: Any) -> None:
    """Raise :class:`JsonLdLimitExceeded` if ``document`` goes over one of the module's limits.

    One iterative pass over the JSON (no recursion, so no depth can overflow the stack), cheap
    next to the expansion it guards.
    """
    budget = _Budget()
    # (value, JSON path, depth, whether it is a node's member array, counted with the node)
    stack: list[tuple[Any, str, int, bool]] = [(document, "$", 1, False)]
    while stack:
        node, path, depth, counted = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise JsonLdLimitExceeded(
                "MAX_JSON_DEPTH", MAX_JSON_DEPTH, path, f"nested more than {MAX_JSON_DEPTH} deep"
            )
        if isinstance(node, Mapping):
            budget.add_values(len(node), path)
            node_id = node.get("id", node.get("@id"))
            is_node = isinstance(node_id, str)
            for key, value in node.items():
                where = f"{path}.{key}"
                if key == "@context":
                    _check_context_value(value, where, 0, budget)
                    continue
                if isinstance(value, list):
                    _check_array(value, where)
                if is_node:
                    budget.add_node_values(str(node_id), key, value, where)
                if isinstance(value, (Mapping, list)):
                    stack.append((value, where, depth + 1, is_node))
        elif isinstance(node, list):
            budget.add_values(len(node), path)
            if not counted:
                _check_array(node, path)
                budget.add_property(0, len(node), path)
            for index, item in enumerate(node):
                if isinstance(item, (Mapping, list)):
                    stack.append((item, f"{path}[{index}]", depth + 1, False))
