"""The Learner Credential Wallet's side of the exchange, done with the wallet's own libraries
against a running service: both ways in deliver a DID-bound copy that verifies in DCC
verifier-core and in microcred's verifier, and every refusal the issue names is seen by the
wallet as the HTTP answer it gets.

The wallet is ``interop/lcw.mjs``: a fresh did:key minted as LCW's ``mintDid`` does, the DID-auth
presentation built and signed with ``@digitalcredentials/vc`` 10.0.2 + Ed25519Signature2020 (the
libraries LCW pins), the interaction URL walked as ``exchanges.ts`` does (``GET`` → ``POST {}`` →
``POST {"verifiablePresentation": …}``) and the legacy ``dccrequest://request`` link as
``credentialRequest.ts`` does (the bare presentation to ``vc_request_url``). What it receives is
checked by verifier-core, which reads the status lists from the service. The service is the app
``microcred serve`` runs, on ``http://127.0.0.1:<port>`` (one for the module; each test mints
its own award and exchange).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from issuer.models import Exchange, ExchangeState, WalletCopy
from issuer.services.exchanges import ExchangeLinks, create_exchange, exchange_hash
from schemas.dates import utcnow
from tests.e2e.live_service import LiveService, live_service
from tests.interop.wallet_support import award_id, run_wallet, status_documents, verify_here
from verifier.report import CheckId

pytestmark = pytest.mark.node

#: verifier-core guesses 1EdTech's JSON Schema for an OpenBadgeCredential and fetches it from
#: purl.imsglobal.org; the wallet never goes online, so that one fetch is refused (and its
#: schema step is skipped). Every other document came from the service or a bundled copy.
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
PATHS = ["interaction", "dccrequest"]


def lcw(link: str, **options: Any) -> dict[str, Any]:
    return run_wallet("lcw.mjs", {"link": link, **options}, needs="@digitalcredentials/vc")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    with live_service(tmp_path_factory.mktemp("lcw-interop")) as running:
        yield running


def mint(service: LiveService, name: str, *, minutes_ago: int = 0) -> ExchangeLinks:
    """Award ``name`` and mint one exchange for it, as the claim page does per visit (minted
    ``minutes_ago`` in the past: 16 is past the 15-minute life of a wallet link)."""
    credential = service.award(name, recipient_email=f"{name}@schools.nm.example")
    with Session(service.engine) as session:
        return create_exchange(
            session,
            service.runtime,
            award=award_id(credential),
            now=utcnow() - timedelta(minutes=minutes_ago),
        )


def link_for(links: ExchangeLinks, path: str) -> str:
    return links.interaction_url if path == "interaction" else links.dccrequest_url


def copies(service: LiveService, name: str) -> list[WalletCopy]:
    with Session(service.engine) as session:
        rows = select(WalletCopy).where(WalletCopy.award_id == award_id(service.credentials[name]))
        return list(session.exec(rows))


def exchange_state(service: LiveService, links: ExchangeLinks) -> str:
    exchange_id = links.vcapi_url.rsplit("/", 1)[1]
    with Session(service.engine) as session:
        row = session.get(Exchange, exchange_hash(exchange_id))
        assert row is not None
        return row.state


def assert_verifier_core_valid(verification: dict[str, Any]) -> None:
    assert verification["errors"] == [], verification
    assert verification["valid_signature"] is True, verification
    assert verification["revocation_status"] == {"id": "revocation_status", "valid": True}
    assert verification["suspension_status"] == {"id": "suspension_status", "valid": True}
    assert verification["expiration"] == {"id": "expiration", "valid": True}
    assert set(verification["blocked"]) <= {OB_SCHEMA}, verification["blocked"]


@pytest.mark.parametrize("path", PATHS)
def test_the_wallet_receives_a_copy_bound_to_its_did_and_a_replay_is_gone(
    service: LiveService, path: str
) -> None:
    name = f"lcw-{path}"
    links = mint(service, name)
    got = lcw(link_for(links, path), replay=True)
    assert got["ok"] is True, got
    holder = got["holder"]
    assert holder.startswith("did:key:z6Mk")
    credential = got["credential"]
    assert got["subjectIsHolder"] is True
    assert credential["credentialSubject"]["id"] == holder
    assert credential["issuer"]["id"] == service.issuer.did
    hosted = service.credentials[name]
    assert (
        credential["credentialSubject"]["identifier"] == hosted["credentialSubject"]["identifier"]
    )
    assert credential["awardedDate"] == hosted["awardedDate"]
    assert_verifier_core_valid(got["verification"])
    report = verify_here(service, credential)
    assert report.verdict == "valid", [(c.id, c.outcome, c.message) for c in report.checks]

    # The same signed presentation again: the exchange is spent, nothing more is signed.
    assert got["replay"]["status"] == 410, got["replay"]
    assert "already used" in got["replay"]["body"]["detail"]
    [copy] = copies(service, name)
    assert copy.holder_did == holder
    assert copy.protocol == ("vcapi" if path == "interaction" else "dccrequest")
    assert exchange_state(service, links) == ExchangeState.completed


@pytest.mark.parametrize(
    ("path", "tamper", "detail"),
    [
        pytest.param(path, tamper, detail, id=f"{path}-{tamper}")
        for path, tamper, detail in [
            ("interaction", "challenge", "does not answer this exchange's challenge"),
            ("interaction", "domain", "not bound to this service: its domain must be http://"),
            ("interaction", "holder", "does not control"),
            ("dccrequest", "challenge", "does not answer this exchange's challenge"),
            ("dccrequest", "holder", "does not control"),
        ]
    ],
)
def test_a_presentation_that_does_not_bind_the_wallet_is_refused(
    service: LiveService, path: str, tamper: str, detail: str
) -> None:
    """Wrong challenge, wrong domain, a holder who does not control the signing key: 401 at the
    last POST, no copy, and the exchange stays open for the rightful wallet."""
    name = f"lcw-{path}-{tamper}"
    links = mint(service, name)
    got = lcw(link_for(links, path), tamper=tamper)
    assert got["ok"] is False
    assert (got["step"], got["status"]) == ("present", 401), got
    assert detail in got["body"]["detail"]
    assert copies(service, name) == []
    assert exchange_state(service, links) == ExchangeState.pending


@pytest.mark.parametrize("path", PATHS)
def test_an_expired_exchange_is_gone(service: LiveService, path: str) -> None:
    name = f"lcw-expired-{path}"
    links = mint(service, name, minutes_ago=service.runtime.settings.wallet_link_minutes + 1)
    got = lcw(link_for(links, path))
    assert got["ok"] is False
    # the interaction URL is refused at its first GET; the legacy link at its one POST
    assert got["step"] == ("interaction" if path == "interaction" else "present")
    assert got["status"] == 410
    assert "expired" in got["body"]["detail"]
    assert copies(service, name) == []


@pytest.mark.parametrize("path", PATHS)
def test_two_wallets_racing_for_one_exchange_one_wins(service: LiveService, path: str) -> None:
    """Both wallets get the presentation request and sign; their last POSTs leave together."""
    name = f"lcw-race-{path}"
    got = lcw(link_for(mint(service, name), path), race=2)
    results = got["race"]
    winners = [r for r in results if r["ok"]]
    losers = [r for r in results if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 1, results
    assert (losers[0]["step"], losers[0]["status"]) == ("present", 410), losers
    assert winners[0]["subjectIsHolder"] is True
    [copy] = copies(service, name)
    assert copy.holder_did == winners[0]["holder"] != losers[0]["holder"]


def test_revoking_the_award_revokes_the_copy_in_verifier_core(service: LiveService, js) -> None:
    name = "lcw-revoked"
    got = lcw(mint(service, name).interaction_url)
    assert got["ok"] is True, got
    credential = got["credential"]
    service.revoke(name)

    dcc = js.run("verify-dcc", credential=credential, documents=status_documents(credential))
    assert dcc["valid_signature"] is True, dcc["errors"]
    assert dcc["revocation_status"] == {"id": "revocation_status", "valid": False}
    revoked = verify_here(service, credential)
    assert revoked.verdict != "valid"
    status = revoked.check(CheckId.STATUS)
    assert status is not None and "revoked" in status.message.lower()
