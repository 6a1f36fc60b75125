"""The status commands, on the data directory with and without a server running."""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from issuer.app import create_app
from issuer.db import make_engine
from issuer.models import Award
from issuer.settings import Settings
from tests.issuer.status_support import entries, list_bit, path_of, verify_here
from tests.issuer.support import BASE_URL, cli_env
from tests.issuer.support import run_cli as run


@pytest.fixture
def env(runtime, settings) -> dict[str, Any]:
    return cli_env(settings)


def award_cli(env: dict[str, Any], email: str) -> dict[str, Any]:
    args = ("award", "classroom-environment", "--recipient-email", email,
            "--recipient-name", "Ana Ortiz", "--score", "91")  # fmt: skip
    return json.loads(run(env, *args).stdout)


@pytest.fixture
def credentials(env: dict[str, Any]) -> list[dict[str, Any]]:
    run(env, "init", "--issuer-name", "NM Public Education Department", "--issuer-slug", "nm-ped")
    return [award_cli(env, f"educator{i}@schools.nm.example") for i in range(2)]


def served(settings: Settings) -> FastAPI:
    """A server started now on the same data, with its own engine as `microcred serve` has
    (disposed when the test client stops it)."""
    return create_app(settings)


def test_revoke_with_the_server_down_is_served_by_the_next_request(
    env: dict[str, Any], credentials: list[dict[str, Any]], settings: Settings
) -> None:
    revoked, kept = credentials
    prefix = revoked["id"].rsplit("/", 1)[1][:8]
    result = run(env, "revoke", prefix, "--reason", "awarded in error")
    assert f"{revoked['id']}: active -> revoked" in result.stderr
    with TestClient(served(settings), base_url=BASE_URL) as client:
        assert list_bit(client, entries(revoked)["revocation"]) == 1
        assert list_bit(client, entries(kept)["revocation"]) == 0
        assert verify_here(client, revoked).verdict == "invalid"
        assert verify_here(client, kept).verdict == "valid"
    again = run(env, "revoke", revoked["id"], "--reason", "twice")
    assert "already revoked, nothing changed" in again.stderr
    refused = run(env, "unsuspend", prefix, "--reason", "no", code=1)
    assert "revocation is permanent" in refused.stderr


def test_a_running_server_serves_cli_changes_at_once(
    env: dict[str, Any], credentials: list[dict[str, Any]], settings: Settings
) -> None:
    _, suspended = credentials
    entry = entries(suspended)["suspension"]
    with TestClient(served(settings), base_url=BASE_URL) as client:
        before = client.get(path_of(entry["statusListCredential"]))
        assert list_bit(client, entry) == 0
        run(env, "suspend", suspended["id"], "--reason", "license suspended pending review")
        after = client.get(
            path_of(entry["statusListCredential"]),
            headers={"if-none-match": before.headers["etag"]},
        )
        assert after.status_code == 200  # the cached copy is stale: re-signed for this request
        assert list_bit(client, entry) == 1
        assert verify_here(client, suspended).verdict == "invalid"
        changed = json.loads(
            run(env, "unsuspend", suspended["id"][-36:], "--reason", "cleared", "--json").stdout
        )
        assert (changed["previous_status"], changed["status"], changed["changed"]) == (
            "suspended",
            "active",
            True,
        )
        assert list_bit(client, entry) == 0
        assert verify_here(client, suspended).verdict == "valid"
    listed = json.loads(run(env, "credentials", "list", "--json").stdout)
    assert {c["status"] for c in listed} == {"active"}


