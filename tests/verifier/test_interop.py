"""What Digital Bazaar's libraries sign, our verifier accepts (and what they would refuse, it
refuses): credentials in both suites, did:key and did:web issuers, status lists, and
presentations with a challenge, all signed by the JS reference stack through the harness."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from keys.did import did_key
from tests.verifier.support import (
    REVOCATION_URL,
    STATUS_INDEX,
    SUSPENSION_URL,
    WEB_DID,
    WEB_VM,
    World,
    outcomes,
    seeded,
)
from verifier.report import CheckId, Verdict

pytestmark = pytest.mark.node

CREATED = "2026-10-01T00:00:00Z"
HOLDER_SEED = 9


def _key(seed: int) -> dict[str, str]:
    return {"seedHex": bytes([seed]).hex() * 32}


@pytest.fixture(scope="module")
def db_signed(js, world: World) -> dict[str, Any]:
    """One harness round per document (about a second each), shared by the module."""
    holder = seeded(HOLDER_SEED)
    holder_did = did_key(holder.public_key)
    did_a = world.did_a

    def sign(op: str, credential: dict, seed: int, **extra: Any) -> dict:
        return js.run(op, credential=credential, created=CREATED, **_key(seed), **extra)["signed"]

    eddsa = sign("sign-eddsa-rdfc-2022", world.credential(issuer=did_a), 1)
    ed2020 = sign("sign-ed25519-2020", world.credential(issuer=did_a), 1)
    web_unsigned = world.web_credential()
    del web_unsigned["proof"]
    web = sign("sign-eddsa-rdfc-2022", web_unsigned, 3, verificationMethod=WEB_VM)

    def status_list(url: str, purpose: str, bits: tuple[int, ...]) -> dict:
        unsigned = world.status_list(url, purpose, bits)
        del unsigned["proof"]
        return sign("sign-eddsa-rdfc-2022", unsigned, 3, verificationMethod=WEB_VM)

    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder_did,
        "verifiableCredential": [eddsa],
    }
    vp = js.run(
        "sign-presentation",
        presentation=presentation,
        challenge="nm-ped-7f3a",
        domain="verify.ped.nm.example",
        created="2026-11-01T11:58:00Z",
        **_key(HOLDER_SEED),
    )["signed"]
    return {
        "eddsa": eddsa,
        "ed2020": ed2020,
        "web": web,
        "revocation-clear": status_list(REVOCATION_URL, "revocation", (99,)),
        "revocation-set": status_list(REVOCATION_URL, "revocation", (STATUS_INDEX,)),
        "suspension": status_list(SUSPENSION_URL, "suspension", ()),
        "vp": vp,
    }


@pytest.mark.parametrize("name", ["eddsa", "ed2020"])
def test_db_signed_credentials_are_valid(world: World, db_signed: dict, name: str) -> None:
    report = world.verify(db_signed[name])
    assert report.verdict is Verdict.VALID, report.to_json()
    assert outcomes(report)["issuer_key"] == "passed"


def test_db_signed_credential_tampered_is_invalid(world: World, db_signed: dict) -> None:
    forged = copy.deepcopy(db_signed["eddsa"])
    forged["credentialSubject"]["achievement"]["name"] = "Assessment Literacy"
    report = world.verify(forged)
    assert outcomes(report)["proof"] == "failed"


def test_db_signed_did_web_credential_and_status_lists(world: World, db_signed: dict) -> None:
    lists = {REVOCATION_URL: db_signed["revocation-clear"], SUSPENSION_URL: db_signed["suspension"]}
    report = world.verify(db_signed["web"], extra=lists)
    assert report.verdict is Verdict.VALID, report.to_json()
    assert report.check(CheckId.ISSUER_KEY).details["controller"] == WEB_DID
    revoked = {**lists, REVOCATION_URL: db_signed["revocation-set"]}
    report = world.verify(db_signed["web"], extra=revoked)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["status"] == "failed"


def test_db_signed_presentation(world: World, db_signed: dict) -> None:
    [report] = world.verify_many(
        db_signed["vp"], challenge="nm-ped-7f3a", domain="verify.ped.nm.example"
    )
    assert report.verdict is Verdict.VALID, report.to_json()
    assert report.check(CheckId.PROOF).details["presentation"]["verified"] is True


def test_db_signed_presentation_with_a_wrong_challenge(world: World, db_signed: dict) -> None:
    [report] = world.verify_many(db_signed["vp"], challenge="a-replayed-challenge")
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"
    assert "challenge" in report.check(CheckId.PROOF).message


def test_db_agrees_with_our_verdicts(js, world: World, db_signed: dict) -> None:
    """The reference verifier says the same of the credential and its tampered copy."""
    assert js.run("verify-db", credential=db_signed["eddsa"])["verified"] is True
    forged = copy.deepcopy(db_signed["eddsa"])
    forged["name"] = "Forged"
    assert js.run("verify-db", credential=forged)["verified"] is False
    assert world.verify(forged).verdict is Verdict.INVALID
