"""The OpenAPI document is true: what it allows is accepted, what is answered is in it.

Clients are generated from ``/openapi.json``, so the document is held to the service:

* it is valid OpenAPI 3.1 (openapi-spec-validator), the issuer's and the stand-alone
  verifier's, and every operation declares the refusals every operation of its kind can get
  (the shared declarations of :mod:`issuer.api.responses`);
* schemathesis runs against it in process, on a seeded database, on SQLite and PostgreSQL, with
  the checks of :data:`tests.issuer.contract_support.CHECKS`: bounded here (two examples per
  operation, a fixed seed, its examples, fuzzing and stateful phases); the long run, with the
  coverage phase's tens of thousands of requests, is ``make contract``;
* what the first runs found is pinned, each by a test of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import Engine

from issuer.app import create_app
from issuer.runtime import Runtime
from issuer.settings import Settings
from tests.issuer.contract_support import run_contract, seeded_service
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, TEST_KEK
from verifier.http import create_verifier_app
from verifier.settings import VerifierSettings

API = f"/api/issuers/{ISSUER}"
#: Requests the bounded run must at least make, so that it cannot pass by testing nothing.
MIN_REQUESTS = 100


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The issuer's document as ``/openapi.json`` serves it (the same on either database)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("openapi"), base_url=BASE_URL, key_encryption_key=TEST_KEK
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def conforms(doc: dict[str, Any], method: str, path: str, status: int, body: Any) -> list[str]:
    """The ways ``body`` breaks the JSON schema ``doc`` gives for that answer (empty: none)."""
    answer = doc["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in doc["paths"].items() for m, op in item.items()]


# ------------------------------------------------------------------------------ the document


def test_the_documents_are_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    for app_document in (doc, create_verifier_app(VerifierSettings()).openapi()):
        assert app_document["openapi"].startswith("3.1")
        validate(app_document)  # raises, naming the first problem (a dangling $ref, …)


def test_every_operation_declares_the_refusals_of_its_kind(doc: dict[str, Any]) -> None:
    missing = []
    for method, path, operation in operations(doc):
        declared = set(operation["responses"])
        # Every operation reads the database, but the OB 3.0 API's discovery document (built
        # from this document); the OB 3.0 API refuses a bad parameter 400 (Imsx), never 422.
        discovery = path == "/ims/ob/v3p0/discovery"
        expected = set() if discovery else {"503"}
        if path.startswith("/api/") and path != "/api/bake":
            expected |= {"401"}
        if "{issuer_slug}" in path:
            expected |= {"403", "404"}
        if "requestBody" in operation:
            expected |= {"413"}
        if any(
            p["in"] in ("path", "query") for p in operation.get("parameters", [])
        ) and not path.startswith("/ims/ob/v3p0/"):
            expected |= {"422"}
        if not expected <= declared:
            missing.append(f"{method} {path}: {sorted(expected - declared)}")
        if not discovery:
            busy = operation["responses"]["503"]
            assert "Retry-After" in busy.get("headers", {}), f"{method} {path}"
        for status, answer in operation["responses"].items():
            for media, content in answer.get("content", {}).items():
                assert "schema" in content, f"{method} {path} {status} {media}"
    assert missing == []


def test_the_documents_award_example_is_an_award(
    client: TestClient, auth, issuer, doc: dict[str, Any]
) -> None:
    """Schemathesis' examples phase sends it; a client reads it: it must stay true."""
    [example] = doc["components"]["schemas"]["AwardCreate"]["examples"]
    response = client.post(f"{API}/awards", json=example, headers=auth)
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------------------ schemathesis


def test_schemathesis_finds_nothing_to_report(
    settings: Settings, engine: Engine, runtime: Runtime
) -> None:
    """Every operation, positive and negative data, real ids half the time, links between
    operations: no 5xx, no status, media type, body or header the document does not allow, no
    schema-valid request refused (but for SEMANTIC_REFUSALS) and no invalid one accepted."""
    with seeded_service(settings, engine, runtime) as service:
        run = run_contract(service, max_examples=2, phases=("examples", "fuzzing", "stateful"))
    report = "\n\n".join(run.failures + run.errors)
    assert run.failures == [] and run.errors == [], report
    assert run.server_errors == 0
    assert run.requests >= MIN_REQUESTS, run.summary()


