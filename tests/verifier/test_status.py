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


def _delegated(world: World, set_bits: tuple[int, ...] = ()) -> dict:
    """A revocation list issued and signed by did_b (a status service), not the credential's
    did:web issuer."""
    return world.status_list(
        REVOCATION_URL,
        "revocation",
        set_bits,
        key=world.key_b,
        vm=vm_of(world.key_b),
        issuer=world.did_b,
    )


#: (case, the issuers the trust list names, the status outcome)
FOREIGN_LIST_CASES = [
    ("both trusted", ("web", "b"), "passed"),
    ("list issuer untrusted", ("web",), "indeterminate"),
    ("credential issuer untrusted", ("b",), "indeterminate"),
    ("no trust list", (), "indeterminate"),
]


@pytest.mark.parametrize(
    ("case", "trusted", "outcome"), FOREIGN_LIST_CASES, ids=[c[0] for c in FOREIGN_LIST_CASES]
)
def test_status_list_of_another_issuer_needs_both_trusted(
    world: World, credential: dict, case: str, trusted: tuple[str, ...], outcome: str
) -> None:
    """The spec lets another issuer publish the list if the verifier trusts both issuers."""
    ids = {"web": WEB_DID, "b": world.did_b}
    trust = world.trust(*({"id": ids[t], "name": t} for t in trusted)) if trusted else None
    report = world.verify(credential, extra={REVOCATION_URL: _delegated(world)}, trust=trust)
    assert outcomes(report)["status"] == outcome, report.check(CheckId.STATUS)
    [revocation, _] = _entries(report)
    assert revocation["listIssuer"] == world.did_b
    assert revocation["listIssuerDiffers"] is True
    if outcome == "passed":
        assert revocation["listIssuerTrusted"] is True
    else:
        assert report.verdict is not Verdict.VALID
        message = report.check(CheckId.STATUS).message
        assert "the list's issuer is not trusted" in message
        assert "trusts both" in message


def test_a_trusted_foreign_list_still_revokes(world: World, credential: dict) -> None:
    trust = world.trust({"id": WEB_DID, "name": "web"}, {"id": world.did_b, "name": "b"})
    revoked = _delegated(world, (STATUS_INDEX,))
    report = world.verify(credential, extra={REVOCATION_URL: revoked}, trust=trust)
    assert outcomes(report)["status"] == "failed"
    assert report.verdict is Verdict.INVALID


def test_expired_status_list(world: World, credential: dict) -> None:
    stale = world.status_list(REVOCATION_URL, "revocation", valid_until="2026-10-01T00:00:00Z")
    report = world.verify(credential, extra={REVOCATION_URL: stale})
    assert report.verdict is Verdict.INDETERMINATE
    assert "validity period" in report.check(CheckId.STATUS).message


@pytest.mark.parametrize("set_bits", [(), (STATUS_INDEX,)], ids=["clear", "bit-set"])
def test_status_list_too_short(world: World, credential: dict, set_bits: tuple[int, ...]) -> None:
    """STATUS_LIST_LENGTH_ERROR with the length found: indeterminate, never revoked/passed."""
    short = world.status_list(REVOCATION_URL, "revocation", set_bits, entries=8 * 1024)
    report = world.verify(credential, extra={REVOCATION_URL: short})
    assert outcomes(report)["status"] == "indeterminate"
    assert report.verdict is Verdict.INDETERMINATE
    message = report.check(CheckId.STATUS).message
    assert "too short" in message and "STATUS_LIST_LENGTH_ERROR" in message
    revocation = _entries(report)[0]
    assert revocation["outcome"] == "indeterminate"
    assert revocation["code"] == "STATUS_LIST_LENGTH_ERROR"
    assert revocation["length"] == 8 * 1024
    assert revocation["minimum"] == 131_072


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
