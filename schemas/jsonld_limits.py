"""How much JSON-LD context work one document may ask for: checked before any pyld processing.

Why: expanding a document processes every context it lists, at every level, and pyld does that
work again for each entry however often it repeats. A credential of 200 kB whose ``@context``
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
  as Python objects too.

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
    "MAX_SCOPED_CONTEXT_NESTING",
    "MAX_TOTAL_CONTEXT_ENTRIES",
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


class _Budget:
    """What the document has used so far, and the first limit it goes over."""

    __slots__ = ("entries", "terms")

    def __init__(self) -> None:
        self.entries = 0
        self.terms = 0

    def add_entries(self, count: int, where: str) -> None:
        self.entries += count
        if self.entries > MAX_TOTAL_CONTEXT_ENTRIES:
            raise JsonLdLimitExceeded(
                "MAX_TOTAL_CONTEXT_ENTRIES",
                MAX_TOTAL_CONTEXT_ENTRIES,
                where,
                f"more than {MAX_TOTAL_CONTEXT_ENTRIES} context entries in the document",
            )

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


def check_jsonld_limits(document: Any) -> None:
    """Raise :class:`JsonLdLimitExceeded` if ``document`` goes over one of the module's limits.

    One iterative pass over the JSON (no recursion, so no depth can overflow the stack), cheap
    next to the expansion it guards.
    """
    budget = _Budget()
    stack: list[tuple[Any, str, int]] = [(document, "$", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise JsonLdLimitExceeded(
                "MAX_JSON_DEPTH", MAX_JSON_DEPTH, path, f"nested more than {MAX_JSON_DEPTH} deep"
            )
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "@context":
                    _check_context_value(value, f"{path}.@context", 0, budget)
                elif isinstance(value, (Mapping, list)):
                    stack.append((value, f"{path}.{key}", depth + 1))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, (Mapping, list)):
                    stack.append((item, f"{path}[{index}]", depth + 1))
