"""Stacks over HTTP: each version's rule (public), the stack catalog, progress, submissions.

Public: ``GET /achievements/{slug}/v{n}/rule.json`` serves a stack version's rule, byte for byte
what its credentials' ``relatedResource`` digest covers, and never changes (``immutable``).

Admin API (bearer keys, as the rest of ``/api``):

* ``GET|POST /api/issuers/{issuer}/stacks``, ``GET|PUT …/stacks/{slug}`` — stacks are
  achievements with a rule; ``PUT`` makes a new version (scope ``catalog``);
* ``GET …/stacks/{slug}/progress?recipient_email=`` — the rule evaluated for an educator;
* ``POST …/stacks/check`` ``{"recipient_email"}`` — issue whatever stack credentials the
  educator has earned and lacks (normally automatic; this repairs a failed attempt);
* ``POST|GET …/submissions`` — component credentials issued elsewhere (scope ``issue``).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response

from issuer.api.deps import (
    ApiKeyDep,
    CatalogIssuer,
    IssueIssuer,
    ReadIssuer,
    RuntimeDep,
    SessionDep,
    release_connection,
)
from issuer.api.responses import (
    ADMIN,
    CONFLICT,
    JSON_BODY,
    NOT_FOUND,
    OBJECT,
    merged,
    served,
    validation_error,
)
from issuer.models import (
    Email,
    InputModel,
    Issuer,
    StackContent,
    StackCreate,
    StackPublic,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionResult,
)
from issuer.services import stacks
from issuer.services.awards import award_public
from issuer.services.errors import InvalidInput, NotFound
from keys.errors import FetchBlocked, FetchError
from schemas.stack_rule import RULE_MEDIA_TYPE
from verifier.http import VerifierDep, error_response

router = APIRouter(tags=["stacks"])

_VERSION = re.compile(r"^v([1-9][0-9]{0,5})$")
#: A rule is part of an immutable version: cache it as long as anyone likes.
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


@router.get(
    "/achievements/{slug}/{version_ref}/rule.json",
    tags=["public"],
    response_class=Response,
    responses=served("The rule, as its credentials pin it", {RULE_MEDIA_TYPE: OBJECT}, NOT_FOUND),
)
def stack_rule(slug: str, version_ref: str, session: SessionDep) -> Response:
    """A stack version's rule (``schemas/STACK_RULES.md``), as its credentials pin it."""
    match = _VERSION.match(version_ref)
    if match is None:
        raise NotFound(f"no achievement version {version_ref!r}")
    stack = stacks.get_stack(session, slug, int(match.group(1)))
    headers = {**_IMMUTABLE, "ETag": f'"{stack.record.digest}"'}
    return Response(stack.record.rule, media_type=RULE_MEDIA_TYPE, headers=headers)


# ------------------------------------------------------------------------------ admin

_PREFIX = "/api/issuers/{issuer_slug}"


def _owned(session: SessionDep, issuer: Issuer, slug: str) -> stacks.StackVersion:
    stack = stacks.get_stack(session, slug)
    if stack.achievement.issuer_id != issuer.id:
        raise NotFound(f"no stack {slug!r} in the catalog of {issuer.slug}")
    return stack


@router.get(_PREFIX + "/stacks", response_model=list[StackPublic], responses=ADMIN)
def list_stacks(issuer: ReadIssuer, session: SessionDep) -> list[StackPublic]:
    """Current versions of the issuer's stacks, with their rules."""
    return [stacks.stack_public(session, s) for s in stacks.list_stacks(session, issuer=issuer)]


@router.post(
    _PREFIX + "/stacks",
    response_model=StackPublic,
    status_code=status.HTTP_201_CREATED,
    responses=merged(ADMIN, JSON_BODY, CONFLICT),
)
def create_stack(
    data: StackCreate, issuer: CatalogIssuer, session: SessionDep, runtime: RuntimeDep
) -> StackPublic:
    """A new stack: its achievement (criteria = the rule's URL and words) and rule, version 1."""
    stack = stacks.create_stack(session=session, runtime=runtime, issuer=issuer, data=data)
    return stacks.stack_public(session, stack)


