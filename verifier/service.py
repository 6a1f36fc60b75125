"""The verifier, put together once: :class:`Verifier`, built from :class:`VerifierSettings`.

Every way in — ``microcred verify``, the HTTP router and page, stack claims, the VC-API, the
issuer's badge pages and submissions — holds one :class:`Verifier` and asks it. It owns what
lives as long as a running verifier: the JSON-LD document loader, the guarded fetcher (its
connection pool and cache), the trust lists and the limits. What changes per call is passed per
call: the input, the instant to verify at (``now``, default the clock) and the caller's
:class:`Expectations` (recipient, a presentation's challenge and domain).

``Verifier.from_settings`` is the one place a fetcher, trust store and loader are built from
configuration; the constructor takes ready-made collaborators (tests, a fetcher of one's own).
A verifier is thread-safe; :meth:`Verifier.run` runs blocking work in a worker thread, at most
``max_concurrent_verifications`` at once (the HTTP routes use it); a caller that waits longer
than ``queue_timeout_seconds`` for a slot gets :class:`VerifierBusy` (HTTP: 503, ``Retry-After``).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from keys.did import KeyResolver
from keys.fetch import Fetcher, GuardedFetcher, parse_preload_args
from schemas.canonical import DocumentLoader
from schemas.dates import as_utc
from schemas.loader import (
    PinnedContext,
    bundled_loader,
    preloading_loader,
    read_operator_contexts,
)
from verifier.context import NO_EXPECTATIONS, Expectations, PresentationOutcome, Tools
from verifier.inputs import (
    BADGE_LINK_ACCEPT,
    Parsed,
    ParsedInput,
    Presentation,
    parse_input,
)
from verifier.pipeline import MultipleCredentials, verify_many
from verifier.proofs import check_presentation
from verifier.report import VerificationReport
from verifier.settings import Limits, VerifierSettings
from verifier.trust import TrustList, TrustStore
from verifier.verified_cache import ExpiryRecorder, VerifiedCache

if TYPE_CHECKING:  # the stack rules are imported by verify_stack: `microcred verify` needs none
    from verifier.stack import GivenRule, StackInput

__all__ = [
    "NO_EXPECTATIONS",
    "Expectations",
    "Limits",
    "PresentationResult",
    "Verifier",
    "VerifierBusy",
    "VerifierSettings",
]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PresentationResult:
    """A presentation judged the VC-API way: the holder's proof once, then each credential on
    its own (its ``proof`` check says nothing of the holder's)."""

    holder: PresentationOutcome
    credentials: list[tuple[Parsed, VerificationReport]]


class VerifierBusy(Exception):
    """Every verification slot stayed busy for ``waited`` seconds: try again later.

    A verification holds its slot while it fetches, so a flood of slow ones would otherwise
    queue every later request indefinitely; a prompt refusal lets clients back off."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"every verification slot stayed busy for {waited:g}s; try again shortly")
        self.waited = waited


class Verifier:
    """One running verifier: loader, fetcher, trust lists and limits (see the module docstring).

    ``fetcher`` is closed by :meth:`close` (or leaving the ``with`` block).
    """

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        loader: DocumentLoader | None = None,
        trust: TrustStore | None = None,
        limits: Limits = Limits(),
        trust_source: Callable[[], Sequence[TrustList]] | None = None,
        allow_inline_contexts: bool = False,
        verified_lists: VerifiedCache[Any] | bool = True,
    ) -> None:
        self.fetcher = fetcher
        self.loader = loader if loader is not None else bundled_loader()
        self.trust = trust if trust is not None else TrustStore()
        #: Lists read afresh at each run, after ``trust`` (a service's own issuers, which
        #: change while it runs: :mod:`issuer.own_trust`).
        self.trust_source = trust_source
        self.limits = limits
        self.allow_inline_contexts = allow_inline_contexts
        #: Status lists verified by earlier runs (:mod:`verifier.verified_cache`): ``True``
        #: keeps them in a cache of the default size, ``False`` checks every list every time.
        self.verified_lists: VerifiedCache[Any] | None = (
            verified_lists
            if isinstance(verified_lists, VerifiedCache)
            else VerifiedCache()
            if verified_lists
            else None
        )
        #: Shared with the verifiers :meth:`with_loader` derives, by loader (this one's own).
        self._slots = _WorkSlots(limits.max_concurrent_verifications)
        self._by_loader: dict[DocumentLoader, Verifier] = {self.loader: self}
        self._by_loader_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: VerifierSettings,
        *,
        wrap_fetcher: Callable[[Fetcher], Fetcher] | None = None,
        trust_source: Callable[[], Sequence[TrustList]] | None = None,
    ) -> Verifier:
        """The verifier ``settings`` describe. A bad preload or context (``ValueError``, naming
        the file) or trust list
        (:class:`~verifier.trust.TrustListError`) raises here — at start-up, or as the CLI's
        usage error — before any connection is opened.

        ``wrap_fetcher`` puts a fetcher in front of the guarded one built from the settings
        (the issuer answers its own URLs in process: :mod:`issuer.self_fetch`);
        ``trust_source`` adds lists read at each run to the settings' trust lists (the issuer's
        own issuers: :mod:`issuer.own_trust`).
        """
        preloads = parse_preload_args(settings.preloads)
        loader = _operator_loader(read_operator_contexts(settings.contexts))
        trust = TrustStore.from_files(settings.trust_lists)
        guarded = GuardedFetcher(
            allow_http_localhost=settings.allow_http_localhost,
            allowed_private_hosts=settings.allowed_private_hosts,
            preloads=preloads,
        )
        return cls(
            fetcher=wrap_fetcher(guarded) if wrap_fetcher is not None else guarded,
            loader=loader,
            trust=trust,
            limits=settings.limits,
            trust_source=trust_source,
            allow_inline_contexts=settings.allow_inline_contexts,
            verified_lists=settings.cache_verified_lists,
        )

    def with_loader(self, loader: DocumentLoader) -> Verifier:
        """This verifier reading JSON-LD contexts through ``loader`` (the VC-API accepts more
        contexts than Open Badges need); fetcher, trust lists and limiter are shared. Verified
        status lists are kept per loader, as a list's proof is judged with the contexts its
        loader serves: the verifier for a loader is made once, so a caller deriving it at every
        request still finds what earlier requests verified. (One is kept per loader passed: the
        VC-API's loaders are made once per set of contexts.)"""
        with self._by_loader_lock:
            other = self._by_loader.get(loader)
            if other is None:
                other = copy.copy(self)
                other.loader = loader
                if self.verified_lists is not None:
                    other.verified_lists = self.verified_lists.spawn()
                self._by_loader[loader] = other
            return other

    # -- verifying -------------------------------------------------------------------------

    def tools(self) -> Tools:
        """The tools of one run: a fresh key resolver (it caches what it fetched) on the
        verifier's fetcher, noting how long the documents it fetched stay fresh (a status list
        verified with them is kept no longer), with its loader and trust lists."""
        key_documents = ExpiryRecorder(self.fetcher)
        return Tools(
            loader=self.loader,
            fetcher=self.fetcher,
            resolver=KeyResolver(fetcher=key_documents),
            key_documents=key_documents,
            trust=self.current_trust(),
            allow_inline_contexts=self.allow_inline_contexts,
            verified_lists=self.verified_lists,
        )

    def current_trust(self) -> TrustStore:
        """The trust lists of one run: the configured ones, then ``trust_source``'s."""
        if self.trust_source is None:
            return self.trust
        return TrustStore([*self.trust.lists, *self.trust_source()])

    def verify_many(
        self,
        data: bytes | str | Mapping[str, Any] | ParsedInput,
        *,
        source: str = "input",
        now: datetime | None = None,
        expect: Expectations = NO_EXPECTATIONS,
    ) -> list[VerificationReport]:
        """One report per credential ``data`` holds (see :func:`verifier.pipeline.verify_many`);
        an unusable input gives one report whose only check is a failed ``parse``."""
        return verify_many(data, self.tools(), now=_moment(now), expect=expect, source=source)

    def verify(
        self,
        data: bytes | str | Mapping[str, Any] | ParsedInput,
        *,
        source: str = "input",
        now: datetime | None = None,
        expect: Expectations = NO_EXPECTATIONS,
    ) -> VerificationReport:
        """The report on the one credential ``data`` holds; raises
        :class:`~verifier.pipeline.MultipleCredentials` for several (use :meth:`verify_many`)."""
        reports = self.verify_many(data, source=source, now=now, expect=expect)
        if len(reports) != 1:
            raise MultipleCredentials(
                f"the input holds {len(reports)} credentials; call verify_many for all of them"
            )
        return reports[0]

    def verify_stack(
        self,
        inputs: Sequence[StackInput],
        *,
        rule: GivenRule | None = None,
        now: datetime | None = None,
        expect: Expectations = NO_EXPECTATIONS,
    ) -> VerificationReport:
        """A stack-completion claim judged into one report (see :mod:`verifier.stack`)."""
        from verifier.stack import verify_stack

        return verify_stack(inputs, self.tools(), rule=rule, now=_moment(now), expect=expect)

    def verify_presentation(
        self,
        presentation: Mapping[str, Any],
        *,
        source: str = "presentation",
        now: datetime | None = None,
        expect: Expectations = NO_EXPECTATIONS,
    ) -> PresentationResult:
        """The holder's ``authentication`` proof (with ``expect.challenge`` / ``expect.domain``),
        then every credential of the presentation on its own.

        Raises :class:`~verifier.inputs.UnusableInput` when ``verifiableCredential`` holds
        something that is not a credential.
        """
        tools = self.tools()
        holder = check_presentation(
            Presentation(dict(presentation), source),
            loader=tools.loader,
            resolver=tools.resolver,
            challenge=expect.challenge,
            domain=expect.domain,
        )
        if presentation.get("verifiableCredential") in (None, []):
            return PresentationResult(holder, [])
        parsed = parse_input(presentation, source=source)
        # The holder proof was judged above: the credentials are verified as if given alone.
        reports = verify_many(
            replace(parsed, presentation=None), tools, now=_moment(now), source=source
        )
        return PresentationResult(holder, list(zip(parsed.credentials, reports, strict=True)))

    def fetch_badge(self, url: str) -> bytes:
        """The body behind a badge link (raises :class:`keys.errors.FetchError`)."""
        return self.fetcher.fetch(url, accept=BADGE_LINK_ACCEPT).body

    # -- running and closing ---------------------------------------------------------------

    async def run(self, func: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Run blocking work (a verification, a fetch) in a worker thread, at most
        ``max_concurrent_verifications`` at once, first come first served. Raises
        :class:`VerifierBusy` if no slot frees within ``queue_timeout_seconds``."""
        slots, threads = self._slots.made()
        with anyio.move_on_after(self.limits.queue_timeout_seconds) as waiting:
            await slots.acquire()
        if waiting.cancelled_caught:
            raise VerifierBusy(self.limits.queue_timeout_seconds)
        try:
            return await anyio.to_thread.run_sync(
                partial(func, *args, **kwargs), limiter=threads
            )
        finally:
            slots.release()

    def close(self) -> None:
        close = getattr(self.fetcher, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _WorkSlots:
    """The slots callers of :meth:`Verifier.run` queue for (with a deadline), and the threads
    that run the work (as many, so a caller holding a slot always finds a thread).

    Made at the first :meth:`made`: only a service runs work so, and building anyio's
    primitives imports asyncio, which ``microcred verify`` does without."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._made: tuple[anyio.Semaphore, anyio.CapacityLimiter] | None = None

    def made(self) -> tuple[anyio.Semaphore, anyio.CapacityLimiter]:
        with self._lock:
            if self._made is None:
                self._made = (anyio.Semaphore(self._size), anyio.CapacityLimiter(self._size))
            return self._made


def _operator_loader(contexts: Sequence[PinnedContext]) -> DocumentLoader:
    """The bundled loader, with the operator's contexts (read once, logged with their
    digests) served in front of it."""
    if not contexts:
        return bundled_loader()
    for context in contexts:
        _log.info(
            "context %s pinned sha256=%s (from %s)", context.url, context.sha256, context.file
        )
    return preloading_loader(bundled_loader(), {c.url: c.document for c in contexts})


def _moment(now: datetime | None) -> datetime:
    """The instant to verify at: ``now`` in UTC (naive means UTC), else the clock."""
    return as_utc(now) if now is not None else datetime.now(UTC)
