"""The one JSON-LD document loader microcred uses: offline, over bundled, hash-pinned contexts.

Why offline: a JSON-LD context decides what every term of a signed credential means. Fetching
it while verifying would let whoever serves (or intercepts) ``purl.imsglobal.org`` or
``w3id.org`` change the meaning of data that was signed, would make verification depend on
third-party uptime, and would tell those hosts which credentials we look at. So no context is
ever fetched: the contexts we accept ship inside the package (``schemas/contexts/``, extracted
from pinned npm packages by ``scripts/extract_contexts.py``).

Why hash-pinned: ``schemas/contexts/manifest.json`` records each file's SHA-256; the bundle is
checked against it the first time it is loaded, and an altered file is an error
(:class:`BundledContextCorrupted`), not a silently different meaning.

Why an unknown context is an error: pyld handed an empty or missing context drops the terms it
cannot define, and a dropped term is an unsigned term. A URL we do not carry raises
:class:`schemas.errors.ContextNotBundled`, never a network request and never a fallback.

Documents are parsed once and the same object is returned on every call. They are shared and
must be treated as read-only: nothing in microcred mutates them, and pyld only reads them (a
test expands credentials through pyld and checks the bundle is unchanged afterwards). If you need
to edit one, ``copy.deepcopy`` it first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urldefrag

from schemas.errors import ContextNotBundled, SchemasError

__all__ = [
    "BUNDLED_CONTEXT_URLS",
    "CONTEXTS_DIR",
    "BundledContextCorrupted",
    "DocumentLoader",
    "ManifestEntry",
    "PinnedContext",
    "RemoteDocument",
    "bundled_document",
    "bundled_loader",
    "load_bundle",
    "preloading_loader",
    "read_manifest",
    "read_operator_contexts",
]

#: pyld's RemoteDocument: ``{"contextUrl", "documentUrl", "document"}``.
RemoteDocument = dict[str, Any]
#: pyld's loader protocol: ``loader(url, options)`` returns a :data:`RemoteDocument`.
DocumentLoader = Callable[[str, dict[str, Any] | None], RemoteDocument]

CONTEXTS_DIR: Final[Traversable] = resources.files("schemas") / "contexts"
_MANIFEST_NAME: Final = "manifest.json"


class BundledContextCorrupted(SchemasError):
    """A bundled context file is missing or does not hash to its pinned SHA-256."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"bundled JSON-LD context {file} failed its integrity check: {reason}")
        self.file = file


@dataclass(frozen=True)
class ManifestEntry:
    """One line of ``manifest.json``: a context URL, its file, pin and provenance."""

    url: str
    file: str
    sha256: str
    package: str
    version: str
    license: str


def read_manifest(directory: Traversable = CONTEXTS_DIR) -> tuple[ManifestEntry, ...]:
    """The manifest's entries. Duplicate URLs are refused: one URL is one document."""
    raw = json.loads(directory.joinpath(_MANIFEST_NAME).read_text(encoding="utf-8"))
    fields = ManifestEntry.__dataclass_fields__
    entries = tuple(ManifestEntry(**{k: v for k, v in e.items() if k in fields}) for e in raw)
    urls = [e.url for e in entries]
    if len(set(urls)) != len(urls):
        raise BundledContextCorrupted(_MANIFEST_NAME, "a context URL is listed twice")
    return entries


#: Every context URL microcred can resolve (exact spelling; see :func:`_normalize_url`).
BUNDLED_CONTEXT_URLS: Final[frozenset[str]] = frozenset(e.url for e in read_manifest())


def _normalize_url(url: str) -> str:
    """Drop the fragment: ``…/v2#`` and ``…/v2#x`` name the same document as ``…/v2``.

    Nothing else is rewritten. ``http:`` vs ``https:``, a trailing slash or a ``.jsonld``
    suffix may be served the same today, but they are different URLs and we do not guess.
    """
    return urldefrag(url).url


def _verified_bytes(directory: Traversable, entry: ManifestEntry) -> bytes:
    """The file's bytes, only if they hash to the pinned digest."""
    try:
        data = directory.joinpath(entry.file).read_bytes()
    except FileNotFoundError:
        raise BundledContextCorrupted(entry.file, "file is missing") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise BundledContextCorrupted(entry.file, f"sha256 {digest} != pinned {entry.sha256}")
    return data


def load_bundle(directory: Traversable = CONTEXTS_DIR) -> Mapping[str, dict[str, Any]]:
    """Verify and parse every context in ``directory``: ``{url: parsed document}``.

    All files are checked up front, so a tampered bundle fails at start-up rather than halfway
    through verifying a credential.
    """
    return MappingProxyType(
        {e.url: json.loads(_verified_bytes(directory, e)) for e in read_manifest(directory)}
    )


