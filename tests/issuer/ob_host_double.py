"""A test-double OB 3.0 Host on loopback, for the consumer tests (``test_ob_consumer*.py``).

It implements what a push meets at a real Host — discovery, RFC 7591 registration, an
authorization endpoint, a token endpoint that checks Basic client authentication and the PKCE
S256 verifier, and ``POST /credentials`` — and records every request. The authorization
endpoint plays the educator: it consents at once (a 302 back with a code), or refuses
(``error=access_denied``) when told to. Each behaviour a test needs to break is a field of
:class:`HostDouble`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from tests.issuer.fault_support import serving

UPSERT = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"


@dataclass
class HostDouble:
    """The Host's state and the knobs tests turn."""

    base: str = ""
    registrations: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    upserts: list[dict[str, Any]] = field(default_factory=list)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    #: Knobs.
    refuse_registration: bool = False
    deny_consent: bool = False
    #: Issue access tokens the upsert endpoint then does not know (a Host that lost them).
    forget_tokens: bool = False
    upsert_status: int = 201
    upsert_body: Any = None
    upsert_delay: float = 0.0
    upsert_reply_bytes: int = 0

    @property
    def api(self) -> str:
        return f"{self.base}/ims/ob/v3p0"


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def host_app(host: HostDouble) -> FastAPI:
    app = FastAPI()

    @app.get("/ims/ob/v3p0/discovery")
    def discovery() -> dict[str, Any]:
        return {
            "openapi": "3.0.1",
            "info": {"title": "Host double", "version": "1.0"},
            "servers": [{"url": host.api}],
            "components": {
                "securitySchemes": {
                    "OAuth2ACG": {
                        "type": "oauth2",
                        "x-imssf-registrationUrl": f"{host.base}/oauth/register",
                        "flows": {
                            "authorizationCode": {
                                "authorizationUrl": f"{host.base}/oauth/authorize",
                                "tokenUrl": f"{host.base}/oauth/token",
                                "scopes": {UPSERT: "upsert"},
                            }
                        },
                    }
                }
            },
            "paths": {},
        }

    @app.post("/oauth/register")
    async def register(request: Request) -> Response:
        body = await request.json()
        host.registrations.append({"body": body, "content-type": request.headers["content-type"]})
        if host.refuse_registration:
            return JSONResponse(
                {"error": "invalid_client_metadata", "error_description": "tos_uri is not https"},
                status_code=400,
            )
        client_id = secrets.token_hex(8)
        secret = "s3cret:/+ " + secrets.token_hex(8)  # characters Basic auth must encode
        host.clients[client_id] = {"secret": secret, **body}
        return JSONResponse(
            {"client_id": client_id, "client_secret": secret, **body}, status_code=201
        )

    @app.get("/oauth/authorize")
    def authorize(request: Request) -> Response:
        query = dict(request.query_params)
        host.authorizations.append(query)
        client = host.clients.get(query.get("client_id", ""))
        if client is None or query.get("redirect_uri") not in client["redirect_uris"]:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        redirect = query["redirect_uri"]
        if host.deny_consent:
            params = {"error": "access_denied", "state": query["state"]}
        else:
            code = secrets.token_urlsafe(16)
            host.codes[code] = query
            params = {"code": code, "state": query["state"]}
        return RedirectResponse(f"{redirect}?{urlencode(params)}", status_code=302)

    @app.post("/oauth/token")
    async def token(request: Request) -> Response:
        form = {k: v for k, v in parse_qs((await request.body()).decode()).items()}
        flat = {k: v[0] for k, v in form.items()}
        auth = request.headers.get("authorization", "")
        host.token_requests.append({"form": flat, "authorization": auth})
        if not auth.startswith("Basic "):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        client = host.clients.get(unquote(client_id))
        if client is None or client["secret"] != unquote(secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = host.codes.pop(flat.get("code", ""), None)
        if (
            grant is None
            or grant["client_id"] != unquote(client_id)
            or grant["redirect_uri"] != flat.get("redirect_uri")
            or grant["code_challenge_method"] != "S256"
            or _s256(flat.get("code_verifier", "")) != grant["code_challenge"]
        ):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verification failed"},
                status_code=400,
            )
        access = secrets.token_urlsafe(24)
        if not host.forget_tokens:
            host.tokens.add(access)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": grant["scope"],
            }
        )

    @app.post("/ims/ob/v3p0/credentials")
    async def upsert(request: Request) -> Response:
        body = await request.body()
        auth = request.headers.get("authorization", "")
        host.upserts.append(
            {"body": body, "content-type": request.headers["content-type"], "authorization": auth}
        )
        if auth.removeprefix("Bearer ") not in host.tokens:
            return JSONResponse(
                {
                    "imsx_codeMajor": "failure",
                    "imsx_severity": "error",
                    "imsx_description": "the access token is unknown",
                },
                status_code=401,
            )
        if host.upsert_delay:
            await asyncio.sleep(host.upsert_delay)
        if host.upsert_reply_bytes:
            return Response(b"x" * host.upsert_reply_bytes, status_code=host.upsert_status)
        if host.upsert_body is not None:
            return JSONResponse(host.upsert_body, status_code=host.upsert_status)
        return Response(
            body, status_code=host.upsert_status, media_type=request.headers["content-type"]
        )

    return app


@contextmanager
def host_double() -> Iterator[HostDouble]:
    """A :class:`HostDouble` served on ``http://127.0.0.1:<port>`` until the block ends."""
    host = HostDouble()
    with serving(host_app(host)) as base:
        host.base = base
        yield host


def consent(authorization_url: str) -> dict[str, str]:
    """Open the authorization URL as the educator's browser would and return the query of the
    redirect back to us (``code`` and ``state``, or ``error``)."""
    response = httpx.get(authorization_url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()} | {
        "_location": location
    }
