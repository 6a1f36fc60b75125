"""Our status lists as other verifiers read them: Digital Bazaar's status list library
(``@digitalbazaar/vc-bitstring-status-list`` through ``vc.verifyCredential``) and the DCC's
verifier-core. The harness is offline: it gets the DID document and both lists as the service
serves them at that moment.

Digital Bazaar reports a credential whose bit is set as *verified*, with the bit in
``statuses`` (the library checks the list; deciding what a set bit means is the caller's job).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.issuer.status_support import entries, path_of
from tests.issuer.support import ISSUER, award_http

pytestmark = pytest.mark.node


def documents(client: TestClient, issuer: Any, credential: dict[str, Any]) -> dict[str, Any]:
    """What a verifier would fetch: the DID document and the credential's two lists, now."""
    docs = {issuer.did: client.get(f"/issuers/{ISSUER}/did.json").json()}
    for entry in credential["credentialStatus"]:
        url = entry["statusListCredential"]
        docs[url] = client.get(path_of(url)).json()
    return docs


def db_statuses(js: Any, credential: dict[str, Any], docs: dict[str, Any]) -> dict[str, int]:
    result = js.run("verify-db", credential=credential, documents=docs, checkStatus=True)
    assert result["verified"] is True, result["errors"]
    assert result["blocked"] == []
    indexes = {e["statusPurpose"]: e["statusListIndex"] for e in credential["credentialStatus"]}
    found = {s["statusPurpose"]: s for s in result["statuses"]}
    assert {p: found[p]["statusListIndex"] for p in found} == indexes
    return {p: int(bool(found[p]["status"])) for p in found}


def dcc_status(js: Any, credential: dict[str, Any], docs: dict[str, Any]) -> dict[str, bool]:
    """verifier-core's status steps: ``revocation_status`` and ``suspension_status`` (the
    harness names the first; both are in the log, one per entry, ``valid`` false if set)."""
    result = js.run("verify-dcc", credential=credential, documents=docs)
    assert result["valid_signature"] is True, result["errors"]
    assert result["revocation_status"] is not None, result["result"]
    steps = {e["id"]: e for e in result["result"]["log"] if e["id"].endswith("_status")}
    assert set(steps) == {"revocation_status", "suspension_status"}, result["result"]
    assert all("error" not in e for e in steps.values()), steps
    return {name.removesuffix("_status"): e["valid"] for name, e in steps.items()}


def test_revocation_and_suspension_as_digital_bazaar_and_dcc_read_them(
    js, client: TestClient, auth, issuer
) -> None:
    credential = award_http(client, auth)["credential"]
    base = f"/api/issuers/{ISSUER}/credentials/{credential['id'].rsplit('/', 1)[1]}"

    docs = documents(client, issuer, credential)
    assert db_statuses(js, credential, docs) == {"revocation": 0, "suspension": 0}
    assert dcc_status(js, credential, docs) == {"revocation": True, "suspension": True}

    client.post(base + "/suspend", json={"reason": "pending review"}, headers=auth)
    docs = documents(client, issuer, credential)
    assert db_statuses(js, credential, docs) == {"revocation": 0, "suspension": 1}
    assert dcc_status(js, credential, docs) == {"revocation": True, "suspension": False}

    client.post(base + "/unsuspend", json={"reason": "cleared"}, headers=auth)
    docs = documents(client, issuer, credential)
    assert db_statuses(js, credential, docs) == {"revocation": 0, "suspension": 0}
    assert dcc_status(js, credential, docs) == {"revocation": True, "suspension": True}

    client.post(base + "/revoke", json={"reason": "awarded in error"}, headers=auth)
    docs = documents(client, issuer, credential)
    assert db_statuses(js, credential, docs) == {"revocation": 1, "suspension": 0}
    assert dcc_status(js, credential, docs) == {"revocation": False, "suspension": True}


def test_digital_bazaar_and_dcc_refuse_a_tampered_list(
    js, client: TestClient, auth, issuer
) -> None:
    from schemas.bitstring import Bitstring

    credential = award_http(client, auth)["credential"]
    docs = documents(client, issuer, credential)
    revocation = entries(credential)["revocation"]
    listed = docs[revocation["statusListCredential"]]
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    bits.set(int(revocation["statusListIndex"]) ^ 1, 1)  # a neighbour's bit, unsigned
    listed["credentialSubject"]["encodedList"] = bits.encode()
    result = js.run("verify-db", credential=credential, documents=docs, checkStatus=True)
    assert result["verified"] is False
    dcc = js.run("verify-dcc", credential=credential, documents=docs)
    assert dcc["revocation_status"]["error"]["name"] == "status_list_signature_error", dcc
