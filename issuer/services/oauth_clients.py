"""OAuth clients of the OB 3.0 API: what a dynamic registration (RFC 7591) must say, and the
stored client.

The OB 3.0 specification requires every registration to carry ``client_name``, ``client_uri``,
``logo_uri``, ``tos_uri``, ``policy_uri``, ``software_id``, ``software_version``,
``redirect_uris`` and ``scope``, allows only ``client_secret_basic`` at the token endpoint, the
authorization code and refresh token grants and the ``code`` response type, and its security
section asks that every URL be HTTPS and on the same host as ``client_uri``: a client cannot
then borrow another site's name for the consent page, or send codes to a host it does not
name. :func:`check_metadata` holds those rules and says which field breaks one; Authlib's
registration endpoint (:mod:`issuer.api.oauth_server`) calls it and answers
``invalid_client_metadata`` with that reason.

The client secret is 256 random bits, shown once in the registration response; only its
SHA-256 is kept (:func:`issuer.services.oauth_tokens.token_hash`), compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session

from issuer.models.oauth import OAuthClient
from issuer.services.oauth_tokens import OB_SCOPES, token_hash

__all__ = [
    "AUTH_METHOD",
    "GRANT_TYPES",
    "REQUIRED_FIELDS",
    "RESPONSE_TYPES",
    "URL_FIELDS",
    "ClientMetadataError",
    "check_metadata",
    "client_secret_matches",
    "new_client_credentials",
    "register_client",
]

#: Fields the OB 3.0 API requires in a registration request.
REQUIRED_FIELDS = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
)
#: Single URL fields; ``redirect_uris`` is a list of them.
URL_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
AUTH_METHOD = "client_secret_basic"
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
RESPONSE_TYPES = frozenset({"code"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
_MAX_TEXT = {"client_name": 200, "software_id": 200, "software_version": 100}
_MAX_URL = 2000
_MAX_REDIRECTS = 10


class ClientMetadataError(ValueError):
    """A registration that breaks a rule; the message names the field (it is the
    ``error_description`` of an ``invalid_client_metadata`` answer)."""


def _required_text(metadata: Mapping[str, Any], name: str) -> str:
    value = metadata.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ClientMetadataError(f"{name} is required (a non-empty string)")
    if len(value) > _MAX_TEXT.get(name, _MAX_URL) or any(ord(c) < 32 for c in value):
        raise ClientMetadataError(f"{name} is too long or holds control characters")
    return value.strip()


def _host(name: str, url: str, *, allow_http_localhost: bool) -> str:
    """The host of ``url``, which must be an absolute https URL (or http to localhost when
    allowed) without credentials or a fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ClientMetadataError(f"{name} is not a URL: {url!r}") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.fragment:
        raise ClientMetadataError(
            f"{name} must be an absolute URL without credentials or a fragment"
        )
    local_http = parts.scheme == "http" and host in _LOCAL_HOSTS and allow_http_localhost
    if parts.scheme != "https" and not local_http:
        raise ClientMetadataError(f"{name} must be an https URL")
    return host if port is None else f"{host}:{port}"


def check_metadata(
    metadata: Mapping[str, Any], *, allow_http_localhost: bool = False
) -> dict[str, Any]:
    """The registration ``metadata`` checked against the OB 3.0 API's rules, normalised (the
    defaults filled in); raises :class:`ClientMetadataError` naming the first field at fault."""
    checked: dict[str, Any] = {}
    for name in REQUIRED_FIELDS:
        if name not in metadata or metadata[name] in (None, "", []):
            raise ClientMetadataError(f"{name} is required")
    for name in ("client_name", "software_id", "software_version", *URL_FIELDS):
        checked[name] = _required_text(metadata, name)
    home = _host("client_uri", checked["client_uri"], allow_http_localhost=allow_http_localhost)
    for name in URL_FIELDS:
        if _host(name, checked[name], allow_http_localhost=allow_http_localhost) != home:
            raise ClientMetadataError(f"{name} must be on the same host as client_uri ({home})")

    redirects = metadata["redirect_uris"]
    if not isinstance(redirects, list) or not 0 < len(redirects) <= _MAX_REDIRECTS:
        raise ClientMetadataError(f"redirect_uris must be a list of 1 to {_MAX_REDIRECTS} URLs")
    for uri in redirects:
        if not isinstance(uri, str) or not uri or len(uri) > _MAX_URL:
            raise ClientMetadataError("redirect_uris must hold URLs")
        host = _host("redirect_uris", uri, allow_http_localhost=allow_http_localhost)
        if host != home:
            raise ClientMetadataError(
                f"redirect_uris must be on the same host as client_uri ({home})"
            )
    checked["redirect_uris"] = list(dict.fromkeys(redirects))

    scope = metadata["scope"]
    if not isinstance(scope, str) or not scope.split():
        raise ClientMetadataError("scope is required (space-separated scopes)")
    unknown = sorted(set(scope.split()) - OB_SCOPES)
    if unknown:
        raise ClientMetadataError(f"scope holds scopes this service does not grant: {unknown}")
    checked["scope"] = " ".join(sorted(set(scope.split())))

    method = metadata.get("token_endpoint_auth_method", AUTH_METHOD)
    if method != AUTH_METHOD:
        raise ClientMetadataError(f"token_endpoint_auth_method must be {AUTH_METHOD}")
    checked["token_endpoint_auth_method"] = method

    grants = metadata.get("grant_types", ["authorization_code", "refresh_token"])
    if not isinstance(grants, list) or not grants or not set(grants) <= GRANT_TYPES:
        raise ClientMetadataError(f"grant_types must be among {sorted(GRANT_TYPES)}")
    if "authorization_code" not in grants:
        raise ClientMetadataError("grant_types must include authorization_code")
    checked["grant_types"] = list(dict.fromkeys(grants))

    responses = metadata.get("response_types", ["code"])
    if not isinstance(responses, list) or set(responses) != RESPONSE_TYPES:
        raise ClientMetadataError("response_types must be [code]")
    checked["response_types"] = ["code"]

    contacts = metadata.get("contacts", [])
    if not isinstance(contacts, list) or len(contacts) > 10:
        raise ClientMetadataError("contacts must be a list of at most 10 strings")
    if not all(isinstance(c, str) and 0 < len(c) <= 320 for c in contacts):
        raise ClientMetadataError("contacts must be a list of at most 10 strings")
    checked["contacts"] = contacts
    return checked


def new_client_credentials() -> tuple[str, str]:
    """A fresh ``client_id`` (public) and client secret (256 random bits)."""
    return secrets.token_urlsafe(18), secrets.token_urlsafe(32)


def register_client(
    session: Session,
    *,
    client_id: str,
    secret: str,
    metadata: Mapping[str, Any],
    now: datetime,
) -> OAuthClient:
    """Store a client with ``metadata`` (already :func:`check_metadata`-ed) and the digest of
    ``secret``. Added and flushed; the caller commits."""
    client = OAuthClient(
        client_id=client_id,
        secret_hash=token_hash(secret),
        created=now,
        **{name: metadata[name] for name in (*REQUIRED_FIELDS, "grant_types", "response_types")},
        token_endpoint_auth_method=metadata["token_endpoint_auth_method"],
        contacts=list(metadata.get("contacts", [])),
    )
    session.add(client)
    session.flush()
    return client


def client_secret_matches(client: OAuthClient, secret: str) -> bool:
    """Whether ``secret`` is ``client``'s (constant-time over the digests)."""
    if not secret or len(secret) > 128:
        return False
    return hmac.compare_digest(client.secret_hash, token_hash(secret))
