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
from verifier.report import CheckId, VerificationReport
from verifier.service import Verifier


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
    with Verifier(fetcher=app_fetcher(client, overrides)) as verifier:
        return verifier.verify(credential, now=datetime.now(UTC))


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


# ------------------------------------------------------------------------------ concurrency


def allocate_in_a_process(
    database_url: str,
    issuer_id: int,
    achievement_id: int,
    count: int,
    fill_limit: float,
    draw_below: int | None,
    barrier: Any,
) -> int:
    """A separate process awarding ``count`` times, each award its own transaction with its
    revocation and suspension index (spawned by the concurrency tests).

    The award rows are minimal — what is under test is allocation, and signing would only
    slow the run — and a short pause before the commit stands in for the signing that keeps a
    real award's transaction open. ``draw_below`` narrows the random draws to the first
    indexes of each list, so processes collide on indexes all the time.
    """
    import secrets
    import time
    import types
    import uuid

    from sqlmodel import Session

    from issuer.db import begin_write, make_engine
    from issuer.models import Award, Issuer, StatusPurpose
    from issuer.runtime import start
    from issuer.services import status
    from issuer.settings import Settings
    from tests.issuer.support import BASE_URL, TEST_KEK

    if draw_below is not None:
        status.secrets = types.SimpleNamespace(  # type: ignore[attr-defined]
            randbelow=lambda n: secrets.randbelow(min(n, draw_below)),
            token_urlsafe=secrets.token_urlsafe,
        )
    settings = Settings(
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
        status_fill_limit=fill_limit,
    )
    engine = make_engine(settings)
    runtime = start(settings, engine, migrate_schema=False)
    awards = Award.__table__  # type: ignore[attr-defined]
    barrier.wait()
    # One session for the whole run, a transaction per award, as bulk awards do.
    with Session(engine) as session:
        issuer = session.get(Issuer, issuer_id)
        assert issuer is not None
        slug = issuer.slug
        for n in range(count):
            begin_write(session)
            issuer = session.get(Issuer, issuer_id)
            assert issuer is not None and issuer.slug == slug
            award_id = uuid.uuid4()
            for purpose in (StatusPurpose.revocation, StatusPurpose.suspension):
                status.allocate(session, runtime, issuer, award_id, purpose)
            session.execute(
                awards.insert().values(
                    id=award_id,
                    issuer_id=issuer_id,
                    achievement_id=achievement_id,
                    achievement_slug="classroom-environment",
                    recipient_name="Load Test",
                    recipient_email=f"{award_id}@load.example",
                    identity_salt="00",
                    evidence=[],
                    awarded=datetime.now(UTC),
                    request_hash="0" * 64,
                    credential="{}",
                    credential_jwt="",
                    signed_by="",
                    status="active",
                    created=datetime.now(UTC),
                )
            )
            if n % 4 == 0:
                time.sleep(0.001)
            session.commit()
    engine.dispose()
    return count
