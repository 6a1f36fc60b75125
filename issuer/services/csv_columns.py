"""The columns of a bulk-award spreadsheet, and the headers people actually type for them.

One table, :data:`COLUMNS`, says what each column is called (its canonical name: the
:class:`issuer.models.AwardCreate` field, or ``evidence_<field>`` for the one evidence item a
row may carry), what it holds and which other spellings mean it. Everything else reads it: the
CSV reader (:mod:`issuer.services.batch`), the ``award --help`` text (:func:`columns_help`) and
the README's column table (:func:`columns_table`, held to the README by a test), so a spelling
added here is accepted, documented and reported everywhere at once.

A header is compared by its *key* (:func:`header_key`): case, accents, spaces, underscores,
hyphens and other punctuation are ignored, and so is a parenthesised or bracketed unit
("Score (%)", "Date [UTC]"), so "Recipient Email", "recipient_email" and "E-mail" need no
entries of their own beyond the words. Everything here is pure: no I/O, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "COLUMNS",
    "Column",
    "HeaderMap",
    "column_for",
    "FORMAT_NOTE",
    "columns_help",
    "columns_table",
    "header_key",
    "map_header",
    "printable",
]


@dataclass(frozen=True)
class Column:
    """One column: its canonical name, what it holds (for messages and help), the other
    headers that mean it, and whether a spreadsheet must have it."""

    name: str
    #: What the cells hold, short ("the educator's email"): messages name the column by it.
    holds: str
    spellings: tuple[str, ...] = ()
    required: bool = False
    #: More for the help text: the values it takes.
    note: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for the column, the friendliest first, the canonical last."""
        return (*self.spellings, self.name)


#: The columns, in the order the help lists them. Spanish spellings are here because New
#: Mexico's offices keep Spanish spreadsheets too.
COLUMNS: tuple[Column, ...] = (
    Column(
        "achievement",
        "the achievement's slug",
        (
            "Achievement",
            "Micro-credential",
            "Badge",
            "Credential",
            "Achievement Slug",
            "Microcredencial",
            "Insignia",
            "Logro",
        ),
        required=True,
        note="see `microcred catalog list`; optional when every row has the same one: "
        "`microcred award SLUG --csv FILE`",
    ),  # fmt: skip
    Column(
        "recipient_name",
        "the educator's name",
        (
            "Recipient Name",
            "Name",
            "Educator",
            "Educator Name",
            "Full Name",
            "Nombre",
            "Nombre completo",
        ),
        required=True,
    ),  # fmt: skip
    Column(
        "recipient_email",
        "the educator's email",
        (
            "Recipient Email",
            "Email",
            "Email Address",
            "Educator Email",
            "Correo",
            "Correo electrónico",
        ),
        required=True,
    ),  # fmt: skip
    Column("recipient_did", "the educator's DID, if any", ("Recipient DID", "DID")),
    Column(
        "score",
        "the score",
        ("Score", "Percent", "Percentage", "Puntuación", "Puntaje", "Porcentaje"),
        note="92, 92% or 92.5; 92,5 in a semicolon- or tab-separated file",
    ),
    Column(
        "rubric_level",
        "the rubric level",
        ("Rubric Level", "Level", "Rubric", "Nivel"),
        note="e.g. proficient, for achievements that have levels",
    ),
    Column(
        "evidence_url",
        "a link to the evidence",
        ("Evidence URL", "Evidence Link"),
    ),
    Column("evidence_name", "the evidence's title", ("Evidence Name", "Evidence Title")),
    Column("evidence_narrative", "what the evidence shows", ("Evidence Narrative",)),
    Column("evidence_description", "what the evidence is", ("Evidence Description",)),
    Column("evidence_genre", "the kind of evidence, e.g. video", ("Evidence Genre",)),
    Column("evidence_audience", "who the evidence is for", ("Evidence Audience",)),
    Column(
        "evidence_contains_student_data",
        "whether the evidence holds student data",
        ("Contains Student Data", "Student Data", "Evidence Contains Student Data"),
        note="yes or no (default); evidence with student data is kept, never published",
    ),
    Column(
        "assessor",
        "who assessed it",
        ("Assessor", "Assessed By", "Evaluator", "Evaluador"),
        note="kept, not published",
    ),
    Column(
        "awarded_date",
        "when it was awarded",
        ("Awarded Date", "Date Awarded", "Award Date", "Awarded", "Date", "Fecha"),
        note="ISO 8601, e.g. 2026-09-30T00:00:00Z; default: now",
    ),
    Column(
        "activity_start_date",
        "when the work began",
        ("Activity Start Date", "Start Date"),
        note="ISO 8601",
    ),
    Column(
        "activity_end_date",
        "when the work ended",
        ("Activity End Date", "End Date"),
        note="ISO 8601",
    ),
    Column(
        "idempotency_key",
        "your id for the row",
        ("Idempotency Key", "Submission ID", "Row ID"),
        note="e.g. an LMS submission id: a row whose id was already used is not awarded again",
    ),
)

