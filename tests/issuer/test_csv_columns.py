"""The bulk-award columns: one table of headers, read the way people type them, and the CSV
reader's separators, values, row numbers and reports. Pure functions: no database."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from issuer.models import AwardCreate, BatchResult, BatchRowResult, EvidenceIn
from issuer.services.batch import csv_text, failure_groups, read_csv
from issuer.services.csv_columns import COLUMNS, column_for, columns_table, map_header
from issuer.services.errors import InvalidInput
from tests.issuer.support import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Recipient Email", "recipient_email"),
        ("recipient_email", "recipient_email"),
        ("  E-MAIL ", "recipient_email"),
        ("Correo electrónico", "recipient_email"),
        ("Score (%)", "score"),
        ("score [0-100]", "score"),
        ("Puntuación", "score"),
        ("Achievement", "achievement"),
        ("Badge", "achievement"),
        ("micro_credential", "achievement"),
        ("Name", "recipient_name"),
        ("Evidence URL", "evidence_url"),
        ("Contains student data?", "evidence_contains_student_data"),
        ("Submission ID", "idempotency_key"),
        ("Mail", None),
        ("Notes", None),
        ("", None),
        ("(%)", None),
    ],
)
def test_a_header_means_a_column_whatever_its_case_spacing_or_unit(
    header: str, column: str | None
) -> None:
    found = column_for(header)
    assert (found.name if found else None) == column


def test_the_table_has_a_column_for_every_award_field_and_no_other() -> None:
    """The table cannot drift from the request model: a new field needs its column."""
    fields = set(AwardCreate.model_fields) - {"evidence"}
    fields |= {f"evidence_{name}" for name in EvidenceIn.model_fields}
    assert {c.name for c in COLUMNS} == fields
    assert {c.name for c in COLUMNS if c.required} == {
        name for name, info in AwardCreate.model_fields.items() if info.is_required()
    }


def test_a_header_row_is_read_with_a_report() -> None:
    mapped = map_header(["Name", "E-mail", "Score (%)", "Notes", "", "Badge", "Class period"])
    assert mapped.problem is None
    assert mapped.recognised == {
        "recipient_name": "Name",
        "recipient_email": "E-mail",
        "score": "Score (%)",
        "achievement": "Badge",
    }
    assert mapped.unknown == ("Notes", "Class period")


def test_a_header_row_that_cannot_be_used_is_one_message() -> None:
    missing = map_header(["Name", "Mail", "Score"]).problem
    assert missing is not None
    assert missing.count("no column for") == 2  # the achievement and the email, one message
    assert "no column for the educator's email (expected one of Recipient Email, Email" in missing
    assert missing.endswith("found Name, Mail, Score")
    # the achievement may come from elsewhere (award SLUG --csv, the API's ?achievement=)
    given = map_header(["Name", "Mail"], achievement_given=True).problem
    assert given is not None and "achievement" not in given
    twice = map_header(["Email", "Name", "Recipient Email", "Badge"]).problem
    assert twice == (
        "Email, Recipient Email both mean recipient_email: keep one; "
        "found Email, Name, Recipient Email, Badge"
    )
    data_first = map_header(["Ana", "ana@x.example", "90"]).problem
    assert data_first is not None and "the first line must name the columns" in data_first


HUMAN = ["Recipient Name", "Email", "Micro-credential", "Score (%)"]
CELLS = [["Ana Ortiz", "ana@x.example", "classroom-environment", "90%"], ["Ben", "b@x", "x", "88"]]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("prefix", ["", "\ufeff"])
def test_comma_semicolon_and_tab_files_read_alike(separator: str, prefix: str) -> None:
    text = prefix + "\r\n".join(separator.join(r) for r in [HUMAN, *CELLS]) + "\r\n"
    table = read_csv(text)
    assert table.delimiter == separator
    assert table.rows[0] == {
        "recipient_name": "Ana Ortiz",
        "recipient_email": "ana@x.example",
        "achievement": "classroom-environment",
        "score": "90",
    }
    assert table.lines == [2, 3]
    # Excel's separator line is read and skipped: the header is still row 1
    hinted = read_csv(f"sep={separator}\n" + "\n".join(separator.join(r) for r in [HUMAN, *CELLS]))
    assert hinted.rows == table.rows and hinted.lines == [2, 3]


@pytest.mark.parametrize(
    ("separator", "cell", "score"),
    [
        (",", "90%", "90"),
        (",", " 90 % ", "90"),
        (",", "90.5%", "90.5"),
        (",", '"90,5"', "90,5"),  # a comma file: the award refuses it as not a number
        (";", "90,5", "90.5"),
        (";", "90,5 %", "90.5"),
        ("\t", "90,5", "90.5"),
        (";", "Pass", "Pass"),  # not a number: left for the achievement's result to judge
    ],
)
def test_scores_are_read_as_typed(separator: str, cell: str, score: str) -> None:
    text = f"Name{separator}Email{separator}Score\nAna{separator}a@x{separator}{cell}\n"
    assert read_csv(text, achievement="x").rows[0]["score"] == score


def test_row_numbers_are_the_spreadsheets() -> None:
    """A cell with line breaks is one row, a blank row (or one of separators only) counts."""
    text = (
        "Name,Email,Notes\n"
        'Ana,ana@x.example,"first line\nsecond line\nthird"\n'  # row 2, three lines of text
        "Ben,ben@x.example,\n"  # row 3 (line 5 of the file)
        "\n"  # row 4
        ",,\n"  # row 5
        "Cy,cy@x.example,\n"  # row 6
    )
    table = read_csv(text, achievement="x")
    assert table.lines == [2, 3, 6]
    assert [r["recipient_name"] for r in table.rows] == ["Ana", "Ben", "Cy"]


def test_ignored_columns_are_named_once() -> None:
    text = "Name,Email,Notes,,Period,\nAna,a@x,late,?,3,\nBen,b@x,,,,\n"
    table = read_csv(text, achievement="x")
    assert table.ignored == ("Notes", "Period", "column D (no header)")  # F: never filled
    assert table.rows[0] == {"recipient_name": "Ana", "recipient_email": "a@x", "achievement": "x"}


def test_headers_are_named_on_one_line_and_without_control_characters() -> None:
    """A header cell may hold line breaks (Excel's Alt+Enter) or anything else: the messages
    that quote it stay one line each, and no escape sequence reaches a terminal."""
    text = 'Name,Email,"Score\r\n(%)","Notes\n (internal)","\x1b[2Jx"\nAna,a@x,120,n,r\n'
    table = read_csv(text, achievement="x")
    assert table.header.recognised["score"] == "Score (%)"
    assert table.ignored == ("Notes (internal)", "\\x1b[2Jx")
    with pytest.raises(InvalidInput) as refused:
        read_csv('Name,"Mail\nbox","\x00"\nAna,a@x,1\n', achievement="x")
    assert str(refused.value).endswith("found Name, Mail box, \\x00")


def test_a_header_that_cannot_be_used_refuses_the_file() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_csv("Name,Mail\n" + "Ana,a@x\n" * 50)
    assert str(refused.value).count("no column for") == 2  # one error, not one per row


def test_failures_are_grouped_by_cause_with_the_files_headers() -> None:
    text = "Name,Email,Score (%)\nAna,a@x,120\nBen,b@x,95\nCy,c@x,130\nDee,d@x,1\nEd,e,90\n"
    table = read_csv(text, achievement="x")
    errors = {
        1: "score: score 120 is outside 0..100",
        3: "score: score 130 is outside 0..100",
        4: "score: score 1 is below the pass mark of 85 for 'X' (version 1)",
        5: "recipient_email: is not an email address",
    }
    result = BatchResult(
        batch_id="b",
        rows=5,
        ok=1,
        failed=4,
        issued=1,
        results=[
            BatchRowResult(row=n, line=line, ok=n not in errors, error=errors.get(n))
            for n, line in enumerate(table.lines, start=1)
        ],
    )
    assert failure_groups(result, table) == [
        ([2, 4], "Score (%): score is outside 0..100 (120; 130)"),
        ([5], "Score (%): score 1 is below the pass mark of 85 for 'X' (version 1)"),
        ([6], "Email: is not an email address"),
    ]
    assert failure_groups(result)[0] == ([2], "score: score 120 is outside 0..100")


def test_csv_text_reads_utf8_and_excels_utf16_and_refuses_a_guess() -> None:
    text = "Nombre\tCorreo\nMaría\tm@x\n"
    assert csv_text(codecs.BOM_UTF8 + text.encode()) == text
    assert csv_text(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == text
    with pytest.raises(InvalidInput, match="not UTF-8 text .*CSV UTF-8"):
        csv_text(text.encode("cp1252"))


def test_the_help_and_the_readme_list_every_column() -> None:
    """Both come from the table: the help is generated, the README holds its generated text."""
    help_text = " ".join(run_cli(None, "award", "--help").stdout.split())
    for column in COLUMNS:
        assert re.search(rf"• {column.name}\b", help_text), column.name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert columns_table() in readme, "README's CSV columns: paste columns_table() again"
