"""Wallet exchanges (:mod:`issuer.services.exchanges`): the interaction URL, the VC-API exchange
and the Learner Credential Wallet's legacy ``vc_request_url``. Public (no API key: the secret is
the exchange id in the path); refusals are ``{"detail": …}`` with 400/401/404/410."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, Response

from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.pages import html_page
from issuer.api.responses import (
    BAD_BODY,
    NOT_ACCEPTABLE,
    OBJECT,
    TEXT,
    TOO_LARGE,
    error_response,
    merged,
    served,
)
from issuer.models import Award, CopyProtocol
from issuer.services import exchanges
from issuer.services.exchanges import ExchangeRefused
from issuer.services.sharing import qr_data_uri
from microcred.i18n import add_vary
from schemas.json_values import parse_json
from verifier.negotiation import best_match

router = APIRouter(tags=["wallet exchanges"])

#: What a refused exchange request may be answered.
REFUSED: dict[int | str, dict[str, Any]] = merged(
    {404: error_response("No such exchange (or a mistyped link)")},
    {410: error_response("The exchange was used, has expired, or its credential was revoked")},
)
#: ...and a refused presentation.
UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: error_response(
        "The presentation does not prove the holder's DID for this exchange: bad proof, wrong "
        "challenge or domain, a key the holder does not control, a DID method not accepted"
    )
}
_OFFERS = ("application/json", "text/html")

#: The request bodies, as documentation (read by hand, so each malformed case gets our 400).
_VCAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "`{}` asks for the presentation request; "
                    '`{"verifiablePresentation": VP}` answers it',
                    "properties": {"verifiablePresentation": {"type": "object"}},
                }
            }
        },
    }
}
_DIRECT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "The DID-authentication presentation, signed over the link's "
                    "challenge",
                }
            }
        },
    }
}


def _refused(error: ExchangeRefused) -> JSONResponse:
    return JSONResponse({"detail": error.message}, status_code=error.status_code)


def _no_store(response: Response) -> Response:
    """Exchange answers carry the secret id or challenge: never kept by a cache."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _read_exchange_body(request: Request) -> Any:
    """The body as JSON, or the :class:`ExchangeRefused` (400) to answer when it is not one;
    read here so the routes can be plain functions (run in the thread pool: they use the
    database and may verify). Its size is capped ahead of the route
    (:mod:`issuer.api.body_limit`, :data:`~issuer.api.body_limit.EXCHANGE_BODY_LIMIT`)."""
    body = await request.body()
    if not body.strip():
        return ExchangeRefused(400, "the request body is empty: send a JSON object")
    try:
        return parse_json(body)
    except ValueError as error:
        return ExchangeRefused(400, f"the request body is not JSON: {error}")


JsonBody = Annotated[Any, Depends(_read_exchange_body)]


def _parsed(body: Any) -> Any:
    if isinstance(body, ExchangeRefused):
        raise body
    return body


def _exchange_page(
    request: Request, session: SessionDep, exchange: exchanges.OpenExchange
) -> Response:
    """A browser opened the interaction URL: the badge, this URL's QR code, its expiry."""
    award = session.get(Award, exchange.award_id)
    assert award is not None  # foreign key
    credential = json.loads(award.credential)
    achievement = credential["credentialSubject"]["achievement"]
    issuer = credential.get("issuer")
    image = achievement.get("image")
    return html_page(
        request,
        "exchange.html",
        achievement_name=achievement.get("name", ""),
        achievement_image=image.get("id") if isinstance(image, dict) else image,
        issuer_name=issuer.get("name", "") if isinstance(issuer, dict) else "",
        interaction_url=exchange.links.interaction_url,
        deep_link=exchange.links.lcw_deep_link,
        qr_data=qr_data_uri(exchange.links.interaction_url),
        expires=exchange.expires,
    )


#: What both presentation-taking steps may refuse with: a bad or huge body, a presentation that
#: does not authenticate its holder, an exchange that is spent, expired or withheld.
_PRESENTATION_REFUSALS = merged(BAD_BODY, UNAUTHENTICATED, REFUSED, TOO_LARGE)


