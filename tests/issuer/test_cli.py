"""The issuer's commands, on the data directory and database directly (no server running)."""

from __future__ import annotations

import csv
import io
import json
import socket
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.cli.credentials import CSV_COLUMNS
from issuer.runtime import Runtime
from schemas.validation import validate_credential
from tests.issuer.support import BASE_URL, bearer, cli_env
from tests.issuer.support import run_cli as run
from tests.verifier.stack_support import APL_I_II


@pytest.fixture
def env(runtime: Runtime, settings) -> dict[str, str]:
    """The CLI's environment: the test database (cleaned by ``runtime``) and a KEK."""
    return cli_env(settings)


@pytest.fixture
def initialized(env: dict[str, Any]) -> str:
    """``microcred init`` done; returns its admin token."""
    result = run(env, "init", "--issuer-name", "NM Public Education Department")
    return result.stderr.split("admin key  ")[1].split()[0]


def test_init_prepares_everything_once(env: dict[str, Any]) -> None:
    first = run(env, "init", "--issuer-name", "NM Public Education Department")
    assert "base URL   https://issuer.test" in first.stderr
    assert "issuer     nm-public-education-department  did:web:issuer.test:issuers:" in first.stderr
    assert "loaded 15 demo achievements" in first.stderr  # 13 and the two APL stacks
    assert "admin key  mc_" in first.stderr
    assert first.stdout == ""
    again = run(env, "init")
    assert "admin key" not in again.stderr and "loaded" not in again.stderr
    moved = run(env, "init", "--base-url", "https://elsewhere.example", code=1)
    assert "cannot change" in moved.stderr


def test_init_with_a_base_url_and_did_key(env: dict[str, Any]) -> None:
    result = run(
        env, "init", "--base-url", "http://localhost:9000/", "--issuer-slug", "local",
        "--did-method", "key", "--no-demo",
    )  # fmt: skip
    assert "base URL   http://localhost:9000" in result.stderr
    assert "issuer     local  did:key:z6Mk" in result.stderr
    assert "did:web needs an https base URL" in result.stderr
    assert json.loads(run(env, "catalog", "list", "--json").stdout) == []


def test_award_prints_the_credential(env: dict[str, Any], initialized: str) -> None:
    args = (
        "award", "classroom-environment", "--recipient-email", "Ana@APS.nm.example",
        "--recipient-name", "Ana Ortiz", "--score", "91", "--rubric-level", "Exemplary",
        "--evidence-url", "https://lms.example/s/1", "--idempotency-key", "s-1",
    )  # fmt: skip
    credential = json.loads(run(env, *args).stdout)
    assert validate_credential(credential) == []
    assert credential["credentialSubject"]["result"][0]["value"] == "91"
    assert credential["id"].startswith(BASE_URL + "/credentials/")
    again = run(env, *args)
    assert json.loads(again.stdout)["id"] == credential["id"]
    assert "already issued with this idempotency key" in again.stderr
    token = run(env, *args, "--format", "jwt").stdout.strip()
    assert token.count(".") == 2

    listed = json.loads(run(env, "credentials", "list", "--json").stdout)
    assert [(c["id"], c["achievement"], c["status"]) for c in listed] == [
        (credential["id"].rsplit("/", 1)[1], "classroom-environment", "active")
    ]
    by_email = run(env, "credentials", "list", "--recipient-email", "ana@aps.nm.example", "--json")
    assert len(json.loads(by_email.stdout)) == 1
    none = run(env, "credentials", "list", "--achievement", "family-engagement", "--json")
    assert json.loads(none.stdout) == []
    assert "classroom-environment" in run(env, "credentials", "list").stdout

    shown = json.loads(run(env, "credentials", "show", listed[0]["id"]).stdout)
    assert shown == credential
    assert json.loads(run(env, "credentials", "show", credential["id"]).stdout) == credential
    assert (
        run(env, "credentials", "show", listed[0]["id"], "--format", "jwt").stdout.strip() == token
    )
    missing = run(env, "credentials", "show", "00000000-0000-4000-8000-000000000000", code=1)
    assert "no credential" in missing.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--recipient-email", "nope", "--recipient-name", "A", "--score", "90"),
            "recipient_email",
        ),
        (
            ("--recipient-email", "a@b.example", "--recipient-name", "A", "--score", "80"),
            "below the pass mark",
        ),  # fmt: skip
        (("--recipient-email", "a@b.example", "--recipient-name", "A"), "a score is required"),
        (("--recipient-email", "a@b.example", "--score", "90"), "recipient_name"),
        (
            (
                "--recipient-email",
                "a@b.example",
                "--recipient-name",
                "A",
                "--score",
                "90",
                "--awarded-date",
                "someday",
            ),
            "awarded_date",
        ),  # fmt: skip
    ],
)
def test_award_refusals_name_the_field(
    env: dict[str, Any], initialized: str, args: tuple[str, ...], message: str
) -> None:
    result = run(env, "award", "classroom-environment", *args, code=1)
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stdout == ""


