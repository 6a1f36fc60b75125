"""``/claim/{token}``: the page an educator's claim email links to.

The token is the only thing in the URL (:mod:`issuer.services.claims`): no name, address or
credential id. The page links the downloads by the credential's public URL
(``/credentials/{id}.json`` …), the same URLs the badge page — which the page also links —
already publishes; the claim link itself stays opaque and is never written to a log:
``microcred serve`` gives uvicorn a logging configuration that writes ``/claim/…`` for the
token (:mod:`issuer.log_redaction`), and no error answer echoes it.

An expired link's page offers "send me a new link" (``POST /claim/{token}/new-link``): a new
claim email to the address on record, never to one the visitor gives, a few times a day at
most (:func:`issuer.services.deliveries.renew_claim_link`); the form is accepted only from
this service's own pages (:func:`same_origin`).

Requests are rate-limited per client address (:data:`CLAIM_RATE`), in memory in each process:
a guesser gets 429s long before 192-bit tokens are at any risk, and several processes each
keep their own count (the limit is per process, which the docs say).

**Wallets.** Each visit mints a wallet exchange (:func:`issuer.services.exchanges.create_exchange`,
which also mints the paired OID4VCI offer), living ``MICROCRED_WALLET_LINK_MINUTES``: the
Learner Credential Wallet's button and QR code use the legacy ``dccrequest://`` link (the one
flow the released app and its main branch both complete by storing the credential), the
interaction URL is offered for newer wallets, and the ``openid-credential-offer://`` link
(button and QR code) for any OID4VCI wallet. Reloading the page mints new links. Their QR codes
are ``data:`` images, so no URL of their own carries the secret into a log.

**JSON.** A client that prefers ``application/json`` to ``text/html`` gets the same facts and
links as JSON (:func:`claim_document`): how a script or an app reads the wallet links.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.pages import html_page
from issuer.api.rate_limit import Rate, limit_per_client
from issuer.models import Award, AwardStatus
from issuer.runtime import Runtime
from issuer.services import sharing
from issuer.services.claims import ClaimLinkGone, resolve_claim_token
from issuer.services.deliveries import RENEWALS_PER_DAY, renew_claim_link
from issuer.services.errors import Conflict, LimitReached, NotFound, Unavailable
from issuer.services.exchanges import create_exchange
from issuer.services.mail import smtp_refusal
from microcred.i18n import add_vary
from schemas.dates import format_datetime
from verifier.negotiation import best_match

__all__ = ["CLAIM_RATE", "router", "same_origin"]

#: Requests per client address per minute on ``/claim/*`` (pages and the new-link form).
CLAIM_RATE = Rate("claim", 30, 60.0, "too many requests for claim links; wait a minute")


router = APIRouter(tags=["claim"], include_in_schema=False)


def _rate_limit(request: Request) -> None:
    limit_per_client(request, CLAIM_RATE)


def _renewal(runtime: Runtime, gone: ClaimLinkGone) -> str:
    """What an expired or withdrawn link's page offers: ``offer`` (the "send me a new link"
    button), ``withheld`` (the award is revoked or suspended: nothing to send), or ``ask``
    (the issuer withdrew the link, or the service sends no email: ask the issuer)."""
    if gone.award.status in sharing.WITHHELD:
        return "withheld"
    if gone.expired and smtp_refusal(runtime.settings) is None:
        return "offer"
    return "ask"


def _gone_page(
    request: Request, runtime: Runtime, token: str, gone: ClaimLinkGone
) -> HTMLResponse:
    response = html_page(
        request,
        "claim_gone.html",
        status.HTTP_410_GONE,
        expired=gone.expired,
        issuer_name=_issuer_name(json.loads(gone.award.credential)),
        renewal=_renewal(runtime, gone),
        renew_action=f"/claim/{token}/new-link",
    )
    # The button posts to this origin: "same-origin" lets a browser that sends no
    # Sec-Fetch-Site send a real Origin (under "no-referrer" a POST's Origin is "null"), and
    # still tells no other site where the reader came from.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _unknown_page(request: Request) -> HTMLResponse:
    return html_page(
        request, "claim_gone.html", status.HTTP_404_NOT_FOUND, expired=False, issuer_name=None
    )


@router.get("/claim/{token}", response_class=HTMLResponse)
def claim_page(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The award's claim page (or its JSON, :func:`claim_document`); 404 / 410 pages that say
    how to get a new link; 429 when the client asked too often."""
    _rate_limit(request)
    try:
        award = resolve_claim_token(session, token, now=runtime.clock())
    except ClaimLinkGone as gone:
        return _gone_page(request, runtime, token, gone)
    except NotFound:
        return _unknown_page(request)
    facts = _claim_facts(session, runtime, award)
    if best_match(request.headers.get("accept"), _PAGE_OR_JSON) == "application/json":
        response: Response = JSONResponse(claim_document(runtime, facts))
    else:
        response = html_page(request, "claim.html", **facts)
    add_vary(response, "Accept")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


#: The claim URL is a page first: a tie (``*/*``) gets the page, JSON only when preferred.
_PAGE_OR_JSON = ("text/html", "application/json")


