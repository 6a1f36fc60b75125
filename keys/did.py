"""DIDs and key resolution: from a verification method id to a public key bound to a controller.

Three DID methods and plain https controller documents are supported:

* ``did:key`` and ``did:jwk`` carry the key in the identifier and resolve locally, with no
  network access;
* ``did:web`` and ``https://…`` are fetched through an injected :class:`~keys.fetch.Fetcher`
  (the guarded fetcher in production, a fake in tests). Nothing here opens a socket by itself.

What "resolved" promises: the returned :class:`VerificationMethod` is listed by its
controller's document under the requested proof purpose (``assertionMethod`` for credentials).
A key that merely *appears* somewhere binds nothing. In particular a public key written into a URL
fragment (``https://issuer.example/#z6Mk…``, a form the 1EdTech validator reads the key from)
is never decoded: the URL resolves only if the fetched document lists that method.

Whether the controller is the credential's *issuer* is a separate question, answered by
:func:`check_controller`; resolution alone does not know the issuer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from keys.errors import (
    ControllerDocumentUnresolved,
    ControllerMismatch,
    DidWebUnresolved,
    KeyFormatError,
    KeyResolutionError,
    KeysError,
)
from keys.fetch.protocol import Fetcher
from keys.keypairs import (
    KeyType,
    SigningKey,
    VerificationKey,
    b64url_decode,
    b64url_encode,
)
from keys.multikey import decode_multibase, decode_public_multikey, encode_public_multikey
from schemas.json_values import as_list

__all__ = [
    "DID_CONTEXT_V1",
    "JWK_CONTEXT_V1",
    "MULTIKEY_CONTEXT_V1",
    "PROOF_PURPOSES",
    "Fetcher",  # defined in keys.fetch; re-exported as the type of KeyResolver's fetcher
    "KeyResolver",
    "VerificationMethod",
    "check_controller",
    "did_document",
    "did_jwk",
    "did_key",
    "did_web",
    "did_web_document_url",
    "parse_verification_method",
]

DID_CONTEXT_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT_V1 = "https://w3id.org/security/multikey/v1"
JWK_CONTEXT_V1 = "https://w3id.org/security/jwk/v1"

#: The verification relationships a method can be listed under (DID Core §5.3).
PROOF_PURPOSES = frozenset(
    {
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
        "keyAgreement",
    }
)
#: What a did:key / did:jwk signing key is implicitly listed under (did:key and did:jwk specs).
_SIGNING_PURPOSES = PROOF_PURPOSES - {"keyAgreement"}

_DID_WEB_ACCEPT = "application/did+json, application/did+ld+json, application/json"
_CONTROLLER_ACCEPT = "application/ld+json, application/json"

_MULTIKEY_TYPES = frozenset({"Multikey", "Ed25519VerificationKey2020"})
_JWK_TYPES = frozenset({"JsonWebKey", "JsonWebKey2020"})
#: The legacy (2018) Ed25519 method: the raw 32 key bytes in plain base58btc, no multibase prefix.
_BASE58_TYPE = "Ed25519VerificationKey2018"
_PRIVATE_VM_MEMBERS = (
    "secretKeyMultibase",
    "privateKeyMultibase",
    "privateKeyJwk",
    "privateKeyBase58",
)

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::(?P<port>[0-9]{{1,5}}))?")
_DID_SEGMENT_RE = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")


def _show(value: object, limit: int = 120) -> str:
    """Quote an untrusted value for an error message without letting it flood the message."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved verification method: its absolute ``id``, who controls it, and the key."""

    id: str
    controller: str
    type: str
    key: VerificationKey


# --------------------------------------------------------------------------------------------
# Making identifiers and documents


def _verification_key(key: VerificationKey | SigningKey) -> VerificationKey:
    """The public half: a DID document or identifier never carries private material."""
    return key.public_key if isinstance(key, SigningKey) else key


def did_key(key: VerificationKey | SigningKey) -> str:
    """``did:key:z6Mk…`` (Ed25519), ``did:key:zDn…`` (P-256) or ``did:key:z82…`` (P-384). RSA
    raises KeyFormatError."""
    return "did:key:" + encode_public_multikey(_verification_key(key))