def test_award_an_unknown_achievement(env: dict[str, Any], initialized: str) -> None:
    result = run(env, "award", "basket-weaving", "--recipient-email", "a@b.example", code=1)
    assert "no achievement 'basket-weaving'" in result.stderr


def test_award_without_a_slug_is_a_usage_error(env: dict[str, Any]) -> None:
    """Said before the data directory is opened, so not drowned by what opening it finds
    (before: "several issuers: say which with --issuer SLUG", or none, exit 1)."""
    result = run(env, "award", "--recipient-email", "a@b.example", code=64)
    assert result.stderr == "error: give an achievement SLUG (or --csv FILE)\n"


def test_misspelled_slugs_get_a_suggestion(env: dict[str, Any], initialized: str) -> None:
    """One "did you mean" in each service's not-found error, so every command has it."""
    achievement = run(env, "award", "clasroom-environment", "--recipient-email", "a@b.example",
                      code=1)  # fmt: skip
    assert "no achievement 'clasroom-environment'; did you mean 'classroom-environment'?" in (
        achievement.stderr
    )
    issuer = run(env, "credentials", "list", "--issuer", "nm-public-educaton-department", code=1)
    assert "did you mean 'nm-public-education-department'?" in issuer.stderr
    stack = run(env, "stacks", "progress", "apl-i-iii", "--recipient-email", "a@b.example", code=1)
    assert "no stack 'apl-i-iii'; did you mean" in stack.stderr and "'apl-i-ii'" in stack.stderr
    nothing_close = run(env, "award", "basket-weaving", "--recipient-email", "a@b.example", code=1)
    assert "did you mean" not in nothing_close.stderr



def test_award_summary_ids_and_the_credentials_table(env: dict[str, Any], initialized: str) -> None:
    educator = ("--recipient-email", "ana@aps.nm.example", "--recipient-name", "Ana Ortiz")
    summaries = []
    for slug in APL_I_II:
        result = run(env, "award", slug, *educator, "--score", "95")
        credential = json.loads(result.stdout)  # stdout: the credential alone
        summaries.append(result.stderr.strip())
        assert summaries[-1].startswith(f"awarded {slug} to Ana Ortiz: {credential['id']}")
    assert all("completed stack" not in line for line in summaries[:-1])
    stack_line = summaries[-1].split("; completed stack apl-i-ii: ")
    assert len(stack_line) == 2 and stack_line[1].startswith(BASE_URL + "/credentials/")
    stack_id = stack_line[1].rsplit("/", 1)[1]

    # every command taking an ID takes an 8-character prefix, through one resolver
    prefix = stack_id[:8]
    shown = json.loads(run(env, "credentials", "show", prefix).stdout)
    assert shown["id"].endswith(stack_id)
    run(env, "revoke", summaries[0].rsplit("/", 1)[1][:8], "--reason", "awarded in error")
    assert "revoke" in run(env, "status", "events", summaries[0].rsplit("/", 1)[1][:8]).stdout

    table = run(env, "credentials", "list")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "ACHIEVEMENT", "STATUS", "AWARDED", "RECIPIENT"]
    assert len(lines) == 1 + 6 and table.stderr == ""  # 5 components and the stack: all shown
    status_column = lines[0].index("STATUS")
    assert {line[status_column:].split()[0] for line in lines[1:]} == {"active", "revoked"}

    page = run(env, "credentials", "list", "--limit", "2", "--offset", "1")
    assert len(page.stdout.splitlines()) == 1 + 2
    assert page.stderr.strip() == "showing 2-3 of 6; 3 more: --offset 3"
    revoked = run(env, "credentials", "list", "--status", "revoked", "--json")
    # the stack credential that counted it followed it (both made within one second: the
    # list's order between them is not defined, only that they are the two)
    assert sorted(c["achievement"] for c in json.loads(revoked.stdout)) == [
        "apl-i-ii",
        "classroom-environment",
    ]

    exported = run(env, "credentials", "list", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0]) == list(CSV_COLUMNS) and len(rows) == 6
    [stack_row] = [row for row in rows if row["achievement"] == "apl-i-ii"]
    assert stack_row["id"] == stack_id and stack_row["recipient_name"] == "Ana Ortiz"
    run(env, "credentials", "list", "--csv", "--json", code=64)


