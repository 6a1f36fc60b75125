"""Errors raised by the ``schemas`` layer.

::

    SchemasError
    ├── ContextNotBundled        a JSON-LD context URL that is not bundled (never fetched)
    ├── CanonicalizationError    the document has no single, complete canonical form
    │   ├── UndefinedTerm        a property or type the active contexts do not define
    │   ├── RelativeIri          an @id / @type / IRI value that is not absolute
    │   ├── CanonicalizationBudgetExceeded
    │   │                        blank-node hashing needed more work than allowed (poisoned input)
    │   └── JsonLdLimitExceeded  more context work than one document may ask for (jsonld_limits)
    └── SchemaNotBundled         a credentialSchema id with no bundled JSON Schema
"""

from __future__ import annotations


class SchemasError(Exception):
    """Base class of every error raised by ``schemas``."""


class ContextNotBundled(SchemasError):
    """A context URL that microcred does not carry. It is an error, never a network fetch."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON-LD context is not bundled and will not be fetched: {url}")
        self.url = url


class CanonicalizationError(SchemasError):
    """The document cannot be canonicalized completely and unambiguously."""


class UndefinedTerm(CanonicalizationError):
    """A term that no active context defines. pyld would drop it silently: a dropped term is an
    unsigned term, so we refuse instead (the reference verifiers' ``safe: true``)."""

    def __init__(self, term: str) -> None:
        super().__init__(f"term is not defined by the document's @context: {term!r}")
        self.term = term


class RelativeIri(CanonicalizationError):
    """An IRI that is not absolute; it would be resolved against an arbitrary base."""

    def __init__(self, iri: str) -> None:
        super().__init__(f"IRI is not absolute: {iri!r}")
        self.iri = iri


class CanonicalizationBudgetExceeded(CanonicalizationError):
    """Blank-node hashing exceeded its work budget (the RDFC-1.0 'poison graph' defence)."""


class JsonLdLimitExceeded(CanonicalizationError):
    """The document asks for more JSON-LD context processing than microcred does for one
    document (:mod:`schemas.jsonld_limits`): refused before any of it is done.

    ``limit`` names the limit (the constant in :mod:`schemas.jsonld_limits`, or ``duplicate
    context``), ``maximum`` is its value, ``where`` the JSON path, ``found`` what was there."""

    def __init__(self, limit: str, maximum: int, where: str, found: str) -> None:
        super().__init__(
            f"{found} at {where}; the limit is {maximum} ({limit} in schemas.jsonld_limits)"
            if limit != "duplicate context"
            else f"{found} at {where}: a context may be listed once in a @context "
            "(schemas.jsonld_limits)"
        )
        self.limit = limit
        self.maximum = maximum
        self.where = where
        self.found = found


class SchemaNotBundled(SchemasError):
    """A credentialSchema id for which no JSON Schema is bundled."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON Schema is not bundled: {url}")
        self.url = url
