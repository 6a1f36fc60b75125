"""Time to revoke 10,000 credentials and publish the lists, and a list's size on the wire.

    .venv/bin/python bench/revoke_status.py [--credentials N] [--backend sqlite]
                                            [--backend postgresql] [--sign]

For each backend, on a fresh data directory (and, for PostgreSQL, a database of its own on
127.0.0.1:5432, dropped afterwards) with one issuer and the demo catalog:

1. **Setup (not timed).** N credentials. By default their award rows are inserted directly,
   500 to a transaction, each with its revocation and suspension index allocated by
   :func:`issuer.services.status.allocate` — the function the award hook calls — but without
   the credential being signed (revoking never reads the signed bytes, and signing 10,000
   credentials would take minutes). ``--sign`` issues them for real through
   :func:`issuer.services.awards.award`.
2. **Revoke one by one (timed).** :func:`issuer.services.status.revoke` for each of N
   credentials, one transaction each, as ``microcred revoke ID`` and
   ``POST …/credentials/{id}/revoke`` do: audit row, bit, award status, list version.
3. **Publish (timed).** ``GET /status/{id}`` of every list through the app (FastAPI
   ``TestClient``), which re-signs each changed list once — the batching the service does.
4. **Revoke in bulk (timed).** Another N credentials in one call of
   :func:`issuer.services.status.change_statuses` (one transaction), as
   ``microcred revoke --from-file`` and ``POST …/status/changes`` do; then publish again.

Prints one JSON object per backend: seconds for each step, revocations per second, and the
revocation list's size on the wire after step 3 (the signed JSON as served, and gzip'd as a
server or CDN would send it to a client that accepts gzip) with N bits set, next to the empty
list's.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from issuer.app import create_app  # noqa: E402
from issuer.bootstrap import prepare  # noqa: E402
from issuer.db import begin_write, make_engine  # noqa: E402
from issuer.models import (  # noqa: E402
    Award,
    AwardCreate,  # noqa: E402
    CatalogAchievement,
    StatusAction,
    StatusList,
    StatusPurpose,
)
from issuer.runtime import start  # noqa: E402
from issuer.services import awards, status  # noqa: E402
from issuer.settings import Settings  # noqa: E402
from schemas.bitstring import Bitstring  # noqa: E402

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
BASE_URL = "https://issuer.bench.example"
SETUP_CHUNK = 500


def _insert_awards(session: Session, runtime: Any, issuer: Any, count: int) -> list[uuid.UUID]:
    """Award rows with real status allocations, unsigned (see the module docstring)."""
    achievement = session.exec(
        select(CatalogAchievement).where(CatalogAchievement.slug == "classroom-environment")
    ).one()
    table = Award.__table__  # type: ignore[attr-defined]
    ids: list[uuid.UUID] = []
    for start_at in range(0, count, SETUP_CHUNK):
        begin_write(session)
        for _ in range(min(SETUP_CHUNK, count - start_at)):
            award_id = uuid.uuid4()
            for purpose in (StatusPurpose.revocation, StatusPurpose.suspension):
                status.allocate(session, runtime, issuer, award_id, purpose)
            now = datetime.now(UTC)
            session.execute(
                table.insert().values(
                    id=award_id,
                    issuer_id=issuer.id,
                    achievement_id=achievement.id,
                    achievement_slug=achievement.slug,
                    recipient_name="Bench Educator",
                    recipient_email=f"{award_id}@schools.bench.example",
                    identity_salt=secrets.token_hex(16),
                    evidence=[],
                    awarded=now,
                    request_hash="0" * 64,
                    credential="{}",
                    credential_jwt="",
                    signed_by="",
                    status="active",
                    created=now,
                )
            )
            ids.append(award_id)
        session.commit()
    return ids


def _issue_awards(session: Session, runtime: Any, issuer: Any, count: int) -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        request = AwardCreate(
            achievement="classroom-environment",
            recipient_name=f"Educator {n}",
            recipient_email=f"educator{n}@schools.bench.example",
            score=92,
            rubric_level="proficient",
        )
        ids.append(
            awards.award(session=session, runtime=runtime, issuer=issuer, request=request).award.id
        )
    return ids


def _sizes(body: bytes) -> tuple[int, int]:
    return len(body), len(gzip.compress(body, compresslevel=6))


def run(backend: str, count: int, sign: bool) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="microcred-revoke-bench-"))
    database = None
    url = None
    if backend == "postgresql":
        database = f"microcred_bench_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    settings = Settings(
        data_dir=workdir,
        database_url=url,
        base_url=BASE_URL,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    engine = make_engine(settings)
    try:
        runtime = start(settings, engine)
        with Session(engine) as session:
            issuer = prepare(session=session, runtime=runtime, demo=True).issuer
            ids = (_issue_awards if sign else _insert_awards)(session, runtime, issuer, 2 * count)
        one_by_one, bulk = ids[:count], ids[count:]
        app = create_app(settings, engine=engine, runtime=runtime)
        with TestClient(app, base_url=BASE_URL) as client, Session(engine) as session:
            lists = {r.public_id: r.purpose for r in session.exec(select(StatusList))}
            empty = {
                purpose: _sizes(client.get(f"/status/{public_id}").content)
                for public_id, purpose in lists.items()
            }
            session.commit()

            def publish() -> dict[str, bytes]:
                served = {}
                for public_id, purpose in lists.items():
                    response = client.get(f"/status/{public_id}")
                    response.raise_for_status()
                    served[purpose] = response.content
                return served

            started = time.perf_counter()
            for award_id in one_by_one:
                status.revoke(session, runtime, award_id, "bench: awarded in error", "bench")
            revoked_at = time.perf_counter()
            served = publish()
            published_at = time.perf_counter()
            status.change_statuses(
                session, runtime, bulk, StatusAction.revoke, "bench: provider withdrawn", "bench"
            )
            bulk_revoked_at = time.perf_counter()
            after_bulk = publish()
            bulk_published_at = time.perf_counter()

        document = json.loads(served["revocation"])
        set_bits = len(Bitstring.decode(document["credentialSubject"]["encodedList"]).set_indexes())
        assert set_bits == count, (set_bits, count)
        encoded = json.loads(after_bulk["revocation"])["credentialSubject"]["encodedList"]
        assert len(Bitstring.decode(encoded).set_indexes()) == 2 * count
        revoke_s = revoked_at - started
        publish_s = published_at - revoked_at
        bulk_s = bulk_revoked_at - published_at
        bulk_publish_s = bulk_published_at - bulk_revoked_at
        size, gzipped = _sizes(served["revocation"])
        return {
            "bench": "revoke_status",
            "backend": backend,
            "credentials": count,
            "signed_credentials": sign,
            "lists": len(lists),
            "revoke_seconds": round(revoke_s, 3),
            "revocations_per_s": round(count / revoke_s, 1),
            "publish_seconds": round(publish_s, 4),
            "total_seconds": round(revoke_s + publish_s, 3),
            "bulk_revoke_seconds": round(bulk_s, 3),
            "bulk_revocations_per_s": round(count / bulk_s, 1),
            "bulk_publish_seconds": round(bulk_publish_s, 4),
            "list_entries": Bitstring.decode(document["credentialSubject"]["encodedList"]).entries,
            "revocation_list_bytes": size,
            "revocation_list_gzip_bytes": gzipped,
            "encoded_list_chars": len(document["credentialSubject"]["encodedList"]),
            "empty_list_bytes": empty["revocation"][0],
            "empty_list_gzip_bytes": empty["revocation"][1],
        }
    finally:
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
        if database is not None:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], dest="backends"
    )
    parser.add_argument("--sign", action="store_true", help="issue signed credentials (slow)")
    args = parser.parse_args()
    for backend in args.backends or ["sqlite", "postgresql"]:
        print(json.dumps(run(backend, args.credentials, args.sign)), flush=True)


if __name__ == "__main__":
    main()
