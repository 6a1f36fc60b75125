"""Every error the ``keys`` layer raises, as one documented tree (the httpx / pyca style).

Suites and resolvers *raise* these; the verifier turns them into check outcomes. Callers catch
the narrowest class they can act on::

    KeysError
    ├── InvalidSignature          the bytes do not verify under the key
    ├── InvalidProof              a proof is malformed (missing fields, wrong purpose, bad encoding)
    ├── UnsupportedSuite          a proof type / cryptosuite / JWT alg we do not accept
    ├── KeyFormatError            a JWK, multikey or PEM we cannot read, or a private key where a
    │                             public one belongs
    ├── KeyResolutionError        the verification method cannot be found or is not the issuer's
    │   ├── DidWebUnresolved      a did:web document could not be fetched or parsed
    │   ├── ControllerDocumentUnresolved
    │   │                         an https controller document could not be fetched or parsed
    │   └── ControllerMismatch    the key is real but its controller is not the issuer
    └── FetchError                the guarded fetcher refused or failed
        ├── FetchBlocked          the URL is not allowed (scheme, private address, redirect)
        ├── FetchTimeout          connect / read took too long
        ├── FetchTooLarge         the body is over the size limit
        └── FetchStatusError      the server answered with a non-2xx status
"""

from __future__ import annotations


class KeysError(Exception):
    """Base class of every error raised by ``keys``."""


class InvalidSignature(KeysError):
    """The signature does not verify under the given key."""


class InvalidProof(KeysError):
    """A proof is structurally unusable (missing or ill-typed fields, wrong purpose)."""


class UnsupportedSuite(KeysError):
    """A proof type, cryptosuite or JOSE algorithm that microcred does not accept."""


class KeyFormatError(KeysError):
    """Key material that cannot be decoded, or of the wrong kind."""


class KeyResolutionError(KeysError):
    """The verification method cannot be resolved to a public key bound to the issuer."""


class DidWebUnresolved(KeyResolutionError):
    """A did:web DID document could not be fetched or was not a DID document."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class ControllerDocumentUnresolved(KeyResolutionError):
    """An https controller document (W3C Controlled Identifiers) could not be fetched or parsed.

    The sibling of :class:`DidWebUnresolved` for plain URLs: it keeps the URL so a report can say
    *which* document was unreachable; the underlying :class:`FetchError` is the ``__cause__``.
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class ControllerMismatch(KeyResolutionError):
    """The key resolves, but its controller is not the credential's issuer."""


class FetchError(KeysError):
    """The guarded fetcher could not deliver the document."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FetchBlocked(FetchError):
    """The URL (or a redirect target, or a resolved address) is not allowed."""


class FetchTimeout(FetchError):
    """The remote end did not answer within the time limit."""


class FetchTooLarge(FetchError):
    """The response body is larger than the configured limit."""


class FetchStatusError(FetchError):
    """The server answered with a status other than 2xx."""

    def __init__(self, message: str, *, url: str | None = None, status: int = 0) -> None:
        super().__init__(message, url=url)
        self.status = status