def did_jwk(key: VerificationKey | SigningKey) -> str:
    """``did:jwk:`` + base64url(public JWK JSON, required members in lexicographic order)."""
    return "did:jwk:" + b64url_encode(_verification_key(key).canonical_jwk_json().encode("utf-8"))


def _check_host(host: str) -> None:
    match = _HOST_RE.fullmatch(host) if isinstance(host, str) else None
    if match is None or len(host) > 253:
        raise ValueError(f"not a DNS host name (with optional port): {_show(host)}")
    port = match.group("port")
    if port is not None and not 0 < int(port) <= 65535:
        raise ValueError(f"port out of range: {_show(host)}")


def _check_segment_value(segment: str) -> None:
    if segment in ("", ".", ".."):
        raise ValueError("empty, '.' and '..' path segments are not allowed")
    if any(c in segment for c in "/\\?#") or any(c.isspace() or ord(c) < 0x20 for c in segment):
        raise ValueError(f"path segment holds a forbidden character: {_show(segment)}")


def _encode_did_segment(segment: str) -> str:
    # DID idchar is ALPHA / DIGIT / "." / "-" / "_" / pct-encoded; everything else is escaped.
    out = []
    for byte in segment.encode("utf-8"):
        char = chr(byte)
        out.append(char if char.isascii() and (char.isalnum() or char in "._-") else f"%{byte:02X}")
    return "".join(out)


def did_web(host: str, path: str | None = None) -> str:
    """``did:web`` for a host (``example.com`` or ``example.com:8443``) and optional path.

    ``did_web("example.com:8443", "issuers/1")`` → ``did:web:example.com%3A8443:issuers:1``.
    Leading/trailing slashes of ``path`` are ignored; empty, ``.`` and ``..`` segments raise
    ``ValueError`` (they would make the document URL ambiguous or escape the path).
    """
    _check_host(host)
    parts = [host.replace(":", "%3A")]
    if path is not None and path.strip("/"):
        for segment in path.strip("/").split("/"):
            _check_segment_value(segment)
            parts.append(_encode_did_segment(segment))
    return "did:web:" + ":".join(parts)


def did_web_document_url(did: str) -> str:
    """Where a did:web DID document lives (did:web method spec §3.2, Read).

    ``did:web:example.com`` → ``https://example.com/.well-known/did.json``;
    ``did:web:example.com:issuers:1`` → ``https://example.com/issuers/1/did.json``;
    ``did:web:example.com%3A8443`` → ``https://example.com:8443/.well-known/did.json``.

    Raises :class:`DidWebUnresolved` for anything that is not a plain did:web DID, for
    percent-escapes in the host other than the port colon, and for segments that are empty or
    decode to ``.``/``..``/a slash (path traversal on the issuer's server).
    """
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise DidWebUnresolved(f"not a did:web DID: {_show(did)}")
    rest = did[len("did:web:") :]
    if any(c in rest for c in "/?#"):
        raise DidWebUnresolved(f"a did:web DID has no path, query or fragment: {_show(did)}")
    raw_host, *segments = rest.split(":")
    host = re.sub("%3[Aa]", ":", raw_host)
    try:
        if "%" in host:
            raise ValueError("only the port colon may be percent-encoded in the host")
        _check_host(host)
        for segment in segments:
            if not _DID_SEGMENT_RE.fullmatch(segment):
                raise ValueError(f"invalid did:web path segment {_show(segment)}")
            _check_segment_value(unquote(segment))
    except ValueError as exc:
        raise DidWebUnresolved(f"malformed did:web DID {_show(did)}: {exc}") from None
    if not segments:
        return f"https://{host}/.well-known/did.json"
    return f"https://{host}/{'/'.join(segments)}/did.json"


def _method_id(did: str, key: VerificationKey, key_id: str | None) -> str:
    if key_id is None:
        # A name derived from the key stays stable across rotations and re-publications.
        name = encode_public_multikey(key) if key.key_type is not KeyType.RSA else key.thumbprint()
        return f"{did}#{name}"
    if key_id.startswith(did + "#"):
        return key_id
    fragment = key_id[1:] if key_id.startswith("#") else key_id
    if not fragment or any(c in fragment for c in "#/ "):
        raise ValueError(f"invalid key id {_show(key_id)}")
    return f"{did}#{fragment}"


