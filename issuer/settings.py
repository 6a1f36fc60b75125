"""Configuration of the issuing service, read from ``MICROCRED_*`` environment variables.

Settings are an object handed to whoever needs them (``create_app(settings)``, the CLI commands,
the tests), never a module global: FastAPI's own advice, and it lets one process (a test run)
hold several services with different data directories and databases.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from issuer.data_dir import DATABASE_FILE, default_data_dir
from keys.fetch import parse_preload_args

__all__ = [
    "DATABASE_FILE",
    "DEFAULT_BASE_URL",
    "WALLET_DID_METHODS",
    "JOBS_FILE",
    "Environment",
    "Settings",
    "SmtpTls",
    "get_settings",
    "normalize_base_url",
]

#: DID methods whose keys the issuer can resolve, and so the only ones a wallet may use.
WALLET_DID_METHODS = frozenset({"key", "web", "jwk"})

#: Where ``make run`` serves, and so what ids are built on unless told otherwise.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


#: The job queue's own SQLite file in the data directory (:mod:`issuer.jobs`), when the
#: database is the embedded SQLite one.
JOBS_FILE = "jobs.sqlite3"


class SmtpTls(StrEnum):
    """How the SMTP connection is protected: ``starttls`` (port 587), ``tls`` (implicit TLS,
    port 465) or ``none`` (a relay on this machine or a test server)."""

    none = "none"
    starttls = "starttls"
    tls = "tls"


class Environment(StrEnum):
    """``production`` turns development conveniences (a KEK file made for you) into errors."""

    development = "development"
    production = "production"


def normalize_base_url(value: str) -> str:
    """An absolute http(s) URL without query, fragment or trailing slash.

    Every public id (credentials, achievements, did:web) is this string plus a path, so it must
    be exactly one spelling: a trailing slash would make ``…//credentials/…`` ids.
    """
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base URL must be an absolute http(s) URL, got {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("base URL must not carry credentials, a query or a fragment")
    netloc = parts.netloc.lower()
    default_port = {"http": ":80", "https": ":443"}[parts.scheme]
    netloc = netloc.removesuffix(default_port)
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


class Settings(BaseSettings):
    """Everything the service reads from its environment (prefix ``MICROCRED_``)."""

    model_config = SettingsConfigDict(env_prefix="MICROCRED_", extra="ignore")

    #: Holds the SQLite database (the embedded default) and, in development only, the KEK file.
    #: Not set: the nearest data directory at or above the current folder, else ``./var``
    #: (:mod:`issuer.data_dir`).
    data_dir: Path = Field(default_factory=default_data_dir)
    #: SQLAlchemy URL; ``postgresql://`` is read as psycopg 3. Default: SQLite in ``data_dir``.
    database_url: str | None = None
    #: Public base URL that ids, did:web DIDs and links are built on. When not set here it is
    #: the one stored by ``microcred init`` (see :mod:`issuer.runtime`).
    base_url: str = DEFAULT_BASE_URL
    env: Environment = Environment.development
    #: The key-encryption key (32 bytes, base64url or hex) that seals issuers' private keys.
    key_encryption_key: SecretStr | None = None
    #: A file holding the key-encryption key, instead of ``key_encryption_key``.
    kek_file: Path | None = None
    #: Status lists (:mod:`issuer.services.status`). Seconds a verifier may cache a list: its
    #: ``ttl`` and ``Cache-Control: max-age``, so the bound on how stale a verifier's view is.
    status_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    #: Hours a signed list is valid (``validUntil``); it is re-signed when half is left.
    status_validity_hours: int = Field(default=24, ge=1, le=24 * 30)
    #: Entries of a new list (the spec's minimum is 131,072: herd privacy needs a big crowd).
    status_list_size: int = Field(default=131_072, ge=131_072, le=8 * 1024 * 1024)
    #: A list takes no new credentials once this fraction of it is handed out: random indexes
    #: stay cheap to find, and a full list says nothing about how many were issued.
    status_fill_limit: float = Field(default=0.5, gt=0, le=0.9)
    #: Also serve the 1EdTech revocation list at ``/issuers/{slug}/revocations.json``. Off by
    #: default: it names revoked credentials, whose public pages name their holders.
    status_publish_revocation_list: bool = False
    #: VC-API (:mod:`issuer.services.vcapi`): slugs of the issuers whose credentials issued
    #: through ``POST /credentials/issue`` always get status entries (``["*"]``: every issuer);
    #: others get them when the request's ``options.credentialStatus`` asks. A JSON array.
    vcapi_status_issuers: list[str] = Field(default_factory=list)
    #: JSON-LD contexts the VC-API accepts besides the bundled ones, as ``URL=FILE`` pairs (a
    #: JSON array), e.g. the W3C test suites' ``https://www.w3.org/ns/credentials/examples/v2``.
    #: Read from the files, never fetched; for conformance runs, not for production.
    vcapi_contexts: list[str] = Field(default_factory=list)
    #: Minutes a wallet link minted for a claim-page visit lives (the Learner Credential
    #: Wallet's interaction URL and deep link, the OID4VCI offer and its pre-authorized code):
    #: long enough to scan and accept, short enough that a photographed QR code is soon
    #: worthless.
    wallet_link_minutes: int = Field(default=15, ge=1, le=60)
    #: OID4VCI (:mod:`issuer.services.oid4vci`): seconds an access token from ``/oid4vci/token``
    #: is good for at the credential endpoint.
    oid4vci_access_token_seconds: int = Field(default=300, ge=30, le=3600)
    #: Seconds a ``c_nonce`` from ``/oid4vci/nonce`` may be used in a key proof (once).
    oid4vci_nonce_seconds: int = Field(default=300, ge=30, le=3600)
    #: Token requests one pre-authorized code with a transaction code may make; then it is dead.
    oid4vci_tx_code_attempts: int = Field(default=5, ge=1, le=20)
    #: Seconds a key proof's ``iat`` may lie in the past (its nonce is single use besides).
    oid4vci_proof_max_age_seconds: int = Field(default=300, ge=30, le=3600)
    #: DID methods a wallet may prove control of to receive a copy, comma-separated
    #: (``key``, ``web`` — resolved through the guarded fetcher — and ``jwk``).
    wallet_did_methods: str = "key,web"

    #: Email delivery (:mod:`issuer.services.deliveries`, ``issuer/DELIVERY.md``). Without a
    #: host, nothing is sent: awards still work, and ``deliver`` says why it cannot.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: SmtpTls = SmtpTls.starttls
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    #: The From address (``Name <address>`` or a bare address); required with a host.
    smtp_from: str | None = None
    #: A PEM file of certificate authorities to trust for the SMTP server's certificate (a
    #: private relay's own CA); default: the system's.
    smtp_ca_file: Path | None = None
    #: Seconds one SMTP conversation may take (connect, each reply).
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    #: Days a claim link in an email stays usable.
    claim_link_days: int = Field(default=30, ge=1, le=365)
    #: Send the educator a short notice when an award is revoked or suspended.
    notify_status_changes: bool = True
    #: ``microcred serve`` runs the job worker in its own process (threads). ``0``: run
    #: ``microcred worker`` processes instead (production on PostgreSQL).
    workers_in_process: bool = True
    #: Threads of one job worker.
    worker_threads: int = Field(default=2, ge=1, le=32)
    #: Seconds a delivery stays ``sending`` before the sweep takes it for lost (a worker that
    #: died mid-send) and queues it again; longer than any SMTP conversation.
    delivery_lease_seconds: int = Field(default=300, ge=30, le=86_400)

    #: Educators' sign-in (:mod:`issuer.services.learners`): minutes a signed-in session
    #: survives without a request.
    learner_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: Hours a session lasts at most, however active (then sign in again).
    learner_session_hours: int = Field(default=12, ge=1, le=24 * 30)

    @property
    def smtp_configured(self) -> bool:
        """Whether email can be sent at all (a host and a From address)."""
        return bool(self.smtp_host and self.smtp_from)

    @field_validator("smtp_host", "smtp_user", "smtp_from")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return normalize_base_url(value)

    @field_validator("vcapi_contexts")
    @classmethod
    def _vcapi_contexts(cls, value: list[str]) -> list[str]:
        for url, body in parse_preload_args(value).items():
            try:
                json.loads(body)
            except ValueError as error:
                raise ValueError(f"the context file for {url} is not JSON: {error}") from None
        return value

    @field_validator("wallet_did_methods")
    @classmethod
    def _wallet_did_methods(cls, value: str) -> str:
        methods = [m.strip().lower() for m in value.split(",") if m.strip()]
        unknown = sorted(set(methods) - WALLET_DID_METHODS)
        if unknown or not methods:
            raise ValueError(
                f"DID methods {unknown or methods} are not among those a wallet may use: "
                + ", ".join(sorted(WALLET_DID_METHODS))
            )
        return ",".join(dict.fromkeys(methods))

    @property
    def wallet_did_method_set(self) -> frozenset[str]:
        """:attr:`wallet_did_methods` as a set (``{"key", "web"}``)."""
        return frozenset(self.wallet_did_methods.split(","))

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        # One driver for PostgreSQL everywhere: psycopg 3 (the only one installed).
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def base_url_explicit(self) -> bool:
        """Whether the base URL was given (environment or constructor), not defaulted."""
        return "base_url" in self.model_fields_set

    @property
    def data_dir_given(self) -> bool:
        """Whether the data directory was named (``MICROCRED_DATA_DIR`` or the constructor)
        rather than found or defaulted."""
        return "data_dir" in self.model_fields_set

    @property
    def keeps_data_in_data_dir(self) -> bool:
        """Whether the data directory holds what a command needs: the SQLite database (when no
        database URL names another), or the development KEK (when no key-encryption key is
        configured)."""
        return self.database_url is None or (
            self.key_encryption_key is None and self.kek_file is None
        )

    @property
    def sqlalchemy_url(self) -> str:
        """The database to use: ``database_url``, or the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir.expanduser().resolve() / DATABASE_FILE).as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process's settings from the environment, read once (FastAPI's settings pattern)."""
    return Settings()
