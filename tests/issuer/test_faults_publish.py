"""A status change that cannot be published is refused, in words that say why (issue 17,
defect 17).

The issuer's current key is made unopenable the way it happens in life: sealed under another
key-encryption key than the running service's (a key rotated by a process started with another
KEK). Before, the revocation was accepted although no list could ever be signed to show it, and
the list's own error said "the credential could not be issued".
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from issuer.models import Award, AwardCreate, Issuer, KeyPurpose, StatusEvent, StatusList
from issuer.runtime import Runtime
from issuer.services import awards, status
from issuer.services.issuers import current_key
from issuer.services.status_machine import CannotPublish
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER


@pytest.fixture
def unsignable(session: Session, runtime: Runtime, issuer: Issuer) -> dict[str, Any]:
    """A credential of ``issuer``, whose current key then stops opening with the service's KEK."""
    row = awards.award(
        session=session, runtime=runtime, issuer=issuer, request=AwardCreate(**GOOD_AWARD)
    ).award
    credential = json.loads(row.credential)
    key = current_key(session, issuer, KeyPurpose.ldp)
    envelope = json.loads(key.sealed_private_jwk)
    envelope["kek"] = "0123456789abcdef"  # the id of a KEK this service does not have
    key.sealed_private_jwk = json.dumps(envelope)
    session.add(key)
    session.commit()
    return credential


def _unchanged(session: Session, credential: dict[str, Any]) -> None:
    session.expire_all()
    award = session.get(Award, uuid.UUID(credential["id"].rsplit("/", 1)[1]))
    assert award is not None and award.status == "active"
    assert session.exec(select(StatusEvent)).all() == []  # not even an audit row
    assert {row.version for row in session.exec(select(StatusList))} == {0}


def test_a_revocation_no_list_could_show_is_refused_and_says_why(
    client: TestClient,
    auth: dict[str, str],
    session: Session,
    runtime: Runtime,
    unsignable: dict[str, Any],
) -> None:
    credential_id = unsignable["id"].rsplit("/", 1)[1]
    for action in ("revoke", "suspend"):
        response = client.post(
            f"/api/issuers/{ISSUER}/credentials/{credential_id}/{action}",
            json={"reason": "awarded in error"},
            headers=auth,
        )
        assert response.status_code == 500, response.text
        detail = response.json()["detail"]
        assert detail.startswith(
            f"the {action} was refused and nothing was changed: the status lists of {ISSUER} "
            "cannot be signed, so no verifier would ever learn of it (the signing key "
        ), detail
        assert "sealed under key-encryption key '0123456789abcdef'" in detail
        assert "could not be issued" not in detail
    with pytest.raises(CannotPublish, match="the revoke was refused"):
        status.revoke(session, runtime, unsignable["id"], "awarded in error", "cli")
    _unchanged(session, unsignable)


def test_a_list_that_cannot_be_signed_says_so_without_naming_keys(
    client: TestClient, unsignable: dict[str, Any]
) -> None:
    url = unsignable["credentialStatus"][0]["statusListCredential"]
    response = client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 500
    public_id = url.rsplit("/", 1)[1]
    assert response.json() == {
        "detail": f"the status list {public_id} cannot be signed just now: its issuer's signing "
        "key cannot be used by this service (its operator will find why in the service's log)"
    }
