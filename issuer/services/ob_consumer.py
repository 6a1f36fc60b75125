"""microcred as an OB 3.0 API *Service Consumer (Write)*: push an award into the educator's own
Host (a "backpack" on another service), with the educator's consent.

The 1EdTech OB 3.0 API's flow, in the two halves the educator's browser separates:

:func:`start_push`
    1. **Discovery**: ``GET {host}/ims/ob/v3p0/discovery`` (unprotected), an OpenAPI document
       whose ``components.securitySchemes.OAuth2ACG`` names the registration URL
       (``x-imssf-registrationUrl``), the ``authorizationUrl``, the ``tokenUrl`` and the scopes.
    2. **Dynamic client registration** (RFC 7591), once per Host: the metadata the spec
       requires (``client_name`` … ``software_version``, ``redirect_uris``, ``scope``) and
       ``client_secret_basic``. The client secret is sealed with the KEK and reused.
    3. The **authorization URL** (authorization code grant with PKCE S256): the caller sends
       the educator there; the Host signs them in, asks, and redirects to our callback.
:func:`finish_push` (the callback)
    4. **Token**: the code and the PKCE verifier, the client authenticated with HTTP Basic.
    5. **upsertCredential**: ``POST {host}/ims/ob/v3p0/credentials`` with the award's signed
       credential exactly as issued — the Data Integrity JSON as ``application/json`` or its
       VC-JWT as ``text/plain``. Nothing is added to it (the certification's "must not send
       extension fields"), so what the Host stores verifies as the original.

Every request goes through the guarded fetcher (:meth:`keys.fetch.GuardedFetcher.post` for
the POSTs): the Host's URL is typed by a person and its discovery document names the others,
so each is an SSRF target like any URL a credential names. Authlib provides the pure OAuth
helpers (PKCE challenge, random tokens, query building); no HTTP goes through it.

What is kept (:mod:`issuer.models.ob_consumer`): the ``state`` only as SHA-256, the PKCE
verifier and client secret sealed, the access token nowhere (used for the one upsert and
dropped; a refresh token the Host may send is not kept, so each push asks the educator
again, which also means a push never happens without them). Whatever the remote side
answers is reduced to a short, printable description before it is stored or shown.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.choices import AwardStatus
from issuer.models import Award, Issuer
from issuer.models.ob_consumer import (
    HostPush,
    PushFormat,
    PushStatus,
    RemoteHost,
    client_secret_label,
    verifier_label,
)
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, Gone, InvalidInput, NotFound, ServiceError
from keys.errors import FetchError
from keys.fetch import FetchResponse, GuardedFetcher
from schemas.dates import as_utc

__all__ = [
    "API_PATH",
    "PUSH_LIFETIME",
    "SCOPE_PREFIX",
    "UPSERT_SCOPE",
    "HostEndpoints",
    "PushFailed",
    "callback_url",
    "discover",
    "finish_push",
    "host_of",
    "host_urls",
    "pushes_of",
    "refuse_push",
    "registration_metadata",
    "start_push",
    "state_hash",
]

#: The OB 3.0 API's base path on a Host.
API_PATH = "/ims/ob/v3p0"
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
#: The one scope a push needs.
UPSERT_SCOPE = f"{SCOPE_PREFIX}credential.upsert"
#: How long the educator has to consent at their Host before the push is dead.
PUSH_LIFETIME = timedelta(minutes=10)
#: The longest remote-supplied text kept or shown (an error description, say).
_MAX_REMOTE_TEXT = 300

try:
    _VERSION = importlib.metadata.version("microcred")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout
    _VERSION = "0"


class PushFailed(ServiceError):
    """The remote Host (or the way to it) refused or failed; the message says which step and
    what the Host said, in words an educator can act on."""


@dataclass(frozen=True)
class HostEndpoints:
    """What a Host's discovery document says: where to register, authorize and get tokens."""

    api_url: str
    discovery_url: str
    registration_url: str
    authorization_url: str
    token_url: str
    scopes: frozenset[str]


