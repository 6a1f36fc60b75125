"""The educator's pages: sign in by an email link, sign out, and ``/me`` (their credentials).

* ``GET /sign-in`` — the form (an address; ``next`` kept in a hidden field, only a path on
  this service: :func:`issuer.api.learner_auth.safe_next`). Without SMTP configured it says
  email sign-in is not set up here, and ``POST`` sends nothing.
* ``POST /sign-in`` — always the same "check your email" page, whatever the address (no
  account enumeration); per client :data:`SIGN_IN_RATE`, per address
  :data:`~issuer.services.sign_in.LINKS_PER_HOUR` (:func:`issuer.services.sign_in.request_sign_in`).
* ``GET /sign-in/{token}`` — a "Sign in" button, spending nothing (mail scanners GET links);
  ``POST`` spends the link (single use), opens the session, sets the cookie and redirects
  (303) to ``next`` or ``/me``. An expired or used link: a page saying so, with the form.
* ``POST /sign-out`` — ends the session (row and cookie).
* ``GET /me`` — every award made to the signed-in address, from every issuer.

Every form carries a CSRF token (:mod:`issuer.api.csrf`); every page is ``no-store`` (a
sign-in link's page, a list of someone's credentials). The token segment of
``/sign-in/<token>`` is kept out of every log line (:mod:`issuer.log_redaction`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from issuer.api.csrf import CSRF_FIELD, attach_cookie, check_csrf, csrf_token
from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.learner_auth import (
    LEARNER_COOKIE,
    LearnerPageDep,
    OptionalLearnerDep,
    clear_session_cookie,
    safe_next,
    secure_cookies,
    set_session_cookie,
)
from issuer.api.pages import html_page
from issuer.api.rate_limit import Rate, limit_per_client
from issuer.db import begin_write
from issuer.models.fields import Email
from issuer.runtime import Runtime
from issuer.services.learners import awards_of, close_session, open_session
from issuer.services.mail import smtp_refusal
from issuer.services.oauth_tokens import SCOPE_PREFIX, allowed_apps, revoke_for_learner
from issuer.services.ob_host import hosted_credentials
from issuer.services.sign_in import (
    LINK_LIFETIME,
    LinkState,
    SpentLink,
    peek_link,
    request_sign_in,
    spend_link,
)
from microcred.i18n import choose_language
from verifier.security_headers import page_csp

__all__ = ["SIGN_IN_RATE", "router"]

#: Requests per client address per minute on the sign-in pages (each POST may queue an
#: email; each link page is a guess at a 192-bit token).
SIGN_IN_RATE = Rate("sign-in", 20, 60.0, "too many sign-in requests; wait a minute")

router = APIRouter(tags=["learner"], include_in_schema=False)

_EMAIL = TypeAdapter(Email)


def _learner_page(
    request: Request, runtime: Runtime, template: str, code: int = 200, /, **context: Any
) -> HTMLResponse:
    """A page of these routes: the CSRF token in its context, the pre-session cookie set if
    one was minted for it, never cached, and no Referer beyond this origin."""
    token = csrf_token(request)
    response = html_page(
        request, template, code, csrf_token=token, csrf_field=CSRF_FIELD, **context
    )
    attach_cookie(request, response, secure=secure_cookies(runtime.settings, runtime.urls.base))
    response.headers["Cache-Control"] = "no-store"
    # The forms post to this origin: "same-origin" keeps a real Origin on them, and tells no
    # other site anything (a sign-in link's path above all).
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _sign_in_form(
    request: Request,
    runtime: Runtime,
    code: int = 200,
    /,
    *,
    next_path: str | None = None,
    email: str = "",
    error: str | None = None,
    link_state: str | None = None,
    signed_out: bool = False,
) -> HTMLResponse:
    return _learner_page(
        request,
        runtime,
        "sign_in.html",
        code,
        next_path=next_path,
        email=email,
        error=error,
        link_state=link_state,
        signed_out=signed_out,
        smtp_ready=smtp_refusal(runtime.settings) is None,
        minutes=int(LINK_LIFETIME.total_seconds() // 60),
    )


def _rate_limit(request: Request) -> None:
    limit_per_client(request, SIGN_IN_RATE)


RateLimited = Depends(_rate_limit)


@router.get("/sign-in", response_class=HTMLResponse, dependencies=[RateLimited])
def sign_in_page(
    request: Request,
    runtime: RuntimeDep,
    learner: OptionalLearnerDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    signed_out: Annotated[bool, Query()] = False,
) -> Response:
    """The sign-in form; an educator already signed in goes on to ``next`` or ``/me``."""
    target = safe_next(next_path)
    if learner is not None:
        return RedirectResponse(target or "/me", status.HTTP_303_SEE_OTHER)
    return _sign_in_form(request, runtime, next_path=target, signed_out=signed_out)


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[RateLimited])
async def ask_for_link(
    request: Request, session: SessionDep, runtime: RuntimeDep, learner: OptionalLearnerDep
) -> Response:
    """Queue a sign-in email; the same page whatever the address (see the module)."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    raw_next = form.get("next")
    target = safe_next(raw_next if isinstance(raw_next, str) else None)
    raw_email = form.get("email")
    typed = raw_email.strip() if isinstance(raw_email, str) else ""
    if smtp_refusal(runtime.settings) is not None:
        return _sign_in_form(
            request, runtime, status.HTTP_503_SERVICE_UNAVAILABLE, next_path=target
        )
    try:
        address = _EMAIL.validate_python(typed)
    except ValidationError:
        return _sign_in_form(
            request,
            runtime,
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            next_path=target,
            email=typed[:254],
            error="invalid_email",
        )
    link_id = request_sign_in(
        session,
        email=address,
        next_path=target,
        language_code=choose_language(request).code,
        now=runtime.clock(),
    )
    if link_id is not None and runtime.jobs is not None:
        runtime.jobs.sign_in([link_id])
    return _learner_page(
        request,
        runtime,
        "sign_in_sent.html",
        status.HTTP_202_ACCEPTED,
        minutes=int(LINK_LIFETIME.total_seconds() // 60),
    )


def _link_refused(request: Request, runtime: Runtime, state: str) -> HTMLResponse:
    code = status.HTTP_410_GONE if state == LinkState.gone else status.HTTP_404_NOT_FOUND
    return _sign_in_form(request, runtime, code, link_state=state)


@router.get("/sign-in/{token}", response_class=HTMLResponse, dependencies=[RateLimited])
def link_page(token: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """A link's page: a button that spends it (a GET spends nothing)."""
    state = peek_link(session, token, now=runtime.clock())
    if state != LinkState.good:
        return _link_refused(request, runtime, state)
    # The form posts to the URL the page was loaded from (relative, so the token is written
    # nowhere else in the page).
    return _learner_page(request, runtime, "sign_in_link.html")


@router.post("/sign-in/{token}", response_class=HTMLResponse, dependencies=[RateLimited])
async def use_link(
    token: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    learner: OptionalLearnerDep,
) -> Response:
    """Spend the link, open a session, set the cookie and go on (303)."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    now = runtime.clock()
    spent = spend_link(session, token, now=now)
    if not isinstance(spent, SpentLink):
        return _link_refused(request, runtime, spent)
    # Signing in ends the session this browser had (another address's, perhaps).
    if learner is not None:
        close_session(session, request.cookies.get(LEARNER_COOKIE))
    cookie = open_session(
        session,
        learner=spent.learner,
        now=now,
        lifetime=timedelta(hours=runtime.settings.learner_session_hours),
    )
    session.commit()
    response = RedirectResponse(safe_next(spent.next_path) or "/me", status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, cookie, runtime.settings, base_url=runtime.urls.base)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(
    request: Request, session: SessionDep, runtime: RuntimeDep, learner: OptionalLearnerDep
) -> Response:
    """End this browser's session (row and cookie); 303 to the sign-in page."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    close_session(session, request.cookies.get(LEARNER_COOKIE))
    response = RedirectResponse("/sign-in?signed_out=1", status.HTTP_303_SEE_OTHER)
    clear_session_cookie(response, runtime.settings, base_url=runtime.urls.base)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/me", response_class=HTMLResponse)
def my_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, learner: LearnerPageDep
) -> Response:
    """The educator's page: their credentials, and "Sign out"."""
    response = _learner_page(
        request,
        runtime,
        "me.html",
        learner=learner,
        awards=awards_of(session, runtime, learner=learner),
        # What the educator's apps upserted through the OB 3.0 API (issuer.api.routes.ob_api).
        hosted_credentials=hosted_credentials(session, learner_id=learner.id or 0),
        allowed_apps=_allowed_apps(session, runtime, learner_id=learner.id or 0),
        me_sections=["me_allowed_apps.html", "me_hosted_credentials.html"],
    )
    # "Send to another backpack" answers with a redirect to the Host's consent page, wherever
    # the educator's Host is: the page's form-action must let the browser follow it.
    response.headers["Content-Security-Policy"] = page_csp(*request.app.state.ob_push_form_targets)
    return response


def _allowed_apps(
    session: SessionDep, runtime: Runtime, *, learner_id: int
) -> list[dict[str, Any]]:
    """The apps holding live tokens for the educator, as the page words them: the client's
    name and host, and its scopes by short name (``oauth_scope_words.html``)."""
    return [
        {
            "client_id": app.client_id,
            "client_name": app.client_name,
            "host": urlsplit(app.client_uri).netloc,
            "scopes": sorted(scope.removeprefix(SCOPE_PREFIX) for scope in app.scopes),
        }
        for app in allowed_apps(session, learner_id=learner_id, now=runtime.clock())
    ]


@router.post("/me/apps/remove", response_class=HTMLResponse)
async def remove_app(
    request: Request, session: SessionDep, runtime: RuntimeDep, learner: LearnerPageDep
) -> Response:
    """ "Remove access" on the educator's page: every token the app holds for this educator is
    revoked (its access and refresh tokens stop working at once); 303 back to /me."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    client_id = form.get("client_id")
    if isinstance(client_id, str) and client_id:
        begin_write(session)
        revoke_for_learner(
            session, learner_id=learner.id or 0, client_id=client_id, now=runtime.clock()
        )
        session.commit()
    response = RedirectResponse("/me", status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    return response
