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
back with ``GET …/batches/{batch_id}``; the answer to the run itself also names the stack
credentials the rows completed.

A CSV is read by :func:`read_csv` as a person wrote it in a spreadsheet: headers as
:mod:`issuer.services.csv_columns` knows them, any of the usual separators, a score's ``%``. A
header row that cannot be used refuses the whole file (one error, nothing awarded); everything
after that is per row, numbered as the spreadsheet numbers its rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from issuer.db import begin_write
from issuer.models import (
    Award,
    AwardCreate,
    Batch,
    BatchResult,
    BatchRow,
    BatchRowResult,
    BatchStackIssued,
    Issuer,
)
from issuer.services.awards import AwardOutcome, award, request_hash
from issuer.services.context import Runtime
from issuer.services.csv_columns import HeaderMap, column_for, map_header, printable
from issuer.services.errors import InvalidInput, NotFound, ServiceError

__all__ = [
    "DELIMITERS",
    "CsvTable",
    "award_batch",
    "award_table",
    "csv_text",
    "describe_validation_error",
    "failure_groups",
    "get_batch",
    "read_csv",
    "row_idempotency_key",
]

_TRUE = {"1", "true", "yes", "y", "x", "si", "sí"}
_FALSE = {"0", "false", "no", "n", ""}
#: A CSV file larger than this is refused before parsing (10,000 rows are ~2 MB).
MAX_CSV_BYTES = 20 * 1024 * 1024
#: The separators a spreadsheet writes: comma, semicolon (Excel where the decimal mark is a
#: comma, as in Spanish), tab (Excel's "Unicode text").
DELIMITERS = (",", ";", "\t")
#: Excel's first-line hint naming the separator (``sep=;``): read and skipped.
_SEP_LINE = re.compile(r"sep=([,;\t])(?:\r\n|\r|\n)")
#: A score as typed: ``90``, ``90%``, ``90 %``, ``90.5``, ``90,5``.
_SCORE = re.compile(r"([+-]?\d+)(?:([.,])(\d+))?\s*%?")


