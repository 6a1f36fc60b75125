"""Admin API: award credentials, one at a time or in batches (JSON or CSV)."""

from __future__ import annotations

import hashlib
import json
import uuid
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from issuer.api.deps import IssueIssuer, RuntimeDep, SessionDep
from issuer.api.paging import ListLimit, ListOffset
from issuer.api.responses import ADMIN, CONFLICT, JSON_BODY, UNSUPPORTED_MEDIA_TYPE, merged
from issuer.models import BATCH_ID_PATTERN, AwardCreate, AwardPublic, BatchRequest, BatchResult
from issuer.services import awards, batch, wallet_copies
from issuer.services.errors import InvalidInput, NotFound
from schemas.json_values import parse_json

router = APIRouter(prefix="/api/issuers/{issuer_slug}", tags=["awards"], responses=ADMIN)


class Format(StrEnum):
    ldp = "ldp"
    jwt = "jwt"


def _shaped(view: AwardPublic, fmt: Format) -> AwardPublic:
    """The view with the one form of the credential asked for."""
    if fmt is Format.jwt:
        return view.model_copy(update={"credential": None})
    return view.model_copy(update={"jwt": None})


@router.post(
    "/awards",
    response_model=AwardPublic,
    response_model_exclude_none=True,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": AwardPublic,
            "description": "A retry: the award this idempotency key already made",
        },
        **merged(JSON_BODY, CONFLICT),
    },
)
def create_award(
    data: AwardCreate,
    issuer: IssueIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
    format: Annotated[Format, Query(description="the credential as ldp (JSON) or jwt")] = (
        Format.ldp
    ),
) -> AwardPublic:
    """Issue one credential (201), or return the one an earlier request with the same
    idempotency key issued (200). Without a key, an identical request returns the award the
    first made while it is in force (a retry is safe). A score below the pass rule is refused
    with 422. The answer is built from the committed award without reading it back."""
    if idempotency_key is not None:
        if data.idempotency_key not in (None, idempotency_key):
            raise InvalidInput(
                ("idempotency_key",), "differs from the Idempotency-Key header; send one"
            )
        data = data.model_copy(update={"idempotency_key": idempotency_key})
    outcome = awards.award(session=session, runtime=runtime, issuer=issuer, request=data)
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return _shaped(outcome.public(with_documents=True), format)


@router.get("/awards", response_model=list[AwardPublic], response_model_exclude_none=True)
def list_awards(
    issuer: IssueIssuer,
    session: SessionDep,
    recipient_email: Annotated[str | None, Query(max_length=254)] = None,
    achievement: Annotated[str | None, Query(max_length=64)] = None,
    limit: ListLimit = 100,
    offset: ListOffset = 0,
) -> list[AwardPublic]:
    which = awards.AwardFilter(issuer, recipient_email, achievement)
    rows = awards.list_awards(session, which, limit=limit, offset=offset)
    return [awards.award_public(session, r) for r in rows]


@router.get("/awards/{credential_id}", response_model=AwardPublic, response_model_exclude_none=True)
def get_award(
    credential_id: uuid.UUID,
    issuer: IssueIssuer,
    session: SessionDep,
    format: Format = Format.ldp,
) -> AwardPublic:
    """One award with its credential and its wallet copies (each copy's protocol, format,
    holder DID, status and date; the copies themselves went to the wallets)."""
    row = awards.get_award(session, credential_id)
    if row.issuer_id != issuer.id:
        raise NotFound(f"no credential {credential_id} issued by {issuer.slug}")
    view = awards.award_public(session, row, with_documents=True)
    copies = [wallet_copies.copy_public(c) for c in wallet_copies.list_copies(session, row.id)]
    return _shaped(view.model_copy(update={"copies": copies}), format)


async def _raw_body(request: Request) -> bytes:
    """The request body as sent (a batch is JSON or CSV, so FastAPI must not parse it)."""
    return await request.body()


def _body_batch_id(body: bytes) -> str:
    """A batch's name when it gives none: its body's digest (a CSV's bytes as sent)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]


#: A CSV body as it is read: a header line, then rows (a cell is at most 131,072 characters).
_CSV_SCHEMA = {
    "type": "string",
    "pattern": r'^(?:[^\r\n"]|"[^"\r\n]*")+[\r\n]+[^\r\n]',
    "description": "A header row (the columns are AwardCreate's, `evidence_<field>` for one "
    "evidence item, or their human spellings: `microcred award --help`), then one award per "
    "row; comma, semicolon or tab separated",
}


@router.post(
    "/batches",
    response_model=BatchResult,
    response_model_exclude_none=True,
    responses=merged(JSON_BODY, UNSUPPORTED_MEDIA_TYPE),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": BatchRequest.model_json_schema()},
                "text/csv": {"schema": _CSV_SCHEMA},
            },
            "required": True,
        }
    },
)
def create_batch(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    issuer: IssueIssuer,
    session: SessionDep,
    runtime: RuntimeDep,
    batch_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=BATCH_ID_PATTERN,
            description="Names the batch (a CSV body's only way to); a rerun with the same id "
            "issues only the rows still missing. A JSON body may name it instead, not both "
            "differently.",
        ),
    ] = None,
    achievement: Annotated[
        str | None, Query(description="CSV only: for rows without an achievement column")
    ] = None,
) -> BatchResult:
    """Award many rows; each succeeds or fails on its own. Rerunning the same batch (same
    ``batch_id``, or the same body when none is given) issues only the rows still missing."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/csv":
        # read as `award --csv` reads a file (UTF-8, or Excel's UTF-16 with its BOM)
        table = batch.read_csv(batch.csv_text(body), achievement=achievement)
        return batch.award_table(
            session=session,
            runtime=runtime,
            issuer=issuer,
            table=table,
            batch_id=batch_id or _body_batch_id(body),
        )
    if media in ("application/json", ""):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(("body",), "is not UTF-8 text") from None
        try:
            document = parse_json(text)
        except ValueError as error:  # JSONDecodeError (JsonTooDeep too), NaN
            raise InvalidInput(("body",), f"is not JSON: {error}") from None
        try:
            parsed = BatchRequest.model_validate(document)
        except ValidationError as error:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
            ) from None
        if batch_id is not None and parsed.batch_id not in (None, batch_id):
            # Two names for one batch: whichever won, the other would not find it again.
            raise InvalidInput(("batch_id",), "differs from the batch_id query parameter")
        rows = parsed.rows
        key = (
            batch_id or parsed.batch_id or _body_batch_id(json.dumps(rows, sort_keys=True).encode())
        )
    else:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send application/json or text/csv"
        )
    return batch.award_batch(
        session=session, runtime=runtime, issuer=issuer, rows=rows, batch_id=key
    )


@router.get("/batches/{batch_id}", response_model=BatchResult, response_model_exclude_none=True)
def get_batch(
    batch_id: str, issuer: IssueIssuer, session: SessionDep, runtime: RuntimeDep
) -> BatchResult:
    return batch.get_batch(session, runtime, issuer, batch_id)