@router.get(
    "/exchanges/{exchange_id}",
    summary="The interaction URL: the protocols of a wallet exchange (or a page)",
    responses=served(
        '`{"protocols": {"vcapi": URL}}` for a wallet (`Accept: application/json`); for a '
        "browser, a page with the QR code of this URL",
        {"application/json": OBJECT, "text/html": TEXT},
        REFUSED,
        NOT_ACCEPTABLE,
    ),
)
def interaction(
    exchange_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """What the Learner Credential Wallet reads first from an interaction URL (`?iuv=1`)."""
    try:
        exchange = exchanges.open_exchange(session, runtime, exchange_id, now=runtime.clock())
    except ExchangeRefused as error:
        response: Response = _refused(error)
    else:
        chosen = best_match(request.headers.get("accept"), _OFFERS)
        if chosen is None:
            response = JSONResponse(
                {"detail": "this URL is served as application/json or text/html"},
                status_code=status.HTTP_406_NOT_ACCEPTABLE,
            )
        elif chosen == "text/html":
            response = _exchange_page(request, session, exchange)
        else:
            response = JSONResponse(exchanges.protocols(exchange))
    add_vary(response, "Accept")
    return _no_store(response)


@router.post(
    "/exchanges/{exchange_id}",
    summary="The VC-API exchange: a DID-authentication request, then the credential",
    responses=served(
        '`{}` → `{"verifiablePresentationRequest": …}` (DIDAuthentication, challenge, '
        'domain); `{"verifiablePresentation": VP}` → `{"verifiablePresentation": {…, '
        '"verifiableCredential": [credential]}}`',
        {"application/json": OBJECT},
        _PRESENTATION_REFUSALS,
    ),
    openapi_extra=_VCAPI_BODY,
)
def vcapi_exchange(
    exchange_id: str, request: Request, session: SessionDep, runtime: RuntimeDep, raw: JsonBody
) -> Response:
    """Both steps of the VC-API exchange at one URL, as the wallet posts them."""
    try:
        body = _parsed(raw)
        if not isinstance(body, dict):
            raise ExchangeRefused(400, 'send a JSON object: {} or {"verifiablePresentation": …}')
        now = runtime.clock()
        if "verifiablePresentation" not in body:
            exchange = exchanges.open_exchange(session, runtime, exchange_id, now=now)
            return _no_store(JSONResponse(exchanges.presentation_request(runtime, exchange)))
        copy = exchanges.complete_exchange(
            session,
            runtime,
            request.app.state.verifier,
            exchange_id=exchange_id,
            presentation=body["verifiablePresentation"],
            protocol=CopyProtocol.vcapi,
            now=now,
        )
    except ExchangeRefused as error:
        return _no_store(_refused(error))
    return _no_store(JSONResponse(exchanges.wrap_in_presentation(json.loads(copy.credential))))


@router.post(
    "/exchanges/{exchange_id}/direct",
    summary="The legacy deep link's vc_request_url: a DID-auth presentation in, the credential out",
    responses=served(
        "The credential, bound to the presentation's holder",
        {"application/json": OBJECT},
        _PRESENTATION_REFUSALS,
    ),
    openapi_extra=_DIRECT_BODY,
)
def direct_exchange(
    exchange_id: str, request: Request, session: SessionDep, runtime: RuntimeDep, raw: JsonBody
) -> Response:
    """``dccrequest://request?…&vc_request_url=…`` posts the bare presentation here (signed
    over the link's challenge, with no domain); the answer is the bare credential, which the
    wallet stores."""
    try:
        copy = exchanges.complete_exchange(
            session,
            runtime,
            request.app.state.verifier,
            exchange_id=exchange_id,
            presentation=_parsed(raw),
            protocol=CopyProtocol.dccrequest,
            now=runtime.clock(),
        )
    except ExchangeRefused as error:
        return _no_store(_refused(error))
    return _no_store(JSONResponse(json.loads(copy.credential)))