@cache
def _bundle() -> Mapping[str, dict[str, Any]]:
    """The package's own bundle, verified and parsed once per process."""
    return load_bundle()


def _remote_document(url: str, document: Any) -> RemoteDocument:
    """A fresh pyld RemoteDocument around a shared document (pyld may write to the wrapper)."""
    return {"contextUrl": None, "documentUrl": url, "document": document}


def bundled_document(url: str) -> dict[str, Any]:
    """The parsed bundled context for ``url`` (shared object: read-only).

    Raises :class:`ContextNotBundled` for any URL we do not carry; it never touches the network.
    """
    try:
        return _bundle()[_normalize_url(url)]
    except KeyError:
        raise ContextNotBundled(url) from None


def _load_bundled(url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
    """pyld document loader over the bundle (``options`` such as headers are irrelevant)."""
    return _remote_document(_normalize_url(url), bundled_document(url))


@cache
def bundled_loader() -> DocumentLoader:
    """The offline loader to give pyld as ``documentLoader``.

    The first call verifies every bundled file against the manifest (raising
    :class:`BundledContextCorrupted` if one was altered); later calls return the same loader.
    """
    _bundle()
    return _load_bundled


def preloading_loader(base: DocumentLoader, documents: Mapping[str, Any]) -> DocumentLoader:
    """A loader that serves ``documents`` (``{url: parsed JSON}``) first, then defers to ``base``.

    For tests and ``--preload URL=FILE``: extra documents (an examples context, a test DID
    document) without widening what production trusts. Preloaded URLs take precedence over
    ``base``. The mapping is snapshotted now, so later changes to it have no effect; the
    documents themselves are served as given and, like bundled ones, must not be mutated.
    """
    table: dict[str, Any] = {}
    for url, document in documents.items():
        key = _normalize_url(url)
        if key in table and table[key] != document:
            raise ValueError(f"two different documents preloaded for {key}")
        table[key] = document

    def load(url: str, options: dict[str, Any] | None = None) -> RemoteDocument:
        key = _normalize_url(url)
        if key in table:
            return _remote_document(key, table[key])
        return base(url, options)

    return load


@dataclass(frozen=True)
class PinnedContext:
    """A context an operator added (``--context URL=FILE``): its document, read once, and the
    SHA-256 of the bytes it was parsed from, to log and report."""

    url: str
    file: str
    sha256: str
    document: dict[str, Any]


def read_operator_contexts(args: Iterable[str]) -> tuple[PinnedContext, ...]:
    """Read ``URL=FILE`` pairs (``--context``, ``MICROCRED_VERIFIER_CONTEXTS``) once, at start-up.

    Why: an office verifying offline may need a context microcred does not bundle (a
    community's extension). The file is read once and the parsed document kept in memory, so
    what a term means cannot change while the verifier runs; its SHA-256 is returned so the
    caller can log which bytes were pinned. Served through :func:`preloading_loader` in front
    of the bundle.

    Raises ``ValueError`` naming the pair for a malformed pair, a non-http(s) URL, a URL given
    twice or already bundled (a bundled context's meaning is not the operator's to replace), and
    a file that is unreadable, not JSON, or not an object with ``@context``.
    """
    pinned: dict[str, PinnedContext] = {}
    for arg in args:
        url, sep, file = arg.rpartition("=")
        url = _normalize_url(url.strip())
        if not sep or not url or not file:
            raise ValueError(f"a context is given as URL=FILE, got {arg!r}")
        if not url.lower().startswith(("https://", "http://")):
            raise ValueError(f"context URL must be http(s), got {url!r}")
        if url in pinned:
            raise ValueError(f"context {url} is given twice")
        if url in BUNDLED_CONTEXT_URLS:
            raise ValueError(f"context {url} is bundled already; it cannot be replaced")
        try:
            data = Path(file).expanduser().read_bytes()
        except OSError as exc:
            raise ValueError(f"context {url}: cannot read {file}: {exc}") from exc
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"context {url}: {file} is not JSON: {exc}") from exc
        if not isinstance(document, dict) or "@context" not in document:
            raise ValueError(f"context {url}: {file} is not a JSON-LD context (no @context)")
        digest = hashlib.sha256(data).hexdigest()
        pinned[url] = PinnedContext(url=url, file=file, sha256=digest, document=document)
    return tuple(pinned.values())
