"""Helpers for the status tests: verify through our verifier against the app's own status lists."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient

from issuer.runtime import Runtime
from keys.fetch import GuardedFetcher
from schemas.bitstring import MIN_LIST_ENTRIES, Bitstring
from schemas.loader import bundled_loader
from verifier.pipeline import verify
from verifier.report import CheckId, VerificationReport


def app_fetcher(client: TestClient, overrides: Mapping[str, Any] | None = None) -> GuardedFetcher:
    """A fresh fetcher (no cache) whose network is the app; ``overrides`` replace documents
    by URL (a dict is served as JSON, bytes as they are)."""
    overrides = dict(overrides or {})

    def serve(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url in overrides:
            body = overrides[url]
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            return httpx.Response(
                200, headers={"content-type": "application/vc+ld+json"}, content=content
            )
        response = client.get(request.url.path, headers={"accept": request.headers["accept"]})
        return httpx.Response(
            response.status_code,
            headers={"content-type": response.headers.get("content-type", "text/plain")},
            content=response.content,
        )

    return GuardedFetcher(
        transport=httpx.MockTransport(serve), resolver=lambda host, port: ["93.184.216.34"]
    )


def verify_here(
    client: TestClient, credential: dict[str, Any], overrides: Mapping[str, Any] | None = None
) -> VerificationReport:
    """Our verifier's report on ``credential``, now, reading the app's lists."""
    with app_fetcher(client, overrides) as fetcher:
        return verify(credential, loader=bundled_loader(), fetcher=fetcher, now=datetime.now(UTC))


def status_check(report: VerificationReport) -> tuple[str, str]:
    check = report.check(CheckId.STATUS)
    return str(check.outcome), check.message


def summary(report: VerificationReport) -> list[tuple[str, str, str]]:
    return [(str(c.id), str(c.outcome), c.message) for c in report.checks]


def entries(credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The credential's status entries by purpose."""
    return {e["statusPurpose"]: e for e in credential["credentialStatus"]}


def path_of(url: str) -> str:
    return httpx.URL(url).path


def list_bit(client: TestClient, entry: dict[str, Any]) -> int:
    """The bit the published list holds for ``entry``."""
    document = client.get(path_of(entry["statusListCredential"])).json()
    bits = Bitstring.decode(document["credentialSubject"]["encodedList"])
    assert bits.entries >= MIN_LIST_ENTRIES
    return bits.get(int(entry["statusListIndex"]))


def with_settings(runtime: Runtime, **changes: Any) -> Runtime:
    """The runtime with some settings changed (e.g. a low rollover threshold)."""
    settings = runtime.settings.model_copy(update=changes)
    return dataclasses.replace(runtime, settings=settings)
