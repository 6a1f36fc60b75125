"""JSON-LD document → canonical N-Quads, in *safe mode*, with bundled contexts only.

Three things a signature needs that plain ``pyld.jsonld.normalize`` does not give:

1. **Safe mode.** pyld silently drops a property its contexts do not define, so the dropped
   value would be outside the signature while still shown to people. We raise
   :class:`UndefinedTerm` instead, as Digital Bazaar's ``safe: true`` does.
2. **No relative IRIs.** pyld resolves a relative IRI against a base and, in RDF conversion,
   silently drops what stays relative. We expand against a sentinel base and refuse any IRI
   that used it (:class:`RelativeIri`).
3. **RDFC-1.0** with its exact escaping and a work budget (:mod:`schemas.rdfc`).
4. **Bounded context work.** A document that lists too many contexts (or one twice, or too many
   inline definitions) is refused before pyld processes any of it (:mod:`schemas.jsonld_limits`).

The document loader is an argument (never a module global); per loader we keep one pyld
context resolver so each bundled context is parsed and processed once per process, not once
per credential (most of pyld's time goes into re-processing contexts otherwise).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any

from cachetools import FIFOCache
from frozendict import frozendict
from pyld import jsonld
from pyld.context_resolver import ContextResolver
from pyld.jsonld import _is_absolute_iri, _is_keyword

from schemas.errors import CanonicalizationError, RelativeIri, SchemasError, UndefinedTerm
from schemas.jsonld_limits import check_jsonld_limits
from schemas.loader import DocumentLoader, RemoteDocument
from schemas.rdfc import (
    DEFAULT_WORK_FACTOR,
    Quad,
    canonicalize_quads,
    serialize_iri,
    serialize_literal,
)

__all__ = ["DocumentLoader", "canonicalize", "to_quads"]

#: Relative IRIs are resolved against this base, then refused. ``.invalid`` never resolves.
_SENTINEL_BASE = "https://relative-iri.invalid/"

_CONTEXT_CACHE_SIZE = 256
_PROCESSED_CACHE_SIZE = 4096

#: A processed-context memo key: (active context uuid, local context, three pyld flags).
_ProcessedKey = tuple[Any, Any, bool, bool, bool]


class _ContextMemo:
    """Processed contexts, keyed by (active context, local context, flags), for one loader.

    pyld caches a processed context per *active context identity*, but every nested node gets
    a fresh clone of the active context, so type-scoped contexts (OB 3.0 defines one per type)
    are re-processed for every object of every credential. Keying on the immutable (frozen)
    active context instead makes each processing happen once. Only frozen active contexts are
    memoized: they cannot change after their key was taken.
    """

    def __init__(self, loader: DocumentLoader) -> None:
        # First in, first out: reading an entry does not reorder the cache (an LRU's would),
        # so the lock-free reads pyld's ContextResolver makes from several threads stay safe.
        self.resolved: FIFOCache[str, Any] = FIFOCache(_CONTEXT_CACHE_SIZE)

        def static_loader(url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
            # Every loader we accept is offline and immutable, so tell pyld it may keep the
            # resolved context across operations (it only does so for documents tagged static).
            return {**loader(url, options), "tag": "static"}

        self.loader: DocumentLoader = static_loader
        self.processed: FIFOCache[_ProcessedKey, tuple[Any, Any, Any]] = FIFOCache(
            _PROCESSED_CACHE_SIZE
        )
        self.lock = threading.Lock()


_memos: weakref.WeakKeyDictionary[Any, _ContextMemo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def _memo_for(loader: DocumentLoader) -> _ContextMemo:
    """One context cache per document loader.

    A shared cache would let a context preloaded for one verification leak into another,
    so the cache is keyed by the loader object itself.
    """
    with _memos_lock:
        memo = _memos.get(loader)
        if memo is None:
            memo = _ContextMemo(loader)
            _memos[loader] = memo
        return memo


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]  # pyld ships no types
    """pyld's processor with safe mode switched on and context processing memoized."""

    def __init__(self, memo: _ContextMemo) -> None:
        super().__init__(on_property_dropped=_refuse_dropped)
        self._memo = memo

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        if not isinstance(active_ctx, frozendict) or "_uuid" not in active_ctx:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        local_key = local_ctx if isinstance(local_ctx, str) else id(local_ctx)
        key = (active_ctx["_uuid"], local_key, override_protected, propagate, validate_scoped)
        entry = self._memo.processed.get(key)
        # The entry holds the local context object itself, so its id cannot be reused while
        # the entry lives; the identity check guards string keys and ids alike.
        if (
            entry is not None
            and entry[1] is active_ctx
            and (entry[0] is local_ctx or (isinstance(local_ctx, str) and entry[0] == local_ctx))
        ):
            return entry[2]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        with self._memo.lock:
            self._memo.processed[key] = (local_ctx, active_ctx, result)
        return result

    # pyld drops, without a word, any triple whose subject, predicate or object is not an
    # absolute IRI (e.g. a type name with a space in it). A dropped triple is unsigned data.

    def _graph_to_rdf(
        self, graph: dict[str, Any], issuer: Any, options: dict[str, Any]
    ) -> list[Any]:
        for id_, node in graph.items():
            if not _is_absolute_iri(id_):
                raise RelativeIri(_strip_sentinel(id_))
            for prop in node:
                if prop != "@type" and not _is_keyword(prop) and not _is_absolute_iri(prop):
                    raise RelativeIri(_strip_sentinel(prop))
        triples: list[Any] = super()._graph_to_rdf(graph, issuer, options)
        return triples

    def _object_to_rdf(
        self, item: Any, issuer: Any, triples: list[Any], options: dict[str, Any]
    ) -> Any:
        result = super()._object_to_rdf(item, issuer, triples, options)
        if result is None:
            value = item.get("@id") if isinstance(item, Mapping) else item
            raise RelativeIri(_strip_sentinel(str(value)))
        return result


