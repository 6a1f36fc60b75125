"""A credential chooses where the verifier connects; private addresses are refused before any
request is sent (the transport records every request: none may reach them)."""

from __future__ import annotations

import httpx
import pytest

from keys.did import did_document
from tests.verifier.support import NOW, Recorder, World, outcomes
from verifier.report import CheckId, Verdict


def _resolver_to(address: str):  # type: ignore[no-untyped-def]
    return lambda host, port: [address]


def _did_web_credential(world: World, did: str) -> dict:
    return world.sign(world.credential(issuer=did), key=world.web_key, vm=f"{did}#key-1")


@pytest.mark.parametrize(
    "did, address",
    [
        ("did:web:127.0.0.1", None),
        ("did:web:169.254.169.254", None),
        ("did:web:10.0.0.7", None),
        ("did:web:intranet.example", "10.20.30.40"),
        ("did:web:metadata.example", "169.254.169.254"),
        ("did:web:loopback.example", "127.0.0.1"),
    ],
)
def test_did_web_to_private_addresses_is_refused_without_a_request(
    world: World, did: str, address: str | None
) -> None:
    recorder = Recorder()
    resolver = _resolver_to(address) if address else (lambda h, p: ["93.184.216.34"])
    with world.verifier(recorder=recorder, resolver=resolver) as verifier:
        report = verifier.verify(_did_web_credential(world, did), now=NOW)
    assert recorder.requests == []
    assert report.verdict is not Verdict.VALID
    assert outcomes(report)["proof"] == "indeterminate"
    assert "refusing" in report.check(CheckId.PROOF).message


@pytest.mark.parametrize(
    "status_url",
    [
        "https://127.0.0.1/status/1",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/status/1",
        "http://192.168.0.10/status/1",
        "https://[::1]/status/1",
    ],
)
def test_status_urls_to_private_addresses_are_refused(world: World, status_url: str) -> None:
    credential = world.credential()
    credential["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": status_url,
    }
    recorder = Recorder()
    report = world.verify(world.sign(credential), recorder=recorder)
    assert recorder.requests == []
    assert outcomes(report)["status"] == "indeterminate"
    assert report.verdict is Verdict.INDETERMINATE


@pytest.mark.parametrize(
    "location", ["https://127.0.0.1/admin", "http://10.0.0.1/", "https://169.254.169.254/"]
)
def test_a_redirect_to_a_private_address_is_refused(world: World, location: str) -> None:
    public = "https://status.example/list/1"
    recorder = Recorder({public: httpx.Response(302, headers={"location": location})})
    credential = world.credential()
    credential["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": public,
    }
    report = world.verify(world.sign(credential), recorder=recorder)
    assert recorder.urls == [public]  # the public hop only; the target is never contacted
    assert outcomes(report)["status"] == "indeterminate"
    assert "redirect" in report.check(CheckId.STATUS).message


def test_a_did_document_redirected_to_metadata_is_refused(world: World) -> None:
    did = "did:web:issuer.example"
    url = "https://issuer.example/.well-known/did.json"
    recorder = Recorder(
        {url: httpx.Response(301, headers={"location": "http://169.254.169.254/latest"})}
    )
    report = world.verify(_did_web_credential(world, did), extra={url: None}, recorder=recorder)
    assert recorder.urls == [url]
    assert outcomes(report)["proof"] == "indeterminate"


def test_the_same_did_web_resolves_when_public(world: World) -> None:
    """Control: the refusals above are about the address, not about did:web."""
    did = "did:web:public.example"
    document = did_document(did, [world.web_key.public_key], key_ids=["key-1"])
    url = "https://public.example/.well-known/did.json"
    recorder = Recorder({url: httpx.Response(200, json=document)})
    report = world.verify(_did_web_credential(world, did), recorder=recorder)
    assert recorder.urls == [url]
    assert report.verdict is Verdict.VALID
