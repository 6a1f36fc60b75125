"""The educator's side of pushing a credential to their own OB 3.0 Host ("another backpack").

* ``POST /ob-api/push`` — the form on the educator's page (``/me``): a Host's address and one
  of *their own* awards (``award.recipient_email`` is the signed-in educator's). CSRF-checked.
  It starts the push (:func:`issuer.services.ob_consumer.start_push`) and answers 303 to the
  Host's authorization page, where the educator signs in and allows it.
* ``GET /ob-api/callback`` — where the Host sends the browser back (our registered redirect
  URI) with ``code`` and ``state``, or ``error=access_denied``: the page says it was sent to
  the backpack, or why not.

The ``code`` and ``state`` in the callback's query are one-time secrets; ``microcred serve``'s
access log writes them redacted (:mod:`issuer.log_redaction`). Every request to the Host goes
through the guarded fetcher the app keeps for it (``app.state.ob_push_fetcher``, built from
``MICROCRED_VERIFIER_*``: the same address policy as the verifier's).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from issuer.api.csrf import require_csrf
from issuer.api.deps import RuntimeDep, SessionDep
from issuer.api.learner_auth import LearnerPageDep
from issuer.api.pages import html_page
from issuer.models import Award
from issuer.models.ob_consumer import PushFormat
from issuer.services.errors import Conflict, Gone, InvalidInput, NotFound
from issuer.services.ob_consumer import PushFailed, finish_push, host_of, refuse_push, start_push
from keys.fetch import GuardedFetcher

__all__ = ["get_push_fetcher", "router"]

router = APIRouter(tags=["ob-api consumer"], include_in_schema=False)


def get_push_fetcher(request: Request) -> GuardedFetcher:
    """The guarded fetcher pushes go through (made and closed by :func:`issuer.app.create_app`)."""
    fetcher: GuardedFetcher = request.app.state.ob_push_fetcher
    return fetcher


PushFetcherDep = Annotated[GuardedFetcher, Depends(get_push_fetcher)]


def _result(
    request: Request, status_code: int, *, outcome: str, host: str = "", reason: str = ""
) -> HTMLResponse:
    response = html_page(
        request, "ob_push.html", status_code, outcome=outcome, host=host, reason=reason
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/ob-api/push")
def push_to_backpack(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    learner: LearnerPageDep,
    _csrf: Annotated[None, Depends(require_csrf)],  # after the learner: it binds the session
    fetcher: PushFetcherDep,
    host_url: Annotated[str, Form(max_length=2000)],
    award_id: Annotated[str, Form(max_length=64)],
    format: Annotated[PushFormat, Form()] = PushFormat.json,
) -> Response:
    """Start a push of one of the educator's own credentials; 303 to the Host's consent."""
    try:
        row = session.get(Award, uuid.UUID(award_id))
    except ValueError:
        row = None
    if row is None or row.recipient_email.strip().lower() != learner.email:
        return _result(request, 404, outcome="not_yours")
    try:
        url = start_push(
            session,
            runtime,
            award=row,
            host_url=host_url,
            now=runtime.clock(),
            fetcher=fetcher,
            format=format,
        )
    except InvalidInput as exc:
        return _result(request, 400, outcome="refused", reason=exc.message)
    except Conflict as exc:
        return _result(request, 409, outcome="refused", reason=str(exc))
    except PushFailed as exc:
        return _result(request, 502, outcome="refused", reason=str(exc))
    return RedirectResponse(url, status_code=303)


@router.get("/ob-api/callback")
def callback(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    fetcher: PushFetcherDep,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    """Finish the push ``state`` names: the Host's consent came back (or did not)."""
    if not state or len(state) > 200 or (not code and not error):
        return _result(request, 400, outcome="bad_callback")
    now = runtime.clock()
    try:
        if error:
            reason = (
                "you did not allow it"
                if error == "access_denied"
                else f"the Host answered: {error[:100]}"
            )
            push = refuse_push(session, state=state, reason=reason, now=now)
            outcome = "denied" if error == "access_denied" else "failed"
            return _result(
                request, 200, outcome=outcome, host=host_of(session, push), reason=reason
            )
        assert code is not None
        push = finish_push(
            session, runtime, state=state, code=code[:2000], now=now, fetcher=fetcher
        )
    except NotFound as exc:
        return _result(request, 404, outcome="gone", reason=str(exc))
    except Gone as exc:
        return _result(request, 410, outcome="gone", reason=str(exc))
    host = host_of(session, push)
    if push.status == "pushed":
        return _result(request, 200, outcome="pushed", host=host)
    return _result(request, 200, outcome="failed", host=host, reason=push.answer_description or "")
