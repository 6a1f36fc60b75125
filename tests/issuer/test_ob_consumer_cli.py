"""``microcred push ID --host URL`` prints the Host's authorization URL; ``--status`` lists how
each push ended; against the test-double Host on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from issuer.models import Award, AwardCreate, Issuer
from issuer.runtime import Runtime
from issuer.services.awards import award
from issuer.services.ob_consumer import finish_push
from issuer.settings import Settings
from keys.fetch import GuardedFetcher
from schemas.dates import utcnow
from tests.issuer.ob_host_double import HostDouble, consent, host_double
from tests.issuer.support import GOOD_AWARD, ISSUER, cli_env, run_cli


@pytest.fixture
def award_row(session: Session, runtime: Runtime, issuer: Issuer) -> Award:
    request = AwardCreate.model_validate(GOOD_AWARD)
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


@pytest.fixture
def host() -> Iterator[HostDouble]:
    with host_double() as double:
        yield double


def test_push_prints_the_authorization_url_and_status_lists_the_outcome(
    settings: Settings, session: Session, runtime: Runtime, award_row: Award, host: HostDouble
) -> None:
    env = cli_env(settings, MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST="true")
    never = run_cli(env, "push", str(award_row.id)[:8], "--status")
    assert never.stdout == "" and "never pushed" in never.stderr

    started = run_cli(env, "push", str(award_row.id)[:8], "--host", host.base, "--jwt")
    url = started.stdout.strip()
    assert url.startswith(f"{host.base}/oauth/authorize?") and "\n" not in url
    assert "/ob-api/callback" in started.stderr

    back = consent(url)
    with GuardedFetcher(allow_http_localhost=True) as fetcher:
        finish_push(
            session,
            runtime,
            state=back["state"],
            code=back["code"],
            now=utcnow(),
            fetcher=fetcher,
        )
    assert host.upserts[0]["content-type"] == "text/plain"

    listed = run_cli(env, "push", str(award_row.id), "--status")
    assert "pushed" in listed.stdout and host.api in listed.stdout and "201" in listed.stdout
    (entry,) = json.loads(run_cli(env, "push", str(award_row.id), "--status", "--json").stdout)
    assert entry["status"] == "pushed" and entry["format"] == "jwt"
    assert entry["host"] == host.api


def test_push_refusals_and_usage(settings: Settings, award_row: Award, host: HostDouble) -> None:
    env = cli_env(settings)
    # without the development setting, a loopback Host is refused before anything is sent
    refused = run_cli(env, "push", str(award_row.id), "--host", host.base, code=1)
    assert "plain http is only allowed" in refused.stderr
    assert host.registrations == []
    run_cli(env, "push", str(award_row.id), code=64)
    run_cli(env, "push", str(award_row.id), "--host", host.base, "--status", code=64)
    missing = run_cli(env, "push", "00000000-0000-4000-8000-000000000000", "--status", code=1)
    assert "error:" in missing.stderr
