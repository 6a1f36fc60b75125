"""Bulk awards: per-row outcomes, CSV, and reruns that issue only what is missing."""

from __future__ import annotations

import codecs
import dataclasses
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from issuer.runtime import Runtime
from issuer.services.batch import award_batch, read_csv
from issuer.services.context import SigningContext
from issuer.services.errors import InvalidInput
from schemas.validation import validate_credential
from tests.issuer.stack_support import APL_I_II, EDUCATOR, award_to, stack_awards
from tests.issuer.support import GOOD_AWARD, ISSUER
from tests.issuer.test_awards import count_awards

BATCHES = f"/api/issuers/{ISSUER}/batches"


def row(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "achievement": "classroom-environment",
        "recipient_name": f"Educator {n}",
        "recipient_email": f"educator{n}@schools.nm.example",
        "score": 90,
        **fields,
    }


def test_each_row_succeeds_or_fails_on_its_own(
    client: TestClient, auth, issuer, engine: Engine
) -> None:
    rows = [
        row(1),
        row(2, score=70),
        row(3, recipient_email="not-an-email"),
        row(4, achievement="underwater-basket-weaving"),
        row(1),  # the same row twice is one award
        row(5, rubric_level="exemplary", evidence=[{"url": "https://lms.example/5"}]),
    ]
    response = client.post(BATCHES, json={"rows": rows, "batch_id": "q3-2026"}, headers=auth)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["rows"], result["ok"], result["failed"], result["issued"]) == (6, 3, 3, 2)
    outcomes = result["results"]
    assert [r["ok"] for r in outcomes] == [True, False, False, False, True, True]
    assert "score: score 70 is below the pass mark of 85" in outcomes[1]["error"]
    assert outcomes[2]["error"].startswith("recipient_email:")
    assert outcomes[3]["error"].startswith("achievement:")
    assert outcomes[4]["credential_id"] == outcomes[0]["credential_id"] and outcomes[4]["replayed"]
    assert count_awards(engine) == 2
    credential = client.get(outcomes[5]["url"].removeprefix("https://issuer.test") + ".json")
    assert validate_credential(credential.json()) == []

    again = client.post(BATCHES, json={"rows": rows, "batch_id": "q3-2026"}, headers=auth).json()
    assert (again["ok"], again["issued"]) == (3, 0)
    assert [r.get("credential_id") for r in again["results"]] == [
        r.get("credential_id") for r in outcomes
    ]
    assert count_awards(engine) == 2

    recorded = client.get(f"{BATCHES}/q3-2026", headers=auth).json()
    assert [r["ok"] for r in recorded["results"]] == [r["ok"] for r in outcomes]
    assert recorded["issued"] == 2
    assert client.get(f"{BATCHES}/unknown", headers=auth).status_code == 404


def test_a_rerun_after_a_crash_issues_only_what_is_missing(
    runtime: Runtime, engine: Engine, issuer
) -> None:
    rows = [row(n) for n in range(8)]
    calls = {"n": 0}

    def crash_on_the_fourth(credential: dict[str, Any], _: SigningContext) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the power went out")
        return credential

    crashing = dataclasses.replace(runtime, pre_sign_hooks=(crash_on_the_fourth,))
    with Session(engine) as session, pytest.raises(RuntimeError, match="power"):
        award_batch(session=session, runtime=crashing, issuer=issuer, rows=rows, batch_id="b1")
    assert count_awards(engine) == 3

    with Session(engine) as session:
        result = award_batch(
            session=session, runtime=runtime, issuer=issuer, rows=rows, batch_id="b1"
        )
    assert (result.ok, result.issued, result.failed) == (8, 5, 0)
    assert [r.replayed for r in result.results] == [True] * 3 + [False] * 5
    assert count_awards(engine) == 8


