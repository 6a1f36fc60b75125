"""The 1EdTech Open Badges 3.0 API, Host role (Service Provider Read/Write), under
``/ims/ob/v3p0``: discovery, ``getCredentials``, ``upsertCredential``, ``getProfile`` and
``putProfile``; the storage and rules are :mod:`issuer.services.ob_host`.

* Each operation takes an OAuth 2.0 access token with its scope
  (:func:`issuer.api.ob_api_auth.require_scope`); discovery takes none.
* Every refusal is an ``Imsx_StatusInfo`` (:mod:`issuer.api.imsx`).
* Credentials are served exactly as they are stored: the list's body is written by splicing
  each stored JSON text into it, not by re-serialising it, so a credential read back is the
  same bytes as the one upserted (the certification's "upsert round-trips intact").
* ``POST /credentials`` verifies first, with the service's verifier (the database connection
  given back while it fetches), and refuses anything it does not find valid with the
  verifier's own words.
* ``304`` (an upsert that is not newer than the stored credential) carries no body: RFC 9110
  forbids one, although the vendor OpenAPI document declares an ``Imsx_StatusInfo`` for it.

See ``issuer/OB_API.md``.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2AuthorizationCodeBearer
from sqlmodel import Session

from issuer.api.deps import RuntimeDep, SessionDep, release_connection
from issuer.api.imsx import OB_API_PREFIX, CodeMinor, ImsxError
from issuer.api.ob_api_auth import require_scope
from issuer.api.paging import MAX_LIST_OFFSET
from issuer.models.learners import Learner
from issuer.models.ob_host import (
    GetOpenBadgeCredentialsResponse,
    ImsxStatusInfo,
)
from issuer.services import ob_host
from issuer.services.errors import InvalidInput
from issuer.services.oauth_tokens import AccessGrant
from schemas.dates import parse_datetime
from schemas.json_values import parse_json
from verifier.http import VerifierDep, request_media_type
from verifier.inputs import ParsedInput, UnusableInput, is_compact_jws, parse_input
from verifier.negotiation import best_match
from verifier.report import Verdict, VerificationReport, headline

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SCOPE_CREDENTIAL_READONLY",
    "SCOPE_CREDENTIAL_UPSERT",
    "SCOPE_PROFILE_READONLY",
    "SCOPE_PROFILE_UPDATE",
    "SCOPES",
    "discovery_document",
    "router",
]

_SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
SCOPE_CREDENTIAL_READONLY = _SCOPE_BASE + "credential.readonly"
SCOPE_CREDENTIAL_UPSERT = _SCOPE_BASE + "credential.upsert"
SCOPE_PROFILE_READONLY = _SCOPE_BASE + "profile.readonly"
SCOPE_PROFILE_UPDATE = _SCOPE_BASE + "profile.update"
#: The four scopes and what each lets a client do (the discovery document lists them).
SCOPES: dict[str, str] = {
    SCOPE_CREDENTIAL_READONLY: "Permission to read AchievementCredentials for the "
    "authenticated entity.",
    SCOPE_CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the "
    "authenticated entity.",
    SCOPE_PROFILE_READONLY: "Permission to read the profile for the authenticated entity.",
    SCOPE_PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}

#: Credentials per page when the client does not say; the specification sets no maximum, so
#: a larger ``limit`` is served as :data:`MAX_LIMIT` (the Link header says the page size used).
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

#: The security scheme's name, the specification's.
SCHEME = "OAuth2ACG"
#: Documents the scheme and each operation's scope in /openapi.json; never refuses by itself
#: (``auto_error=False``): :func:`require_scope` decides, in the API's error shape.
_oauth2 = OAuth2AuthorizationCodeBearer(
    authorizationUrl="/oauth/authorize",
    tokenUrl="/oauth/token",
    refreshUrl="/oauth/token",
    scopes=SCOPES,
    scheme_name=SCHEME,
    auto_error=False,
)


def _granted(scope: str) -> Any:
    """The grant of a token carrying ``scope``; documents the scope on the operation."""
    check = require_scope(scope)

    # Defaults, not ``Annotated``: the annotations are strings here and ``check`` is local.
    def dependency(
        grant: AccessGrant = Security(check),  # noqa: B008 - FastAPI's way
        _token: str | None = Security(_oauth2, scopes=[scope]),  # noqa: B008
    ) -> AccessGrant:
        return grant

    return Security(dependency)


ReadCredentials = Annotated[AccessGrant, _granted(SCOPE_CREDENTIAL_READONLY)]
UpsertCredentials = Annotated[AccessGrant, _granted(SCOPE_CREDENTIAL_UPSERT)]
ReadProfile = Annotated[AccessGrant, _granted(SCOPE_PROFILE_READONLY)]
UpdateProfile = Annotated[AccessGrant, _granted(SCOPE_PROFILE_UPDATE)]


# ------------------------------------------------------------------------------ documentation


def _imsx(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ImsxStatusInfo, "description": description, **extra}


_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "RFC 6750's `Bearer` challenge (`error`, and `scope` on a 403)",
        "schema": {"type": "string"},
    }
}
_AUTH: dict[int | str, dict[str, Any]] = {
    401: _imsx(
        "No usable access token (missing, unknown, expired or revoked)",
        headers=_WWW_AUTHENTICATE,
    ),
    403: _imsx("The access token lacks the operation's scope", headers=_WWW_AUTHENTICATE),
    405: _imsx("The path does not take this method"),
    406: _imsx("The Accept header allows no representation this operation serves"),
    500: _imsx("The service failed (its log says why)"),
    503: _imsx(
        "The database or the verifier is busy: retry after `Retry-After` seconds",
        headers={"Retry-After": {"schema": {"type": "integer"}}},
    ),
}
_JWS_SCHEMA = {"type": "string", "pattern": r"^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+$"}
_CREDENTIAL_CONTENT = {
    "application/json": {"schema": {"type": "object"}},
    "text/plain": {"schema": _JWS_SCHEMA},
}
_PAGING_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Credentials per page ({DEFAULT_LIMIT} by default; at most {MAX_LIMIT} "
        "are served).",
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "The index of the first credential of the page (zero-based).",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_LIST_OFFSET},
    },
    {
        "name": "since",
        "in": "query",
        "required": False,
        "description": "Only credentials that arrived after this ISO 8601 date-time.",
        "schema": {"type": "string", "format": "date-time"},
    },
]

router = APIRouter(prefix=OB_API_PREFIX, tags=["OB 3.0 API"])


# ------------------------------------------------------------------------------ helpers


def _accept_json(request: Request) -> None:
    if best_match(request.headers.get("accept"), ["application/json"]) is None:
        raise ImsxError(406, "this operation answers application/json only")


def _learner(session: Session, grant: AccessGrant) -> Learner:
    learner = session.get(Learner, grant.learner_id)
    if learner is None:  # the account is gone: its tokens with it
        raise ImsxError(401, "the access token's account no longer exists")
    return learner


def _int_parameter(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit():
        raise ImsxError(
            400,
            f"{name} must be a whole number, not {raw[:40]!r}",
            CodeMinor.invalid_query_parameter,
        )
    value = int(raw)
    if value < low:
        raise ImsxError(400, f"{name} must be at least {low}", CodeMinor.invalid_query_parameter)
    if value > high:
        raise ImsxError(400, f"{name} must be at most {high}", CodeMinor.invalid_query_parameter)
    return value


def _since(request: Request) -> tuple[datetime | None, str | None]:
    raw = request.query_params.get("since")
    if raw is None:
        return None, None
    moment = parse_datetime(raw) if "T" in raw.upper() else None
    if moment is None:
        raise ImsxError(
            400,
            f"since must be an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ), not {raw[:40]!r}",
            CodeMinor.invalid_query_parameter,
        )
    return moment, raw


def _page_links(
    base: str, *, limit: int, offset: int, total: int, shown: int, since: str | None
) -> str | None:
    """RFC 8288 ``Link`` value with first/prev/next/last, or None when the page is the whole
    set. Every URL is absolute and keeps ``limit`` and ``since``."""
    if offset == 0 and shown >= total:
        return None

    def url(at: int) -> str:
        query: dict[str, str | int] = {"limit": limit, "offset": at}
        if since is not None:
            query["since"] = since
        return f"{base}{OB_API_PREFIX}/credentials?{urlencode(query)}"

    last = max(0, (total - 1) // limit * limit)
    links = [("first", 0)]
    if offset > 0:
        links.append(("prev", max(0, min(offset - limit, last))))
    if offset + limit < total:
        links.append(("next", offset + limit))
    links.append(("last", last))
    return ", ".join(f'<{url(at)}>; rel="{rel}"' for rel, at in links)


def _credentials_body(items: list[ob_host.PageItem]) -> bytes:
    """The list's JSON with each stored credential spliced in as its exact text (validated
    JSON when it was stored; whitespace around it is not part of the document)."""
    documents = [i.text.strip() for i in items if i.format is ob_host.CredentialFormat.ldp]
    tokens = [json.dumps(i.text.strip()) for i in items if i.format is ob_host.CredentialFormat.jwt]
    text = '{"credential":[' + ",".join(documents) + '],"compactJwsString":['
    return (text + ",".join(tokens) + "]}").encode("utf-8")


def _refusal(report: VerificationReport) -> str:
    words = headline(report)
    problems = report.problems()
    reason = f"the credential did not verify: {words.text}"
    return f"{reason} ({'; '.join(problems)})" if problems else reason


# ------------------------------------------------------------------------------ discovery


def _referenced(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)


def discovery_document(
    openapi: dict[str, Any],
    *,
    base: str,
    title: str,
    terms_of_service: str,
    privacy_policy: str,
) -> dict[str, Any]:
    """The Service Description Document: this service's own OpenAPI operations under
    :data:`OB_API_PREFIX` (paths made relative to the server URL), the schemas they use, and
    the OAuth 2.0 scheme with this service's absolute URLs and 1EdTech's extensions."""
    paths = {
        path.removeprefix(OB_API_PREFIX) or "/": item
        for path, item in openapi.get("paths", {}).items()
        if path.startswith(OB_API_PREFIX + "/")
    }
    schemas = openapi.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    _referenced(paths, wanted)
    pending = list(wanted)
    while pending:
        name = pending.pop()
        more: set[str] = set()
        _referenced(schemas.get(name, {}), more)
        pending += sorted(more - wanted)
        wanted |= more
    scheme = {
        "type": "oauth2",
        "description": "OAuth 2.0 authorization code grant with PKCE (S256); clients register "
        "dynamically (RFC 7591) at x-imssf-registrationUrl.",
        "x-imssf-registrationUrl": f"{base}/oauth/register",
        "x-imssf-privacyPolicyUrl": privacy_policy,
        "x-imssf-termsOfServiceUrl": terms_of_service,
        "flows": {
            "authorizationCode": {
                "authorizationUrl": f"{base}/oauth/authorize",
                "tokenUrl": f"{base}/oauth/token",
                "refreshUrl": f"{base}/oauth/token",
                "scopes": dict(SCOPES),
            }
        },
    }
    return {
        "openapi": "3.0.1",
        "info": {
            "title": title,
            "version": "3.0",
            "description": "The 1EdTech Open Badges 3.0 API (Host: Service Provider Read/Write).",
            "termsOfService": terms_of_service,
            "x-imssf-privacyPolicyUrl": privacy_policy,
        },
        "servers": [{"url": f"{base}{OB_API_PREFIX}"}],
        "paths": paths,
        "components": {
            "schemas": {name: schemas[name] for name in sorted(wanted) if name in schemas},
            "securitySchemes": {SCHEME: scheme},
        },
    }


@router.get(
    "/discovery",
    operation_id="getServiceDescription",
    summary="The Service Description Document (OpenAPI 3.0), unprotected",
    response_model=dict[str, Any],
    responses={406: _AUTH[406], 500: _AUTH[500]},
)
def get_discovery(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """The OB 3.0 API as this service serves it, with `x-imssf-registrationUrl`, the
    authorization, token and refresh URLs, and the four scopes."""
    _accept_json(request)
    base = runtime.urls.base
    settings = runtime.settings
    home = f"{base}/"
    document = discovery_document(
        request.app.openapi(),
        base=base,
        title=request.app.title,
        terms_of_service=settings.ob_terms_of_service_url or home,
        privacy_policy=settings.ob_privacy_policy_url or home,
    )
    return JSONResponse(document)


# ------------------------------------------------------------------------------ credentials


@router.get(
    "/credentials",
    operation_id="getCredentials",
    summary="The signed-in educator's credentials, a page at a time",
    response_model=GetOpenBadgeCredentialsResponse,
    responses={
        200: {
            "description": "A page of credentials",
            "headers": {
                "X-Total-Count": {
                    "description": "How many credentials match in all",
                    "schema": {"type": "integer"},
                },
                "Link": {
                    "description": "RFC 8288 first/prev/next/last, when the page is not all",
                    "schema": {"type": "string"},
                },
            },
        },
        400: _imsx("A query parameter is not valid (the description names it)"),
        **_AUTH,
    },
    openapi_extra={"parameters": _PAGING_PARAMETERS},
)
def get_credentials(
    request: Request, session: SessionDep, runtime: RuntimeDep, grant: ReadCredentials
) -> Response:
    """Every active award of this service to the educator's email and every credential their
    apps upserted, oldest arrival first: `credential` (Data Integrity, as JSON) and
    `compactJwsString` (VC-JWT). `X-Total-Count` always; `Link` when the page is not the
    whole set."""
    _accept_json(request)
    limit = min(_int_parameter(request, "limit", DEFAULT_LIMIT, 1, 10**9), MAX_LIMIT)
    offset = _int_parameter(request, "offset", 0, 0, MAX_LIST_OFFSET)
    since, since_text = _since(request)
    learner = _learner(session, grant)
    page = ob_host.list_credentials(
        session,
        learner_id=grant.learner_id,
        email=learner.email,
        since=since,
        limit=limit,
        offset=offset,
    )
    headers = {"X-Total-Count": str(page.total)}
    link = _page_links(
        runtime.urls.base,
        limit=limit,
        offset=offset,
        total=page.total,
        shown=len(page.items),
        since=since_text,
    )
    if link is not None:
        headers["Link"] = link
    return Response(
        _credentials_body(list(page.items)), media_type="application/json", headers=headers
    )


_JSON_TYPES = frozenset({"application/json", "application/vc+ld+json", "application/ld+json"})


@router.post(
    "/credentials",
    operation_id="upsertCredential",
    summary="Add a credential to the educator's Host, or replace it with a newer one",
    status_code=201,
    responses={
        200: {"description": "Replaced (the stored credential)", "content": _CREDENTIAL_CONTENT},
        201: {"description": "Created (the stored credential)", "content": _CREDENTIAL_CONTENT},
        304: {"description": "Not newer than the stored credential: nothing changed (no body)"},
        400: _imsx("Not a credential, or it did not verify (the description says why)"),
        413: _imsx("The body is larger than this path accepts"),
        415: _imsx("Not application/json, application/vc+ld+json or text/plain"),
        **_AUTH,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/vc+ld+json": {"schema": {"type": "object"}},
                "text/plain": {"schema": _JWS_SCHEMA},
            },
        }
    },
)
async def post_credentials(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    verifier: VerifierDep,
    grant: UpsertCredentials,
) -> Response:
    """`upsertCredential`: the credential (JSON with an embedded proof, or a compact JWS as
    `text/plain`) is verified, then stored by the specification's equality rule (same issuer id
    and id after percent-decoding and trimming; the later `validFrom` wins): 201 new, 200
    replaced, 304 not newer. Answers the stored credential exactly as sent."""
    media = request_media_type(request)
    if media not in _JSON_TYPES and media != "text/plain":
        raise ImsxError(
            415,
            "send the credential as application/json or application/vc+ld+json, or a compact "
            f"JWS as text/plain (not {media or 'no Content-Type'})",
        )
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ImsxError(400, "the request body is not UTF-8 text") from None
    if media == "text/plain":
        stored = text.strip()
        if not is_compact_jws(stored):
            raise ImsxError(400, "a text/plain body must be one compact JWS (VC-JWT)")
        credential_format = ob_host.CredentialFormat.jwt
    else:
        try:
            document = parse_json(text)
        except ValueError as error:
            raise ImsxError(400, f"the request body is not JSON: {error}") from None
        if not isinstance(document, dict):
            raise ImsxError(400, "the request body must be a JSON object: one credential")
        stored = text
        credential_format = ob_host.CredentialFormat.ldp
    try:
        parsed = parse_input(stored, source="request body")
    except UnusableInput as error:
        raise ImsxError(400, f"not a credential: {error.message}") from None
    if parsed.presentation is not None or len(parsed.credentials) != 1:
        raise ImsxError(400, "send one credential, not a presentation or several")
    [credential] = parsed.credentials
    if credential.kind != credential_format:
        raise ImsxError(400, "an enveloped VC-JWT must be sent as its compact JWS, text/plain")
    try:
        identity = ob_host.credential_identity(credential.document)
    except InvalidInput as error:
        raise ImsxError(400, error.message) from None
    now = runtime.clock()
    # The verification fetches (status lists, DID documents, this service's own among them).
    release_connection(session)
    report = await verifier.run(verifier.verify, ParsedInput((credential,)), now=now)
    if report.verdict is not Verdict.VALID:
        raise ImsxError(400, _refusal(report), CodeMinor.invalid_data)
    outcome = await anyio.to_thread.run_sync(
        partial(
            ob_host.upsert_credential,
            session,
            learner_id=grant.learner_id,
            client_id=grant.client_id,
            body=stored,
            credential_format=credential_format,
            identity=identity,
            now=now,
        )
    )
    if outcome.result is ob_host.UpsertResult.unchanged:
        return Response(status_code=304)
    code = 201 if outcome.result is ob_host.UpsertResult.created else 200
    # application/json whatever JSON type was sent: the one the specification's response names.
    media_type = (
        "text/plain" if outcome.format is ob_host.CredentialFormat.jwt else "application/json"
    )
    return Response(outcome.body.encode("utf-8"), status_code=code, media_type=media_type)


# ------------------------------------------------------------------------------ profile


@router.get(
    "/profile",
    operation_id="getProfile",
    summary="The educator's OB 3.0 Profile",
    response_model=dict[str, Any],
    responses={404: _imsx("No such account"), **_AUTH},
)
def get_profile(
    request: Request, session: SessionDep, runtime: RuntimeDep, grant: ReadProfile
) -> JSONResponse:
    """The Profile the educator's apps last PUT, or one made from the account (a stable
    `urn:uuid:` id, `type` `["Profile"]`, the email and the display name)."""
    _accept_json(request)
    learner = _learner(session, grant)
    return JSONResponse(
        ob_host.profile_of(
            session,
            learner_id=grant.learner_id,
            email=learner.email,
            name=learner.display_name,
            base_url=runtime.urls.base,
        )
    )


@router.put(
    "/profile",
    operation_id="putProfile",
    summary="Replace the educator's OB 3.0 Profile",
    response_model=dict[str, Any],
    responses={
        400: _imsx("Not a Profile (the description names the first problems)"),
        413: _imsx("The body is larger than this path accepts"),
        415: _imsx("Not application/json"),
        **_AUTH,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def put_profile(
    request: Request, session: SessionDep, runtime: RuntimeDep, grant: UpdateProfile
) -> JSONResponse:
    """Checked against OB 3.0's Profile schema (`id` an IRI, `type` including `Profile`…),
    stored, and answered as stored."""
    if request_media_type(request) not in _JSON_TYPES:
        raise ImsxError(415, "send the Profile as application/json")
    try:
        document = parse_json((await request.body()).decode("utf-8"))
    except ValueError as error:  # UnicodeDecodeError too
        raise ImsxError(400, f"the request body is not JSON: {error}") from None
    try:
        stored = await anyio.to_thread.run_sync(
            partial(
                ob_host.put_profile,
                session,
                learner_id=grant.learner_id,
                document=document,
                now=runtime.clock(),
            )
        )
    except InvalidInput as error:
        raise ImsxError(400, f"not an OB 3.0 Profile: {error.message}") from None
    return JSONResponse(stored)
