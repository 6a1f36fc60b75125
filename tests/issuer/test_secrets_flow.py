"""No secret leaves the service except where it is handed out: one session of the main flows,
everything it produced scanned for every secret it made (``tests/secrets_scan.py``).

The flows: a second issuer (RSA JWT key), API keys made over HTTP and with the CLI, awards
(one, and a CSV batch), a VC-API issue, status changes (admin API and VC-API), a key rotation,
verification (``/verify``, ``/credentials/verify``), the public documents, and every kind of bad
authentication (no header, another scheme, a wrong secret behind a real prefix, a revoked key,
a key of another issuer, a missing scope), plus the CLI with a wrong key-encryption key and a
database URL with a password that cannot connect.

What is scanned: every response's status line, headers and body; every log record at DEBUG
with its traceback; every exception the flows raised; the CLI's stdout and stderr; every row of
every table at the end. The secrets: the KEK, the wrong KEK, the database password, each API
token, and every issuer private key (current and retired, in every encoding). A token may
appear in exactly one place: the response (or CLI output) that created it.

This is a dedicated scenario rather than a hook on the whole suite: a global hook would also
see the many tests that post secrets on purpose (a private JWK as a trust list entry, a wrong
key to check the refusal), so it could not tell a leak from a test's own input.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from issuer.db import make_engine, migrate
from issuer.models import IssuerKey
from issuer.runtime import Runtime
from issuer.services.issuers import signing_key
from issuer.settings import Settings
from microcred.cli import app as microcred
from tests.issuer.support import GOOD_AWARD, ISSUER, TEST_KEK, bearer, cli_env
from tests.secrets_scan import SecretScanner

WRONG_KEK = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
DB_PASSWORD = "s3cret-Db-Passw0rd-never-shown"


class ScannedRun:
    """One scanned session: the scanner, and a client whose every response it records."""

    def __init__(self, client: TestClient, scanner: SecretScanner) -> None:
        self.client = client
        self.scanner = scanner
        client.event_hooks["response"] = [self._record]

    def _record(self, response: httpx.Response) -> None:
        response.read()
        where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        self.scanner.produced(f"{where} headers", headers)
        self.scanner.produced(f"{where} body", response.text)

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {**kwargs.pop("headers", {}), **(bearer(token) if token else {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def new_key(self, admin: str, issuer: str, label: str, *scopes: str) -> str:
        """An API key made over HTTP; its creation response is the one place it may be."""
        body = {"name": label, "scopes": list(scopes)}
        response = self.call("POST", f"/api/issuers/{issuer}/api-keys", admin, json=body)
        assert response.status_code == 201, response.text
        token = response.json()["token"]
        self.scanner.secret(f"API key {label!r}", token, shown_in=[self.scanner.outputs[-1]])
        return token


def _capture_every_log(caplog: pytest.LogCaptureFixture) -> None:
    """DEBUG and up from every logger. ``microcred``'s own level is set too: the CLI sets it to
    WARNING in-process (``issuer.cli.common.setup_logging``), which would hide its INFO."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="microcred")


def _cli(scanner: SecretScanner, env: dict[str, Any], *args: str) -> Any:
    result = CliRunner().invoke(microcred, list(args), env=env)
    logging.getLogger("microcred").setLevel(logging.DEBUG)  # see _capture_every_log
    scanner.produced(f"`microcred {' '.join(args)}` stdout", result.stdout)
    scanner.produced(f"`microcred {' '.join(args)}` stderr", result.stderr)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        scanner.exception(f"`microcred {' '.join(args)}`", result.exception)
    return result


def _database_rows(engine: Engine) -> str:
    with engine.connect() as connection:
        return "\n".join(
            f"{table.name}: {row}"
            for table in SQLModel.metadata.sorted_tables
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))
        )


