"""Every public URL and did:web DID the service mints, built in one place on the base URL.

The paths here and the routes in :mod:`issuer.api.routes.public` are two halves of one
contract: an id we sign into a credential must be served at exactly that path, forever.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from keys.did import did_web

__all__ = ["Urls"]


@dataclass(frozen=True)
class Urls:
    """URLs on ``base`` (already normalized by :func:`issuer.settings.normalize_base_url`)."""

    base: str

    @property
    def is_https(self) -> bool:
        return self.base.startswith("https://")

    @property
    def default_did_method(self) -> str:
        """``web`` on https; ``key`` on plain http, where no did:web resolver will go."""
        return "web" if self.is_https else "key"

    def credential(self, credential_id: uuid.UUID) -> str:
        return f"{self.base}/credentials/{credential_id}"

    def achievement(self, slug: str, version: int) -> str:
        return f"{self.base}/achievements/{slug}/v{version}"

    def achievement_translation(self, slug: str, version: int, language: str) -> str:
        """The version in another language: an Achievement the original names in ``related``."""
        return f"{self.achievement(slug, version)}/translations/{language}"

    def achievement_image(self, slug: str, version: int) -> str:
        return f"{self.achievement(slug, version)}/image.svg"

    def issuer(self, slug: str) -> str:
        return f"{self.base}/issuers/{slug}"

    def did_document(self, slug: str) -> str:
        return f"{self.issuer(slug)}/did.json"

    def jwks(self, slug: str) -> str:
        return f"{self.issuer(slug)}/jwks.json"

    def status_list(self, public_id: str) -> str:
        """A published Bitstring Status List (``public_id`` is random, not a counter)."""
        return f"{self.base}/status/{public_id}"

    def revocation_list(self, slug: str) -> str:
        """The issuer's 1EdTech revocation list (served only when enabled, see settings)."""
        return f"{self.issuer(slug)}/revocations.json"

    def well_known(self, name: str, identifier: str) -> str:
        """RFC 8615 / 8414 path insertion: ``/.well-known/{name}`` between the origin of
        ``identifier`` (one of ours) and its path, as OID4VCI and OAuth metadata are found."""
        parts = urlsplit(identifier)
        return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{parts.path.rstrip('/')}"

    def oid4vci_offer(self, offer_id: str) -> str:
        """An OID4VCI credential offer by reference (``offer_id`` is a secret: see
        :mod:`issuer.services.oid4vci`)."""
        return f"{self.base}/oid4vci/offers/{offer_id}"

    @property
    def oid4vci_token(self) -> str:
        return f"{self.base}/oid4vci/token"

    @property
    def oid4vci_nonce(self) -> str:
        return f"{self.base}/oid4vci/nonce"

    @property
    def oid4vci_credential(self) -> str:
        return f"{self.base}/oid4vci/credential"
    def claim(self, token: str) -> str:
        """A claim link (:mod:`issuer.services.claims`): only the opaque token, nothing else."""
        return f"{self.base}/claim/{token}"

    @property
    def host(self) -> str:
        """The base URL's host name (the right-hand side of our Message-IDs)."""
        return urlsplit(self.base).hostname or "localhost"

    def did_web(self, slug: str) -> str:
        """``did:web:{host}%3A{port}:{base path}:issuers:{slug}``, whose document the did:web
        method reads at :meth:`did_document` (on https)."""
        parts = urlsplit(self.base)
        path = f"{parts.path.strip('/')}/issuers/{slug}".strip("/")
        return did_web(parts.netloc, path)
