"""Bulk awards: many rows, each issued or refused on its own, safe to rerun after a crash.

Crash safety comes from idempotency, not from bookkeeping: every row gets an idempotency key,
and :func:`issuer.services.awards.award` returns the stored credential for a key it has seen.
A rerun of the same batch therefore issues exactly the rows that are missing, however far the
previous run got (even if it died between signing a row and recording the batch results).

A row's key is its own ``idempotency_key`` column when given (the caller's id for the row, e.g.
an LMS submission id); otherwise it is derived from the batch id and the row's *content*, not
its position, so a rerun after fixing a bad row, or with rows re-sorted, still skips what was
issued. Two identical rows in one batch are one award. (A single award without a key derives
one from its content the same way: :mod:`issuer.services.awards`.) A rerun also finishes the
post-award work — the stack credentials — that a crash left owed on the rows it replays.

The batch's per-row outcome is recorded (tables ``batch`` / ``batch_row``) so it can be read
back with ``GET …/batches/{batch_id}``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import Award, AwardCreate, Batch, BatchResult, BatchRow, BatchRowResult, Issuer
from issuer.services.awards import award, request_hash
from issuer.services.context import Runtime
from issuer.services.errors import InvalidInput, NotFound, ServiceError

__all__ = [
    "CSV_EVIDENCE_COLUMNS",
    "award_batch",
    "describe_validation_error",
    "get_batch",
    "row_idempotency_key",
    "rows_from_csv",
]

#: CSV columns that together make one evidence item (``evidence_<field>``).
CSV_EVIDENCE_COLUMNS = ("url", "name", "narrative", "description", "genre", "audience")
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}
#: A CSV file larger than this is refused before parsing (10,000 rows are ~2 MB).
MAX_CSV_BYTES = 20 * 1024 * 1024


#: C0 controls and DEL: written as ``\\xNN`` in messages (PostgreSQL stores no NUL in text).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def describe_validation_error(error: ValidationError) -> str:
    """``field: message; field: message`` — pydantic's errors in one line for a row result.

    A field name is the caller's (an unknown CSV column, a JSON key): its control characters
    are written out, so the message can be stored and shown (it was a 500 on PostgreSQL)."""
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "row"
        parts.append(f"{loc}: {item['msg'].removeprefix('Value error, ')}")
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", "; ".join(parts))


def rows_from_csv(text: str, *, achievement: str | None = None) -> list[dict[str, Any]]:
    """CSV (header row first) → award rows. Empty cells are omitted; ``evidence_*`` columns
    make one evidence item; ``achievement`` fills rows without an achievement column.

    Line ends are whatever the file uses (``\\r\\n``, ``\\n`` or a lone ``\\r``: the reader is given
    the text untranslated, as :mod:`csv` asks); what it still cannot read (a cell over
    :func:`csv.field_size_limit`) is :class:`InvalidInput`, not an error of ours."""
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise InvalidInput(("body",), f"CSV is larger than {MAX_CSV_BYTES // 1024 // 1024} MB")
    # newline="": csv itself reads CR, LF and CRLF line ends (and newlines inside quotes)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _rows(reader, achievement)
    except csv.Error as error:  # a cell over csv's size limit, a stray quote …
        raise InvalidInput(
            ("body",), f"is not readable CSV (line {reader.line_num}): {error}"
        ) from None


def _rows(reader: csv.DictReader[str], achievement: str | None) -> list[dict[str, Any]]:
    """The award rows a CSV reader yields (see :func:`rows_from_csv`)."""
    if not reader.fieldnames:
        raise InvalidInput(("body",), "CSV has no header row")
    rows = [_csv_row(record, achievement) for record in reader]
    if not rows:
        raise InvalidInput(("body",), "CSV has a header but no rows")
    return rows


def _csv_row(record: dict[Any, Any], achievement: str | None) -> dict[str, Any]:
    """One CSV record as an award row: empty cells dropped, ``evidence_*`` cells gathered."""
    row: dict[str, Any] = {}
    evidence: dict[str, Any] = {}
    for column, value in record.items():
        if column is None:
            row["cells_without_a_header"] = value  # refused by validation, which names it
            continue
        name = column.strip()
        value = (value or "").strip()
        if name.startswith("evidence_"):
            field = name.removeprefix("evidence_")
            if field == "contains_student_data":
                if value.lower() not in _TRUE | _FALSE:
                    row[name] = value  # not a boolean: let validation name the column
                elif value.lower() in _TRUE:
                    evidence[field] = True
            elif value:
                evidence[field] = value
        elif value:
            row[name] = value
    if evidence:
        row["evidence"] = [evidence]
    if achievement is not None:
        row.setdefault("achievement", achievement)
    return row


def row_idempotency_key(batch_id: str, request: AwardCreate) -> str:
    """The row's own key, or one derived from the batch id and the row's content."""
    if request.idempotency_key is not None:
        return request.idempotency_key
    digest = hashlib.sha256(f"{batch_id}\n{request_hash(request)}".encode()).hexdigest()
    return f"batch:{digest[:48]}"


def _batch_row(batch: Batch, number: int, key: str, result: BatchRowResult) -> BatchRow:
    return BatchRow(
        batch_id=batch.id or 0,
        row=number,
        idempotency_key=key,
        ok=result.ok,
        award_id=result.credential_id,
        error=result.error,
    )


def _record(
    session: Session,
    issuer: Issuer,
    batch_id: str,
    outcomes: list[tuple[str, BatchRowResult]],
    now: datetime,
) -> None:
    """Store the batch's latest per-row outcome (a rerun overwrites the previous run's)."""
    begin_write(session)
    batch = session.exec(
        select(Batch).where(Batch.issuer_id == issuer.id).where(Batch.batch_key == batch_id)
    ).first()
    if batch is None:
        batch = Batch(issuer_id=issuer.id or 0, batch_key=batch_id)
    batch.updated = now
    session.add(batch)
    session.flush()
    existing = {
        r.row: r for r in session.exec(select(BatchRow).where(BatchRow.batch_id == batch.id)).all()
    }
    for key, result in outcomes:
        fresh = _batch_row(batch, result.row, key, result)
        old = existing.get(result.row)
        if old is None:
            session.add(fresh)
        else:
            old.idempotency_key, old.ok = fresh.idempotency_key, fresh.ok
            old.award_id, old.error = fresh.award_id, fresh.error
            session.add(old)
    session.commit()


def award_batch(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    rows: Iterable[dict[str, Any]],
    batch_id: str,
    progress: Callable[[BatchRowResult], None] | None = None,
) -> BatchResult:
    """Award every row; each succeeds or fails on its own with a reason (rows count from 1)."""
    outcomes: list[tuple[str, BatchRowResult]] = []
    issued = 0
    for number, raw in enumerate(rows, start=1):
        key = ""
        try:
            request = AwardCreate.model_validate(raw)
            key = row_idempotency_key(batch_id, request)
            request = request.model_copy(update={"idempotency_key": key})
            outcome = award(
                session=session, runtime=runtime, issuer=issuer, request=request, batch_id=batch_id
            )
        except ValidationError as error:
            result = BatchRowResult(row=number, ok=False, error=describe_validation_error(error))
        except ServiceError as error:
            session.rollback()
            result = BatchRowResult(row=number, ok=False, error=str(error))
        else:
            issued += outcome.created
            result = BatchRowResult(
                row=number,
                ok=True,
                credential_id=outcome.award.id,
                url=runtime.urls.credential(outcome.award.id),
                replayed=not outcome.created,
            )
        outcomes.append((key, result))
        if progress is not None:
            progress(result)
    _record(session, issuer, batch_id, outcomes, runtime.clock())
    results = [r for _, r in outcomes]
    ok = sum(r.ok for r in results)
    return BatchResult(
        batch_id=batch_id,
        rows=len(results),
        ok=ok,
        failed=len(results) - ok,
        issued=issued,
        results=results,
    )


def get_batch(session: Session, runtime: Runtime, issuer: Issuer, batch_id: str) -> BatchResult:
    """The recorded outcome of a batch's latest run."""
    batch = session.exec(
        select(Batch).where(Batch.issuer_id == issuer.id).where(Batch.batch_key == batch_id)
    ).first()
    if batch is None:
        raise NotFound(f"no batch {batch_id!r} for issuer {issuer.slug}")
    rows = session.exec(
        select(BatchRow).where(BatchRow.batch_id == batch.id).order_by(col(BatchRow.row))
    ).all()
    results = [
        BatchRowResult(
            row=r.row,
            ok=r.ok,
            credential_id=r.award_id,
            url=runtime.urls.credential(r.award_id) if r.award_id else None,
            error=r.error,
        )
        for r in rows
    ]
    issued = session.exec(
        select(Award.id).where(Award.issuer_id == issuer.id).where(Award.batch_id == batch_id)
    ).all()
    ok = sum(r.ok for r in results)
    return BatchResult(
        batch_id=batch_id,
        rows=len(results),
        ok=ok,
        failed=len(results) - ok,
        issued=len(issued),
        results=results,
    )
