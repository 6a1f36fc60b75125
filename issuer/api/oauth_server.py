"""The OB 3.0 API's OAuth 2.0 authorization server: Authlib's, adapted to FastAPI.

Authlib implements the protocol — the authorization code grant, PKCE (RFC 7636), the refresh
token grant, client authentication, dynamic registration (RFC 7591), revocation (RFC 7009) and
every error response — but ships no FastAPI *server* integration. This module is that thin
adapter: requests built from the Starlette request's already-read query and body, Authlib's
``(status, body, headers)`` turned into a Starlette response, and the storage hooks pointed at
:mod:`issuer.services.oauth_clients`, :mod:`issuer.services.oauth_codes` and
:mod:`issuer.services.oauth_tokens`.

One :class:`OAuthServer` is made per request (:func:`oauth_server`), bound to that request's
database session and instant, so every hook writes in the request's transaction; the route
commits on success. Tokens are written when Authlib asks for them to be *generated* (the store
makes them, :func:`~issuer.services.oauth_tokens.issue_tokens`), so ``save_token`` has nothing
left to do.

What is narrower than Authlib's defaults, as the OB 3.0 API asks: ``client_secret_basic`` only
(a secret in a form body is refused ``invalid_client``, 401); PKCE required, S256 only; the
``redirect_uri`` always sent and matched exactly; a scope wider than registered is
``invalid_scope`` rather than silently narrowed.

Authlib logs issued tokens at DEBUG (``authlib.oauth2…``); its logger is held at INFO here so
no configuration of ours can put a token in a log line.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError
from authlib.oauth2.rfc7636 import CodeChallenge
from fastapi.responses import Response
from sqlmodel import Session

from issuer.models.learners import Learner
from issuer.models.oauth import OAuthClient, OAuthCode, OAuthToken
from issuer.services import oauth_clients, oauth_codes, oauth_tokens
from schemas.dates import as_utc

__all__ = ["OAuthServer", "oauth_server", "server_metadata"]

# Authlib's DEBUG lines hold issued tokens ("Issue token %r to %r").
logging.getLogger("authlib").setLevel(logging.INFO)

Pairs = Sequence[tuple[str, str]]


class _Payload(OAuth2Payload):
    """Query and form parameters, first value per name (``datalist`` keeps every value, so
    Authlib can refuse a repeated parameter)."""

    def __init__(self, pairs: Pairs) -> None:
        self._pairs = list(pairs)

    @property
    def data(self) -> dict[str, str]:
        first: dict[str, str] = {}
        for name, value in self._pairs:
            first.setdefault(name, value)
        return first

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in self._pairs:
            values[name].append(value)
        return values


class StarletteOAuth2Request(OAuth2Request):
    """An Authlib request from a Starlette request's parts (the body already read)."""

    def __init__(self, method: str, uri: str, headers: Any, query: Pairs, form: Pairs) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(reversed(list(query)))
        self._form = dict(reversed(list(form)))
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, data: Any) -> None:
        self._data = data

    @property
    def data(self) -> Any:
        return self._data


class StarletteJsonRequest(JsonRequest):
    """An Authlib JSON request (registration) from the already-read body."""

    def __init__(self, method: str, uri: str, headers: Any, body: bytes) -> None:
        super().__init__(method, uri, headers)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None
        self.payload = _JsonPayload(data if isinstance(data, dict) else None)


@dataclass(frozen=True)
class RawRequest:
    """What the adapter needs of an HTTP request, read by the route."""

    method: str
    #: The request's URL on the service's public base (Authlib refuses plain http).
    uri: str
    headers: Any
    query: Pairs = ()
    form: Pairs = ()
    body: bytes = b""