def _claim_facts(session: Session, runtime: Runtime, award: Award) -> dict[str, Any]:
    """What the claim page shows (and its JSON says): the badge, who issued it to whom, and —
    unless the award is revoked or suspended — the downloads, LinkedIn, and wallet links minted
    for this visit."""
    credential = json.loads(award.credential)
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    badge_link = runtime.urls.credential(award.id)
    withheld = award.status in sharing.WITHHELD
    wallet: dict[str, Any] | None = None
    if not withheld:
        links = create_exchange(session, runtime, award=award, now=runtime.clock())
        wallet = {
            "deep_link": links.lcw_deep_link,
            "deep_link_qr": sharing.qr_data_uri(links.lcw_deep_link),
            "interaction_url": links.interaction_url,
            "interaction_qr": sharing.qr_data_uri(links.interaction_url),
            "offer": links.oid4vci_offer,
            "offer_qr": sharing.qr_data_uri(links.oid4vci_offer),
            "expires": links.expires,
        }
    return {
        "achievement": achievement,
        "issuer_name": _issuer_name(credential),
        "recipient_name": award.recipient_name,
        "status": award.status,
        "revoked": award.status == AwardStatus.revoked,
        "withheld": withheld,
        "badge_link": badge_link,
        "image_url": f"/credentials/{award.id}/badge.svg",
        "downloads": None
        if withheld
        else {
            "json": f"/credentials/{award.id}.json",
            "jwt": f"/credentials/{award.id}.jwt",
            "png": f"/credentials/{award.id}/badge.png",
            "svg": f"/credentials/{award.id}/badge.svg",
        },
        "linkedin": None if withheld else sharing.linkedin_url(credential, badge_link),
        "wallet": wallet,
    }


def claim_document(runtime: Runtime, facts: dict[str, Any]) -> dict[str, Any]:
    """The claim page as JSON: absolute links, the wallet links of this visit and their expiry
    (``null`` members for a revoked or suspended award, which offers nothing)."""
    base = runtime.urls.base
    downloads = facts["downloads"]
    wallet = facts["wallet"]
    return {
        "achievement": {
            "id": facts["achievement"].get("id"),
            "name": facts["achievement"].get("name"),
        },
        "issuer": facts["issuer_name"],
        "recipient": facts["recipient_name"],
        "status": str(facts["status"]),
        "credential": facts["badge_link"],
        "downloads": None
        if downloads is None
        else {kind: base + path for kind, path in downloads.items()},
        "linkedin": facts["linkedin"],
        "wallets": None
        if wallet is None
        else {
            "expires": format_datetime(wallet["expires"]),
            "lcw": {"deepLink": wallet["deep_link"], "interactionUrl": wallet["interaction_url"]},
            "oid4vci": {"offer": wallet["offer"]},
        },
    }


def same_origin(request: Request, runtime: Runtime) -> bool:
    """Whether a form was posted by a page of this service.

    ``Sec-Fetch-Site`` (set by the browser, not by page script) must say ``same-origin`` when
    it is sent; a browser that does not send it must send an ``Origin`` that is this
    service's: the public base URL's origin or the origin the request was made to (behind a
    proxy, as its forwarded headers say). Neither header: refused, as a request from no page.
    A stateless check rather than a form token: the form changes nothing but queueing an
    email to the address on record, and no cookie or session stands behind it (the token in
    the path is the whole authority), so there is nothing a forged request could ride on
    beyond what :func:`issuer.services.deliveries.renew_claim_link` caps anyway.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    own = {_origin(runtime.urls.base), _origin(str(request.base_url))}
    return origin.rstrip("/") in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@router.post("/claim/{token}/new-link", response_class=HTMLResponse)
def new_link(token: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """ "Send me a new link" on an expired link's page: a new claim email to the address on
    record (202 page), at most :data:`~issuer.services.deliveries.RENEWALS_PER_DAY` a day
    (429 page); 409 page for a revoked or suspended award or without email configured; 303
    back to the claim page when the link still works; 403 from another site."""
    _rate_limit(request)
    if not same_origin(request, runtime):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "a new link can only be asked for from the claim link's own page",
        )
    try:
        resolve_claim_token(session, token, now=runtime.clock())
    except ClaimLinkGone as gone:
        if not gone.expired:
            return _gone_page(request, runtime, token, gone)
        award = gone.award
    except NotFound:
        return _unknown_page(request)
    else:
        # The link still works: nothing to renew, show it (a relative Location, not logged).
        return RedirectResponse(f"/claim/{token}", status.HTTP_303_SEE_OTHER)
    issuer_name = _issuer_name(json.loads(award.credential))
    session.commit()  # end the read; the renewal begins its own write
    try:
        renew_claim_link(session=session, runtime=runtime, award_id=award.id)
    except Unavailable:
        outcome, code = "unavailable", status.HTTP_409_CONFLICT
    except Conflict:
        outcome, code = "withheld", status.HTTP_409_CONFLICT
    except LimitReached:
        outcome, code = "limit", status.HTTP_429_TOO_MANY_REQUESTS
    else:
        outcome, code = "sent", status.HTTP_202_ACCEPTED
    response = html_page(
        request,
        "claim_new_link.html",
        code,
        outcome=outcome,
        issuer_name=issuer_name,
        renewals_per_day=RENEWALS_PER_DAY,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _issuer_name(credential: dict[str, Any]) -> str:
    """The issuer's name as the signed credential gives it ("" when it has none)."""
    issuer = credential.get("issuer", {})
    return str(issuer.get("name", "")) if isinstance(issuer, dict) else ""
