"""The status check: Bitstring Status List and 1EdTech revocation lists, failing closed."""

from __future__ import annotations

import copy

import httpx
import pytest

from keys.suites.vc_jwt import JwtProfile, sign_jwt
from tests.verifier.support import (
    REVOCATION_URL,
    STATUS_INDEX,
    SUSPENSION_URL,
    WEB_DID,
    WEB_VM,
    Recorder,
    World,
    outcomes,
    vm_of,
)
from verifier.report import CheckId, Outcome, Verdict

LIST_1EDTECH = "https://issuer.example/revocations"


@pytest.fixture(scope="module")
def credential(world: World) -> dict:
    return world.web_credential()


def _entries(report) -> list[dict]:  # type: ignore[no-untyped-def]
    return report.check(CheckId.STATUS).details["entries"]


def test_not_revoked_nor_suspended(world: World, credential: dict) -> None:
    report = world.verify(credential)
    assert outcomes(report)["status"] == "passed"
    assert report.check(CheckId.STATUS).message == "Not revoked. Not suspended."


def test_revoked(world: World, credential: dict) -> None:
    revoked = world.status_list(REVOCATION_URL, "revocation", (99, STATUS_INDEX))
    report = world.verify(credential, extra={REVOCATION_URL: revoked})
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["status"] == "failed"
    assert "REVOKED" in report.check(CheckId.STATUS).message
    assert [e["status"] for e in _entries(report)] == [1, 0]


def test_suspended(world: World, credential: dict) -> None:
    suspended = world.status_list(SUSPENSION_URL, "suspension", (STATUS_INDEX,))
    report = world.verify(credential, extra={SUSPENSION_URL: suspended})
    assert report.verdict is Verdict.INVALID
    assert "SUSPENDED" in report.check(CheckId.STATUS).message


def test_status_list_unreachable_is_indeterminate(world: World, credential: dict) -> None:
    recorder = Recorder()  # answers 503
    report = world.verify(credential, extra={SUSPENSION_URL: None}, recorder=recorder)
    assert report.verdict is Verdict.INDETERMINATE
    assert outcomes(report)["status"] == "indeterminate"
    assert recorder.urls == [SUSPENSION_URL]
    assert "could not be retrieved" in report.check(CheckId.STATUS).message
    assert [e["outcome"] for e in _entries(report)] == ["passed", "indeterminate"]


def test_revoked_outranks_unreachable(world: World, credential: dict) -> None:
    revoked = world.status_list(REVOCATION_URL, "revocation", (STATUS_INDEX,))
    report = world.verify(credential, extra={REVOCATION_URL: revoked, SUSPENSION_URL: None})
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["status"] == "failed"


def test_tampered_status_list(world: World, credential: dict) -> None:
    """Someone clears the bit in a published list without the issuer's key: not trusted."""
    revoked = world.status_list(REVOCATION_URL, "revocation", (STATUS_INDEX,))
    cleared = world.status_list(REVOCATION_URL, "revocation")
    forged = copy.deepcopy(revoked)
    forged["credentialSubject"]["encodedList"] = cleared["credentialSubject"]["encodedList"]
    report = world.verify(credential, extra={REVOCATION_URL: forged})
    assert report.verdict is Verdict.INDETERMINATE
    assert outcomes(report)["status"] == "indeterminate"
    assert "cannot be trusted" in report.check(CheckId.STATUS).message


def test_status_list_signed_by_a_key_not_its_issuers(world: World, credential: dict) -> None:
    forged = world.status_list(
        REVOCATION_URL, "revocation", key=world.key_b, vm=vm_of(world.key_b), issuer=WEB_DID
    )
    report = world.verify(credential, extra={REVOCATION_URL: forged})
    assert outcomes(report)["status"] == "indeterminate"
    assert "not signed with its issuer's key" in report.check(CheckId.STATUS).message


def test_status_list_of_another_issuer_is_allowed(world: World, credential: dict) -> None:
    """The spec lets a status service issue the list; its own key binding is what counts."""
    delegated = world.status_list(
        REVOCATION_URL, "revocation", key=world.key_b, vm=vm_of(world.key_b), issuer=world.did_b
    )
    report = world.verify(credential, extra={REVOCATION_URL: delegated})
    assert outcomes(report)["status"] == "passed"
    assert _entries(report)[0]["listIssuer"] == world.did_b
    assert _entries(report)[0]["listIssuerDiffers"] is True


def test_expired_status_list(world: World, credential: dict) -> None:
    stale = world.status_list(REVOCATION_URL, "revocation", valid_until="2026-10-01T00:00:00Z")
    report = world.verify(credential, extra={REVOCATION_URL: stale})
    assert report.verdict is Verdict.INDETERMINATE
    assert "validity period" in report.check(CheckId.STATUS).message


def test_status_list_too_short(world: World, credential: dict) -> None:
    short = world.status_list(REVOCATION_URL, "revocation", entries=8 * 1024)
    report = world.verify(credential, extra={REVOCATION_URL: short})
    assert outcomes(report)["status"] == "indeterminate"
    assert "too short" in report.check(CheckId.STATUS).message


def test_purpose_mismatch(world: World, credential: dict) -> None:
    wrong = world.status_list(REVOCATION_URL, "suspension")
    report = world.verify(credential, extra={REVOCATION_URL: wrong})
    assert outcomes(report)["status"] == "indeterminate"
    assert "not for revocation" in report.check(CheckId.STATUS).message


def test_index_out_of_range(world: World) -> None:
    credential = world.credential(issuer=WEB_DID)
    credential["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "131072",
        "statusListCredential": REVOCATION_URL,
    }
    report = world.verify(world.sign(credential, key=world.web_key, vm=WEB_VM))
    assert outcomes(report)["status"] == "indeterminate"
    assert "outside" in report.check(CheckId.STATUS).message