def test_csv_over_http_with_evidence_columns(client: TestClient, auth, issuer, engine) -> None:
    text = (
        "recipient_name,recipient_email,score,rubric_level,evidence_url,evidence_narrative,"
        "evidence_contains_student_data\n"
        "Ana Ortiz,ana@aps.nm.example,88,proficient,https://lms.example/a,,\n"
        "Ben Yazzie,ben@aps.nm.example,60,,,,\n"
        'Cruz Lee,cruz@aps.nm.example,95,exemplary,,"Video with students, scored",yes\n'
    )
    response = client.post(
        BATCHES,
        content=text,
        params={"achievement": "family-engagement", "batch_id": "aps-fall"},
        headers={**auth, "content-type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert [r["ok"] for r in result["results"]] == [True, False, True]
    cruz = client.get(f"/credentials/{result['results'][2]['credential_id']}.json").json()
    assert "evidence" not in cruz  # the only evidence holds student data: not published
    ana = client.get(f"/credentials/{result['results'][0]['credential_id']}.json").json()
    assert ana["evidence"][0]["id"] == "https://lms.example/a"
    # a body without a batch id is named by its content: resending it is a rerun
    unnamed = client.post(
        BATCHES, content=text, params={"achievement": "family-engagement"},
        headers={**auth, "content-type": "text/csv"},
    ).json()  # fmt: skip
    assert unnamed["batch_id"].startswith("sha256:") and unnamed["issued"] == 2
    resent = client.post(
        BATCHES, content=text, params={"achievement": "family-engagement"},
        headers={**auth, "content-type": "text/csv"},
    ).json()  # fmt: skip
    assert resent["issued"] == 0 and count_awards(engine) == 4


def test_fixing_a_row_and_rerunning_issues_just_that_row(
    runtime: Runtime, engine: Engine, issuer
) -> None:
    text = "achievement,recipient_name,recipient_email,score\n" + "\n".join(
        f"classroom-environment,E{n},e{n}@x.example,{s}" for n, s in enumerate([90, 70, 91])
    )
    with Session(engine) as session:
        first = award_batch(
            session=session, runtime=runtime, issuer=issuer, rows=read_csv(text).rows, batch_id="f"
        )
    assert [r.ok for r in first.results] == [True, False, True]
    fixed = text.replace("E1,e1@x.example,70", "E1,e1@x.example,86")
    reordered = "\n".join([fixed.splitlines()[0], *reversed(fixed.splitlines()[1:])])
    with Session(engine) as session:
        second = award_batch(
            session=session, runtime=runtime, issuer=issuer, rows=read_csv(reordered).rows,
            batch_id="f",
        )  # fmt: skip
    assert (second.ok, second.issued) == (3, 1)
    assert count_awards(engine) == 3


def test_idempotency_key_column_is_the_rows_identity(runtime: Runtime, engine, issuer) -> None:
    rows = [row(1, idempotency_key="sub-1"), row(2, idempotency_key="sub-2")]
    with Session(engine) as session:
        award_batch(session=session, runtime=runtime, issuer=issuer, rows=rows, batch_id="x")
        # another batch naming the same submissions does not issue them again
        result = award_batch(
            session=session, runtime=runtime, issuer=issuer, rows=rows, batch_id="y"
        )
    assert result.issued == 0 and count_awards(engine) == 2


#: The columns every row needs, for the tests about something else.
NEEDED = "achievement,recipient_name,recipient_email"
ANA = "classroom-environment,Ana,ana@x.example"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header"),
        (",,\n", "no header"),
        (f"{NEEDED}\n", "no rows"),
        (f"{NEEDED}\n,,\n\n", "no rows"),
    ],
)
def test_unusable_csv_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_csv(text)


def test_csv_cell_problems_name_the_column() -> None:
    [extra] = read_csv(f"{NEEDED}\n{ANA},unexpected,\n").rows
    assert extra["cells_without_a_header"] == ["unexpected"]  # refused by validation
    [flag] = read_csv(f"{NEEDED},evidence_contains_student_data\n{ANA},perhaps\n").rows
    assert flag["evidence_contains_student_data"] == "perhaps"


def test_batch_requests_that_cannot_be_read(client: TestClient, auth, issuer) -> None:
    assert client.post(BATCHES, json={"rows": []}, headers=auth).status_code == 422
    bad = client.post(BATCHES, json={"rows": [GOOD_AWARD], "extra": 1}, headers=auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "extra"]
    as_json = {**auth, "content-type": "application/json"}
    assert client.post(BATCHES, content="{", headers=as_json).status_code == 422
    xml = client.post(BATCHES, content="<rows/>", headers={**auth, "content-type": "text/xml"})
    assert xml.status_code == 415
    empty = client.post(BATCHES, content="", headers={**auth, "content-type": "text/csv"})
    assert empty.status_code == 422 and "no header" in empty.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "text",
    [
        'recipient_name,email\n"' + "x" * 140_000 + '"\n',  # a cell past csv's field size limit
        "recipient_name,email\r\nAna,a@x\n" + "x" * 140_000 + "\n",
    ],
)
def test_csv_the_csv_module_cannot_read_is_invalid_input(text: str) -> None:
    """Found by the fuzzer (bench/fuzz, target csv): csv.Error escaped the CSV reader, a 500."""
    with pytest.raises(InvalidInput, match="not readable CSV"):
        read_csv(text, achievement="classroom-environment")