def did_document(
    did: str,
    keys: Sequence[VerificationKey],
    *,
    key_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A DID document (for did:web hosting) listing ``keys`` for assertion and authentication.

    The first key is the current one; older keys stay listed so credentials they signed keep
    verifying after a rotation (remove a key only to revoke everything it signed). Ed25519,
    P-256 and P-384 keys are written as ``Multikey``; RSA, which has no Multikey form, as
    ``JsonWebKey``.
    ``key_ids`` (fragments like ``"key-1"``/``"#key-1"`` or absolute ``did#…``) default to the
    key's multikey or, for RSA, its JWK thumbprint.
    """
    if not keys:
        raise ValueError("a DID document needs at least one key")
    if key_ids is not None and len(key_ids) != len(keys):
        raise ValueError("key_ids must name every key")
    publics = [_verification_key(k) for k in keys]
    if len(set(publics)) != len(publics):
        raise ValueError("the same key is listed twice")
    methods: list[dict[str, Any]] = []
    for index, key in enumerate(publics):
        method_id = _method_id(did, key, None if key_ids is None else key_ids[index])
        method: dict[str, Any]
        if key.key_type is KeyType.RSA:
            method = {"id": method_id, "type": "JsonWebKey", "controller": did}
            method["publicKeyJwk"] = key.jwk()
        else:
            method = {"id": method_id, "type": "Multikey", "controller": did}
            method["publicKeyMultibase"] = encode_public_multikey(key)
        methods.append(method)
    ids = [m["id"] for m in methods]
    if len(set(ids)) != len(ids):
        raise ValueError("two keys share a verification method id")
    context = [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1]
    if any(m["type"] == "JsonWebKey" for m in methods):
        context.append(JWK_CONTEXT_V1)
    return {
        "@context": context,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": list(ids),
        "authentication": list(ids),
    }


# --------------------------------------------------------------------------------------------
# Reading verification methods


def _is_http(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")


def _normalize(identifier: str) -> str:
    """Compare http(s) URLs the way servers treat them (case of scheme/host, empty path);
    compare everything else (DIDs) exactly."""
    if not _is_http(identifier):
        return identifier
    parts = urlsplit(identifier)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, parts.fragment)
    )


def _same(a: str, b: str) -> bool:
    return _normalize(a) == _normalize(b)


def _absolute(ref: str, base: str) -> str:
    """Resolve a method reference (``#key-1`` or relative URL) against its document id."""
    if ref.startswith("#"):
        return base.split("#", 1)[0] + ref
    if _is_http(base) and not urlsplit(ref).scheme:
        return urljoin(base, ref)
    return ref


def parse_verification_method(obj: Mapping[str, Any], *, document_id: str) -> VerificationMethod:
    """Read one verification method object from a DID or controller document.

    Accepted: ``Multikey`` / ``Ed25519VerificationKey2020`` with ``publicKeyMultibase``;
    ``JsonWebKey`` / ``JsonWebKey2020`` with ``publicKeyJwk``; the legacy
    ``Ed25519VerificationKey2018`` with ``publicKeyBase58``. A method that publishes private
    material raises :class:`KeyFormatError`; one with two key encodings is ambiguous and raises.
    """
    if not isinstance(obj, Mapping):
        raise KeyResolutionError("a verification method must be a JSON object")
    method_id, vm_type, controller = obj.get("id"), obj.get("type"), obj.get("controller")
    if not isinstance(method_id, str) or not method_id:
        raise KeyResolutionError("verification method without an id")
    if not isinstance(vm_type, str):
        raise KeyResolutionError(f"verification method {_show(method_id)} has no type")
    if not isinstance(controller, str) or not controller:
        raise KeyResolutionError(f"verification method {_show(method_id)} has no controller")
    if any(m in obj for m in _PRIVATE_VM_MEMBERS):
        raise KeyFormatError(f"verification method {_show(method_id)} publishes a private key")
    if sum(m in obj for m in ("publicKeyMultibase", "publicKeyJwk", "publicKeyBase58")) > 1:
        raise KeyResolutionError(f"verification method {_show(method_id)} has two keys")
    if vm_type in _MULTIKEY_TYPES:
        key = decode_public_multikey(obj.get("publicKeyMultibase"))  # type: ignore[arg-type]
        if vm_type == "Ed25519VerificationKey2020" and key.key_type is not KeyType.ED25519:
            raise KeyFormatError("Ed25519VerificationKey2020 with a non-Ed25519 key")
    elif vm_type == _BASE58_TYPE:
        key = _base58_ed25519(obj.get("publicKeyBase58"), method_id)
    elif vm_type in _JWK_TYPES:
        jwk = obj.get("publicKeyJwk")
        if not isinstance(jwk, Mapping):
            raise KeyFormatError(f"{vm_type} {_show(method_id)} without a publicKeyJwk object")
        key = VerificationKey.from_jwk(jwk)
    else:
        raise KeyResolutionError(f"unsupported verification method type {_show(vm_type)}")
    return VerificationMethod(
        id=_absolute(method_id, document_id),
        controller=_absolute(controller, document_id),
        type=vm_type,
        key=key,
    )


def _base58_ed25519(value: Any, method_id: str) -> VerificationKey:
    """An Ed25519VerificationKey2018's ``publicKeyBase58``: exactly 32 bytes, canonical."""
    if not isinstance(value, str) or not value:
        raise KeyFormatError(f"{_BASE58_TYPE} {_show(method_id)} without a publicKeyBase58")
    # decode_multibase checks the alphabet, the length bound and canonical form ("z" + base58btc)
    data = decode_multibase("z" + value)
    if len(data) != 32:
        raise KeyFormatError(f"{_BASE58_TYPE} {_show(method_id)}: an Ed25519 key is 32 bytes")
    return VerificationKey.from_public_bytes(KeyType.ED25519, data)


def _candidate_methods(document: Mapping[str, Any]) -> Iterator[Any]:
    yield from as_list(document.get("verificationMethod"))
    for purpose in sorted(PROOF_PURPOSES):
        for entry in as_list(document.get(purpose)):
            if isinstance(entry, Mapping):
                yield entry


def _find_method(document: Mapping[str, Any], document_id: str, vm_id: str) -> VerificationMethod:
    found: VerificationMethod | None = None
    for entry in _candidate_methods(document):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            continue
        if not _same(_absolute(entry["id"], document_id), vm_id):
            continue
        method = parse_verification_method(entry, document_id=document_id)
        if found is not None and found.key != method.key:
            raise KeyResolutionError(f"{_show(vm_id)} is defined twice with different keys")
        found = method
    if found is None:
        raise KeyResolutionError(f"{_show(vm_id)} is not in the document {_show(document_id)}")
    return found


def _require_listed(
    document: Mapping[str, Any], document_id: str, method: VerificationMethod, purpose: str
) -> None:
    """The controller's document must list the method under ``purpose``, by reference or
    embedded with the same key."""
    for entry in as_list(document.get(purpose)):
        if isinstance(entry, str) and _same(_absolute(entry, document_id), method.id):
            return
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            if not _same(_absolute(entry["id"], document_id), method.id):
                continue
            embedded = parse_verification_method(entry, document_id=document_id)
            if embedded.key == method.key:
                return
            raise KeyResolutionError(f"{_show(method.id)} is listed with a different key")
    raise KeyResolutionError(
        f"{_show(method.id)} is not listed under {purpose} by its controller {_show(document_id)}"
    )


# --------------------------------------------------------------------------------------------
# The resolver


class KeyResolver:
    """Resolve verification method ids to keys, fetching documents through ``fetcher``.

    Documents are cached per instance for its lifetime: create one resolver per verification
    run (or per short batch) so a rotated key is seen by the next run, and so one credential's
    several lookups cost one fetch. Without a fetcher only did:key and did:jwk resolve.
    """

    def __init__(self, *, fetcher: Fetcher | None = None) -> None:
        self._fetcher = fetcher
        self._documents: dict[str, dict[str, Any]] = {}

    def resolve(self, vm_id: str, *, purpose: str = "assertionMethod") -> VerificationMethod:
        """Return the method ``vm_id`` if its controller lists it under ``purpose``.

        Raises :class:`KeyResolutionError` (or a subclass: :class:`DidWebUnresolved`,
        :class:`ControllerDocumentUnresolved`) and :class:`KeyFormatError` for bad key material.
        """
        if purpose not in PROOF_PURPOSES:
            raise ValueError(f"unknown proof purpose {purpose!r}")
        if not isinstance(vm_id, str) or not vm_id:
            raise KeyResolutionError("verification method id must be a non-empty string")
        if vm_id.startswith("did:"):
            method = vm_id.split(":", 2)[1] if vm_id.count(":") >= 2 else ""
            if method == "key":
                return self._resolve_did_key(vm_id, purpose)
            if method == "jwk":
                return self._resolve_did_jwk(vm_id, purpose)
            if method == "web":
                return self._resolve_did_web(vm_id, purpose)
            raise KeyResolutionError(
                f"unsupported DID method {_show('did:' + method)} (supported: did:key, did:jwk, "
                "did:web)"
            )
        scheme = urlsplit(vm_id).scheme.lower()
        if scheme in ("https", "http"):
            return self._resolve_url(vm_id, purpose)
        raise KeyResolutionError(
            f"unsupported verification method {_show(vm_id)}: expected a DID or an https URL"
        )

    def listed_methods(
        self, did: str, *, purpose: str = "assertionMethod"
    ) -> list[VerificationMethod]:
        """Every method the DID ``did`` lists under ``purpose``, each resolved as :meth:`resolve`
        would: derived from the identifier for did:key and did:jwk, read from the fetched
        document for did:web.

        This answers "does this DID publish that key?" for a key that arrives without a method
        id (a VC-JWT ``jwk`` header); compare keys, not JSON text. An entry that does not
        resolve is not a candidate; a document that cannot be fetched raises
        (:class:`DidWebUnresolved`, :class:`ControllerDocumentUnresolved`) because then nothing
        could be looked at.
        """
        if not isinstance(did, str) or "#" in did:
            raise KeyResolutionError(f"not a DID: {_show(did)}")
        if did.startswith(("did:key:", "did:jwk:")):
            return [self.resolve(did, purpose=purpose)]
        if not did.startswith("did:web:"):
            raise KeyResolutionError(f"cannot list the methods of {_show(did)}")
        document = self._did_web_document(did)
        methods: list[VerificationMethod] = []
        for entry in as_list(document.get(purpose)):
            ref = entry.get("id") if isinstance(entry, Mapping) else entry
            if not isinstance(ref, str) or not ref:
                continue
            try:
                methods.append(self.resolve(_absolute(ref, did), purpose=purpose))
            except (DidWebUnresolved, ControllerDocumentUnresolved):
                raise
            except KeysError:
                continue
        return methods

    # -- local DID methods -------------------------------------------------------------------

    @staticmethod
    def _split_local(vm_id: str) -> tuple[str, str | None]:
        did, _, fragment = vm_id.partition("#")
        if any(c in did for c in "/?"):
            raise KeyResolutionError(f"DID URL with a path or query: {_show(vm_id)}")
        return did, (fragment if "#" in vm_id else None)

    def _resolve_did_key(self, vm_id: str, purpose: str) -> VerificationMethod:
        did, fragment = self._split_local(vm_id)
        multibase = did[len("did:key:") :]
        key = decode_public_multikey(multibase)
        if fragment is not None and fragment != multibase:
            raise KeyResolutionError(f"did:key fragment must repeat the key: {_show(vm_id)}")
        if purpose not in _SIGNING_PURPOSES:
            raise KeyResolutionError(f"did:key signing keys are not listed under {purpose}")
        return VerificationMethod(id=f"{did}#{multibase}", controller=did, type="Multikey", key=key)

    def _resolve_did_jwk(self, vm_id: str, purpose: str) -> VerificationMethod:
        did, fragment = self._split_local(vm_id)
        if fragment not in (None, "0"):
            raise KeyResolutionError(f"a did:jwk method is '#0': {_show(vm_id)}")
        try:
            jwk = json.loads(b64url_decode(did[len("did:jwk:") :]))
        except (KeyFormatError, ValueError):
            raise KeyResolutionError(f"did:jwk is not base64url JSON: {_show(did)}") from None
        if not isinstance(jwk, dict):
            raise KeyResolutionError("did:jwk does not hold a JSON object")
        key = VerificationKey.from_jwk(jwk)
        use = jwk.get("use")
        allowed = {"keyAgreement"} if use == "enc" else _SIGNING_PURPOSES
        if use not in (None, "sig", "enc") or purpose not in allowed:
            raise KeyResolutionError(f"this did:jwk key is not usable for {purpose}")
        return VerificationMethod(id=f"{did}#0", controller=did, type="JsonWebKey", key=key)

    # -- fetched documents -------------------------------------------------------------------

    def _fetch(self, url: str, *, did: str | None) -> dict[str, Any]:
        error = DidWebUnresolved if did is not None else ControllerDocumentUnresolved
        cached = self._documents.get(url)
        if cached is not None:
            return cached
        if self._fetcher is None:
            raise error(f"no fetcher configured to retrieve {url}", url=url)
        accept = _DID_WEB_ACCEPT if did is not None else _CONTROLLER_ACCEPT
        try:
            document = self._fetcher.fetch_json(url, accept=accept)
        except (KeysError, ValueError, OSError) as exc:
            raise error(f"could not retrieve {url}: {type(exc).__name__}: {exc}", url=url) from exc
        if not isinstance(document, dict):
            raise error(f"{url} did not return a JSON object", url=url)
        if not isinstance(document.get("id"), str):
            raise error(f"{url} returned a document without an id", url=url)
        self._documents[url] = document
        return document

    def _did_web_document(self, did: str) -> dict[str, Any]:
        url = did_web_document_url(did)
        document = self._fetch(url, did=did)
        if document["id"] != did:
            raise DidWebUnresolved(
                f"{url} describes {_show(document['id'])}, not {_show(did)}", url=url
            )
        return document

    def _controller_document(self, controller: str) -> tuple[dict[str, Any], str]:
        """Fetch the document of ``controller`` (a did:web DID or an http(s) URL)."""
        if controller.startswith("did:web:"):
            return self._did_web_document(controller), controller
        if _is_http(controller):
            url = controller.split("#", 1)[0]
            document = self._fetch(url, did=None)
            if not _same(document["id"], controller):
                raise ControllerDocumentUnresolved(
                    f"{url} describes {_show(document['id'])}, not {_show(controller)}", url=url
                )
            return document, document["id"]
        raise KeyResolutionError(f"cannot fetch the controller document of {_show(controller)}")

    def _resolve_did_web(self, vm_id: str, purpose: str) -> VerificationMethod:
        did, _, fragment = vm_id.partition("#")
        if not fragment:
            raise KeyResolutionError(f"a did:web verification method needs a #fragment: {vm_id}")
        document = self._did_web_document(did)
        method = _find_method(document, did, vm_id)
        self._check_purpose(method, document, did, purpose)
        return method

    def _resolve_url(self, vm_id: str, purpose: str) -> VerificationMethod:
        url = vm_id.split("#", 1)[0]
        document = self._fetch(url, did=None)
        document_id = document["id"]
        if _same(document_id, vm_id) and "verificationMethod" not in document:
            # The URL is the verification method itself; its controller must claim it.
            method = parse_verification_method(document, document_id=document_id)
            self._check_purpose(method, None, None, purpose)
            return method
        if not _same(document_id, url):
            raise ControllerDocumentUnresolved(
                f"{url} describes {_show(document_id)}, not itself", url=url
            )
        if "#" not in vm_id:
            raise KeyResolutionError(
                f"{_show(vm_id)} is a controller document, not a verification method"
            )
        method = _find_method(document, document_id, vm_id)
        self._check_purpose(method, document, document_id, purpose)
        return method

    def _check_purpose(
        self,
        method: VerificationMethod,
        document: dict[str, Any] | None,
        document_id: str | None,
        purpose: str,
    ) -> None:
        """Look the method up in its *controller's* document, fetching it if that is not the
        document the method came from."""
        if document is None or document_id is None or not _same(method.controller, document_id):
            document, document_id = self._controller_document(method.controller)
        _require_listed(document, document_id, method, purpose)


def check_controller(vm: VerificationMethod, issuer_id: str) -> None:
    """Raise :class:`ControllerMismatch` unless the method's controller is the issuer.

    For did:key and did:jwk the controller is the DID itself, so the issuer must be that DID.
    """
    if not isinstance(issuer_id, str) or not _same(vm.controller, issuer_id):
        raise ControllerMismatch(
            f"{_show(vm.id)} is controlled by {_show(vm.controller)}, not by the issuer "
            f"{_show(issuer_id)}"
        )