# ------------------------------------------------------------------------------ what it found


def test_every_date_time_carries_its_zone(
    client: TestClient, auth, issuer, doc: dict[str, Any]
) -> None:
    """SQLite hands timestamps back naive: achievements' ``created`` had no zone."""
    achievements = client.get(f"{API}/achievements", headers=auth).json()
    keys = client.get(API, headers=auth).json()["keys"]
    moments = [a["created"] for a in achievements] + [k["created"] for k in keys]
    assert moments and all(datetime.fromisoformat(m).tzinfo is not None for m in moments)
    assert all(m.endswith("Z") for m in moments)
    path = "/api/issuers/{issuer_slug}/achievements"
    assert conforms(doc, "get", path, 200, achievements) == []


def test_an_award_without_an_idempotency_key_is_what_the_document_says(
    client: TestClient, auth, issuer, doc: dict[str, Any]
) -> None:
    """An award made without a key carries the one derived from its content (``auto:…``), in
    the list and in the 201, and both are what the document says (the key was once required
    by the document and missing from responses)."""
    created = client.post(f"{API}/awards", json=GOOD_AWARD, headers=auth)
    assert created.status_code == 201, created.text
    listed = client.get(f"{API}/awards", headers=auth).json()
    assert [a["id"] for a in listed] == [created.json()["id"]]
    assert listed[0]["idempotency_key"] == created.json()["idempotency_key"]
    assert listed[0]["idempotency_key"].startswith("auto:")
    assert conforms(doc, "get", "/api/issuers/{issuer_slug}/awards", 200, listed) == []
    assert conforms(doc, "post", "/api/issuers/{issuer_slug}/awards", 201, created.json()) == []


def test_a_batch_is_found_again_by_the_id_it_was_made_with(
    client: TestClient, auth, issuer
) -> None:
    """Schemathesis made a batch "00" it could not read back: the query's batch_id silently
    won over the body's, and ids with "/" or only dots cannot be a path segment."""
    body = {"rows": [GOOD_AWARD], "batch_id": "00"}
    made = client.post(f"{API}/batches", json=body, headers=auth)
    assert made.status_code == 200 and made.json()["batch_id"] == "00"
    found = client.get(f"{API}/batches/00", headers=auth)
    assert found.status_code == 200 and found.json()["batch_id"] == "00"

    both = client.post(f"{API}/batches", params={"batch_id": "01"}, json=body, headers=auth)
    assert both.status_code == 422
    assert both.json()["detail"][0]["loc"] == ["body", "batch_id"]
    assert client.get(f"{API}/batches/01", headers=auth).status_code == 404
    same = client.post(f"{API}/batches", params={"batch_id": "00"}, json=body, headers=auth)
    assert same.status_code == 200 and same.json()["batch_id"] == "00"

    for unreachable in ("a/b", ".", ".."):
        for params, json_body in (
            ({"batch_id": unreachable}, {"rows": [GOOD_AWARD]}),
            ({}, {"rows": [GOOD_AWARD], "batch_id": unreachable}),
        ):
            refused = client.post(f"{API}/batches", params=params, json=json_body, headers=auth)
            assert refused.status_code == 422, (unreachable, refused.text)