def test_award_csv_with_progress_and_rerun(
    env: dict[str, Any], initialized: str, tmp_path: Path
) -> None:
    csv_file = tmp_path / "quarter.csv"
    csv_file.write_text(
        "achievement,recipient_name,recipient_email,score\n"
        "classroom-environment,Ana Ortiz,ana@aps.nm.example,90\n"
        "family-engagement,Ben Yazzie,ben@aps.nm.example,70\n"
        "assessment-literacy,Cruz Lee,cruz@aps.nm.example,99\n"
    )
    first = run(env, "award", "--csv", str(csv_file), code=1)
    assert "row 3: score: score 70 is below the pass mark" in first.stderr  # header: row 1
    assert "3 rows: 2 ok (2 newly issued, 0 already issued), 1 failed" in first.stderr
    csv_file.write_text(csv_file.read_text().replace(",70\n", ",87\n"))
    second = run(env, "award", "--csv", str(csv_file), "--json")
    result = json.loads(second.stdout)
    assert (result["ok"], result["issued"], result["batch_id"]) == (3, 1, "csv:quarter.csv")
    assert len(json.loads(run(env, "credentials", "list", "--json").stdout)) == 3


def test_award_csv_with_a_default_achievement(
    env: dict[str, Any], initialized: str, tmp_path: Path
) -> None:
    csv_file = tmp_path / "fe.csv"
    csv_file.write_text("recipient_name,recipient_email,score\nDee,dee@x.example,95\n")
    run(env, "award", "family-engagement", "--csv", str(csv_file))
    listed = json.loads(run(env, "credentials", "list", "--json").stdout)
    assert [c["achievement"] for c in listed] == ["family-engagement"]
    missing = run(env, "award", "--csv", str(tmp_path / "missing.csv"), code=64)
    assert "cannot read" in missing.stderr


def test_catalog_commands(env: dict[str, Any]) -> None:
    loaded = run(env, "catalog", "load", "demo")
    assert len(loaded.stdout.split()) == 15  # 13 micro-credentials and 2 stacks
    assert "admin key  mc_" in loaded.stderr  # it had to create the first issuer
    assert run(env, "catalog", "load", "demo").stdout == ""
    items = json.loads(run(env, "catalog", "list", "--json").stdout)
    assert {i["slug"] for i in items} >= {"classroom-environment", "trauma-informed-classroom"}
    assert items[0]["id"].startswith(BASE_URL + "/achievements/")
    assert "unknown catalog" in run(env, "catalog", "load", "other", code=64).stderr


def test_issuer_commands(env: dict[str, Any], initialized: str) -> None:
    created = run(
        env, "issuer", "create", "--slug", "aps", "--name", "Albuquerque Public Schools",
        "--parent", "nm-public-education-department", "--email", "pd@aps.nm.example",
        "--other-identifier", "ext:NCESDistrictID=3500060", "--jwt-key", "P-256", "--json",
    )  # fmt: skip
    view = json.loads(created.stdout)
    assert view["did"] == "did:web:issuer.test:issuers:aps"
    assert view["profile"]["parentOrg"]["name"] == "NM Public Education Department"
    assert "aps" in run(env, "issuer", "list").stdout
    assert len(json.loads(run(env, "issuer", "list", "--json").stdout)) == 2
    rotated = run(env, "issuer", "rotate-keys", "aps")
    assert rotated.stdout.count("did:web:issuer.test:issuers:aps#") == 2
    assert "no issuer 'nope'" in run(env, "issuer", "rotate-keys", "nope", code=1).stderr
    bad = run(env, "issuer", "create", "--slug", "Bad Slug", "--name", "x", code=1)
    assert "slug" in bad.stderr
    bad = run(
        env, "issuer", "create", "--slug", "x", "--name", "x", "--other-identifier", "x", code=64
    )
    assert "TYPE=VALUE" in bad.stderr


