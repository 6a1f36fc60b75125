"""The self-fetch cannot be turned against the verifier (issue 17, defect 1).

A percent-encoded path to our own ``/verify`` (``/%76erify?url=…``, nested) used to be answered
in process with no timeout: each level held a verification slot while waiting on the next, so a
single GET used every slot and every verify endpoint hung until restart. Now the self-fetch
serves only the service's documents, decided on the normalised path; every other own URL is
refused with FetchBlocked.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from issuer.self_fetch import SelfFetcher, normalised_path
from keys.errors import FetchBlocked
from tests.issuer.support import BASE_URL, award_http


@pytest.fixture
def issued(client: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    return award_http(client, auth)


class _NoNetwork:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def fetch(self, url: str, *, accept: str = "application/json") -> Any:
        self.urls.append(url)
        raise FetchBlocked(f"no network in this test: {url}", url=url)

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        return self.fetch(url, accept=accept)


def _nested(depth: int) -> str:
    url = f"{BASE_URL}/credentials/x"
    for _ in range(depth):
        url = f"{BASE_URL}/%76erify?url={quote(url, safe='')}"
    return url


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("/%76erify", "/verify"),
        ("//verify", "/verify"),
        ("/status/../verify", "/verify"),
        ("/status/%2e%2e/verify", "/verify"),
        ("/status//abc", "/status/abc"),
        ("/./status/abc", "/status/abc"),
        ("/STATUS", "/STATUS"),
        ("/%2576erify", None),  # double encoding: refused
        ("/%ff", None),  # not UTF-8
    ],
)
def test_normalised_path(path: str, normal: str | None) -> None:
    assert normalised_path(path) == normal


@pytest.mark.parametrize(
    "own",
    [
        "/%76erify?url=https://issuer.test/credentials/x",
        "/%76%65%72%69%66%79",
        "//verify?url=x",
        "/status/../verify?url=x",
        "/status/%2e%2e/verify",
        "/credentials/%2F..%2F..%2Fverify",
        "/STATUS?x=1",
        "/%2576erify",
        "/credentials/x/certificate",
        "/api/issuers",
        "/%61pi/issuers",
        "/docs",
        "/openapi.json",
        "/credentials/",
        "/",
    ],
)
def test_own_urls_that_are_not_documents_are_refused(
    client: TestClient, issued: dict[str, Any], own: str
) -> None:
    network = _NoNetwork()
    fetcher = SelfFetcher(client.app, BASE_URL, network)
    with pytest.raises(FetchBlocked, match="not one of its documents"):
        fetcher.fetch(BASE_URL + own)
    assert network.urls == [] and fetcher.local_requests == 0


def test_documents_are_served_by_their_normalised_path(
    client: TestClient, issued: dict[str, Any]
) -> None:
    fetcher = SelfFetcher(client.app, BASE_URL, _NoNetwork())
    ref = issued["id"]
    for spelling in (
        f"{BASE_URL}/credentials/{ref}",
        f"{BASE_URL}//credentials/{ref}",
        f"{BASE_URL}/%63redentials/{ref}",
        f"{BASE_URL}/status/../credentials/{ref}",
    ):
        assert json.loads(fetcher.fetch(spelling).body) == json.loads(
            fetcher.fetch(issued["url"]).body
        )
    assert fetcher.fetch_json(f"{BASE_URL}/issuers/nm-ped/%64id.json")["id"].startswith("did:web:")


def test_a_nested_encoded_verify_link_answers_promptly_and_verify_still_works(
    client: TestClient, issued: dict[str, Any]
) -> None:
    """Before the fix this GET hung for good (and so did every later verification)."""
    answers: dict[str, Any] = {}

    def attack() -> None:
        answers["attack"] = client.get("/verify", params={"url": _nested(4)})

    thread = threading.Thread(target=attack, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "the nested /%76erify link hung the verifier"
    assert answers["attack"].status_code == 400
    assert "refused" in answers["attack"].json()["detail"]

    honest = client.post("/verify", json=issued["credential"])
    assert honest.status_code == 200
    assert honest.json()["verdict"] == "valid"