def describe_validation_error(error: ValidationError) -> str:
    """``field: message; field: message`` — pydantic's errors in one line for a row result.

    A field name is the caller's (an unknown CSV column, a JSON key): its control characters
    are written out, so the message can be stored and shown (it was a 500 on PostgreSQL)."""
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "row"
        parts.append(f"{loc}: {item['msg'].removeprefix('Value error, ')}")
    return printable("; ".join(parts))


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read as award rows, with what a person needs to fix it.

    ``lines[i]`` is ``rows[i]``'s row number in a spreadsheet (the header is 1); ``ignored``
    names the columns that mean no award field, once (their headers, or ``column D (no
    header)`` for an unheaded column that has cells)."""

    rows: list[dict[str, Any]]
    lines: list[int]
    header: HeaderMap
    delimiter: str
    ignored: tuple[str, ...]


def read_csv(text: str, *, achievement: str | None = None) -> CsvTable:
    """CSV (header row first) → award rows, the header read against
    :data:`issuer.services.csv_columns.COLUMNS` (human headers accepted), comma, semicolon or
    tab separated (found from the header). Empty cells are omitted, cells trimmed, a score's
    ``%`` dropped; ``evidence_*`` columns make one evidence item; ``achievement`` fills rows
    without one (and makes the column optional). Blank rows are skipped but counted.

    A header row that cannot be used (a required column missing, two columns for one field)
    is one :class:`InvalidInput` naming what was found and what was expected: nothing is
    awarded from a file that would fail every row. Line ends are whatever the file uses
    (``\\r\\n``, ``\\n`` or a lone ``\\r``: the reader is given the text untranslated, as
    :mod:`csv` asks); what it still cannot read (a cell over :func:`csv.field_size_limit`) is
    :class:`InvalidInput`, not an error of ours."""
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise InvalidInput(("body",), f"CSV is larger than {MAX_CSV_BYTES // 1024 // 1024} MB")
    text = text.lstrip("\ufeff")
    skipped = 0
    if hint := _SEP_LINE.match(text):
        delimiter, text, skipped = hint.group(1), text[hint.end() :], 1
    else:
        delimiter = _sniff(text)
    # newline="": csv itself reads CR, LF and CRLF line ends (and newlines inside quotes)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table(reader, delimiter, achievement)
    except csv.Error as error:  # a cell over csv's size limit, a stray quote …
        raise InvalidInput(
            ("body",), f"is not readable CSV (line {reader.line_num + skipped}): {error}"
        ) from None


def _sniff(text: str) -> str:
    """The separator that makes the most of the header row: the most columns we know, then
    the most columns (comma when nothing tells them apart)."""

    def fit(delimiter: str) -> tuple[int, int]:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        except csv.Error:
            return (-1, -1)  # the real read reports it
        return (sum(column_for(h) is not None for h in header), len(header))

    return max(DELIMITERS, key=fit)  # max keeps the first of equals: comma


def _table(reader: Any, delimiter: str, achievement: str | None) -> CsvTable:
    """The award rows a CSV reader yields (see :func:`read_csv`)."""
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise InvalidInput(("body",), "CSV has no header row")
    mapped = map_header(header, achievement_given=achievement is not None)
    if mapped.problem is not None:
        raise InvalidInput(("body",), mapped.problem)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    unheaded: set[int] = set()
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank row (or only separators, as Excel leaves): it still counts
        rows.append(_csv_row(record, mapped, achievement, delimiter, unheaded))
        lines.append(line)
    if not rows:
        raise InvalidInput(("body",), "CSV has a header but no rows")
    ignored = (*mapped.unknown, *(f"column {_letters(i)} (no header)" for i in sorted(unheaded)))
    return CsvTable(rows, lines, mapped, delimiter, ignored)


def _letters(index: int) -> str:
    """A spreadsheet's column letters for a 0-based index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _score_as_typed(value: str, delimiter: str) -> str:
    """``90%`` → ``90``; ``90,5`` → ``90.5`` only where a comma cannot be the separator (a
    semicolon or tab file; in a comma file it would be a thousands mark as often as not, and
    ``results`` refuses it as not a number). Anything else is left for the award to judge."""
    match = _SCORE.fullmatch(value)
    if match is None:
        return value
    whole, mark, fraction = match.groups()
    if mark is None:
        return whole
    if mark == "," and delimiter == ",":
        return value
    return f"{whole}.{fraction}"


def _csv_row(
    record: list[str],
    mapped: HeaderMap,
    achievement: str | None,
    delimiter: str,
    unheaded: set[int],
) -> dict[str, Any]:
    """One CSV record as an award row: empty cells dropped, ``evidence_*`` cells gathered,
    cells of ignored columns left out (an unheaded one's index noted in ``unheaded``)."""
    row: dict[str, Any] = {}
    evidence: dict[str, Any] = {}
    for index, cell in enumerate(record):
        value = cell.strip()
        if index >= len(mapped.columns):
            if value:  # more cells than headers: refused by validation, which names it
                row.setdefault("cells_without_a_header", []).append(value)
            continue
        column = mapped.columns[index]
        if column is None:
            if value and not mapped.headers[index]:
                unheaded.add(index)
            continue
        name = column.name
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
            row[name] = _score_as_typed(value, delimiter) if name == "score" else value
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


def _stacks(runtime: Runtime, outcome: AwardOutcome, row: BatchRowResult) -> list[BatchStackIssued]:
    """The stack credentials ``outcome``'s post-award work issued, as the batch names them."""
    return [
        BatchStackIssued(
            row=row.row,
            line=row.line,
            credential_id=stack.id,
            url=runtime.urls.credential(stack.id),
            achievement=stack.achievement_slug,
            recipient_name=stack.recipient_name,
            recipient_email=stack.recipient_email,
        )
        for stack in outcome.stacks_issued
    ]