def test_apikey_commands_make_working_keys(
    env: dict[str, Any], initialized: str, app: FastAPI
) -> None:
    token = run(
        env, "apikey", "create", "--issuer", "nm-public-education-department", "--scope", "issue",
        "--name", "LMS",
    ).stdout.strip()  # fmt: skip
    every = json.loads(
        run(env, "apikey", "create", "--all-issuers", "--scope", "catalog", "--json").stdout
    )
    assert every["issuer"] is None and every["scopes"] == ["catalog"]
    with TestClient(app, base_url=BASE_URL) as client:
        path = "/api/issuers/nm-public-education-department/awards"
        assert client.get(path, headers=bearer(token)).status_code == 200
        prefix = token.split("_")[1]
        assert prefix in run(env, "apikey", "list").stdout
        run(env, "apikey", "revoke", prefix)
        assert client.get(path, headers=bearer(token)).status_code == 401
    assert "revoked" in run(env, "apikey", "list").stdout
    neither = run(env, "apikey", "create", "--scope", "issue", code=64)
    assert "--issuer SLUG or --all-issuers" in neither.stderr
    bad_scope = run(env, "apikey", "create", "--all-issuers", "--scope", "root", code=64)
    assert "root" in bad_scope.stderr  # a usage error: 64, as for every command


@pytest.fixture
def served(monkeypatch) -> list[tuple[Any, str, int]]:
    """What ``serve`` runs, as ``(app, host, port)``: no port is bound and nothing is served
    (a port in use is tests/issuer/test_serve_port.py's)."""
    from issuer.cli import server

    calls: list[tuple[Any, str, int]] = []

    def run_server(app: Any, sock: socket.socket, *, host: str, port: int, options: Any) -> None:
        sock.close()
        calls.append((app, host, port))

    monkeypatch.setattr(server, "listen", lambda host, port: socket.socket())
    monkeypatch.setattr(server, "run_server", run_server)
    return calls


def test_serve_creates_the_first_issuer_and_prints_the_key_once(
    env: dict[str, Any], served: list[tuple[Any, str, int]]
) -> None:
    first = run(env, "serve", "--port", "8123")
    assert "microcred issuer listening on http://127.0.0.1:8123" in first.stderr
    assert "public URL https://issuer.test" in first.stderr  # recorded earlier, kept
    assert "admin key  mc_" in first.stderr and "loaded 15 demo" in first.stderr
    token = first.stderr.split("admin key  ")[1].split()[0]
    app, host, port = served[0]
    assert (host, port) == ("127.0.0.1", 8123)
    with TestClient(app, base_url=BASE_URL) as client:
        issuers = client.get("/api/issuers", headers=bearer(token)).json()
        assert [i["slug"] for i in issuers] == ["demo-education-office"]
    second = run(env, "serve", "--host", "0.0.0.0")
    assert (
        "admin key" not in second.stderr and "listening on http://127.0.0.1:8000" in second.stderr
    )
    assert served[1][1] == "0.0.0.0"


def test_serve_refuses_production_without_a_kek(
    env: dict[str, Any], served: list[tuple[Any, str, int]]
) -> None:
    result = run(
        {**env, "MICROCRED_ENV": "production", "MICROCRED_KEY_ENCRYPTION_KEY": None},
        "serve",
        code=1,
    )
    assert "production mode needs a key-encryption key" in result.stderr
    assert served == []


def test_serve_verifier_only(
    env: dict[str, Any], served: list[tuple[Any, str, int]], monkeypatch
) -> None:
    fake = types.ModuleType("verifier.http")
    fake.create_verifier_app = lambda: "the verifier app"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "verifier.http", fake)
    run(env, "serve", "--verifier-only", "--port", "9001")
    assert served == [("the verifier app", "127.0.0.1", 9001)]
    monkeypatch.setitem(sys.modules, "verifier.http", None)  # not installed: import fails
    result = run(env, "serve", "--verifier-only", code=1)
    assert "verifier service is not available" in result.stderr
