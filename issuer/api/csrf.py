"""CSRF protection for the service's own HTML forms (the educator's pages; the staff console
reuses it): every form POST carries a ``csrf_token`` field the server can recompute, and a
missing or wrong one is a 403 page.

**What a token is bound to.** A token is ``HMAC-SHA256(binding secret, "microcred-csrf")``
(base64url), where the binding secret is one only this browser and the server know:

* **signed in**: the session's own random ``csrf_secret`` (a column of the session row, never
  sent to the browser; :func:`bind_session`, called by the dependency that resolved the
  session). The token is then bound to the session: a token from another session, or from
  before sign-in, is not it.
* **before sign-in** (the sign-in forms, which must resist *login CSRF*: another site making
  a browser sign in as the attacker): the *double-submit* pattern. A random 192-bit value in
  an ``HttpOnly``, ``SameSite=Lax`` cookie (:data:`CSRF_COOKIE`, set with the form's page by
  :func:`attach_cookie`), and the form carries the HMAC under it.

**Why no server-wide key.** A server secret would have to be made, stored, shared by every
process and rotated; it would buy nothing here. A signed double-submit token under a server key
still cannot stop a site that can *write* our cookies (a sibling subdomain): it obtains a valid
cookie/token pair from us and plants both. What stops a cross-site form post is that the other
site can neither read our cookie (so cannot compute the token) nor, under ``SameSite=Lax``,
have the browser send it with a cross-site POST. Deriving the form token from the cookie (not
repeating it) keeps the cookie's value out of the page's HTML.

A token bound to either secret the request holds is accepted: a sign-in form left open in a
tab still works after the same browser signed in elsewhere, and both secrets belong to this
browser alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CsrfRejected",
    "attach_cookie",
    "bind_session",
    "check_csrf",
    "csrf_token",
    "install_csrf_handler",
    "require_csrf",
]

#: The pre-session cookie (double-submit) holding this browser's random value.
CSRF_COOKIE = "microcred_csrf"
#: The form field every protected form carries.
CSRF_FIELD = "csrf_token"

_LABEL = b"microcred-csrf"
#: Where a request keeps its bindings (``request.state``).
_SESSION_STATE = "csrf_session_secret"
_MINTED_STATE = "csrf_minted_cookie"
#: Random bytes of a pre-session cookie (192 bits).
_COOKIE_BYTES = 24
_MAX_VALUE = 128


class CsrfRejected(HTTPException):
    """A form POST without the right ``csrf_token``: a 403 (a page for a browser)."""

    def __init__(self) -> None:
        super().__init__(
            status.HTTP_403_FORBIDDEN,
            "this form has expired or did not come from this service's own page; "
            "reload the page and try again",
        )


def _mac(secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), _LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def bind_session(request: Request, secret: str) -> None:
    """Bind this request's CSRF tokens to a signed-in session's secret (called by the
    dependency that resolved the session: the learner's, the staff console's)."""
    setattr(request.state, _SESSION_STATE, secret)


def _cookie_value(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    if value and len(value) <= _MAX_VALUE:
        return value
    return None


def csrf_token(request: Request) -> str:
    """The token a form of this page carries (for templates: ``csrf_token(request)``).

    Bound to the session when :func:`bind_session` was called, else to the pre-session cookie,
    minted now if the browser has none (the route then calls :func:`attach_cookie`)."""
    secret: str | None = getattr(request.state, _SESSION_STATE, None)
    if secret:
        return _mac(secret)
    value = _cookie_value(request) or getattr(request.state, _MINTED_STATE, None)
    if value is None:
        value = secrets.token_urlsafe(_COOKIE_BYTES)
        setattr(request.state, _MINTED_STATE, value)
    return _mac(value)


def attach_cookie(request: Request, response: Response, *, secure: bool) -> Response:
    """Set the pre-session cookie on ``response`` if :func:`csrf_token` minted one for this
    request (a page whose form is bound to it); ``response`` for chaining."""
    minted: str | None = getattr(request.state, _MINTED_STATE, None)
    if minted is not None:
        response.set_cookie(
            CSRF_COOKIE, minted, httponly=True, samesite="lax", secure=secure, path="/"
        )
    return response


def check_csrf(request: Request, submitted: object) -> None:
    """Raise :class:`CsrfRejected` unless ``submitted`` is the token of one of the request's
    bindings (the session's secret, the pre-session cookie)."""
    if not isinstance(submitted, str) or not submitted or len(submitted) > _MAX_VALUE:
        raise CsrfRejected()
    candidates = [
        secret
        for secret in (getattr(request.state, _SESSION_STATE, None), _cookie_value(request))
        if secret
    ]
    # Every candidate is compared (no early exit), each in constant time.
    matched = False
    for secret in candidates:
        matched |= hmac.compare_digest(_mac(secret), submitted)
    if not matched:
        raise CsrfRejected()


async def require_csrf(request: Request) -> None:
    """A dependency for a form POST: checks the form's ``csrf_token`` field. List it after the
    dependency that resolves the session (it must have called :func:`bind_session`)."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))


def install_csrf_handler(app: FastAPI) -> None:
    """Answer :class:`CsrfRejected` with a 403 page (``csrf_rejected.html``) for a browser."""
    from issuer.api.pages import html_page

    @app.exception_handler(CsrfRejected)
    async def _rejected(request: Request, error: CsrfRejected) -> HTMLResponse:
        return html_page(request, "csrf_rejected.html", 403, detail=error.detail)
