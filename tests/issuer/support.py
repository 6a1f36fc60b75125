"""Helpers shared by the issuer's tests (import as ``tests.issuer.support``)."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner, Result

from issuer.models import Issuer, IssuerCreate
from issuer.runtime import Runtime
from issuer.services.issuers import create_issuer
from issuer.settings import Settings

BASE_URL = "https://issuer.test"

#: The PostgreSQL server the tests and bench scripts make their databases on (trust auth).
PG_ADMIN_DSN = os.environ.get(
    "MICROCRED_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)


@contextmanager
def pg_database(prefix: str = "microcred_test") -> Iterator[str]:
    """A new, empty PostgreSQL database (its SQLAlchemy URL), dropped afterwards, even while
    connections to it are still open. Raises :class:`psycopg.OperationalError` when the server
    cannot be reached (the fixtures turn that into a failure saying how to start it)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = dict(p.split("=", 1) for p in PG_ADMIN_DSN.split())
    try:
        yield (
            f"postgresql+psycopg://{dsn.get('user', 'postgres')}@{dsn.get('host', '127.0.0.1')}:"
            f"{dsn.get('port', '5432')}/{name}"
        )
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
#: A fixed KEK for tests (never a real one): base64url of 32 bytes.
TEST_KEK = base64.urlsafe_b64encode(bytes(range(32))).decode()
ISSUER = "nm-ped"
#: A passing award for the demo catalog.
GOOD_AWARD: dict[str, Any] = {
    "achievement": "classroom-environment",
    "recipient_name": "María López",
    "recipient_email": "Maria.Lopez@Schools.NM.example",
    "score": 92,
    "rubric_level": "proficient",
    "evidence": [
        {"url": "https://lms.nm.example/submissions/4411", "name": "Scored submission"},
        {
            "name": "Recording of the 14 September lesson",
            "narrative": "Video of a lesson with students' faces",
            "contains_student_data": True,
        },
    ],
    "assessor": "J. Rivera (calibrated assessor)",
}


def clean(engine: Engine) -> None:
    """Empty every table (children first); the schema and its alembic version stay."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(text(f'DELETE FROM "{table.name}"'))


def make_issuer(session: Session, runtime: Runtime, slug: str = ISSUER, **fields: Any) -> Issuer:
    data = {
        "slug": slug,
        "name": "New Mexico Public Education Department",
        "url": "https://ped.nm.example",
        "email": "licensure@ped.nm.example",
        **fields,
    }
    return create_issuer(session=session, runtime=runtime, data=IssuerCreate(**data))


class AppFetcher:
    """The resolver's fetcher, answered by the app itself: did:web documents resolve to what
    the service serves at the matching path (the real network is never used)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.urls: list[str] = []

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        assert url.startswith(BASE_URL + "/"), f"the resolver tried to fetch {url}"
        self.urls.append(url)
        response = self.client.get(url, headers={"accept": accept})
        response.raise_for_status()
        return response.json()


#: What every CLI test runs under: the test KEK, and none of the variables (base URL,
#: environment, KEK file) a developer's shell might set.
CLI_BASE_ENV: dict[str, str | None] = {
    "MICROCRED_KEY_ENCRYPTION_KEY": TEST_KEK,
    "MICROCRED_BASE_URL": None,
    "MICROCRED_ENV": None,
    "MICROCRED_KEK_FILE": None,
}


def cli_env(settings: Settings, **extra: str) -> dict[str, str | None]:
    """The ``microcred`` CLI's environment for a test: :data:`CLI_BASE_ENV` on the test's data
    directory and database; ``extra`` adds more (``MICROCRED_VERIFIER_TRUST_LISTS=...``)."""
    return {
        **CLI_BASE_ENV,
        "MICROCRED_DATA_DIR": str(settings.data_dir),
        "MICROCRED_DATABASE_URL": settings.database_url,
        **extra,
    }


def run_cli(
    env: dict[str, Any] | None, *args: str, code: int = 0, input: str | None = None
) -> Result:
    """``microcred *args`` in process under ``env`` (``input`` on its stdin), expecting exit
    status ``code``."""
    from microcred.cli import app  # the whole command tree: only for the tests that run it

    result = CliRunner().invoke(app, list(args), env=env or {}, input=input)
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    return result


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def credential_of(response_json: dict[str, Any]) -> dict[str, Any]:
    """The signed credential in an award response."""
    return response_json["credential"]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def award_http(
    client: TestClient, headers: dict[str, str], issuer: str = ISSUER, **fields: Any
) -> dict[str, Any]:
    """POST one award (GOOD_AWARD with ``fields`` changed), expecting success."""
    body = {**GOOD_AWARD, **fields}
    response = client.post(f"/api/issuers/{issuer}/awards", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def verified_by(credential: dict[str, Any], resolver: Any) -> str:
    """The verification method that verified the credential's one proof (or fail)."""
    from keys.did import check_controller
    from keys.suites import verify_proofs
    from schemas.loader import bundled_loader

    [result] = verify_proofs(credential, loader=bundled_loader(), resolver=resolver)
    assert result.verified, result.error
    issuer = credential["issuer"]
    check_controller(result.method, issuer["id"] if isinstance(issuer, dict) else issuer)
    return result.method.id
