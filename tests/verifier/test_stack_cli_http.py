"""Stack claims through ``microcred verify --stack`` (exit codes, JSON, the checklist) and
``POST /verify/stack`` (JSON and the page), offline: rules and evidence links are preloads."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microcred.cli import app
from tests.verifier.stack_support import (
    APL_I_II,
    EDUCATOR,
    OTHER_EDUCATOR,
    apl_i_ii_rule,
    component,
    published,
    stack_credential,
)
from tests.verifier.support import NOW, World
from verifier.http import get_verifier, router
from verifier.service import Verifier

runner = CliRunner()
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def claim_files(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A complete APL I-II claim as an office receives it: files, plus the documents the
    stack credential links to (served with --preload)."""
    root = tmp_path_factory.mktemp("stack-cli")
    rule = apl_i_ii_rule([world.did_a])
    parts = [component(world, slug) for slug in APL_I_II]
    stack = stack_credential(world, rule, parts)
    files: dict[str, Any] = {"rule_doc": rule, "parts": parts, "stack_doc": stack}

    def write(name: str, value: Any) -> Path:
        path = root / name
        path.write_bytes(value if isinstance(value, bytes) else json.dumps(value).encode())
        return path

    files["rule"] = write("rule.json", json.dumps(rule, indent=2).encode())
    files["stack"] = write("stack.json", stack)
    for index, part in enumerate(parts):
        files[f"part{index}"] = write(f"part{index}.json", part)
    files["low"] = write("low.json", component(world, APL_I_II[4], score=80, tag="low"))
    files["theirs"] = write("theirs.json", component(world, APL_I_II[4], email=OTHER_EDUCATOR))
    files["junk"] = write("junk.txt", b"not a credential")
    preloads = []
    for url, body in published(rule, *parts).items():
        name = f"doc{len(preloads)}.json"
        preloads += ["--preload", f"{url}={write(name, body)}"]
    files["preloads"] = preloads
    return files


def verify(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["verify", "--at", NOW.isoformat(), *map(str, args)])


def parts(files: dict[str, Any], count: int = 5) -> list[Path]:
    return [files[f"part{i}"] for i in range(count)]


# --------------------------------------------------------------------------- the CLI


def test_cli_a_stack_credential_whose_components_are_fetched(claim_files) -> None:
    result = verify(
        "--stack", claim_files["stack"], *claim_files["preloads"], "--recipient", EDUCATOR
    )
    assert result.exit_code == 0, result.output
    assert "Stack checklist" in result.output
    assert "✔ Classroom Environment" in result.output
    assert "One educator" in result.output


def test_cli_components_and_a_rule_file_json(claim_files) -> None:
    result = verify(
        "--stack", "--rule", claim_files["rule"], *parts(claim_files), "--recipient", EDUCATOR,
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "valid"
    stack = report["checks"][-1]
    assert stack["id"] == "stack" and stack["outcome"] == "passed"
    assert [r["status"] for r in stack["details"]["requirements"]] == ["met"] * 5


@pytest.mark.parametrize(
    ("swap", "code", "words"),
    [
        ("low", 1, "below the 85% required"),
        ("theirs", 1, "not issued to the given recipient"),
    ],
)
def test_cli_failures_exit_1(claim_files, swap: str, code: int, words: str) -> None:
    result = verify(
        "--stack", "--rule", claim_files["rule"], *parts(claim_files, 4), claim_files[swap],
        "--recipient", EDUCATOR,
    )  # fmt: skip
    assert result.exit_code == code, result.output
    assert "✘ Family Engagement" in result.output
    assert words in " ".join(result.output.split())


def test_cli_without_the_email_is_indeterminate(claim_files) -> None:
    result = verify("--stack", "--rule", claim_files["rule"], *parts(claim_files))
    assert result.exit_code == 2, result.output
    assert "--recipient" in " ".join(result.output.split())


def test_cli_unusable_claims_exit_64(claim_files, tmp_path: Path) -> None:
    assert verify("--stack", *parts(claim_files)).exit_code == 64  # no rule to judge by
    assert verify("--stack", "--rule", claim_files["rule"], claim_files["junk"]).exit_code == 64
    assert verify("--rule", claim_files["rule"], claim_files["part0"]).exit_code == 64
    not_a_rule = tmp_path / "not-rule.json"
    not_a_rule.write_text('{"type": "Something"}')
    result = verify("--stack", "--rule", not_a_rule, claim_files["part0"])
    assert result.exit_code == 64 and "not a stack rule" in result.output
    assert (
        verify("--stack", "--rule", tmp_path / "missing.json", claim_files["part0"]).exit_code == 64
    )


# --------------------------------------------------------------------------- HTTP


@pytest.fixture()
def client(world: World, claim_files) -> Iterator[TestClient]:
    documents = published(claim_files["rule_doc"], *claim_files["parts"])
    app_ = FastAPI()
    app_.include_router(router)
    service = Verifier(fetcher=world.fetcher(documents))
    app_.dependency_overrides[get_verifier] = lambda: service
    with TestClient(app_) as test_client:
        yield test_client
    service.close()


def test_http_json_claim(client: TestClient, claim_files) -> None:
    body = {"credentials": [claim_files["stack_doc"]], "recipient": EDUCATOR, "at": NOW.isoformat()}
    response = client.post("/verify/stack", json=body)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "valid"
    assert report["checks"][-1]["id"] == "stack"
    # Components and the rule instead: four of five.
    body = {
        "credentials": claim_files["parts"][:4],
        "rule": claim_files["rule_doc"],
        "recipient": EDUCATOR,
        "at": NOW.isoformat(),
    }
    report = client.post("/verify/stack", json=body).json()
    assert report["verdict"] == "invalid"
    assert report["checks"][-1]["details"]["requirements"][4]["status"] == "unmet"
    # The rule by URL (fetched), and a presentation.
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": claim_files["parts"],
    }
    body = {
        "presentation": presentation,
        "ruleUrl": claim_files["rule_doc"]["id"],
        "recipient": EDUCATOR,
        "at": NOW.isoformat(),
    }
    assert client.post("/verify/stack", json=body).json()["verdict"] == "valid"