def award_batch(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    rows: Iterable[dict[str, Any]],
    batch_id: str,
    lines: Sequence[int] | None = None,
    progress: Callable[[BatchRowResult], None] | None = None,
) -> BatchResult:
    """Award every row; each succeeds or fails on its own with a reason (rows count from 1;
    ``lines``, a CSV's, give each row's spreadsheet line too). The result names the stack
    credentials the rows completed."""
    outcomes: list[tuple[str, BatchRowResult]] = []
    stacks: list[BatchStackIssued] = []
    issued = 0
    for number, raw in enumerate(rows, start=1):
        line = lines[number - 1] if lines is not None else None
        key = ""
        try:
            request = AwardCreate.model_validate(raw)
            key = row_idempotency_key(batch_id, request)
            request = request.model_copy(update={"idempotency_key": key})
            outcome = award(
                session=session, runtime=runtime, issuer=issuer, request=request, batch_id=batch_id
            )
        except ValidationError as error:
            result = BatchRowResult(
                row=number, line=line, ok=False, error=describe_validation_error(error)
            )
        except ServiceError as error:
            session.rollback()
            result = BatchRowResult(row=number, line=line, ok=False, error=str(error))
        else:
            issued += outcome.created
            result = BatchRowResult(
                row=number,
                line=line,
                ok=True,
                credential_id=outcome.award.id,
                url=runtime.urls.credential(outcome.award.id),
                replayed=not outcome.created,
            )
            stacks += _stacks(runtime, outcome, result)
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
        stacks_issued=stacks,
    )


def award_table(
    *,
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    table: CsvTable,
    batch_id: str,
    progress: Callable[[BatchRowResult], None] | None = None,
) -> BatchResult:
    """Award a CSV's rows (:func:`award_batch`), each result with its spreadsheet line, the
    ignored columns named in the result."""
    result = award_batch(
        session=session,
        runtime=runtime,
        issuer=issuer,
        rows=table.rows,
        batch_id=batch_id,
        lines=table.lines,
        progress=progress,
    )
    return result.model_copy(update={"ignored_columns": list(table.ignored)})


def failure_groups(
    result: BatchResult, table: CsvTable | None = None
) -> list[tuple[list[int], str]]:
    """The failed rows grouped by cause, first failure first: ``([4, 7, 9], "score: …")``.

    Rows are numbered by their spreadsheet line when they have one. With the CSV's ``table``,
    a message about a column names it as the file heads it (``Score (%): …``), and messages
    that differ only by the row's own cells are one cause, those values listed after it
    (``rows 3, 4: Score: score is outside 0..100 (120; 130)``); a cause of one row keeps its
    message as it was."""
    groups: dict[str, tuple[list[int], list[str], str]] = {}
    for row in result.results:
        if row.ok:
            continue
        message = row.error or "failed"
        cells = table.rows[row.row - 1] if table is not None else {}
        cause, values = _without_cells(message, cells)
        numbers, found, _ = groups.setdefault(cause, ([], [], message))
        numbers.append(row.line or row.row)
        found.extend(values)
    as_headed = table.header.recognised if table is not None else {}
    named = []
    for cause, (numbers, values, first) in groups.items():
        message = first if len(numbers) == 1 else cause
        if len(numbers) > 1 and values:
            message += f" ({'; '.join(values)})"
        field, colon, rest = message.partition(": ")
        if colon and as_headed.get(field, field) != field:
            message = f"{as_headed[field]}: {rest}"
        named.append((numbers, message))
    return named


def _without_cells(message: str, cells: dict[str, Any]) -> tuple[str, list[str]]:
    """``message`` without the first mention of each of the row's own cell values (longest
    first, whole words only, with any quotes around them), and the values taken out."""
    found = []
    # only the values the message holds at all: a pattern compiled for each cell of each
    # failed row took seconds on a 10,000-row file
    texts = [v for v in cells.values() if isinstance(v, str) and v and v in message]
    for value in sorted(texts, key=len, reverse=True):
        mention = re.compile(rf"\s?'?(?<![\w.@-]){re.escape(value)}(?![\w@-])'?")
        message, count = mention.subn("", message, count=1)
        if count:
            found.append(value)
    return message, found


def csv_text(data: bytes) -> str:
    """A CSV file's bytes as text: UTF-8 (with or without a BOM), or UTF-16 with its BOM (what
    Excel's "Unicode text" writes). Anything else is refused rather than guessed: a guessed
    encoding would sign a misspelt name into a credential."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            ("body",),
            f"is not UTF-8 text (byte {error.start + 1}): save it as CSV UTF-8 "
            "(Excel: File, Save As, CSV UTF-8)",
        ) from None


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
