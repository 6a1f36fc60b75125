"""Who the educator ("learner") of a request is: the session cookie, and the dependencies
pages use.

* :data:`OptionalLearnerDep`: the signed-in :class:`~issuer.models.Learner`, or None. It also
  binds the request's CSRF tokens to the session (:func:`issuer.api.csrf.bind_session`).
* :data:`LearnerPageDep`: a page that needs a signed-in educator. Without one, a browser is
  redirected (303) to ``/sign-in?next=<this path>``, and comes back after signing in.
* :func:`set_session_cookie` / :func:`clear_session_cookie`: the cookie (``HttpOnly``,
  ``SameSite=Lax``, ``Path=/``, ``Secure`` when the service's base URL is https). ``Lax`` and
  not ``Strict``: an educator following a link from their mail client arrives signed in; the
  cookie still never rides on another site's POST.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, Response, status

from issuer.api.csrf import bind_session
from issuer.api.deps import RuntimeDep, SessionDep
from issuer.models.learners import Learner
from issuer.services.learners import session_row
from issuer.settings import Settings

__all__ = [
    "LEARNER_COOKIE",
    "LearnerPageDep",
    "OptionalLearnerDep",
    "SignInRequired",
    "clear_session_cookie",
    "safe_next",
    "secure_cookies",
    "set_session_cookie",
]

#: The session cookie's name.
LEARNER_COOKIE = "microcred_session"
#: Longest ``next`` path kept.
_MAX_NEXT = 2000


def secure_cookies(settings: Settings, base_url: str | None = None) -> bool:
    """Whether cookies carry ``Secure``: when the service is published over https."""
    return (base_url or settings.base_url).startswith("https://")


def set_session_cookie(
    response: Response, token: str, settings: Settings, *, base_url: str | None = None
) -> None:
    """Put the session ``token`` in the response's cookie (see the module docstring). The
    cookie has no ``Max-Age``: it ends with the browser; the row's expiries rule anyway."""
    response.set_cookie(
        LEARNER_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings, base_url),
        path="/",
    )


def clear_session_cookie(
    response: Response, settings: Settings, *, base_url: str | None = None
) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        LEARNER_COOKIE,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings, base_url),
        path="/",
    )


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this service (``/…``, not ``//…`` nor ``/\\…``, no
    scheme, no control characters), else None: where a sign-in may send the browser
    afterwards, never another site (an open redirect)."""
    if not value or len(value) > _MAX_NEXT or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or "\\" in value:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


def get_optional_learner(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> Learner | None:
    """The learner of the request's session cookie, or None."""
    settings = runtime.settings
    row = session_row(
        session,
        request.cookies.get(LEARNER_COOKIE),
        now=runtime.clock(),
        idle=timedelta(minutes=settings.learner_session_idle_minutes),
    )
    if row is None:
        return None
    learner = session.get(Learner, row.learner_id)
    if learner is not None:
        bind_session(request, row.csrf_secret)
        request.state.learner_session_id = row.id
    return learner


OptionalLearnerDep = Annotated[Learner | None, Depends(get_optional_learner)]


class SignInRequired(HTTPException):
    """No signed-in educator: a 303 to the sign-in page, coming back to ``next_path``."""

    def __init__(self, next_path: str | None) -> None:
        query = urlencode({"next": next_path}) if next_path else ""
        super().__init__(
            status.HTTP_303_SEE_OTHER,
            "sign in to see this page",
            headers={"Location": "/sign-in" + (f"?{query}" if query else "")},
        )


def get_page_learner(request: Request, learner: OptionalLearnerDep) -> Learner:
    """The signed-in learner, or a redirect to ``/sign-in?next=<this path and query>``."""
    if learner is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(safe_next(path))
    return learner


LearnerPageDep = Annotated[Learner, Depends(get_page_learner)]