def test_csv_line_ends_may_be_cr_lf_or_crlf() -> None:
    """Found by the fuzzer: a bare CR was 'new-line character seen in unquoted field' (a 500);
    CR is a line end (old spreadsheets write it), as csv reads it when given the raw text."""
    for newline in ("\n", "\r\n", "\r"):
        text = newline.join(["recipient_name,email,score", "Ana,a@x,90", "Ben,b@x,80", ""])
        assert read_csv(text, achievement="x").rows == [
            {"recipient_name": "Ana", "recipient_email": "a@x", "score": "90", "achievement": "x"},
            {"recipient_name": "Ben", "recipient_email": "b@x", "score": "80", "achievement": "x"},
        ]
    quoted = read_csv(f'{NEEDED},evidence_narrative\n{ANA},"two\r\nlines"\n').rows[0]
    assert quoted["evidence"] == [{"narrative": "two\r\nlines"}]


def test_a_csv_batch_over_http_names_its_stack_credentials_lines_and_ignored_columns(
    client: TestClient, auth, issuer, session: Session, runtime: Runtime
) -> None:
    """The answer is extended, not changed: ``row`` still counts rows from 1; ``line`` (the
    spreadsheet's), ``ignored_columns`` and ``stacks_issued`` are added."""
    for slug in APL_I_II[:4]:
        award_to(session, runtime, slug)
    text = (
        "Nombre;Correo;Logro;Puntuación (%);Notas\n"
        f'María López;{EDUCATOR};{APL_I_II[0]};95;"two\nlines"\n'  # held already: a second award
        f"María López;{EDUCATOR};{APL_I_II[4]};91%;\n"  # a new award: the last component
    )
    csv_headers = {**auth, "content-type": "text/csv"}
    response = client.post(BATCHES, content=text, params={"batch_id": "s"}, headers=csv_headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(r["row"], r["line"], r["ok"]) for r in result["results"]] == [
        (1, 2, True),
        (2, 3, True),
    ]
    assert result["ignored_columns"] == ["Notas"]
    [stack] = result["stacks_issued"]
    assert (stack["row"], stack["line"], stack["achievement"]) == (2, 3, "apl-i-ii")
    assert (stack["recipient_name"], stack["recipient_email"]) == ("María López", EDUCATOR)
    assert [s.id for s in stack_awards(session, "apl-i-ii")] == [uuid.UUID(stack["credential_id"])]
    assert client.get(stack["url"].removeprefix("https://issuer.test") + ".json").status_code == 200

    rerun = client.post(BATCHES, content=text, params={"batch_id": "s"}, headers=csv_headers)
    assert rerun.json()["stacks_issued"] == [] and rerun.json()["issued"] == 0
    read_back = client.get(f"{BATCHES}/s", headers=auth).json()
    assert "stacks_issued" not in read_back  # what a run issued is told by that run only

    wrong = client.post(BATCHES, content="Name;Mail\nAna;a@x\nBen;b@x\n", headers=csv_headers)
    assert wrong.status_code == 422
    [detail] = wrong.json()["detail"]
    assert "no column for the educator's email" in detail["msg"]
    # the bytes are read as `award --csv` reads a file: Excel's UTF-16 "Unicode text" is
    # read (its header judged), anything else but UTF-8 refused with how to save it
    utf16 = codecs.BOM_UTF16_LE + "Nombre\tCorreo\nMaría\tm@x\n".encode("utf-16-le")
    as_utf16 = client.post(BATCHES, content=utf16, headers=csv_headers)
    assert as_utf16.json()["detail"][0]["msg"].endswith("found Nombre, Correo")
    cp1252 = client.post(BATCHES, content="Nombre\nMaría\n".encode("cp1252"), headers=csv_headers)
    assert "CSV UTF-8" in cp1252.json()["detail"][0]["msg"]
