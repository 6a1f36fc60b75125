"""RDF Dataset Canonicalization (RDFC-1.0, W3C Recommendation 2024), written for signatures.

Why our own and not pyld's ``URDNA2015``:

* **Escaping.** RDFC-1.0 writes ``\\b``, ``\\f`` and ``\\uXXXX`` for the other control characters
  and U+007F; pyld escapes only ``\\ \\t \\n \\r "``. Blank-node hashes are computed over
  serialized quads, so a credential whose text holds a control character would canonicalize
  differently from Digital Bazaar's ``rdf-canonize`` (which every JavaScript verifier uses) and
  the signature would not interoperate.
* **A work budget.** Blank-node hashing can be driven into factorial work by a small crafted
  document ("dataset poisoning"). Like ``rdf-canonize``'s ``maxWorkFactor`` we bound how often
  any blank node may be deep-hashed and fail closed with :class:`CanonicalizationBudgetExceeded`.
* **Speed.** Terms are kept as their serialized N-Quads strings, so hashing does no copying.

Input is a list of quads ``(subject, predicate, object, graph)`` whose members are already
serialized N-Quads terms (``<iri>``, ``_:label``, ``"literal"^^<dt>``); ``graph`` is ``""`` for
the default graph. :func:`serialize_literal` and :func:`serialize_iri` produce such terms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import permutations

from schemas.errors import CanonicalizationBudgetExceeded

Quad = tuple[str, str, str, str]

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: How many times one blank node may be deep-hashed, as a power of the number of blank nodes
#: whose first-degree hashes collide. 1 matches rdf-canonize's default (linear work).
DEFAULT_WORK_FACTOR = 1


def _escape_table() -> dict[int, str]:
    table = {n: f"\\u{n:04X}" for n in range(0x20)}
    table[0x7F] = "\\u007F"
    table.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"})
    table[ord('"')] = '\\"'
    table[ord("\\")] = "\\\\"
    return table


_ESCAPES = _escape_table()


def serialize_iri(iri: str) -> str:
    """An IRI term in canonical N-Quads form (IRIs are written without escapes)."""
    return f"<{iri}>"


def serialize_literal(value: str, datatype: str | None = None, language: str | None = None) -> str:
    """A literal term in canonical N-Quads form, with RDFC-1.0 string escaping."""
    text = '"' + value.translate(_ESCAPES) + '"'
    if language:
        return f"{text}@{language}"
    if datatype and datatype != XSD_STRING and datatype != RDF_LANG_STRING:
        return f"{text}^^<{datatype}>"
    return text


def _is_blank(term: str) -> bool:
    return term.startswith("_:")


def _line(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"


#: RDFC-1.0 §4.2: the hash function is a parameter, SHA-256 unless told otherwise (ecdsa-rdfc-2019
#: on P-384 canonicalizes with SHA-384).
HASH_ALGORITHMS = frozenset({"sha256", "sha384"})


class _Issuer:
    """The spec's identifier issuer: hands out ``prefix + counter`` in first-seen order."""

    __slots__ = ("prefix", "issued", "order")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.issued: dict[str, str] = {}
        self.order: list[str] = []

    def get(self, existing: str) -> str:
        issued = self.issued.get(existing)
        if issued is None:
            issued = f"{self.prefix}{len(self.order)}"
            self.issued[existing] = issued
            self.order.append(existing)
        return issued

    def copy(self) -> _Issuer:
        clone = _Issuer(self.prefix)
        clone.issued = dict(self.issued)
        clone.order = list(self.order)
        return clone