@router.get(_PREFIX + "/stacks/{slug}", response_model=StackPublic, responses=ADMIN)
def get_stack(
    slug: str,
    issuer: ReadIssuer,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> StackPublic:
    stack = _owned(session, issuer, slug)
    if version is not None:
        stack = stacks.get_stack(session, slug, version)
    return stacks.stack_public(session, stack)


@router.put(
    _PREFIX + "/stacks/{slug}",
    response_model=StackPublic,
    status_code=status.HTTP_201_CREATED,
    responses=merged(ADMIN, JSON_BODY, CONFLICT),
)
def edit_stack(
    slug: str,
    content: StackContent,
    issuer: CatalogIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StackPublic:
    """A new version with a new rule; credentials issued under earlier versions keep theirs."""
    _owned(session, issuer, slug)
    stack = stacks.create_stack_version(
        session=session, runtime=runtime, issuer=issuer, slug=slug, content=content
    )
    return stacks.stack_public(session, stack)


@router.get(_PREFIX + "/stacks/{slug}/progress", responses=ADMIN)
def stack_progress(
    slug: str,
    issuer: IssueIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
    recipient_email: Annotated[str, Query(max_length=254)],
) -> dict[str, Any]:
    """The rule evaluated for one educator: each requirement met or not, and why."""
    stack = _owned(session, issuer, slug)
    evaluation = stacks.progress(session, stack, recipient_email, now=runtime.clock())
    return {"stack": stack.achievement.document["id"], **evaluation.to_json()}


class CheckRequest(InputModel):
    recipient_email: Email


@router.post(_PREFIX + "/stacks/check", responses=merged(ADMIN, JSON_BODY))
def check_stacks(
    body: CheckRequest, issuer: IssueIssuer, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Issue the stack credentials the educator has earned and does not hold yet."""
    issued = stacks.issue_completed_stacks(
        session=session, runtime=runtime, recipient_email=body.recipient_email
    )
    return {"issued": [award_public(session, row).url for row in issued]}


@router.post(
    _PREFIX + "/submissions",
    response_model=SubmissionResult,
    status_code=status.HTTP_201_CREATED,
    responses={
        **merged(ADMIN, JSON_BODY),
        422: validation_error(
            "No credential counts (`rejected`: the reports say why), or the body is not valid",
            SubmissionResult,
        ),
        502: error_response("The badge link could not be retrieved"),
    },
)
def submit(
    body: SubmissionCreate,
    issuer: IssueIssuer,
    key: ApiKeyDep,
    session: SessionDep,
    runtime: RuntimeDep,
    verifier: VerifierDep,
) -> Response:
    """Submit component credentials issued elsewhere for an educator: a credential (JSON or
    JWS), a presentation, or a badge link. Each is verified (proof, key, dates, status, trust
    lists, and that it names this educator) before it counts toward the issuer's stacks; the
    stack credentials it completes are issued at once."""
    given = [v for v in (body.credential, body.presentation, body.url) if v is not None]
    if len(given) != 1:
        raise InvalidInput(("credential",), "give exactly one of credential, presentation, url")
    release_connection(session)  # fetching and verifying may ask this service in process
    data: bytes | str | dict[str, Any]
    source = "submission"
    if body.url is not None:
        source = body.url
        try:
            data = verifier.fetch_badge(body.url)
        except FetchBlocked as error:
            raise InvalidInput(("url",), f"the badge link was refused: {error}") from None
        except FetchError as error:
            return JSONResponse(
                {"detail": f"the badge link could not be retrieved: {error}"}, status_code=502
            )
    else:
        data = body.presentation if body.presentation is not None else given[0]
    outcome = stacks.submit_components(
        session=session,
        runtime=runtime,
        issuer=issuer,
        recipient_email=body.recipient_email,
        recipient_name=body.recipient_name,
        data=data,
        verifier=verifier,
        actor=f"api:{key.prefix}",
        source=source,
    )
    result = SubmissionResult(
        accepted=[stacks.submission_public(r) for r in outcome.accepted],
        rejected=outcome.rejected,
        stacks_issued=[award_public(session, r).url for r in outcome.stacks_issued],
    )
    code = status.HTTP_201_CREATED if outcome.accepted else 422
    return JSONResponse(json.loads(result.model_dump_json()), status_code=code)


@router.get(_PREFIX + "/submissions", response_model=list[SubmissionPublic], responses=ADMIN)
def list_submissions(
    issuer: IssueIssuer,
    session: SessionDep,
    recipient_email: Annotated[str | None, Query(max_length=254)] = None,
) -> list[SubmissionPublic]:
    rows = stacks.list_submissions(session, issuer=issuer, recipient_email=recipient_email)
    return [stacks.submission_public(r) for r in rows]