class _Client(ClientMixin):
    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        # None: every authorization request must name its redirect_uri.
        return None

    def get_allowed_scope(self, scope: str) -> str | None:
        asked = set((scope or "").split())
        if not asked or not asked <= set(self.row.scope.split()):
            return None  # Authlib answers invalid_scope
        return " ".join(sorted(asked))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return oauth_clients.client_secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == oauth_clients.AUTH_METHOD

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.row.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class _Code(AuthorizationCodeMixin):
    def __init__(self, row: OAuthCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class _Token(TokenMixin):
    def __init__(self, row: OAuthToken, now: datetime) -> None:
        self.row, self.now = row, now

    def check_client(self, client: ClientMixin) -> bool:
        return bool(self.row.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return oauth_tokens.ACCESS_TOKEN_SECONDS

    def is_expired(self) -> bool:
        return as_utc(self.row.access_expires) <= as_utc(self.now)

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class S256Challenge(CodeChallenge):
    """PKCE required of every client (Authlib's own only requires it of public ones), S256
    only: a request without ``code_challenge``, or with ``plain`` or no method, is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: _Code) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: _Code) -> str:
        return authorization_code.row.code_challenge_method


def _token_body(pair: oauth_tokens.TokenPair) -> dict[str, Any]:
    return {
        "token_type": "Bearer",
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "scope": pair.scope,
    }


class _IssuesStoredTokens:
    """``generate_token`` for both grants: Authlib builds a token body by itself, but ours are
    rows (hashed, tied to the code they descend from so a replayed code can revoke them), so
    both grants issue through :meth:`OAuthServer.issue`; each says only which code it
    descends from (:meth:`code_id`)."""

    server: OAuthServer

    def code_id(self) -> int | None:
        raise NotImplementedError

    def generate_token(
        self,
        user: Learner | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        assert user is not None and user.id is not None
        return _token_body(self.server.issue(user.id, scope or "", code_id=self.code_id()))


class _CodeGrant(_IssuesStoredTokens, AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [oauth_clients.AUTH_METHOD]
    server: OAuthServer

    def generate_authorization_code(self) -> str:
        return oauth_codes.new_code()

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        oauth_codes.save_code(
            self.server.session,
            code=code,
            client_id=request.client.get_client_id(),
            learner_id=request.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            now=self.server.now,
        )

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        server = self.server
        row = oauth_codes.find_code(server.session, code, client_id=client.get_client_id())
        if row is None:
            return None
        if row.used_at is not None:
            # A replay: refuse it, and revoke what the first exchange got (RFC 6749 §4.1.2).
            assert row.id is not None
            oauth_tokens.revoke_from_code(server.session, code_id=row.id, now=server.now)
            server.session.commit()
            return None
        if as_utc(row.expires) <= as_utc(server.now):
            return None
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        if not oauth_codes.spend_code(
            self.server.session, authorization_code.row, now=self.server.now
        ):
            raise InvalidGrantError("Invalid 'code' in request.")  # spent by a concurrent exchange

    def authenticate_user(self, authorization_code: _Code) -> Learner | None:
        return self.server.session.get(Learner, authorization_code.row.learner_id)

    def code_id(self) -> int | None:
        code: _Code = self.request.authorization_code
        return code.row.id


class _RefreshGrant(_IssuesStoredTokens, RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [oauth_clients.AUTH_METHOD]
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: OAuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        row = oauth_tokens.refresh_row(self.server.session, refresh_token, now=self.server.now)
        return _Token(row, self.server.now) if row is not None else None

    def authenticate_user(self, refresh_token: _Token) -> Learner | None:
        return self.server.session.get(Learner, refresh_token.row.learner_id)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        # The old refresh token (and its access token) stop working: rotation. Lost to a
        # concurrent refresh of the same token: refused, and the new tokens roll back.
        if not oauth_tokens.revoke_row(self.server.session, refresh_token.row, now=self.server.now):
            raise InvalidGrantError()

    def code_id(self) -> int | None:
        old: _Token = self.request.refresh_token
        return old.row.code_id


class _Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = [oauth_clients.AUTH_METHOD]
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        row = oauth_tokens.row_for_token(self.server.session, token_string, hint=token_type_hint)
        return _Token(row, self.server.now) if row is not None else None

    def revoke_token(self, token: _Token, request: OAuth2Request) -> None:
        # One row holds an access token and its refresh token: both stop.
        oauth_tokens.revoke_row(self.server.session, token.row, now=self.server.now)


class _Registration(ClientRegistrationEndpoint):
    server: OAuthServer

    def authenticate_token(self, request: JsonRequest) -> bool:
        # The OB 3.0 API registers without an initial access token (rate-limited by the route).
        return True

    def extract_client_metadata(self, request: JsonRequest) -> dict[str, Any]:
        data = request.payload.data
        if not isinstance(data, dict):
            raise InvalidRequestError("the registration must be a JSON object")
        try:
            return oauth_clients.check_metadata(
                data, allow_http_localhost=self.server.allow_http_localhost
            )
        except oauth_clients.ClientMetadataError as error:
            raise InvalidClientMetadataError(str(error)) from None

    def generate_client_info(self, request: JsonRequest) -> dict[str, Any]:
        client_id, secret = oauth_clients.new_client_credentials()
        return {
            "client_id": client_id,
            "client_secret": secret,
            "client_id_issued_at": int(self.server.now.timestamp()),
            "client_secret_expires_at": 0,
        }

    def get_server_metadata(self) -> dict[str, Any]:
        return server_metadata(self.server.base)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: JsonRequest
    ) -> OAuthClient:
        return oauth_clients.register_client(
            self.server.session,
            client_id=client_info["client_id"],
            secret=client_info["client_secret"],
            metadata=client_metadata,
            now=self.server.now,
        )


class OAuthServer(AuthorizationServer):
    """Authlib's authorization server on this request's session and instant."""

    def __init__(
        self,
        session: Session,
        *,
        now: datetime,
        base: str,
        refresh_days: int,
        allow_http_localhost: bool,
    ) -> None:
        super().__init__(scopes_supported=sorted(oauth_tokens.OB_SCOPES))
        self.session, self.now, self.base = session, now, base
        self.refresh_days, self.allow_http_localhost = refresh_days, allow_http_localhost
        self._current_client: _Client | None = None
        self.register_grant(_CodeGrant, [S256Challenge(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_Registration)

    def issue(self, learner_id: int, scope: str, *, code_id: int | None) -> oauth_tokens.TokenPair:
        """Mint and store a token pair for the authenticated client of this request."""
        client = self._current_client
        assert client is not None  # the token endpoint authenticated it
        return oauth_tokens.issue_tokens(
            self.session,
            client_id=client.get_client_id(),
            learner_id=learner_id,
            scope=scope,
            now=self.now,
            code_id=code_id,
            refresh_days=self.refresh_days,
        )

    def query_client(self, client_id: str) -> _Client | None:
        if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
            return None
        row = self.session.get(OAuthClient, client_id)
        return _Client(row) if row is not None else None

    def authenticate_client(
        self, request: OAuth2Request, methods: list[str], endpoint: str = "token"
    ) -> _Client:
        client: _Client = super().authenticate_client(request, methods, endpoint)
        self._current_client = client
        return client

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing: :meth:`issue` stored the tokens when they were generated."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals are listened to."""

    def create_oauth2_request(self, request: RawRequest | OAuth2Request) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return StarletteOAuth2Request(
            request.method, request.uri, request.headers, request.query, request.form
        )

    def create_json_request(self, request: RawRequest) -> JsonRequest:
        return StarletteJsonRequest(request.method, request.uri, request.headers, request.body)

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        content = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        response = Response(content=content, status_code=status)
        for name, value in headers:
            response.headers[name] = value
        if isinstance(body, dict):
            response.headers["Content-Type"] = "application/json"
            response.headers["Cache-Control"] = "no-store"
        return response


def oauth_server(
    session: Session, *, now: datetime, base: str, refresh_days: int, allow_http_localhost: bool
) -> OAuthServer:
    """The server for one request."""
    return OAuthServer(
        session,
        now=now,
        base=base,
        refresh_days=refresh_days,
        allow_http_localhost=allow_http_localhost,
    )


def server_metadata(base: str) -> dict[str, Any]:
    """The RFC 8414 authorization server metadata of the service at ``base``."""
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "registration_endpoint": f"{base}/oauth/register",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "scopes_supported": sorted(oauth_tokens.OB_SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": [oauth_clients.AUTH_METHOD],
        "revocation_endpoint_auth_methods_supported": [oauth_clients.AUTH_METHOD],
        "code_challenge_methods_supported": ["S256"],
    }
