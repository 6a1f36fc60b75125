"""What every check step sees: the credential, the tools, and results worth sharing.

Checks are independent functions of one :class:`VerificationContext`. Work that several checks
need (verifying the proofs, which the ``context``, ``proof`` and ``issuer_key`` checks all
read) is computed once, lazily, here. Collaborators are passed in, never global: one
:class:`Tools` (the document loader, the guarded fetcher, the key resolver, the trust lists),
the clock's reading, and the caller's :class:`Expectations`. :class:`verifier.service.Verifier`
is what builds them; this module only says what they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from keys.did import KeyResolver
from keys.errors import FetchError, KeysError
from keys.fetch import Fetcher
from keys.suites import ProofResult, verify_proofs
from keys.suites.vc_jwt import JwtVerification, verify_jwt
from schemas.canonical import DocumentLoader
from schemas.errors import JsonLdLimitExceeded
from schemas.jsonld_limits import check_jsonld_limits
from verifier.inputs import Parsed
from verifier.trust import TrustStore
from verifier.verified_cache import ExpiryRecorder, VerifiedCache

__all__ = [
    "MAX_DEPTH",
    "NO_EXPECTATIONS",
    "Expectations",
    "JwtOutcome",
    "PresentationOutcome",
    "Tools",
    "VerificationContext",
    "is_retrieval_failure",
    "issuer_id_of",
]

#: How deep endorsements of endorsements (and status lists' own checks) are followed.
MAX_DEPTH = 3


@dataclass(frozen=True)
class Tools:
    """What a verification run works with besides the input itself.

    ``resolver`` caches the documents it fetched for its lifetime, so a run gets a fresh one
    (a rotated key is seen by the next run); the others live as long as their verifier.
    ``verified_lists`` holds what checking a status list established, which depends on the
    loader (the contexts its proof could read): a verifier keeps one per loader
    (:meth:`verifier.service.Verifier.with_loader` starts another). A list whose key only a
    trust-list pin binds is never kept, since trust lists may change between runs.
    """

    loader: DocumentLoader
    fetcher: Fetcher
    resolver: KeyResolver
    trust: TrustStore
    #: Accept inline (object) contexts in credentials (``VerifierSettings``; off by default).
    allow_inline_contexts: bool = False
    #: Status lists verified by earlier runs, kept while their body is fresh (one per
    #: verifier: :mod:`verifier.verified_cache`); None checks every list at every run.
    verified_lists: VerifiedCache[Any] | None = None
    #: What ``resolver`` fetches through, noting how long those documents stay fresh (a list
    #: verified with keys read from them is kept no longer); None keeps no list.
    key_documents: ExpiryRecorder | None = None


@dataclass(frozen=True)
class Expectations:
    """What the caller expects of the input, checked on top of the credential's own claims.

    ``recipient``: the email (or subject id) it must have been issued to (the ``recipient``
    check; skipped when None). ``challenge`` / ``domain``: what a presentation's holder proof
    must carry (a replay defence; an unsigned presentation is refused once a challenge is
    expected).
    """

    recipient: str | None = None
    challenge: str | None = None
    domain: str | None = None


#: Expect nothing beyond the credential's own claims.
NO_EXPECTATIONS = Expectations()


def issuer_id_of(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def is_retrieval_failure(error: BaseException | None) -> bool:
    """Did ``error`` happen because a document could not be *had* (network, refusal, size)?

    Such failures make a check ``indeterminate`` rather than ``failed``: nothing was found wrong
    with the credential, we just could not look. The resolver wraps fetch errors
    (``DidWebUnresolved`` / ``ControllerDocumentUnresolved`` with the ``FetchError`` as cause).
    """
    seen: BaseException | None = error
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:  # a cause chain may loop
        if isinstance(seen, FetchError):
            return True
        visited.add(id(seen))
        seen = seen.__cause__
    return False


@dataclass(frozen=True)
class JwtOutcome:
    """A VC-JWT verification: the result, or the error that stopped it."""

    result: JwtVerification | None
    error: KeysError | None


@dataclass(frozen=True)
class PresentationOutcome:
    """The holder proof of the presentation a credential arrived in (see ``verifier.proofs``)."""

    ok: bool
    indeterminate: bool
    message: str
    details: Mapping[str, Any]


@dataclass
class VerificationContext:
    """One credential under verification, and everything its checks may use."""

    parsed: Parsed
    tools: Tools
    now: datetime
    recipient: str | None = None
    presentation: PresentationOutcome | None = None
    #: 0 for the credential given; endorsements and status lists are one deeper.
    depth: int = 0
    #: "credential", "endorsement" or "status list": trust and recipient apply to the first only.
    role: str = "credential"
    #: Results shared by every context of one verification run (verified status lists, ...).
    shared: dict[str, Any] = field(default_factory=dict)

    def derive(self, parsed: Parsed, *, role: str) -> VerificationContext:
        """A context for a document met while verifying this one (an endorsement, a list)."""
        return replace(
            self,
            parsed=parsed,
            recipient=None,
            presentation=None,
            depth=self.depth + 1,
            role=role,
        )

    # -- what the credential says ------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.parsed.kind

    @cached_property
    def document(self) -> dict[str, Any]:
        """The credential: for a VC-JWT, what the verified token established when it verified
        (VC 1.1 claims filled in), else what its payload claims."""
        if self.kind == "jwt" and self.jwt.result is not None:
            return self.jwt.result.credential
        return self.parsed.document

    @cached_property
    def issuer_id(self) -> str | None:
        return issuer_id_of(self.document)

    @cached_property
    def achievement_id(self) -> str | None:
        subject = self.document.get("credentialSubject")
        subject = subject[0] if isinstance(subject, list) and subject else subject
        if not isinstance(subject, Mapping):
            return None
        achievement = subject.get("achievement")
        achievement_id = achievement.get("id") if isinstance(achievement, Mapping) else None
        return achievement_id if isinstance(achievement_id, str) else None

    # -- shared, lazily computed results -----------------------------------------------------

    @cached_property
    def proof_results(self) -> list[ProofResult]:
        """Every embedded proof, verified (``ldp`` only; empty for a JWT)."""
        if self.kind != "ldp":
            return []
        return verify_proofs(
            self.parsed.document, loader=self.tools.loader, resolver=self.tools.resolver
        )

    @cached_property
    def jsonld_limit(self) -> JsonLdLimitExceeded | None:
        """The JSON-LD processing limit the document goes over (:mod:`schemas.jsonld_limits`),
        if any: the ``context`` and ``schema`` checks both report it, from this one pass."""
        try:
            check_jsonld_limits(self.document)
        except JsonLdLimitExceeded as error:
            return error
        return None

    @cached_property
    def jwt(self) -> JwtOutcome:
        """The VC-JWT verification, with keys the trust lists pin to the claimed issuer."""
        assert self.parsed.jwt_token is not None
        claimed_issuer = issuer_id_of(self.parsed.document)
        try:
            result = verify_jwt(
                self.parsed.jwt_token,
                resolver=self.tools.resolver,
                pinned_keys=self.tools.trust.pinned_keys(claimed_issuer),
                now=self.now,
            )
        except KeysError as error:
            return JwtOutcome(None, error)
        return JwtOutcome(result, None)
