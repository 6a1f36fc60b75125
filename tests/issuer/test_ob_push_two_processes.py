"""microcred as the OB 3.0 API's Service Consumer against microcred as its Host, each a real
``microcred serve`` process with its own data directory and SQLite database: the consumer's
``microcred push`` discovers and registers at the Host and prints the consent URL, the
educator (signed in at the Host) allows it, the Host's redirect reaches the consumer's
``/ob-api/callback``, which exchanges the code and upserts the credential; the Host then holds
it byte for byte as the consumer signed it.

Both run on plain http to 127.0.0.1, which each allows only under its development setting
(``MICROCRED_OAUTH_ALLOW_HTTP_LOCALHOST`` on the Host; ``MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST``
on the consumer, to reach the Host, and on the Host, whose verification of the upsert fetches
the consumer's status list). The educator's sign-in is a session row opened in the Host's
database by the test (the email-link sign-in has tests of its own).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from issuer.api.learner_auth import LEARNER_COOKIE
from issuer.db import make_engine
from issuer.models.oauth import OAuthClient
from issuer.models.ob_host import HostedCredential
from issuer.services.learners import learner_for_email, open_session
from issuer.services.oauth_tokens import SCOPE_PREFIX, issue_tokens
from issuer.settings import Settings
from schemas.dates import utcnow
from tests.issuer.serve_support import cli_command, cli_environment, serving
from tests.issuer.support import TEST_KEK

EMAIL = "maria.lopez@schools.nm.example"
READ = SCOPE_PREFIX + "credential.readonly"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cli_command(*args), env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def _hidden_fields(html: str) -> dict[str, str]:
    return dict(
        (unescape(n), unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    )


@pytest.mark.e2e
def test_push_from_one_microcred_to_another(tmp_path: Path) -> None:
    started = time.monotonic()
    host_dir, consumer_dir = tmp_path / "host", tmp_path / "consumer"
    # The Host verifies what it is sent, status list included, fetched from the consumer.
    host_env = cli_environment(
        host_dir,
        MICROCRED_OAUTH_ALLOW_HTTP_LOCALHOST="1",
        MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST="1",
    )
    consumer_env = cli_environment(consumer_dir, MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST="1")
    with serving(host_env) as host, serving(consumer_env, demo=True) as consumer:
        # The consumer awards a credential to the educator.
        awarded = _cli(
            consumer_env,
            "award",
            "classroom-environment",
            "--recipient-email",
            EMAIL,
            "--recipient-name",
            "María López",
            "--score",
            "92",
        )
        credential_url = json.loads(awarded.stdout)["id"]
        award_id = credential_url.rsplit("/", 1)[-1]
        signed = httpx.get(f"{consumer.base}/credentials/{award_id}.json", timeout=10)
        assert signed.status_code == 200, signed.text

        # The educator has a session at the Host (their backpack).
        engine = make_engine(Settings(data_dir=host_dir, key_encryption_key=TEST_KEK))
        try:
            with Session(engine) as session:
                learner = learner_for_email(session, email=EMAIL, now=utcnow())
                cookie = open_session(session, learner=learner, now=utcnow())
                session.commit()
                assert learner.id is not None
                learner_id = learner.id

            # The consumer starts the push: discovery, registration, the consent URL.
            push = _cli(consumer_env, "push", award_id, "--host", host.base)
            consent_url = push.stdout.strip()
            assert consent_url.startswith(f"{host.base}/oauth/authorize?"), push.stdout
            assert f"{consumer.base}/ob-api/callback" in push.stderr

            # The educator opens it at the Host and allows.
            browser = {"Cookie": f"{LEARNER_COOKIE}={cookie}"}
            page = httpx.get(consent_url, headers=browser, timeout=10)
            assert page.status_code == 200, page.text
            fields = _hidden_fields(page.text)
            assert "csrf_token" in fields, fields
            allowed = httpx.post(
                f"{host.base}/oauth/authorize",
                data={**fields, "decision": "allow"},
                headers=browser,
                timeout=10,
            )
            assert allowed.status_code == 303, allowed.text
            callback = allowed.headers["location"]
            assert callback.startswith(f"{consumer.base}/ob-api/callback?"), callback

            # The browser follows the redirect: the consumer exchanges the code and upserts.
            done = httpx.get(callback, timeout=20)
            assert done.status_code == 200, done.text
            assert "Sent to your backpack" in done.text, re.sub(
                r"(?s).*<main[^>]*>|</main>.*", "", done.text
            )

            status = _cli(consumer_env, "push", award_id, "--status", "--json")
            [entry] = json.loads(status.stdout)
            assert entry["status"] == "pushed" and entry["answer_status"] == 201, entry
            assert entry["host"].startswith(host.base)

            # The Host holds the credential exactly as the consumer signed it...
            with Session(engine) as session:
                [hosted] = session.exec(
                    select(HostedCredential).where(HostedCredential.learner_id == learner_id)
                ).all()
                assert hosted.format == "ldp"
                assert hosted.body == signed.text
                [client] = session.exec(select(OAuthClient)).all()
                pair = issue_tokens(
                    session,
                    client_id=client.client_id,
                    learner_id=learner_id,
                    scope=READ,
                    now=utcnow(),
                )
                session.commit()
        finally:
            engine.dispose()

        # ...and serves it back over its API.
        listed = httpx.get(
            f"{host.base}/ims/ob/v3p0/credentials",
            headers={"Authorization": f"Bearer {pair.access_token}"},
            timeout=10,
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["credential"] == [signed.json()]
    assert cookie not in host.output and pair.access_token not in host.output
    print(f"two-process push took {time.monotonic() - started:.1f} s")
