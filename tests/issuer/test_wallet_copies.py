"""Wallet copies: an award signed again for a holder's DID, with status of its own that follows
the award's (revoke, suspend, unsuspend) in the same transaction.

Every test runs on SQLite and PostgreSQL. Copies are verified by our verifier reading the app's
own status lists (``status_support.verify_here``), a fresh fetcher each time.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from issuer.models import (
    Award,
    AwardCreate,
    StatusAction,
    StatusAllocation,
    StatusEvent,
    WalletCopy,
)
from issuer.runtime import Runtime
from issuer.services import status as status_service
from issuer.services.awards import award
from issuer.services.errors import InvalidInput, NotFound
from issuer.services.wallet_copies import (
    AwardNotInForce,
    copy_public,
    issue_wallet_copy,
    list_copies,
)
from keys.did import did_key
from keys.keypairs import KeyType, SigningKey
from schemas.dates import parse_datetime
from tests.issuer.status_support import entries, status_check, summary, verify_here
from tests.issuer.support import GOOD_AWARD, ISSUER, cli_env, run_cli

ACTOR = "test:registrar"


def holder() -> str:
    """A fresh did:key, as a wallet makes one."""
    return did_key(SigningKey.generate(KeyType.ED25519))


def make_award(session: Session, runtime: Runtime, email: str = "copy@schools.nm.example") -> Award:
    request = AwardCreate.model_validate({**GOOD_AWARD, "recipient_email": email})
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


def copy_of(session: Session, runtime: Runtime, row: Award, did: str, **options: Any) -> WalletCopy:
    return issue_wallet_copy(
        session,
        runtime,
        award=row,
        holder_did=did,
        protocol=options.pop("protocol", "vcapi"),
        now=runtime.clock(),
        **options,
    )


def copy_rows(engine: Engine) -> list[WalletCopy]:
    with Session(engine) as check:
        return list(check.exec(select(WalletCopy)).all())


def test_a_copy_is_the_award_bound_to_the_holder(
    session: Session, runtime: Runtime, client: TestClient, issuer
) -> None:
    row = make_award(session, runtime)
    hosted = json.loads(row.credential)
    did = holder()
    wallet = copy_of(session, runtime, row, did)
    document = json.loads(wallet.credential)

    assert document["id"] == f"urn:uuid:{wallet.id}" != hosted["id"]
    subject = document["credentialSubject"]
    assert subject["id"] == did and "id" not in hosted["credentialSubject"]
    # What the award says, unchanged: the hashed-email identity, the achievement, the results.
    for member in ("identifier", "achievement", "result", "name"):
        assert subject[member] == hosted["credentialSubject"][member]
    assert document["awardedDate"] == hosted["awardedDate"]
    assert document["evidence"] == hosted["evidence"]
    # This version's date is when it was signed (OB 3.0: awardedDate keeps the award's).
    assert parse_datetime(document["validFrom"]) >= parse_datetime(hosted["validFrom"])
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["proof"]["proofValue"] != hosted["proof"]["proofValue"]
    # Status entries of its own, on the issuer's lists.
    own, award_entries = entries(document), entries(hosted)
    assert set(own) == {"revocation", "suspension"}
    for purpose in own:
        assert own[purpose]["id"] != award_entries[purpose]["id"]
    assert wallet.credential_jwt is None and wallet.delivered == wallet.credential

    report = verify_here(client, document)
    assert report.verdict == "valid", summary(report)
    assert status_check(report) == ("passed", "Not revoked. Not suspended.")


def test_a_jwt_copy_is_the_vc_jwt_of_the_signed_copy(
    session: Session, runtime: Runtime, client: TestClient, issuer
) -> None:
    row = make_award(session, runtime)
    did = holder()
    wallet = copy_of(session, runtime, row, did, protocol="oid4vci", fmt="jwt_vc_json")
    assert wallet.format == "jwt_vc_json" and wallet.delivered == wallet.credential_jwt
    assert wallet.credential_jwt is not None
    payload = json.loads(base64.urlsafe_b64decode(wallet.credential_jwt.split(".")[1] + "=="))
    assert payload["sub"] == did
    assert payload["credentialSubject"]["id"] == did  # OB 3.0 §8.2: claims beside the credential
    report = verify_here(client, wallet.credential_jwt)  # type: ignore[arg-type]
    assert report.verdict == "valid", summary(report)


def test_the_copy_allocations_are_its_own(
    session: Session, runtime: Runtime, engine: Engine, issuer
) -> None:
    row = make_award(session, runtime)
    first = copy_of(session, runtime, row, holder())
    second = copy_of(session, runtime, row, holder(), protocol="dccrequest")
    with Session(engine) as check:
        owners = check.exec(select(StatusAllocation.award_id)).all()
    assert sorted(map(str, owners)) == sorted(str(i) for i in [row.id, first.id, second.id] * 2)
    assert {c.id for c in list_copies(session, row.id)} == {first.id, second.id}
    view = copy_public(second)
    assert (view.protocol, view.format, view.status) == ("dccrequest", "ldp_vc", "active")
    assert view.credential_id == f"urn:uuid:{second.id}"


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_no_copy_of_an_award_out_of_force(
    session: Session, runtime: Runtime, engine: Engine, issuer, action: str
) -> None:
    row = make_award(session, runtime)
    getattr(status_service, action)(session, runtime, row.id, "test", ACTOR)
    with pytest.raises(AwardNotInForce, match="cannot be put in a wallet"):
        copy_of(session, runtime, row, holder())
    assert copy_rows(engine) == []
    with Session(engine) as check:
        assert len(check.exec(select(StatusAllocation)).all()) == 2  # the award's only


def test_a_refused_claim_signs_and_keeps_nothing(
    session: Session, runtime: Runtime, engine: Engine, issuer
) -> None:
    row = make_award(session, runtime)

    class Spent(Exception):
        pass

    def claim(_session: Session, _copy: WalletCopy) -> None:
        raise Spent

    with pytest.raises(Spent):
        copy_of(session, runtime, row, holder(), claim=claim)
    assert copy_rows(engine) == []
    with Session(engine) as check:
        assert len(check.exec(select(StatusAllocation)).all()) == 2


@pytest.mark.parametrize(
    "did", ["not-a-did", "did:key:z6Mk#key-1", "did:key:"], ids=["text", "method id", "empty"]
)
def test_a_copy_needs_a_did(session: Session, runtime: Runtime, issuer, did: str) -> None:
    row = make_award(session, runtime)
    with pytest.raises(InvalidInput, match="holder_did"):
        copy_of(session, runtime, row, did)


def test_a_copy_of_an_unknown_award_is_not_found(
    session: Session, runtime: Runtime, issuer
) -> None:
    with pytest.raises(NotFound):
        issue_wallet_copy(
            session,
            runtime,
            award=uuid.uuid4(),
            holder_did=holder(),
            protocol="vcapi",
            now=runtime.clock(),
        )


# ------------------------------------------------------------------------------ the cascade


def _event(engine: Engine, award_id: uuid.UUID) -> StatusEvent:
    with Session(engine) as check:
        return check.exec(
            select(StatusEvent)
            .where(StatusEvent.award_id == award_id)
            .order_by(col(StatusEvent.id).desc())
        ).first()  # type: ignore[return-value]


def test_revoking_the_award_revokes_every_copy(
    session: Session, runtime: Runtime, engine: Engine, client: TestClient, issuer
) -> None:
    row = make_award(session, runtime)
    other = make_award(session, runtime, "other@schools.nm.example")
    copies = [copy_of(session, runtime, row, holder()) for _ in range(2)]
    bystander = copy_of(session, runtime, other, holder())
    documents = [json.loads(c.credential) for c in copies]
    for document in documents:
        assert verify_here(client, document).verdict == "valid"

    change = status_service.revoke(session, runtime, row.id, "exam fraud", ACTOR)
    assert change.copies == 2 and change.to_json()["copies"] == 2
    event = _event(engine, row.id)
    assert (event.action, event.new_status, event.copies) == ("revoke", "revoked", 2)
    assert status_service.event_view(runtime, event).copies == 2
    for document in documents:
        report = verify_here(client, document)
        assert report.verdict == "invalid", summary(report)
        assert status_check(report) == ("failed", "The issuer has REVOKED this credential.")
    assert {c.status for c in copy_rows(engine) if c.award_id == row.id} == {"revoked"}
    # Another award's copy is untouched.
    assert verify_here(client, json.loads(bystander.credential)).verdict == "valid"
    # Revoking twice changes nothing and counts no copy.
    again = status_service.revoke(session, runtime, row.id, "twice", ACTOR)
    assert (again.changed, again.copies) == (False, 0)


def test_suspending_and_unsuspending_the_award_carries_its_copies(
    session: Session, runtime: Runtime, engine: Engine, client: TestClient, issuer
) -> None:
    row = make_award(session, runtime)
    document = json.loads(copy_of(session, runtime, row, holder()).credential)

    change = status_service.suspend(session, runtime, row.id, "under review", ACTOR)
    assert change.copies == 1 and _event(engine, row.id).copies == 1
    report = verify_here(client, document)
    assert report.verdict == "invalid" and "SUSPENDED" in status_check(report)[1], summary(report)
    assert [c.status for c in copy_rows(engine)] == ["suspended"]

    change = status_service.unsuspend(session, runtime, row.id, "cleared", ACTOR)
    assert change.copies == 1 and _event(engine, row.id).copies == 1
    report = verify_here(client, document)
    assert report.verdict == "valid", summary(report)
    assert [c.status for c in copy_rows(engine)] == ["active"]


def test_a_refused_status_change_leaves_the_copies_alone(
    session: Session, runtime: Runtime, engine: Engine, client: TestClient, issuer
) -> None:
    """Suspending a revoked award is refused: nothing changes, the copies neither."""
    row = make_award(session, runtime)
    wallet = copy_of(session, runtime, row, holder())
    status_service.revoke(session, runtime, row.id, "gone", ACTOR)
    with pytest.raises(Exception, match="revocation is permanent"):
        status_service.suspend(session, runtime, row.id, "too late", ACTOR)
    assert [c.status for c in copy_rows(engine)] == ["revoked"]
    with Session(engine) as check:
        bits = check.exec(
            select(StatusAllocation.purpose, StatusAllocation.is_set).where(
                StatusAllocation.award_id == wallet.id
            )
        ).all()
    assert sorted(bits) == [("revocation", True), ("suspension", False)]


def test_bulk_changes_carry_each_award_s_copies(
    session: Session, runtime: Runtime, engine: Engine, issuer
) -> None:
    rows = [make_award(session, runtime, f"bulk{i}@schools.nm.example") for i in range(3)]
    for i, row in enumerate(rows):
        for _ in range(i):
            copy_of(session, runtime, row, holder())
    changes = status_service.change_statuses(
        session, runtime, [r.id for r in rows], StatusAction.suspend, "audit", ACTOR
    )
    assert [c.copies for c in changes] == [0, 1, 2]
    assert {c.status for c in copy_rows(engine)} == {"suspended"}


def test_copies_are_made_at_the_time_given(session: Session, runtime: Runtime, issuer) -> None:
    row = make_award(session, runtime)
    later = runtime.clock() + timedelta(minutes=5)
    wallet = issue_wallet_copy(
        session, runtime, award=row, holder_did=holder(), protocol="vcapi", now=later
    )
    document = json.loads(wallet.credential)
    assert parse_datetime(document["validFrom"]) == later.replace(microsecond=0)
    assert parse_datetime(document["proof"]["created"]) == later.replace(microsecond=0)


# ------------------------------------------------------------------------------ visible


def test_the_awards_api_shows_the_copies(
    session: Session, runtime: Runtime, client: TestClient, auth, issuer
) -> None:
    row = make_award(session, runtime)
    path = f"/api/issuers/{ISSUER}/awards/{row.id}"
    assert client.get(path, headers=auth).json()["copies"] == []
    did = holder()
    wallet = copy_of(session, runtime, row, did, protocol="dccrequest")
    [shown] = client.get(path, headers=auth).json()["copies"]
    assert shown == {
        "id": str(wallet.id),
        "credential_id": f"urn:uuid:{wallet.id}",
        "protocol": "dccrequest",
        "format": "ldp_vc",
        "holder_did": did,
        "status": "active",
        "created": shown["created"],
    }
    assert parse_datetime(shown["created"]) is not None
    # Read-only: the listing does not carry them, and there is no route that writes one.
    listed = client.get(f"/api/issuers/{ISSUER}/awards", headers=auth).json()
    assert all("copies" not in item for item in listed)
    assert client.post(f"{path}/copies", headers=auth, json={}).status_code in (404, 405)


def test_credentials_show_lists_the_copies(
    session: Session, runtime: Runtime, settings, issuer
) -> None:
    row = make_award(session, runtime)
    env = cli_env(settings)
    shown = run_cli(env, "credentials", "show", str(row.id))
    assert json.loads(shown.stdout) == json.loads(row.credential)
    assert "no wallet copies" in shown.stderr
    did = holder()
    wallet = copy_of(session, runtime, row, did)
    shown = run_cli(env, "credentials", "show", str(row.id))
    assert json.loads(shown.stdout) == json.loads(row.credential)  # stdout: the award only
    header, line = shown.stderr.strip().splitlines()
    assert header.split() == ["WALLET", "COPY", "PROTOCOL", "FORMAT", "STATUS", "CREATED", "HOLDER"]
    assert line.split()[:4] == [str(wallet.id), "vcapi", "ldp_vc", "active"]
    assert line.split()[-1] == did