_UNITS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_A_LETTER = re.compile(r"[\W_]+")
#: C0 controls and DEL: written as ``\\xNN`` where a message quotes what a file holds.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` with its control characters written out (``\\x1b``): a message quoting a
    file's words must neither drive the terminal it is printed on nor hold a NUL, which
    PostgreSQL stores in no text column."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def header_key(header: str) -> str:
    """What a header is compared by: letters and digits only, lower case, without accents or
    a parenthesised/bracketed unit (``"Score (%)"`` → ``"score"``, ``"E-mail"`` → ``"email"``)."""
    text = unicodedata.normalize("NFKD", _UNITS.sub("", header))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NOT_A_LETTER.sub("", text.casefold())


def _by_key() -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in COLUMNS:
        for spelling in column.headers:
            key = header_key(spelling)
            other = table.setdefault(key, column)
            if other is not column:  # a mistake in COLUMNS: refuse to start with it
                raise AssertionError(f"{spelling!r} means both {other.name} and {column.name}")
    return table


_BY_KEY = _by_key()


def column_for(header: str) -> Column | None:
    """The column a header means, or None when it is not one of ours."""
    return _BY_KEY.get(header_key(header))


@dataclass(frozen=True)
class HeaderMap:
    """A header row read against :data:`COLUMNS`.

    ``columns[i]`` is the column the i-th header means (None: ignored). A header row that
    :attr:`problem` describes cannot be used at all: a required column is missing, or two
    headers mean the same column (which cell would win?).
    """

    #: The headers as messages name them: on one line (a cell's line breaks, as Excel's
    #: Alt+Enter makes them, and runs of spaces are one space), trimmed, :func:`printable`.
    headers: tuple[str, ...]
    columns: tuple[Column | None, ...]
    #: Headers that mean no column, as found (blank ones left out): ignored, reported once.
    unknown: tuple[str, ...]
    missing: tuple[Column, ...]
    #: Canonical name → the headers (two or more) that mean it.
    duplicated: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def recognised(self) -> dict[str, str]:
        """Canonical name → the header found for it."""
        return {c.name: h for h, c in zip(self.headers, self.columns, strict=True) if c}

    @property
    def problem(self) -> str | None:
        """The one message that says why this header row cannot be used, or None."""
        found = ", ".join(h for h in self.headers if h) or "nothing"
        parts = [
            f"no column for {c.holds} (expected one of {', '.join(c.headers)})"
            for c in self.missing
        ]
        parts += [
            f"{', '.join(headers)} {'both' if len(headers) == 2 else 'all'} mean {name}: keep one"
            for name, headers in self.duplicated.items()
        ]
        if not parts:
            return None
        hint = ""
        if "@" in found:
            hint = " (the first line must name the columns)"
        return f"{'; '.join(parts)}; found {found}{hint}"


def map_header(headers: Sequence[str], *, achievement_given: bool = False) -> HeaderMap:
    """Read a header row: each header's column, the ignored ones, what is missing or twice.

    ``achievement_given``: the rows' achievement comes from elsewhere (``award SLUG --csv``,
    the batch API's ``achievement``), so the column is optional."""
    columns = tuple(column_for(h) for h in headers)
    shown = tuple(printable(" ".join(h.split())) for h in headers)
    unknown = tuple(h for h, c in zip(shown, columns, strict=True) if c is None and h)
    seen: dict[str, list[str]] = {}
    for header, column in zip(shown, columns, strict=True):
        if column is not None:
            seen.setdefault(column.name, []).append(header)
    missing = tuple(
        c
        for c in COLUMNS
        if c.required and c.name not in seen and not (c.name == "achievement" and achievement_given)
    )
    duplicated = {name: tuple(found) for name, found in seen.items() if len(found) > 1}
    return HeaderMap(shown, columns, unknown, missing, duplicated)


#: What the CSV reader accepts, for the help (the README's "CSV columns" says it in prose).
FORMAT_NOTE = (
    "The first line names the columns, in any order; case, spaces, punctuation and a unit "
    'like "(%)" do not matter, and columns not listed are reported once and ignored. '
    "Comma-, semicolon- or tab-separated, UTF-8 (Excel: CSV UTF-8). Errors name the "
    "spreadsheet's row numbers (the header is row 1)."
)


def _also(column: Column, most: int | None = None) -> str:
    return ", ".join(f'"{s}"' for s in column.spellings[:most])


def columns_help() -> str:
    """The column list for ``microcred award --help``: the format, then a line a column."""
    lines = []
    for column in COLUMNS:
        need = " (required)" if column.required else ""
        note = f"; {column.note}" if column.note else ""
        lines.append(f"• {column.name}{need}: {column.holds}{note}. Also {_also(column)}.")
    return f"CSV columns (--csv). {FORMAT_NOTE}\n\n" + "\n".join(lines)


def columns_table() -> str:
    """The column list as the README's Markdown table (a test holds the README to it): the
    first three other spellings of each (``award --help`` lists them all)."""
    lines = ["| column | holds | also accepted, e.g. |", "| --- | --- | --- |"]
    for column in COLUMNS:
        need = " **(required)**" if column.required else ""
        note = f"; {column.note}" if column.note else ""
        also = _also(column, 3)
        lines.append(f"| `{column.name}`{need} | {column.holds}{note} | {also} |")
    return "\n".join(lines)