class _Canonicalizer:
    def __init__(self, quads: Sequence[Quad], work_factor: int, hash_algorithm: str) -> None:
        if hash_algorithm not in HASH_ALGORITHMS:
            raise ValueError(f"RDFC-1.0 hash algorithm must be one of {sorted(HASH_ALGORITHMS)}")
        self.hash_algorithm = hash_algorithm
        self.quads = quads
        self.work_factor = work_factor
        self.quads_of: dict[str, list[Quad]] = {}
        for quad in quads:
            s, _, o, g = quad
            for term in (s, o, g):
                if _is_blank(term):
                    bucket = self.quads_of.setdefault(term, [])
                    if not bucket or bucket[-1] is not quad:
                        bucket.append(quad)
        self.canonical = _Issuer("_:c14n")
        self.first_degree: dict[str, str] = {}
        self.deep_iterations: dict[str, int] = {}
        self.max_deep_iterations = 0

    # RDFC-1.0 §4.6
    def hash_first_degree(self, node: str) -> str:
        cached = self.first_degree.get(node)
        if cached is not None:
            return cached

        def mark(term: str) -> str:
            if not _is_blank(term):
                return term
            return "_:a" if term == node else "_:z"

        lines = sorted(_line(mark(s), p, mark(o), mark(g)) for s, p, o, g in self.quads_of[node])
        digest = self._hash("".join(lines))
        self.first_degree[node] = digest
        return digest

    def _hash(self, text: str) -> str:
        return hashlib.new(self.hash_algorithm, text.encode("utf-8")).hexdigest()

    # RDFC-1.0 §4.7
    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        if related in self.canonical.issued:
            label = self.canonical.issued[related]
        elif related in issuer.issued:
            label = issuer.issued[related]
        else:
            label = self.hash_first_degree(related)
        data = position + (predicate if position != "g" else "") + label
        return self._hash(data)

    # RDFC-1.0 §4.8
    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        count = self.deep_iterations.get(node, 0) + 1
        if count > self.max_deep_iterations:
            raise CanonicalizationBudgetExceeded(
                f"blank node hashing exceeded {self.max_deep_iterations} deep iterations "
                "per node; the document's blank nodes are too self-similar to canonicalize"
            )
        self.deep_iterations[node] = count

        related_by_hash: dict[str, list[str]] = {}
        for s, p, o, g in self.quads_of[node]:
            for term, position in ((s, "s"), (o, "o"), (g, "g")):
                if _is_blank(term) and term != node:
                    digest = self.hash_related(term, p, issuer, position)
                    related_by_hash.setdefault(digest, []).append(term)

        data = []
        for related_hash in sorted(related_by_hash):
            data.append(related_hash)
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in permutations(related_by_hash[related_hash]):
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                pruned = False
                for related in permutation:
                    if related in self.canonical.issued:
                        path += self.canonical.issued[related]
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.get(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        pruned = True
                        break
                if pruned:
                    continue
                for related in recursion:
                    result_hash, issuer_copy = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.get(related) + "<" + result_hash + ">"
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        pruned = True
                        break
                if pruned:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path, chosen_issuer = path, issuer_copy
            data.append(chosen_path)
            assert chosen_issuer is not None  # at least one permutation always survives
            issuer = chosen_issuer
        return self._hash("".join(data)), issuer

    # RDFC-1.0 §4.4
    def run(self) -> list[str]:
        by_hash: dict[str, list[str]] = {}
        for node in self.quads_of:
            by_hash.setdefault(self.hash_first_degree(node), []).append(node)

        shared: list[tuple[str, list[str]]] = []
        for digest in sorted(by_hash):
            nodes = by_hash[digest]
            if len(nodes) == 1:
                self.canonical.get(nodes[0])
            else:
                shared.append((digest, nodes))

        non_unique = sum(len(nodes) for _, nodes in shared)
        self.max_deep_iterations = max(1, non_unique) ** self.work_factor

        for _, nodes in shared:
            results = []
            for node in nodes:
                if node in self.canonical.issued:
                    continue
                temporary = _Issuer("_:b")
                temporary.get(node)
                results.append(self.hash_n_degree(node, temporary))
            for _, issuer in sorted(results, key=lambda result: result[0]):
                for existing in issuer.order:
                    self.canonical.get(existing)

        def relabel(term: str) -> str:
            return self.canonical.issued[term] if _is_blank(term) else term

        return sorted({_line(relabel(s), p, relabel(o), relabel(g)) for s, p, o, g in self.quads})


def canonicalize_quads(
    quads: Iterable[Quad],
    *,
    work_factor: int = DEFAULT_WORK_FACTOR,
    hash_algorithm: str = "sha256",
) -> str:
    """Canonical N-Quads (RDFC-1.0, SHA-256 or ``hash_algorithm``) of ``quads``; duplicate quads
    collapse to one."""
    unique = list(dict.fromkeys(quads))
    return "".join(_Canonicalizer(unique, work_factor, hash_algorithm).run())