def test_events_export_lists_and_publish(
    env: dict[str, Any], credentials: list[dict[str, Any]]
) -> None:
    first, second = credentials
    run(env, "suspend", first["id"], "--reason", "pending review")
    run(env, "revoke", second["id"], "--reason", "awarded in error")
    log = json.loads(run(env, "status", "events", "--json").stdout)
    assert [(e["credential_id"], e["action"], e["reason"]) for e in log] == [
        (first["id"], "suspend", "pending review"),
        (second["id"], "revoke", "awarded in error"),
    ]
    assert {e["actor"] for e in log} == {f"cli:{getpass.getuser()}"}
    mine = json.loads(run(env, "status", "events", first["id"][-36:][:12], "--json").stdout)
    assert [e["action"] for e in mine] == ["suspend"]
    text = run(env, "status", "events").stdout
    assert "active->suspended" in text and "awarded in error" in text

    exported = json.loads(run(env, "status", "export", "--issuer", "nm-ped").stdout)
    assert exported["type"] == "1EdTechRevocationList"
    assert exported["revokedCredential"] == [
        {"id": second["id"], "revoked": True, "revocationReason": "awarded in error"}
    ]
    bare = json.loads(run(env, "status", "export", "--issuer", "nm-ped", "--no-reasons").stdout)
    assert bare["revokedCredential"] == [{"id": second["id"], "revoked": True}]

    lists = json.loads(run(env, "status", "lists", "--json").stdout)
    assert sorted((s["purpose"], s["allocated"], s["set"]) for s in lists) == [
        ("revocation", 2, 1),
        ("suspension", 2, 1),
    ]
    published = run(env, "status", "publish")
    assert "signed 2 status list(s)" in published.stderr
    assert "signed 0 status list(s)" in run(env, "status", "publish").stderr
    assert "signed 2 status list(s)" in run(env, "status", "publish", "--force").stderr
    assert all(
        not s["needs_signing"] for s in json.loads(run(env, "status", "lists", "--json").stdout)
    )


def test_unknown_short_and_ambiguous_ids(
    env: dict[str, Any], credentials: list[dict[str, Any]], settings: Settings
) -> None:
    first = credentials[0]["id"].rsplit("/", 1)[1]
    missing = run(env, "revoke", "00000000-0000-4000-8000-000000000000", "--reason", "x", code=1)
    assert "no credential" in missing.stderr
    short = run(env, "revoke", first[:6], "--reason", "x", code=1)
    assert "at least 8" in short.stderr
    no_reason = run(env, "revoke", first, code=64)  # a missing required option: bad usage
    assert "--reason" in no_reason.stderr
    # a twin whose uuid starts with the same 8 hex digits
    engine = make_engine(settings)
    with Session(engine) as session:
        row = session.get(Award, uuid.UUID(first))
        twin_id = first[:9] + "0000-4000-8000-000000000000"
        session.add(
            Award(**{**row.model_dump(), "id": uuid.UUID(twin_id), "idempotency_key": None})
        )
        session.commit()
    engine.dispose()
    ambiguous = run(env, "suspend", first[:8], "--reason", "x", code=64)
    assert "matches 2 credentials" in ambiguous.stderr
    assert first in ambiguous.stderr and twin_id in ambiguous.stderr
    assert run(env, "status", "events", first[:8], code=64).exit_code == 64
    assert "at least one credential" in run(env, "revoke", "--reason", "x", code=64).stderr


def test_several_at_once_from_arguments_and_a_file(
    env: dict[str, Any], credentials: list[dict[str, Any]], tmp_path
) -> None:
    ids = [c["id"] for c in credentials]
    listing = tmp_path / "ids.txt"
    listing.write_text(f"{ids[1]}\n\n")
    changed = json.loads(
        run(
            env, "suspend", ids[0], "--from-file", str(listing), "--reason", "board", "--json"
        ).stdout
    )
    assert [(c["credential_id"], c["status"]) for c in changed] == [
        (ids[0], "suspended"),
        (ids[1], "suspended"),
    ]
    run(env, "revoke", ids[0], "--reason", "final")
    refused = run(env, "unsuspend", *ids, "--reason", "cleared", code=1)
    assert "revocation is permanent" in refused.stderr
    listed = {
        c["id"]: c["status"] for c in json.loads(run(env, "credentials", "list", "--json").stdout)
    }
    assert sorted(listed.values()) == ["revoked", "suspended"]  # all or none: still suspended
    from_stdin = run(env, "unsuspend", "--from-file", "-", "--reason", "cleared", input=ids[1])
    assert "suspended -> active" in from_stdin.stderr