def test_malformed_entry_fails(world: World) -> None:
    credential = world.credential(issuer=WEB_DID)
    credential["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "-7",
        "statusListCredential": REVOCATION_URL,
    }
    report = world.verify(world.sign(credential, key=world.web_key, vm=WEB_VM))
    assert outcomes(report)["status"] == "failed"
    assert "malformed" in report.check(CheckId.STATUS).message


def test_malformed_encoded_list(world: World, credential: dict) -> None:
    garbled = world.status_list(REVOCATION_URL, "revocation")
    garbled["credentialSubject"]["encodedList"] = "uNOT-GZIP"
    del garbled["proof"]
    resigned = world.sign(garbled, key=world.web_key, vm=WEB_VM)
    report = world.verify(credential, extra={REVOCATION_URL: resigned})
    assert outcomes(report)["status"] == "indeterminate"
    assert "cannot be decoded" in report.check(CheckId.STATUS).message


def test_unknown_status_type_is_indeterminate(world: World) -> None:
    credential = world.credential()
    credential["credentialStatus"] = {
        "id": "https://issuer.example/status/2021#5",
        "type": "StatusList2021Entry",
    }
    unsigned_report = world.verify(credential)
    assert outcomes(unsigned_report)["status"] == "indeterminate"
    assert "not supported" in unsigned_report.check(CheckId.STATUS).message


def test_status_list_as_vc_jwt(world: World, credential: dict) -> None:
    unsigned = world.status_list(REVOCATION_URL, "revocation", (STATUS_INDEX,))
    del unsigned["proof"]
    token = sign_jwt(unsigned, key=world.web_key, kid=WEB_VM, profile=JwtProfile.VC2)
    report = world.verify(credential, extra={REVOCATION_URL: token.encode()})
    assert outcomes(report)["status"] == "failed"
    assert "REVOKED" in report.check(CheckId.STATUS).message


def test_message_purpose_with_status_size(world: World) -> None:
    from schemas.bitstring import Bitstring

    url = "https://issuer.example/status/messages"
    bits = Bitstring(131_072, status_size=2)
    bits.set(7, 2)
    messages = [
        {"status": "0x0", "message": "pending review"},
        {"status": "0x1", "message": "accepted"},
        {"status": "0x2", "message": "credit hours under appeal"},
        {"status": "0x3", "message": "withdrawn"},
    ]
    status_list = world.status_list(url, "message")
    del status_list["proof"]
    status_list["credentialSubject"]["encodedList"] = bits.encode()
    status_list = world.sign(status_list, key=world.web_key, vm=WEB_VM)
    credential = world.credential(issuer=WEB_DID)
    credential["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "7",
        "statusSize": 2,
        "statusMessage": messages,
        "statusListCredential": url,
    }
    report = world.verify(
        world.sign(credential, key=world.web_key, vm=WEB_VM), extra={url: status_list}
    )
    assert outcomes(report)["status"] == "warning"
    assert "credit hours under appeal" in report.check(CheckId.STATUS).message
    assert report.verdict is Verdict.VALID


# ------------------------------------------------------------------ 1EdTech revocation list


def _with_1edtech_list(world: World) -> dict:
    credential = world.credential()
    credential["credentialStatus"] = {"id": LIST_1EDTECH, "type": "1EdTechRevocationList"}
    return world.sign(credential)


def test_1edtech_revocation_list(world: World) -> None:
    credential = _with_1edtech_list(world)
    clean = {"id": LIST_1EDTECH, "issuer": world.did_a, "revokedCredential": []}
    report = world.verify(credential, extra={LIST_1EDTECH: clean})
    assert outcomes(report)["status"] == "passed"
    revoked = {
        **clean,
        "revokedCredential": [
            {"id": credential["id"], "revoked": True, "revocationReason": "Issued in error"}
        ],
    }
    report = world.verify(credential, extra={LIST_1EDTECH: revoked})
    assert report.verdict is Verdict.INVALID
    assert report.check(CheckId.STATUS).message == (
        "The issuer has REVOKED this credential: Issued in error."
    )
    reinstated = {**clean, "revokedCredential": [{"id": credential["id"], "revoked": False}]}
    assert outcomes(world.verify(credential, extra={LIST_1EDTECH: reinstated}))["status"] == (
        "passed"
    )


def test_1edtech_revocation_list_unreachable_fails_closed(world: World) -> None:
    """The 1EdTech validator only warns here; we do not call a credential valid unchecked."""
    recorder = Recorder({LIST_1EDTECH: httpx.Response(404)})
    report = world.verify(_with_1edtech_list(world), recorder=recorder)
    assert report.verdict is Verdict.INDETERMINATE
    assert report.check(CheckId.STATUS).outcome is Outcome.INDETERMINATE


def test_each_list_is_fetched_once_per_verification(world: World) -> None:
    credential = world.credential(issuer=WEB_DID)
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListCredential": REVOCATION_URL,
    }
    credential["credentialStatus"] = [
        {**entry, "statusListIndex": "1"},
        {**entry, "statusListIndex": "99"},
    ]
    recorder = Recorder({REVOCATION_URL: httpx.Response(200, json=world.published[REVOCATION_URL])})
    report = world.verify(
        world.sign(credential, key=world.web_key, vm=WEB_VM),
        extra={REVOCATION_URL: None},
        recorder=recorder,
    )
    assert recorder.urls == [REVOCATION_URL]
    assert [e["status"] for e in _entries(report)] == [0, 1]