def _strip_sentinel(iri: str) -> str:
    return iri[len(_SENTINEL_BASE) :] if iri.startswith(_SENTINEL_BASE) else iri


def _refuse_dropped(term: str | None, *_: Any, **__: Any) -> None:
    raise UndefinedTerm(str(term))


def _term(component: Mapping[str, str]) -> str:
    kind = component["type"]
    value = component["value"]
    if kind == "blank node":
        return value
    if kind == "IRI":
        if value.startswith(_SENTINEL_BASE):
            raise RelativeIri(value[len(_SENTINEL_BASE) :])
        return serialize_iri(value)
    datatype = component.get("datatype")
    if datatype and datatype.startswith(_SENTINEL_BASE):
        raise RelativeIri(datatype[len(_SENTINEL_BASE) :])
    return serialize_literal(value, datatype, component.get("language"))


def to_quads(
    document: Mapping[str, Any], *, loader: DocumentLoader, limits_checked: bool = False
) -> list[Quad]:
    """The RDF dataset of ``document`` as serialized quads, refusing anything safe mode refuses.

    The document's context work is bounded first (:mod:`schemas.jsonld_limits`): a document over
    a limit raises :class:`JsonLdLimitExceeded` before pyld sees it. ``limits_checked``: the
    caller has just run :func:`check_jsonld_limits` on this very document (the verifier's
    ``context`` check has), so the pass over it is not made again."""
    if not limits_checked:
        check_jsonld_limits(document)
    memo = _memo_for(loader)
    processor = _Processor(memo)
    options = {
        "base": _SENTINEL_BASE,
        "documentLoader": memo.loader,
        # A resolver per call (its per-operation cache must not grow across documents), over
        # the loader's bounded shared cache of resolved contexts.
        "contextResolver": ContextResolver(memo.resolved, memo.loader),
        "produceGeneralizedRdf": False,
    }
    try:
        dataset = processor.to_rdf(dict(document), options)
    except jsonld.JsonLdError as error:
        problem = _unwrap(error)
        if problem.__traceback__ is not None:
            # Our own error, raised inside pyld and wrapped by it: re-raise it as it was.
            # ``from error`` would make it its own cause's cause (a cycle that anything
            # walking ``__cause__`` would follow forever).
            raise problem from None
        raise problem from error
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        # pyld fails on some malformed contexts with a Python error instead of a JSON-LD one
        # (``{"@vocab": null}`` after a protected context: KeyError '@vocab'); it is still the
        # document that is at fault, so it is reported like any other JSON-LD error.
        raise CanonicalizationError(
            f"JSON-LD processing failed on a malformed document ({type(error).__name__}: "
            f"{str(error)[:200]})"
        ) from error
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            graph = ""
        elif graph_name.startswith("_:"):
            graph = graph_name
        else:
            graph = _term({"type": "IRI", "value": graph_name})
        for triple in triples:
            quads.append(
                (
                    _term(triple["subject"]),
                    _term(triple["predicate"]),
                    _term(triple["object"]),
                    graph,
                )
            )
    return quads


def _unwrap(error: BaseException) -> SchemasError:
    """pyld wraps our own errors (and the loader's) in JsonLdError chains; surface the cause."""
    seen: BaseException | None = error
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:  # a chain may loop; never spin
        if isinstance(seen, SchemasError):
            return seen
        visited.add(id(seen))
        seen = seen.__cause__ or seen.__context__
    return CanonicalizationError(f"JSON-LD processing failed: {_describe(error)}")


def _describe(error: BaseException) -> str:
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(parts) < 4:
        message = (
            getattr(seen, "message", None) or (str(seen).splitlines() or [type(seen).__name__])[0]
        )
        parts.append(message)
        seen = seen.__cause__
    return "; ".join(dict.fromkeys(parts))


def canonicalize(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader,
    work_factor: int = DEFAULT_WORK_FACTOR,
    hash_algorithm: str = "sha256",
) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, in safe mode, offline.

    ``hash_algorithm`` is RDFC-1.0's hash parameter (blank node labelling): ``sha256``, or
    ``sha384`` as ecdsa-rdfc-2019 uses it with P-384 keys."""
    return canonicalize_quads(
        to_quads(document, loader=loader), work_factor=work_factor, hash_algorithm=hash_algorithm
    )
