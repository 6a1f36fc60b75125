"""``microcred award --csv`` as a person runs it: a spreadsheet with human headers, what it says
about a file it cannot use, about columns it ignores and rows it refuses, and the stack
credentials a run completes (``examples/awards.csv``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from issuer.runtime import Runtime
from tests.issuer.support import cli_env
from tests.issuer.support import run_cli as run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(runtime: Runtime, settings) -> dict[str, Any]:
    """The test database (cleaned by ``runtime``), initialised with the demo catalog."""
    env = cli_env(settings)
    run(env, "init", "--issuer-name", "NM Public Education Department")
    return env


def awarded(env: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(run(env, "credentials", "list", "--json").stdout)


def test_a_header_it_cannot_use_is_one_error_and_awards_nothing(
    env: dict[str, Any], tmp_path: Path
) -> None:
    sheet = tmp_path / "q3.csv"
    sheet.write_text("Name,Mail,Score\n" + "Ana,ana@x.example,90\n" * 30)
    result = run(env, "award", "classroom-environment", "--csv", str(sheet), code=64)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {sheet}: no column for the educator's email (expected one of")
    assert line.endswith("found Name, Mail, Score")
    assert awarded(env) == []


def test_a_semicolon_file_with_human_headers(env: dict[str, Any], tmp_path: Path) -> None:
    """Excel in Spanish: semicolons, a BOM, percent signs and decimal commas, a column of
    notes (named once, ignored), a note over three lines (the rows after it keep their
    spreadsheet numbers) and the refused rows grouped by cause."""
    sheet = tmp_path / "otoño.csv"
    sheet.write_bytes(
        "\ufeffNombre;Correo electrónico;Logro;Puntuación (%);Notas\r\n"
        'Ana Ortiz;ana@aps.nm.example;family-engagement;90,5 %;"entregó tarde\r\nsegunda '
        'línea\r\ntercera"\r\n'
        "Ben Yazzie;ben@aps.nm.example;family-engagement;70%;\r\n"
        "Cruz Lee;cruz@aps.nm.example;family-engagement;95%;\r\n"
        "Dee Tso;dee@aps.nm.example;family-engagement;120;\r\n"
        "Eve Chee;eve@aps.nm.example;family-engagement;130;\r\n".encode()
    )
    first = run(env, "award", "--csv", str(sheet), "--json", code=1)
    messages = first.stderr.splitlines()
    ignored = [m for m in messages if m.startswith("ignoring")]  # once, not once a row
    assert ignored == [
        "ignoring 1 column that is not an award field: Notas (see microcred award --help)"
    ]
    refused = [m for m in messages if m.startswith("row")]
    assert refused[0].startswith("row 3: Puntuación (%): score 70 is below the pass mark")
    assert refused[1] == "rows 5, 6: Puntuación (%): score is outside 0..100 (120; 130)"
    assert len(refused) == 2
    assert "5 rows: 2 ok (2 newly issued, 0 already issued), 3 failed" in first.stderr
    result = json.loads(first.stdout)
    assert [r["line"] for r in result["results"]] == [2, 3, 4, 5, 6]
    assert result["ignored_columns"] == ["Notas"]
    ana = next(c for c in awarded(env) if c["recipient_email"] == "ana@aps.nm.example")
    credential = json.loads(run(env, "credentials", "show", ana["id"]).stdout)
    [result_entry] = credential["credentialSubject"]["result"]
    assert result_entry["value"] == "90.5"


def test_the_example_file_completes_a_stack_and_names_it(env: dict[str, Any]) -> None:
    """The README's walkthrough: examples/awards.csv awards Daniel Begay the five APL I-II
    components (and one row for another educator), so the run issues his stack credential."""
    example = ROOT / "examples" / "awards.csv"
    first = run(env, "award", "--csv", str(example), "--json")
    result = json.loads(first.stdout)
    assert (result["rows"], result["ok"], result["issued"]) == (6, 6, 6)
    [stack] = result["stacks_issued"]
    assert (stack["achievement"], stack["recipient_name"]) == ("apl-i-ii", "Daniel Begay")
    assert "ignoring" not in first.stderr  # every column of the example is one we know
    assert (
        f"stack credential apl-i-ii for Daniel Begay <daniel.begay@schools.nm.example> "
        f"(completed by row {stack['line']}): {stack['url']}"
    ) in first.stderr.splitlines()
    assert stack["credential_id"] in {
        c["id"] for c in awarded(env) if c["achievement"] == "apl-i-ii"
    }
    again = json.loads(run(env, "award", "--csv", str(example), "--json").stdout)
    assert (again["issued"], again["stacks_issued"]) == (0, [])  # a rerun issues nothing


def test_a_long_cause_names_twelve_rows_and_counts_the_rest() -> None:
    from issuer.cli.awards import _rows

    assert _rows([7]) == "row 7"
    assert _rows([4, 7, 9]) == "rows 4, 7, 9"
    assert _rows(list(range(2, 42))) == "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, and 28 more"