def test_a_csv_with_a_lone_carriage_return_is_read(client: TestClient, auth, issuer) -> None:
    """A lone CR made csv raise (a 500); it ends a line, as in old Mac files."""
    text = (
        "achievement,recipient_name,recipient_email,score\rclassroom-environment,Ana,a@x.example,90"
    )
    response = client.post(
        f"{API}/batches", content=text.encode(), headers={**auth, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["rows"], response.json()["ok"]) == (1, 1)


def test_a_vcapi_status_that_is_an_object_is_a_400(client: TestClient, auth, issuer) -> None:
    """``{"status": {}}`` was looked up in a dict: unhashable, a 500."""
    body = {"credentialId": f"urn:uuid:{uuid.uuid4()}", "credentialStatus": [{"status": {}}]}
    response = client.post("/credentials/status", json=body, headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "credentialStatus.status"


def test_a_nul_byte_from_the_caller_never_reaches_a_text_column(
    client: TestClient, auth, issuer
) -> None:
    """PostgreSQL stores no NUL in text: a batch row with a key holding one (its error names
    the key), a status reason, a VC-API reason were 500s there."""
    row = {**GOOD_AWARD, "note\x00": "x"}
    response = client.post(f"{API}/batches", json={"rows": [row]}, headers=auth)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert not result["ok"] and "note\\x00" in result["error"]

    award = client.post(f"{API}/awards", json=GOOD_AWARD, headers=auth).json()
    change = client.post(
        f"{API}/credentials/{award['id']}/suspend", json={"reason": "a\x00"}, headers=auth
    )
    assert change.status_code == 422, change.text
    assert change.json()["detail"][0]["loc"] == ["body", "reason"]

    body = {"credentialId": award["url"], "credentialStatus": [{"status": "suspended"}]}
    vcapi = client.post("/credentials/status", json={**body, "reason": "b\x00"}, headers=auth)
    assert vcapi.status_code == 400 and vcapi.json()["field"] == "reason", vcapi.text
    assert client.get(f"{API}/status/events", headers=auth).json() == []


def _requirement(ident: str, name: str) -> dict[str, Any]:
    anchor = "https://issuer.test/achievements/classroom-environment"
    return {"type": "component", "id": ident, "name": name, "anyVersionOf": [anchor]}


@pytest.mark.parametrize(
    ("requirements", "message"),
    [
        # The criteria are the rule in words: a control character made them invalid.
        ([_requirement("a", "A\x01")], "criteria in words"),
        # Ids are unique through the rule: the request's model does not check it, the rule's does.
        ([_requirement("a", "A"), _requirement("a", "B")], "two requirements have the id 'a'"),
        # No issuer accepted: a requirement nobody can meet, and its words named no issuer.
        ([{**_requirement("a", "A"), "issuers": []}], "at least 1 item"),
    ],
)
def test_a_stack_the_rule_model_refuses_is_a_422(
    client: TestClient, auth, issuer, requirements: list[dict[str, Any]], message: str
) -> None:
    """Each was a 500: refused only after the request was accepted, or not at all."""
    body = {"slug": "odd", "name": "Odd", "description": "D", "requirements": requirements}
    response = client.post(f"{API}/stacks", json=body, headers=auth)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][:2] == ["body", "requirements"] and message in error["msg"]


def test_get_verify_requires_a_url_of_api_clients(client: TestClient, doc: dict[str, Any]) -> None:
    """The document requires ``url``; without it an API client gets FastAPI's 422 shape, and a
    browser still gets the page."""
    parameters = doc["paths"]["/verify"]["get"]["parameters"]
    [url] = [p for p in parameters if p["name"] == "url"]
    assert url["required"] is True and url["in"] == "query"
    response = client.get("/verify")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "url"]
    page = client.get("/verify", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


@pytest.mark.parametrize(
    "path", ["/credentials/{id}/certificate", "/issuers/nobody/did.json", "/no/such/path"]
)
def test_a_404_is_documented_as_sent_json_for_clients_a_page_for_browsers(
    client: TestClient, doc: dict[str, Any], path: str
) -> None:
    """The certificate's 404 was once documented as text/html (its page's type) and sent as
    JSON. Every 404 is JSON for an API client and a page for a browser, and documented so."""
    url = path.replace("{id}", str(uuid.uuid4()))
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    template = path.replace("{id}", "{credential_id}").replace("nobody", "{slug}")
    if template in doc["paths"]:
        declared = doc["paths"][template]["get"]["responses"]["404"]["content"]
        assert set(declared) == {"application/json", "text/html"}
