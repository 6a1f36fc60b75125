"""Stacks from the command line: ``microcred award`` completing a stack, ``credentials list``
showing it, ``microcred stacks`` and ``microcred submit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from issuer.runtime import Runtime
from tests.issuer.stack_support import (
    APL_I_II,
    APL_II_III_ELECTIVES,
    APL_II_III_REQUIRED,
    EDUCATOR,
    OTHER_EDUCATOR,
    masters_degree,
    trust_list,
    university_did,
)
from tests.issuer.support import BASE_URL, cli_env
from tests.issuer.support import run_cli as run


@pytest.fixture
def env(runtime: Runtime, settings, tmp_path: Path) -> dict[str, Any]:
    trusted = trust_list(tmp_path / "universities.json", university_did())
    return cli_env(settings, MICROCRED_VERIFIER_TRUST_LISTS=json.dumps([str(trusted)]))


def award(env: dict[str, Any], slug: str, email: str = EDUCATOR, score: str = "91") -> None:
    run(
        env, "award", slug, "--recipient-email", email, "--recipient-name", "María López",
        "--score", score, "--rubric-level", "proficient",
    )  # fmt: skip


@pytest.fixture
def initialized(env: dict[str, Any]) -> None:
    run(env, "init", "--base-url", BASE_URL, "--issuer-name", "NM Public Education Department")


def test_the_last_component_awarded_with_the_cli_issues_the_stack(env, initialized) -> None:
    for slug in APL_I_II:
        award(env, slug)
    listed = json.loads(run(env, "credentials", "list", "--json").stdout)
    # (Listed oldest first; within one second the order is arbitrary.)
    assert sorted(c["achievement"] for c in listed) == sorted([*APL_I_II, "apl-i-ii"])
    [stack] = [c for c in listed if c["achievement"] == "apl-i-ii"]
    assert stack["recipient_email"] == EDUCATOR and stack["status"] == "active"
    readable = run(env, "credentials", "list").stdout
    assert "apl-i-ii" in readable
    shown = json.loads(run(env, "credentials", "show", stack["id"]).stdout)
    assert len(shown["evidence"]) == 5 and shown["relatedResource"][0]["digestSRI"]


def test_stacks_list_rule_and_progress(env, initialized) -> None:
    listed = run(env, "stacks", "list").stdout
    assert "apl-i-ii" in listed and f"{BASE_URL}/achievements/apl-ii-iii/v1/rule.json" in listed
    rule = json.loads(run(env, "stacks", "rule", "apl-i-ii").stdout)
    assert rule["type"] == "StackRule" and rule["version"] == 1
    for slug in APL_I_II[:2]:
        award(env, slug)
    progress = run(env, "stacks", "progress", "apl-i-ii", "--recipient-email", EDUCATOR).stdout
    assert "APL I-II: Level 2 License Advancement: unmet" in progress
    assert "✔ Classroom Environment" in progress and "✘ Family Engagement" in progress
    as_json = json.loads(
        run(env, "stacks", "progress", "apl-i-ii", "--recipient-email", EDUCATOR, "--json").stdout
    )
    assert [r["met"] for r in as_json["requirements"]] == [True, True, False, False, False]
    run(env, "stacks", "rule", "no-such-stack", code=1)
    assert run(env, "stacks", "check", "--recipient-email", EDUCATOR).stdout == ""


def test_submit_a_masters_degree_completes_apl_ii_iii(env, initialized, tmp_path: Path) -> None:
    for slug in (*APL_II_III_REQUIRED, *APL_II_III_ELECTIVES[:2]):
        award(env, slug)
    degree = tmp_path / "degree.json"
    degree.write_text(json.dumps(masters_degree()))
    result = run(env, "submit", str(degree), "--recipient-email", EDUCATOR)
    assert "accepted  Master of Arts in Education" in result.stdout
    assert "issued    stack credential" in result.stdout
    listed = json.loads(run(env, "credentials", "list", "--json").stdout)
    assert "apl-ii-iii" in [c["achievement"] for c in listed]
    # Another educator's degree does not count for her (exit 1), junk is unusable (exit 64).
    theirs = tmp_path / "theirs.json"
    theirs.write_text(json.dumps(masters_degree(OTHER_EDUCATOR)))
    refused = run(env, "submit", str(theirs), "--recipient-email", EDUCATOR, code=1)
    assert "not issued to this educator" in refused.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("not a credential")
    run(env, "submit", str(junk), "--recipient-email", EDUCATOR, code=1)
    run(env, "submit", str(tmp_path / "missing.json"), "--recipient-email", EDUCATOR, code=64)


def test_revoke_suspend_unsuspend_say_what_they_did_to_the_stack_credential(
    env, initialized, tmp_path: Path
) -> None:
    for slug in APL_I_II:
        award(env, slug)
    listed = json.loads(run(env, "credentials", "list", "--json").stdout)
    [stack] = [c for c in listed if c["achievement"] == "apl-i-ii"]
    first, second, *_ = [c for c in listed if c["achievement"] != "apl-i-ii"]
    # Human output: the component's line, then the stack credential's.
    result = run(env, "suspend", first["id"], "--reason", "under review")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{first['url']}: active -> suspended")
    assert lines[1].startswith(
        f"  stack credential {stack['url']} (apl-i-ii v1): suspended, active -> suspended (audit #"
    )
    shown = json.loads(run(env, "credentials", "show", first["id"]).stdout)
    name = shown["credentialSubject"]["achievement"]["name"]
    assert lines[1].endswith(f"component {first['url']} ({name}) suspended: under review")
    unsuspended = json.loads(
        run(env, "unsuspend", first["id"], "--reason", "review done", "--json").stdout
    )
    [effect] = unsuspended["stacks"]
    assert (effect["id"], effect["outcome"], effect["status"]) == (
        stack["id"],
        "unsuspended",
        "active",
    )
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{first['id']}\n{second['id']}\n")
    revoked = json.loads(
        run(env, "revoke", "--from-file", str(ids), "--reason", "assessor error", "--json").stdout
    )
    assert [[(e["credential_id"], e["outcome"]) for e in c["stacks"]] for c in revoked] == [
        [(stack["url"], "revoked")],
        [(stack["url"], "revoked")],
    ]
    shown = json.loads(run(env, "credentials", "list", "--json").stdout)
    assert {c["id"]: c["status"] for c in shown}[stack["id"]] == "revoked"
