"""Latency of the wallet exchange, as the Learner Credential Wallet walks it.

    .venv/bin/python bench/exchange.py [--exchanges N] [--backend sqlite] [--backend postgresql]

For each backend, on a fresh data directory (and, for PostgreSQL, a database of its own on
127.0.0.1:5432, dropped afterwards) with one issuer, the demo catalog and one award:

1. **Setup (not timed).** N exchanges minted for the award
   (:func:`issuer.services.exchanges.create_exchange`, as the claim page does per visit) and,
   for each, a did:key wallet's DID-auth presentation signed (Ed25519Signature2020, challenge
   and domain) as LCW signs it — the wallet's work, not the service's.
2. **Timed, per exchange, through the app (FastAPI ``TestClient``, in process: no network):**
   ``POST /exchanges/{id}`` with ``{}`` (the presentation request) and ``POST /exchanges/{id}``
   with ``{"verifiablePresentation": …}`` (checks, proof verification, the copy allocated,
   signed and stored, the exchange spent).

Prints one JSON object per backend: p50, p99 and max of each step in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from issuer.app import create_app  # noqa: E402
from issuer.db import make_engine, migrate  # noqa: E402
from issuer.models import AwardCreate  # noqa: E402
from issuer.runtime import start  # noqa: E402
from issuer.services.awards import award  # noqa: E402
from issuer.services.demo import load_demo_catalog  # noqa: E402
from issuer.services.exchanges import create_exchange  # noqa: E402
from issuer.settings import Settings  # noqa: E402
from keys.did import did_key  # noqa: E402
from keys.keypairs import KeyType, SigningKey  # noqa: E402
from keys.suites import ProofOptions, add_proof  # noqa: E402
from schemas.loader import bundled_loader  # noqa: E402
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, TEST_KEK, make_issuer, pg_database  # noqa: E402

VC2 = "https://www.w3.org/ns/credentials/v2"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _presentation(challenge: str, domain: str) -> dict[str, Any]:
    key = SigningKey.generate(KeyType.ED25519)
    did = did_key(key.public_key)
    return add_proof(
        {"@context": [VC2, ED25519_2020], "type": ["VerifiablePresentation"], "holder": did},
        suite="Ed25519Signature2020",
        key=key,
        options=ProofOptions(
            verification_method=f"{did}#{did.removeprefix('did:key:')}",
            proof_purpose="authentication",
            challenge=challenge,
            domain=domain,
        ),
        loader=bundled_loader(),
    )


def run(database_url: str | None, data_dir: Path, count: int) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
    )
    engine = make_engine(settings)
    migrate(engine)
    runtime = start(settings, engine, migrate_schema=False)
    domain = "{0.scheme}://{0.netloc}".format(urlsplit(BASE_URL))
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        request = AwardCreate.model_validate(GOOD_AWARD)
        row = award(session=session, runtime=runtime, issuer=ISSUER, request=request).award
        pending = []
        for _ in range(count):
            links = create_exchange(session, runtime, award=row, now=runtime.clock())
            challenge = parse_qs(urlsplit(links.dccrequest_url).query)["challenge"][0]
            pending.append((urlsplit(links.vcapi_url).path, _presentation(challenge, domain)))
    request_times: list[float] = []
    present_times: list[float] = []
    app = create_app(settings, engine=engine, runtime=runtime)
    with TestClient(app, base_url=BASE_URL) as client:
        for path, presentation in pending:
            started = time.perf_counter()
            asked = client.post(path, json={})
            request_times.append(time.perf_counter() - started)
            assert asked.status_code == 200, asked.text
            started = time.perf_counter()
            answered = client.post(path, json={"verifiablePresentation": presentation})
            present_times.append(time.perf_counter() - started)
            assert answered.status_code == 200, answered.text
    engine.dispose()
    return {
        "backend": "postgresql" if database_url else "sqlite",
        "exchanges": count,
        "post_empty": _percentiles(request_times),
        "post_presentation": _percentiles(present_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--exchanges", type=int, default=200)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgresql"]:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-exchange-"))
        try:
            if backend == "postgresql":
                with pg_database() as url:
                    result = run(url, data_dir, args.exchanges)
            else:
                result = run(None, data_dir, args.exchanges)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
