"""The verifier's configuration: ``MICROCRED_VERIFIER_*`` (lists as JSON arrays).

One settings class for every way in: the HTTP service reads it from the environment, the
``verify`` command fills it from its flags, the issuer passes its own. A
:class:`verifier.service.Verifier` is built from it (``Verifier.from_settings``); adding an
option means a field here and its use in that one constructor.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from verifier.inputs import MAX_INPUT_BYTES

__all__ = ["Limits", "VerifierSettings", "get_verifier_settings"]


@dataclass(frozen=True)
class Limits:
    """How much one verifier takes on: the largest input it reads, how many verifications
    run at once (see :attr:`VerifierSettings.max_concurrent_verifications` for why 2) and how
    long a caller waits for one of those slots."""

    max_body_bytes: int = MAX_INPUT_BYTES
    max_concurrent_verifications: int = 2
    queue_timeout_seconds: float = 10.0


class VerifierSettings(BaseSettings):
    """The verifier's configuration, from ``MICROCRED_VERIFIER_*`` (lists as JSON arrays)."""

    model_config = SettingsConfigDict(env_prefix="MICROCRED_VERIFIER_", extra="ignore")

    #: Trust list files (see ``verifier/TRUST_LISTS.md``); read once, at start-up.
    trust_lists: list[Path] = Field(default_factory=list)
    #: Plain http to localhost (development only).
    allow_http_localhost: bool = False
    #: Host names that may resolve to private addresses (e.g. an internal registry).
    allowed_private_hosts: list[str] = Field(default_factory=list)
    #: ``URL=FILE`` pairs served without network access (air-gapped offices, tests).
    preloads: list[str] = Field(default_factory=list)
    #: ``URL=FILE`` JSON-LD contexts added to the bundled ones, read once at start-up and
    #: pinned by the SHA-256 of what was read (a context is never fetched; ``preloads`` feed
    #: the fetcher, not the JSON-LD loader).
    contexts: list[str] = Field(default_factory=list)
    #: Accept credentials whose ``@context`` holds an object rather than URLs. Off by default:
    #: an inline context that only sets ``@direction``, ``@version`` or ``@propagate`` changes
    #: nothing the proof covers, so it can be added after signing; and an inline term
    #: definition is a vocabulary no one publishes.
    allow_inline_contexts: bool = False
    #: Keep the result of checking a status list (proof, issuer key, decoded bits) while its
    #: body is fresh, keyed by the body's digest, so a burst of credentials from one issuer
    #: checks its lists once per TTL (:mod:`verifier.verified_cache`). Off checks every list
    #: at every verification (the fetcher still keeps the bytes); for measuring, mostly.
    cache_verified_lists: bool = True
    #: Largest request body accepted.
    max_body_bytes: int = Limits.max_body_bytes
    #: Verifications running at once per process; the rest wait their turn, first come first
    #: served. Verification is CPU-bound under the GIL: more threads add no throughput, only a
    #: long latency tail (bench/verify_http.py: p99 about 3x p50 with Starlette's 40 threads,
    #: close to p50 with 2). A slot waiting on a slow remote document is held for at most the
    #: fetcher's timeout; raise this if your issuers' servers are slow, or run more workers.
    max_concurrent_verifications: int = Field(default=Limits.max_concurrent_verifications, ge=1)
    #: How long a request waits for a free verification slot before it is answered 503 with
    #: ``Retry-After`` (a queue that never gives up turns a burst into a hang for everyone).
    queue_timeout_seconds: float = Field(default=Limits.queue_timeout_seconds, gt=0)

    @property
    def limits(self) -> Limits:
        return Limits(
            self.max_body_bytes, self.max_concurrent_verifications, self.queue_timeout_seconds
        )


@lru_cache
def get_verifier_settings() -> VerifierSettings:
    """Settings from the environment, read once (a FastAPI dependency; override in tests)."""
    return VerifierSettings()