def test_no_secret_reaches_a_response_a_log_an_error_or_the_database(
    client: TestClient,
    admin_token: str,
    issuer,
    runtime: Runtime,
    settings: Settings,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _capture_every_log(caplog)
    scanner = SecretScanner()
    scanner.secret("KEK", TEST_KEK)
    scanner.raw_secret("KEK bytes", base64.urlsafe_b64decode(TEST_KEK))
    scanner.secret("wrong KEK", WRONG_KEK)
    scanner.secret("database password", DB_PASSWORD)
    scanner.secret("admin API key", admin_token)
    run = ScannedRun(client, scanner)
    admin = admin_token

    # issuers and keys
    second = {"slug": "rsa-district", "name": "RSA District", "jwt_key_type": "RSA"}
    assert run.call("POST", "/api/issuers", admin, json=second).status_code == 201
    lms = run.new_key(admin, ISSUER, "lms", "issue")
    registrar = run.new_key(admin, ISSUER, "registrar", "revoke")
    elsewhere = run.new_key(admin, "rsa-district", "elsewhere", "admin")

    # awards: one, then a CSV batch
    awarded = run.call("POST", f"/api/issuers/{ISSUER}/awards", lms, json=GOOD_AWARD)
    assert awarded.status_code == 201, awarded.text
    award = awarded.json()
    csv = "achievement,recipient_name,recipient_email,score\n" + "\n".join(
        f"classroom-environment,E{n},e{n}@x.example,{score}" for n, score in enumerate([90, 70])
    )
    batch = run.call(
        "POST", f"/api/issuers/{ISSUER}/batches", lms,
        content=csv, headers={"content-type": "text/csv"},
    )  # fmt: skip
    assert batch.status_code == 200 and batch.json()["ok"] == 1, batch.text

    # the VC-API
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer.did,
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "name": "Pat"},
    }
    issued = run.call("POST", "/credentials/issue", lms, json={"credential": credential})
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]

    # status: the admin API and the VC-API; a rotation
    short = award["credential"]["id"].rsplit("/", 1)[-1]
    revoke_path = f"/api/issuers/{ISSUER}/credentials/{short}/revoke"
    assert run.call("POST", revoke_path, registrar, json={"reason": "error"}).status_code == 200
    status = {"credentialId": vc["id"], "credentialStatus": [{"type": "x", "status": "revoked"}]}
    run.call("POST", "/credentials/status", admin, json=status)
    assert run.call("POST", f"/api/issuers/{ISSUER}/rotate-keys", admin).status_code == 200

    # verification and the public documents
    assert run.call("POST", "/verify", json=award["credential"]).status_code == 200
    run.call("POST", "/credentials/verify", json={"verifiableCredential": vc})
    for path in (
        f"/issuers/{ISSUER}/did.json",
        f"/issuers/{ISSUER}/jwks.json",
        "/issuers/rsa-district/did.json",
        f"/issuers/{ISSUER}",
        f"/credentials/{award['id']}",
        f"/credentials/{award['id']}.json",
        f"/credentials/{award['id']}.jwt",
        f"/api/issuers/{ISSUER}/awards",
        f"/api/issuers/{ISSUER}/status/events",
        "/api/issuers",
    ):
        run.call("GET", path, admin if path.startswith("/api") else None)

    # bad authentication, every way
    prefix = lms.split("_")[1]
    for headers in (
        {},
        {"Authorization": f"Token {lms}"},
        {"Authorization": f"Basic {base64.b64encode(f'x:{lms}'.encode()).decode()}"},
        bearer(f"mc_{prefix}_{'W' * 43}"),  # a real prefix, a wrong secret
        bearer(registrar),  # lacks the issue scope
        bearer(elsewhere),  # bound to another issuer
    ):
        refused = run.call(
            "POST", f"/api/issuers/{ISSUER}/awards", json=GOOD_AWARD, headers=headers
        )
        assert refused.status_code in (401, 403), (headers, refused.text)
    scope = run.call("POST", "/credentials/issue", registrar, json={"credential": credential})
    assert scope.status_code == 403, scope.text

    # the CLI: a key shown once on stdout, listed and revoked by prefix, then refused
    env = cli_env(settings)
    created = _cli(scanner, env, "apikey", "create", "--issuer", ISSUER, "--scope", "issue")
    assert created.exit_code == 0, created.stderr
    cli_token = created.stdout.strip()
    scanner.secret("API key from the CLI", cli_token, shown_in=[scanner.outputs[-2]])
    _cli(scanner, env, "apikey", "list")
    assert _cli(scanner, env, "apikey", "revoke", cli_token.split("_")[1]).exit_code == 0
    assert run.call("GET", f"/api/issuers/{ISSUER}/awards", cli_token).status_code == 401
    wrong = _cli(
        scanner, {**env, "MICROCRED_KEY_ENCRYPTION_KEY": WRONG_KEK},
        "award", "classroom-environment", "--recipient-name", "Ana",
        "--recipient-email", "ana@x.example", "--score", "95",
    )  # fmt: skip
    assert wrong.exit_code != 0

    # a database password in the URL, to a server that is not there
    guarded = settings.model_copy(
        update={"database_url": f"postgresql+psycopg://microcred:{DB_PASSWORD}@127.0.0.1:1/x"}
    )
    with pytest.raises(Exception) as unreachable:  # noqa: PT011 - whatever the driver raises
        migrate(make_engine(guarded))
    scanner.exception("connecting with a password", unreachable.value)

    # the keys every flow used, current and retired, and what is stored
    with Session(engine) as fresh:  # the fixture's session reads an older snapshot
        for row in fresh.exec(select(IssuerKey)).all():
            scanner.signing_key(f"issuer key {row.verification_method}", signing_key(runtime, row))
    scanner.log_records(caplog.records)
    scanner.produced("the database at the end", _database_rows(engine))

    assert [str(leak) for leak in scanner.leaks()] == []
    # the scan saw the flows: each token where it was created, logs, the keys
    for label in ("API key 'lms'", "API key 'registrar'", "API key from the CLI"):
        assert len(scanner.found_in(label)) == 1, label
    logged = [o.where for o in scanner.outputs if o.where.startswith("log record of microcred")]
    assert len(logged) >= 5, logged
    assert len([label for label in scanner.secrets if " JWK 'd'" in label]) >= 5
    assert re.search(r"refused|lacks|invalid|missing", " ".join(o.text for o in scanner.outputs))