def test_http_errors(client: TestClient, claim_files) -> None:
    assert client.post("/verify/stack", json={}).status_code == 400
    assert client.post("/verify/stack", json={"credentials": ["not a jws"]}).status_code == 400
    no_rule = client.post("/verify/stack", json={"credentials": claim_files["parts"]})
    assert no_rule.status_code == 400 and "No stack rule" in no_rule.json()["detail"]
    bad_rule = client.post(
        "/verify/stack", json={"credentials": claim_files["parts"], "rule": {"type": "X"}}
    )
    assert bad_rule.status_code == 400 and "not a stack rule" in bad_rule.json()["detail"]
    assert (
        client.post(
            "/verify/stack", content=b"x", headers={"content-type": "image/gif"}
        ).status_code
        == 415
    )
    unreachable = client.post(
        "/verify/stack",
        json={
            "credentials": ["https://elsewhere.example/badge/1"],
            "rule": claim_files["rule_doc"],
        },
    )
    assert unreachable.status_code == 502


def test_the_page_shows_a_stack_as_a_checklist(client: TestClient, claim_files) -> None:
    files = [("file", (f"part{i}.json", json.dumps(p), "application/json"))
             for i, p in enumerate(claim_files["parts"][:4])]  # fmt: skip
    response = client.post(
        "/verify/stack",
        data={"rule_url": claim_files["rule_doc"]["id"], "recipient": EDUCATOR},
        files=files,
        headers=HTML,
    )
    assert response.status_code == 200, response.text
    page = response.text
    assert "Stack: APL I-II: Level 2 License Advancement" in page
    assert "Not complete" in page
    assert page.count('class="s-met"') == 5  # four requirements and one educator
    assert page.count('class="s-unmet"') == 1
    assert "No credential for Family Engagement was found." in page
    # The page given a stack credential (pasted) at /verify shows the checklist too.
    pasted = client.post(
        "/verify",
        data={"credential": json.dumps(claim_files["stack_doc"]), "recipient": EDUCATOR},
        headers=HTML,
    )
    assert pasted.status_code == 200
    assert "Stack: APL I-II" in pasted.text and "Complete" in pasted.text
    assert pasted.text.count('class="s-met"') == 6
    # The form to check a stack is on the empty page.
    assert 'action="/verify/stack"' in client.get("/verify", headers=HTML).text


def test_the_openapi_description_has_the_stack_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/verify/stack"]["post"]["requestBody"]["content"]
    assert "application/json" in body and "multipart/form-data" in body


def test_http_a_deeply_nested_body_is_400(client: TestClient) -> None:
    """100,000 nested arrays made the JSON decoder raise RecursionError (a 500)."""
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        "/verify/stack", content=deep, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "nested more than 64 levels deep" in response.json()["detail"]


def test_the_stack_checklist_in_spanish(client: TestClient, claim_files, world: World) -> None:
    """Issue 18: the checklist's sentences (the stack check, each requirement's reason, the
    within/order rows, one educator) in the reader's language; the JSON stays English."""
    rule = apl_i_ii_rule([world.did_a], within={"years": 3}, order=False)
    body = {
        "credentials": [*claim_files["parts"][:4], json.loads(claim_files["low"].read_text())],
        "rule": rule,
        "recipient": EDUCATOR,
        "at": NOW.isoformat(),
    }
    report = client.post("/verify/stack", json=body, params={"lang": "es"}).json()
    stack = report["checks"][-1]
    assert stack["message"].startswith("The stack is not complete: 2 of 6 requirements")
    english = client.post("/verify/stack", json=body, headers=HTML).text
    spanish = client.post("/verify/stack", json=body, headers=HTML, params={"lang": "es"}).text
    sentences = [
        stack["message"],
        stack["details"]["sameEducator"]["message"],
        *(r["reason"] for r in stack["details"]["requirements"]),
    ]
    assert all(html.escape(s) in english for s in sentences)  # the test reads the page's words
    left = [s for s in sentences if html.escape(s) in spanish]
    assert not left, f"English on the Spanish page: {left}"
    page = html.unescape(spanish)
    assert "El conjunto no está completo: no se cumplen 2 de los 6 requisitos (Family " in page
    assert "obtuvo 80% en Mastery component score, por debajo del 85% exigido" in page
    assert "Se cumple con Classroom Environment (https://" in page
    assert "Todo en un plazo de 3 años: No se puede cumplir hasta que se cumplan" in page
    assert "Todo en un plazo de 3 años</span>" in spanish  # the row's name
    assert "Todas las credenciales se emitieron a " in page
