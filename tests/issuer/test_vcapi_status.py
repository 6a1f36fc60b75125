"""``POST /credentials/status`` (DCC's shape) over HTTP: revoke, suspend, unsuspend, then verify.

The credentials are issued through ``/credentials/issue`` with status entries; a change must be
visible to a verifier at once (the list is re-signed on its next fetch), and in the list's bits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from issuer.db import alembic_config, make_engine, migrate
from issuer.models import MAX_REASON, Issuer, Scope, VcApiStatusEvent
from issuer.runtime import Runtime
from issuer.services.apikeys import create_api_key
from issuer.settings import Settings
from schemas.bitstring import Bitstring
from tests.issuer.support import award_http, bearer, make_issuer, pg_database
from tests.issuer.test_vcapi import issue, vc2, verify


def status(
    client: TestClient,
    headers: dict[str, str],
    credential_id: str,
    new_status: str,
    *,
    path: str = "/credentials/status",
    **extra: Any,
) -> Any:
    body = {
        "credentialId": credential_id,
        "credentialStatus": [{"type": "BitstringStatusListCredential", "status": new_status}],
        **extra,
    }
    return client.post(path, json=body, headers=headers)


@pytest.fixture
def issued(client: TestClient, auth, issuer: Issuer) -> dict[str, Any]:
    return issue(client, auth, vc2(issuer.did), {"credentialStatus": True})


def _bit(client: TestClient, entry: dict[str, Any]) -> int:
    listed = client.get(entry["statusListCredential"]).json()
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    return bits.get(int(entry["statusListIndex"]))


def test_revoke_then_verify_fails_status(client: TestClient, auth, issued) -> None:
    assert verify(client, issued).status_code == 200
    response = status(client, auth, issued["id"], "revoked")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200
    assert body["message"] == "Credential successfully revoked."
    assert (body["previousStatus"], body["status"], body["changed"]) == ("active", "revoked", True)
    assert sorted(body["statusLists"]) == sorted(
        e["statusListCredential"] for e in issued["credentialStatus"]
    )
    revocation, suspension = issued["credentialStatus"]
    assert (_bit(client, revocation), _bit(client, suspension)) == (1, 0)
    response = verify(client, issued)
    assert response.status_code == 400
    result = response.json()
    assert result["verified"] is False
    assert "status" not in result["checks"]
    assert [(e["name"], e["check"]) for e in result["errors"]] == [("revoked", "status")]


def test_revoking_twice_changes_nothing_and_revocation_is_final(client, auth, issued) -> None:
    status(client, auth, issued["id"], "revoked").raise_for_status()
    again = status(client, auth, issued["id"], "revoked")
    assert again.status_code == 200
    assert again.json()["changed"] is False
    for other in ("suspended", "unsuspended"):
        response = status(client, auth, issued["id"], other)
        assert response.status_code == 409
        assert response.json()["name"] == "credential_revoked"


def test_suspend_then_unsuspend(client: TestClient, auth, issued) -> None:
    response = status(client, auth, issued["id"], "suspended")
    assert response.json()["message"] == "Credential successfully suspended."
    assert _bit(client, issued["credentialStatus"][1]) == 1
    result = verify(client, issued).json()
    assert [e["name"] for e in result["errors"]] == ["suspended"]
    response = status(client, auth, issued["id"], "unsuspended")
    assert response.json()["status"] == "active"
    assert _bit(client, issued["credentialStatus"][1]) == 0
    assert verify(client, issued).status_code == 200


def test_changes_are_in_the_audit_log(client, auth, issued, session: Session) -> None:
    status(client, auth, issued["id"], "suspended", reason="Under review").raise_for_status()
    status(client, auth, issued["id"], "unsuspended").raise_for_status()
    session.rollback()  # end the fixture's read snapshot (SQLite) before reading
    events = session.exec(select(VcApiStatusEvent).order_by(VcApiStatusEvent.id)).all()
    assert [(e.action, e.previous_status, e.new_status) for e in events] == [
        ("suspend", "active", "suspended"),
        ("unsuspend", "suspended", "active"),
    ]
    assert events[0].reason == "Under review"
    assert events[1].reason == "VC-API: unsuspended"
    assert events[0].actor.startswith("api:")


def test_one_status_object_and_the_entry_type_are_accepted(client, auth, issued) -> None:
    body = {
        "credentialId": issued["id"],
        "credentialStatus": {"type": "BitstringStatusListEntry", "status": "suspended"},
    }
    assert client.post("/credentials/status", json=body, headers=auth).status_code == 200


def test_an_award_can_be_revoked_by_its_id_too(client: TestClient, auth, issuer) -> None:
    award = award_http(client, auth)["credential"]
    response = status(client, auth, award["id"], "revoked")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    assert [e["name"] for e in verify(client, award).json()["errors"]] == ["revoked"]


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "credentialId", id="empty"),
        pytest.param({"credentialStatus": [{"status": "revoked"}]}, "credentialId", id="no id"),
        pytest.param({"credentialId": 4, "credentialStatus": []}, "credentialId", id="id number"),
        pytest.param({"credentialId": ""}, "credentialId", id="id empty"),
        pytest.param({"credentialId": "urn:x:1"}, "credentialStatus", id="no status"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": []}, "credentialStatus",
                     id="status empty"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [4]}, "credentialStatus",
                     id="status number"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": "revoked"},
                     "credentialStatus", id="status string"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [{"status": "revoked"},
                     {"status": "suspended"}]}, "credentialStatus", id="two"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [
            {"type": "StatusList2021Credential", "status": "revoked"}]}, "credentialStatus.type",
            id="other type"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [{"status": "deleted"}]},
                     "credentialStatus.status", id="unknown status"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [{"status": "revoked"}],
                      "reason": 4}, "reason", id="reason number"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [{"status": "revoked"}],
                      "reason": "x" * (MAX_REASON + 1)}, "reason", id="reason too long"),
        pytest.param({"credentialId": "urn:x:1", "credentialStatus": [{"status": "revoked"}],
                      "reason": "a\x00b"}, "reason", id="reason control character"),
    ],
)  # fmt: skip
def test_a_malformed_status_request_is_400(client: TestClient, auth, issuer, body, field) -> None:
    response = client.post("/credentials/status", json=body, headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize("body", [[], "x", None, 4], ids=str)
def test_a_status_body_that_is_not_an_object_is_400(client, auth, body) -> None:
    headers = {**auth, "content-type": "application/json"}
    response = client.post("/credentials/status", content=json.dumps(body), headers=headers)
    assert response.status_code == 400


def test_an_unknown_credential_is_404(client: TestClient, auth, issuer) -> None:
    response = status(client, auth, "urn:uuid:00000000-0000-4000-8000-000000000000", "revoked")
    assert response.status_code == 404
    assert response.json()["name"] == "credential_not_found"


def test_a_credential_issued_without_status_is_409(client, auth, issuer) -> None:
    plain = issue(client, auth, vc2(issuer.did))
    response = status(client, auth, plain["id"], "revoked")
    assert response.status_code == 409
    assert response.json()["name"] == "no_status"


def test_status_needs_a_token_with_the_revoke_scope(
    client: TestClient, session: Session, issuer: Issuer, issued
) -> None:
    assert status(client, {}, issued["id"], "revoked").status_code == 401
    _, issue_only = create_api_key(session=session, name="i", scopes=[Scope.issue], issuer=issuer)
    assert status(client, bearer(issue_only), issued["id"], "revoked").status_code == 403
    _, revoker = create_api_key(session=session, name="r", scopes=[Scope.revoke], issuer=issuer)
    assert status(client, bearer(revoker), issued["id"], "revoked").status_code == 200


def test_another_issuers_credential_is_not_found_for_a_bound_token(
    client: TestClient, auth, session: Session, runtime: Runtime, issuer: Issuer, issued
) -> None:
    other = make_issuer(session, runtime, "district-7", name="District 7")
    _, token = create_api_key(session=session, name="d7", scopes=[Scope.revoke], issuer=other)
    response = status(client, bearer(token), issued["id"], "revoked")
    assert response.status_code == 404
    # Nor through the tenant path of another tenant, with an all-issuers token.
    path = f"/instance/{other.slug}/credentials/status"
    assert status(client, auth, issued["id"], "revoked", path=path).status_code == 404
    path = f"/instance/{issuer.slug}/credentials/status"
    assert status(client, auth, issued["id"], "revoked", path=path).status_code == 200
    assert status(client, bearer(token), issued["id"], "revoked", path=path).status_code == 403


# ------------------------------------------------------------------------------ revision 0004


@pytest.fixture
def fresh_engine(database_name: str, tmp_path) -> Iterator[Engine]:
    """An empty database of the backend under test (not the shared, migrated one)."""
    if database_name == "sqlite":
        engine = make_engine(Settings(data_dir=tmp_path / "fresh"))
        yield engine
        engine.dispose()
        return
    with pg_database() as url:
        engine = make_engine(Settings(data_dir=tmp_path, database_url=url))
        yield engine
        engine.dispose()


def _award_fks(engine: Engine) -> list[Any]:
    return [
        fk
        for fk in inspect(engine).get_foreign_keys("status_allocation")
        if fk["referred_table"] == "award"
    ]


def test_revision_0004_drops_the_award_key_and_downgrades(fresh_engine: Engine) -> None:
    config = alembic_config(fresh_engine)
    command.upgrade(config, "0003")
    assert len(_award_fks(fresh_engine)) == 1
    command.upgrade(config, "0004")
    assert _award_fks(fresh_engine) == []
    assert {"vcapi_credential", "vcapi_status_event"} <= set(
        inspect(fresh_engine).get_table_names()
    )
    indexes = {i["name"] for i in inspect(fresh_engine).get_indexes("status_allocation")}
    assert "ix_status_allocation_award_id" in indexes
    command.downgrade(config, "0003")
    assert len(_award_fks(fresh_engine)) == 1
    assert "vcapi_credential" not in inspect(fresh_engine).get_table_names()
    migrate(fresh_engine)
    assert _award_fks(fresh_engine) == []