def state_hash(state: str) -> str:
    """SHA-256 (hex) of a push's ``state``: how the callback finds its push."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def callback_url(runtime: Runtime) -> str:
    """Our redirect URI: where the Host sends the educator back with a code."""
    return f"{runtime.urls.base}/ob-api/callback"


def host_urls(host_url: str) -> tuple[str, str]:
    """``(api_url, discovery_url)`` for what a person typed: the Host's site
    (``https://host``), its API base (``…/ims/ob/v3p0``) or its discovery URL.

    Scheme and host are lower-cased and a trailing slash dropped, so one Host is one
    registration however it is typed. Only the shape is checked here; where it may lead is
    the guarded fetcher's decision.
    """
    text = host_url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise InvalidInput("host", "the Host's address must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("host", "the Host's address must not carry a user name or password")
    if parts.query or parts.fragment:
        raise InvalidInput("host", "the Host's address must not have a query or a fragment")
    path = parts.path.rstrip("/")
    if path.endswith(f"{API_PATH}/discovery"):
        path = path[: -len("/discovery")]
    elif not path.endswith(API_PATH):
        path = f"{path}{API_PATH}"
    api_url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))
    return api_url, f"{api_url}/discovery"


def _remote_text(value: Any) -> str:
    """A remote string made safe to keep and show: printable, one line, bounded."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value)).strip()
    return text if len(text) <= _MAX_REMOTE_TEXT else text[: _MAX_REMOTE_TEXT - 1] + "…"


def _json_object(answer: FetchResponse) -> dict[str, Any] | None:
    try:
        body = answer.json()
    except FetchError:
        return None
    return body if isinstance(body, dict) else None


def _oauth_reason(answer: FetchResponse) -> str:
    """What an OAuth endpoint's error answer says (RFC 6749 §5.2 / RFC 7591 §3.2.2)."""
    body = _json_object(answer) or {}
    for key in ("error_description", "error"):
        if isinstance(body.get(key), str) and body[key].strip():
            return _remote_text(body[key])
    return f"HTTP {answer.status}"


def _imsx_reason(answer: FetchResponse) -> str:
    """What an OB 3.0 API error answer (``Imsx_StatusInfo``) says, else its status."""
    body = _json_object(answer) or {}
    description = body.get("imsx_description")
    if isinstance(description, str) and description.strip():
        return _remote_text(description)
    major = body.get("imsx_codeMajor")
    if isinstance(major, str) and major.strip():
        return f"HTTP {answer.status} ({_remote_text(major)})"
    return f"HTTP {answer.status}"


def _release(session: Session) -> None:
    """End the read transaction without expiring what it loaded, so no pooled connection is
    held while a remote Host takes its time (as :func:`issuer.api.deps.release_connection`
    does before a verification; a service cannot import that)."""
    if not session.in_transaction():
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


# --------------------------------------------------------------------------- discovery


def _absolute_url(value: Any, what: str, discovery_url: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("https", "http"):
        raise PushFailed(
            f"the Host's discovery document at {discovery_url} has no usable {what} "
            "(an absolute https URL)"
        )
    return value


def discover(fetcher: GuardedFetcher, host_url: str) -> HostEndpoints:
    """Read the Host's discovery document (see the module docstring); :class:`PushFailed` if
    it cannot be read or lacks what a push needs."""
    api_url, discovery_url = host_urls(host_url)
    try:
        document = fetcher.fetch_json(discovery_url)
    except FetchError as exc:
        raise PushFailed(
            f"could not read the Host's discovery document at {discovery_url}: {exc}"
        ) from exc
    try:
        scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
        flow = scheme["flows"]["authorizationCode"]
        scopes = flow.get("scopes", {})
    except (KeyError, TypeError, AttributeError):
        raise PushFailed(
            f"{discovery_url} is not an OB 3.0 discovery document: it has no "
            "securitySchemes.OAuth2ACG authorization code flow"
        ) from None
    endpoints = HostEndpoints(
        api_url=api_url,
        discovery_url=discovery_url,
        registration_url=_absolute_url(
            scheme.get("x-imssf-registrationUrl"), "x-imssf-registrationUrl", discovery_url
        ),
        authorization_url=_absolute_url(
            flow.get("authorizationUrl"), "authorizationUrl", discovery_url
        ),
        token_url=_absolute_url(flow.get("tokenUrl"), "tokenUrl", discovery_url),
        scopes=frozenset(scopes) if isinstance(scopes, Mapping) else frozenset(),
    )
    if UPSERT_SCOPE not in endpoints.scopes:
        raise PushFailed(
            f"the Host at {api_url} does not offer the credential.upsert scope, so it cannot "
            "receive credentials"
        )
    return endpoints


# --------------------------------------------------------------------------- registration


def registration_metadata(runtime: Runtime, *, client_name: str) -> dict[str, Any]:
    """The RFC 7591 client metadata the OB 3.0 API requires of a consumer (all our URLs, on
    our one host, as the spec asks)."""
    base = runtime.urls.base
    return {
        "client_name": client_name,
        "client_uri": f"{base}/",
        "logo_uri": f"{base}/favicon.svg",
        # No separate terms or privacy pages exist yet: the home page says who runs the service.
        "tos_uri": f"{base}/",
        "policy_uri": f"{base}/",
        "software_id": "microcred",
        "software_version": _VERSION,
        "redirect_uris": [callback_url(runtime)],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": UPSERT_SCOPE,
    }


def _register(
    fetcher: GuardedFetcher, runtime: Runtime, endpoints: HostEndpoints, *, client_name: str
) -> tuple[str, str]:
    """``(client_id, client_secret)`` from the Host's registration endpoint."""
    try:
        answer = fetcher.post(
            endpoints.registration_url,
            json=registration_metadata(runtime, client_name=client_name),
        )
    except FetchError as exc:
        raise PushFailed(f"could not register with the Host: {exc}") from exc
    if answer.status not in (200, 201):
        raise PushFailed(f"the Host refused the registration: {_oauth_reason(answer)}")
    body = _json_object(answer) or {}
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not client_id:
        raise PushFailed("the Host's registration answer has no client_id")
    if not isinstance(secret, str) or not secret:
        raise PushFailed(
            "the Host registered us without a client secret (client_secret_basic needs one)"
        )
    return client_id, secret


def _registered_host(
    session: Session,
    runtime: Runtime,
    fetcher: GuardedFetcher,
    endpoints: HostEndpoints,
    *,
    client_name: str,
    now: datetime,
) -> RemoteHost:
    """Our registration at this Host: the stored one (its endpoints refreshed), or a new one
    when there is none or it was made for another redirect URI (the base URL changed)."""
    redirect_uri = callback_url(runtime)
    row = session.exec(select(RemoteHost).where(RemoteHost.api_url == endpoints.api_url)).first()
    if row is not None and row.redirect_uri == redirect_uri:
        row.authorization_url = endpoints.authorization_url
        row.token_url = endpoints.token_url
        row.registration_url = endpoints.registration_url
        session.add(row)
        session.commit()
        session.refresh(row)
        return row
    _release(session)
    client_id, secret = _register(fetcher, runtime, endpoints, client_name=client_name)
    fields: dict[str, Any] = {
        "discovery_url": endpoints.discovery_url,
        "registration_url": endpoints.registration_url,
        "authorization_url": endpoints.authorization_url,
        "token_url": endpoints.token_url,
        "scope": UPSERT_SCOPE,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret_sealed": runtime.kek.seal(
            secret.encode("utf-8"), associated_data=client_secret_label(endpoints.api_url)
        ),
        "registered_at": now,
    }
    if row is None:
        row = RemoteHost(api_url=endpoints.api_url, **fields)
    else:  # registered for an earlier base URL: the new registration replaces it
        for name, value in fields.items():
            setattr(row, name, value)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # Another push registered with this Host at the same moment: use the stored one.
        session.rollback()
        row = session.exec(select(RemoteHost).where(RemoteHost.api_url == endpoints.api_url)).one()
    session.refresh(row)
    return row


# --------------------------------------------------------------------------- the two halves


def start_push(
    session: Session,
    runtime: Runtime,
    *,
    award: Award,
    host_url: str,
    now: datetime,
    fetcher: GuardedFetcher,
    format: PushFormat = PushFormat.json,
) -> str:
    """Begin pushing ``award`` to the Host at ``host_url``; return the authorization URL to
    send the educator to (see the module docstring).

    Raises :class:`~issuer.services.errors.InvalidInput` for a malformed address,
    :class:`~issuer.services.errors.Conflict` for a revoked or suspended award (a withheld
    credential is not handed out), :class:`PushFailed` for what the Host refused or could
    not be reached for.
    """
    if award.status != AwardStatus.active:
        raise Conflict(
            f"credential {award.id} is {award.status}: a withheld credential is not sent to a "
            "backpack"
        )
    issuer = session.get(Issuer, award.issuer_id)
    client_name = issuer.name if issuer is not None else "microcred"
    _release(session)
    endpoints = discover(fetcher, host_url)
    host = _registered_host(session, runtime, fetcher, endpoints, client_name=client_name, now=now)
    state = secrets.token_urlsafe(32)  # 256 bits
    verifier = generate_token(64)  # RFC 7636 §4.1: 43-128 unreserved characters
    push = HostPush(
        id=uuid.uuid4(),
        award_id=award.id,
        remote_host_id=host.id or 0,
        format=format,
        state_hash=state_hash(state),
        code_verifier_sealed="",
        status=PushStatus.pending,
        created=now,
        expires=now + PUSH_LIFETIME,
    )
    push.code_verifier_sealed = runtime.kek.seal(
        verifier.encode("ascii"), associated_data=verifier_label(push.id)
    )
    session.add(push)
    session.commit()
    return str(
        add_params_to_uri(
            host.authorization_url,
            [
                ("response_type", "code"),
                ("client_id", host.client_id),
                ("redirect_uri", host.redirect_uri),
                ("scope", host.scope),
                ("state", state),
                ("code_challenge", create_s256_code_challenge(verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
    )


def _pending_push(session: Session, state: str, *, now: datetime) -> HostPush:
    push = session.exec(select(HostPush).where(HostPush.state_hash == state_hash(state))).first()
    if push is None:
        raise NotFound("this push is unknown: start it again from your page")
    if push.finished_at is not None:
        raise Gone("this push was already completed: start a new one to send it again")
    if now >= as_utc(push.expires):
        _finish(session, push, PushStatus.failed, None, "consent did not come back in time", now)
        raise Gone("this push expired (10 minutes): start it again from your page")
    return push


def _claim(session: Session, push: HostPush, now: datetime) -> None:
    """Take the push for this callback alone: a replayed or concurrent callback finds it
    taken (``finished_at`` set in one conditional UPDATE)."""
    taken = session.execute(
        update(HostPush)
        .where(col(HostPush.id) == push.id, col(HostPush.finished_at).is_(None))
        .values(finished_at=now)
    )
    session.commit()
    if getattr(taken, "rowcount", 0) != 1:
        raise Gone("this push was already completed: start a new one to send it again")
    session.refresh(push)


def _finish(
    session: Session,
    push: HostPush,
    status: PushStatus,
    answer_status: int | None,
    description: str | None,
    now: datetime,
) -> HostPush:
    push.status = status
    push.answer_status = answer_status
    push.answer_description = description
    push.finished_at = push.finished_at or now
    session.add(push)
    session.commit()
    session.refresh(push)
    return push


def refuse_push(session: Session, *, state: str, reason: str, now: datetime) -> HostPush:
    """The Host sent the educator back with an error (``access_denied``: they did not allow
    it): the push ends as failed with that reason."""
    push = _pending_push(session, state, now=now)
    _claim(session, push, now)
    return _finish(session, push, PushStatus.failed, None, _remote_text(reason), now)


def _basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: each part form-urlencoded, then ``id:secret`` in base64."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def finish_push(
    session: Session,
    runtime: Runtime,
    *,
    state: str,
    code: str,
    now: datetime,
    fetcher: GuardedFetcher,
) -> HostPush:
    """Complete the push ``state`` names: exchange ``code``, upsert the credential, record
    the Host's answer (``pushed`` on 200/201/304, else ``failed`` with its description).

    Raises :class:`~issuer.services.errors.NotFound` for an unknown state and
    :class:`~issuer.services.errors.Gone` for one used before or expired; every failure past
    that point is recorded on the push and returned, not raised.
    """
    push = _pending_push(session, state, now=now)
    _claim(session, push, now)
    host = session.get(RemoteHost, push.remote_host_id)
    award = session.get(Award, push.award_id)
    assert host is not None and award is not None  # foreign keys
    if award.status != AwardStatus.active:
        return _finish(
            session, push, PushStatus.failed, None, f"the credential is {award.status}", now
        )
    verifier = runtime.kek.open(
        push.code_verifier_sealed, associated_data=verifier_label(push.id)
    ).decode("ascii")
    secret = runtime.kek.open(
        host.client_secret_sealed, associated_data=client_secret_label(host.api_url)
    ).decode("utf-8")
    _release(session)
    try:
        answer = fetcher.post(
            host.token_url,
            form={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": host.redirect_uri,
                "code_verifier": verifier,
            },
            headers={"Authorization": _basic(host.client_id, secret)},
        )
    except FetchError as exc:
        return _finish(
            session, push, PushStatus.failed, None, f"could not reach the Host: {exc}", now
        )
    body = _json_object(answer) or {}
    access_token = body.get("access_token")
    if answer.status != 200 or not isinstance(access_token, str) or not access_token:
        reason = _oauth_reason(answer) if answer.status != 200 else "no access_token"
        return _finish(
            session,
            push,
            PushStatus.failed,
            None,
            f"the Host refused the authorization code: {reason}",
            now,
        )
    if str(body.get("token_type", "")).lower() != "bearer":
        return _finish(
            session, push, PushStatus.failed, None, "the Host's token is not a Bearer token", now
        )
    return _upsert(session, fetcher, host, push, award, access_token, now)


def _upsert(
    session: Session,
    fetcher: GuardedFetcher,
    host: RemoteHost,
    push: HostPush,
    award: Award,
    access_token: str,
    now: datetime,
) -> HostPush:
    """``POST /credentials`` with the credential as issued; the token is not kept."""
    if push.format == PushFormat.jwt:
        content, content_type = award.credential_jwt.encode("ascii"), "text/plain"
    else:
        content, content_type = award.credential.encode("utf-8"), "application/json"
    try:
        answer = fetcher.post(
            f"{host.api_url}/credentials",
            content=content,
            content_type=content_type,
            headers={"Authorization": f"Bearer {access_token}"},
        )
    except FetchError as exc:
        return _finish(
            session, push, PushStatus.failed, None, f"the Host gave no usable answer: {exc}", now
        )
    if answer.status in (200, 201, 304):
        said = {200: "replaced", 201: "created", 304: "already there"}[answer.status]
        return _finish(session, push, PushStatus.pushed, answer.status, said, now)
    return _finish(
        session,
        push,
        PushStatus.failed,
        answer.status,
        f"the Host refused the credential: {_imsx_reason(answer)}",
        now,
    )


def pushes_of(session: Session, *, award_id: uuid.UUID) -> Sequence[tuple[HostPush, str]]:
    """Every push of an award, newest first, with the API URL of its Host."""
    rows = session.exec(
        select(HostPush, RemoteHost)
        .join(RemoteHost, col(RemoteHost.id) == col(HostPush.remote_host_id))
        .where(HostPush.award_id == award_id)
        .order_by(col(HostPush.created).desc())
    ).all()
    return [(push, host.api_url) for push, host in rows]


def host_of(session: Session, push: HostPush) -> str:
    """The API URL of the Host a push went to (for the page that reports it)."""
    host = session.get(RemoteHost, push.remote_host_id)
    return host.api_url if host is not None else ""
