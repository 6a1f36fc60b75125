"""The wallet exchange, as the Learner Credential Wallet walks it: the interaction URL, the
VC-API exchange (``POST {}``, then the DID-auth presentation) and the legacy ``dccrequest``
link's ``vc_request_url``; every refusal, each with nothing signed.

Every test runs on SQLite and PostgreSQL. Presentations are signed here with the project's own
proof suites, as LCW signs them (Ed25519Signature2020, did:key, ``authentication``); the Node
test (``tests/interop/test_exchange_interop.py``) signs them with DCC's own library.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from issuer.models import Award, AwardCreate, CopyProtocol, Exchange, WalletCopy
from issuer.runtime import Runtime
from issuer.services import exchanges
from issuer.services import status as status_service
from issuer.services.awards import award
from issuer.services.exchanges import ExchangeRefused, create_exchange
from issuer.services.wallet_copies import AwardNotInForce
from keys.did import did_jwk, did_key
from keys.keypairs import KeyType, SigningKey
from keys.suites import ProofOptions, add_proof
from schemas.loader import bundled_loader
from tests.issuer.status_support import status_check, summary, verify_here, with_settings
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER

VC2 = "https://www.w3.org/ns/credentials/v2"
VC11 = "https://www.w3.org/2018/credentials/v1"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(BASE_URL))


# ------------------------------------------------------------------------------ helpers


class Wallet:
    """A holder with a did:key, signing DID-auth presentations as LCW does."""

    def __init__(self, key: SigningKey | None = None) -> None:
        self.key = key or SigningKey.generate(KeyType.ED25519)
        self.did = did_key(self.key.public_key)

    @property
    def method(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def present(
        self,
        challenge: str,
        domain: str | None = None,
        *,
        context: str = VC2,
        suite: str = "Ed25519Signature2020",
        holder: str | None = None,
        purpose: str = "authentication",
        key: SigningKey | None = None,
        method: str | None = None,
    ) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": [context, ED25519_2020] if suite == "Ed25519Signature2020" else [context],
            "type": ["VerifiablePresentation"],
            "holder": holder or self.did,
        }
        return add_proof(
            document,
            suite=suite,
            key=key or self.key,
            options=ProofOptions(
                verification_method=method or self.method,
                proof_purpose=purpose,
                challenge=challenge,
                domain=domain,
            ),
            loader=bundled_loader(),
        )


def make_award(session: Session, runtime: Runtime) -> Award:
    request = AwardCreate.model_validate({**GOOD_AWARD, "recipient_email": "x@schools.nm.example"})
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


@pytest.fixture
def awarded(session: Session, runtime: Runtime, issuer) -> Award:
    return make_award(session, runtime)


@pytest.fixture
def links(session: Session, runtime: Runtime, awarded: Award) -> exchanges.ExchangeLinks:
    return create_exchange(session, runtime, award=awarded, now=runtime.clock())


def path(url: str) -> str:
    return urlsplit(url).path


def challenge_of(links: exchanges.ExchangeLinks) -> str:
    return parse_qs(urlsplit(links.dccrequest_url).query)["challenge"][0]


def copies(engine: Engine) -> list[WalletCopy]:
    with Session(engine) as check:
        return list(check.exec(select(WalletCopy)).all())


def request_presentation(client: TestClient, links: exchanges.ExchangeLinks) -> dict[str, Any]:
    response = client.post(path(links.vcapi_url), json={})
    assert response.status_code == 200, response.text
    return response.json()["verifiablePresentationRequest"]


def refused(response: httpx.Response, code: int, words: str) -> None:
    assert response.status_code == code, response.text
    assert words in response.json()["detail"], response.json()
    assert response.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------------------ minting


def test_an_exchange_has_every_link_and_keeps_only_a_hash_of_its_id(
    session: Session, runtime: Runtime, engine: Engine, awarded: Award
) -> None:
    now = runtime.clock()
    links = create_exchange(session, runtime, award=awarded, now=now)
    exchange_id = path(links.vcapi_url).rsplit("/", 1)[1]
    assert len(exchange_id) >= 22  # 16 random bytes, base64url
    assert links.vcapi_url == f"{BASE_URL}/exchanges/{exchange_id}"
    assert links.interaction_url == f"{links.vcapi_url}?iuv=1"
    assert links.direct_url == f"{links.vcapi_url}/direct"
    parts = urlsplit(links.dccrequest_url)
    assert (parts.scheme, parts.netloc) == ("dccrequest", "request")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["vc_request_url"] == links.direct_url and query["auth_type"] == "bearer"
    assert query["issuer"].startswith("did:")
    assert len(query["challenge"]) >= 22
    assert links.lcw_deep_link == links.dccrequest_url
    assert links.expires == now + timedelta(minutes=15)
    with Session(engine) as check:
        [row] = check.exec(select(Exchange)).all()
    assert row.id_hash == hashlib.sha256(exchange_id.encode()).hexdigest()
    assert exchange_id not in json.dumps(row.model_dump(mode="json"))
    assert (row.state, row.award_id, row.challenge) == ("pending", awarded.id, query["challenge"])
    # Two visits, two exchanges: nothing is shared.
    again = create_exchange(session, runtime, award=awarded, now=now)
    assert challenge_of(again) != query["challenge"] and again.vcapi_url != links.vcapi_url


def test_the_link_lifetime_is_a_setting(session: Session, runtime: Runtime, awarded: Award) -> None:
    short = with_settings(runtime, wallet_link_minutes=10)
    now = runtime.clock()
    assert create_exchange(session, short, award=awarded, now=now).expires == now + timedelta(
        minutes=10
    )


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_no_exchange_for_an_award_out_of_force(
    session: Session, runtime: Runtime, awarded: Award, action: str
) -> None:
    getattr(status_service, action)(session, runtime, awarded.id, "test", "test:registrar")
    with pytest.raises(AwardNotInForce):
        create_exchange(session, runtime, award=awarded, now=runtime.clock())


# ------------------------------------------------------------------------------ interaction


def test_the_interaction_url_answers_a_wallet_its_protocols(
    client: TestClient, links: exchanges.ExchangeLinks
) -> None:
    response = client.get(
        path(links.vcapi_url), params={"iuv": "1"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "protocols": {"vcapi": links.vcapi_url, "OID4VCI": links.oid4vci_offer}
    }
    assert "Accept" in response.headers["vary"]
    assert response.headers["cache-control"] == "no-store"


def test_the_exchange_offers_the_same_award_by_oid4vci(
    client: TestClient, links: exchanges.ExchangeLinks
) -> None:
    """``protocols.OID4VCI`` is a live offer of the exchange's award (by reference, its
    pre-authorized code buys a token), whose id is not the exchange's."""
    query = parse_qs(urlsplit(links.oid4vci_offer).query)
    offer_uri = query["credential_offer_uri"][0]
    exchange_id = urlsplit(links.vcapi_url).path.rsplit("/", 1)[1]
    assert exchange_id not in offer_uri
    offer = client.get(path(offer_uri))
    assert offer.status_code == 200, offer.text
    grant = offer.json()["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    token = client.post(
        "/oid4vci/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"],
        },
    )
    assert token.status_code == 200, token.text
    assert token.json()["token_type"].lower() == "bearer"
    # the interaction URL names the same offer on every read, and stores nothing to do so
    again = client.get(
        path(links.vcapi_url), params={"iuv": "1"}, headers={"accept": "application/json"}
    )
    assert again.json()["protocols"]["OID4VCI"] == links.oid4vci_offer


def test_the_interaction_url_shows_a_browser_the_badge_and_the_qr_code(
    client: TestClient, links: exchanges.ExchangeLinks
) -> None:
    response = client.get(path(links.interaction_url) + "?iuv=1", headers={"accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Classroom Environment" in page or "classroom" in page.lower()
    assert 'src="data:image/png;base64,' in page
    assert links.interaction_url in page
    assert links.dccrequest_url.replace("&", "&amp;") in page
    assert "<time datetime=" in page and "expires" in page
    assert "Accept" in response.headers["vary"]


def test_an_unknown_exchange_is_not_found(client: TestClient, issuer) -> None:
    bogus = "/exchanges/AAAAAAAAAAAAAAAAAAAAAA"
    refused(client.get(bogus, headers={"accept": "application/json"}), 404, "no such exchange")
    refused(client.post(bogus, json={}), 404, "no such exchange")
    wallet = Wallet()
    refused(client.post(bogus + "/direct", json=wallet.present("x")), 404, "no such exchange")


# ------------------------------------------------------------------------------ the VC-API path


def test_the_vcapi_exchange_delivers_a_copy_bound_to_the_wallet_s_did(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks, awarded: Award
) -> None:
    request = request_presentation(client, links)
    assert request["query"] == [
        {"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}]}
    ]
    assert request["challenge"] == challenge_of(links) and request["domain"] == ORIGIN
    wallet = Wallet()
    presentation = wallet.present(request["challenge"], request["domain"])
    response = client.post(path(links.vcapi_url), json={"verifiablePresentation": presentation})
    assert response.status_code == 200, response.text
    answer = response.json()["verifiablePresentation"]
    assert answer["@context"] == [VC2] and answer["type"] == ["VerifiablePresentation"]
    [credential] = answer["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == wallet.did
    report = verify_here(client, credential)
    assert report.verdict == "valid", summary(report)
    [row] = copies(engine)
    assert (row.protocol, row.holder_did, row.award_id) == ("vcapi", wallet.did, awarded.id)
    assert json.loads(row.credential) == credential
    with Session(engine) as check:
        [exchange] = check.exec(select(Exchange)).all()
    assert (exchange.state, exchange.protocol, exchange.copy_id) == (
        "completed",
        "vcapi",
        row.id,
    )
    # Revoking the award is seen on the copy.
    with Session(engine) as session:
        status_service.revoke(session, client.app.state.runtime, awarded.id, "t", "test:r")
    assert status_check(verify_here(client, credential)) == (
        "failed",
        "The issuer has REVOKED this credential.",
    )


def test_a_presentation_without_our_domain_is_refused(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks
) -> None:
    request = request_presentation(client, links)
    wallet = Wallet()
    for domain in ("https://evil.example", None):
        presentation = wallet.present(request["challenge"], domain)
        response = client.post(path(links.vcapi_url), json={"verifiablePresentation": presentation})
        refused(response, 401, "domain must be " + ORIGIN)
    assert copies(engine) == []


# ------------------------------------------------------------------------------ the legacy path


@pytest.mark.parametrize(
    ("context", "suite"),
    [
        (VC2, "Ed25519Signature2020"),
        (VC11, "Ed25519Signature2020"),
        (VC2, "eddsa-rdfc-2022"),
    ],
    ids=["vc2-ed25519-2020", "vc11-ed25519-2020", "vc2-eddsa-rdfc-2022"],
)
def test_the_legacy_link_delivers_the_bare_credential(
    client: TestClient,
    engine: Engine,
    links: exchanges.ExchangeLinks,
    context: str,
    suite: str,
) -> None:
    wallet = Wallet()
    presentation = wallet.present(challenge_of(links), context=context, suite=suite)
    response = client.post(path(links.direct_url), json=presentation)
    assert response.status_code == 200, response.text
    credential = response.json()
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["credentialSubject"]["id"] == wallet.did
    report = verify_here(client, credential)
    assert report.verdict == "valid", summary(report)
    assert [(c.protocol, c.holder_did) for c in copies(engine)] == [("dccrequest", wallet.did)]


# ------------------------------------------------------------------------------ refusals


def test_replay_and_a_second_claim_are_gone(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks
) -> None:
    wallet = Wallet()
    presentation = wallet.present(challenge_of(links))
    assert client.post(path(links.direct_url), json=presentation).status_code == 200
    # The same presentation again (a replay), on either path…
    refused(client.post(path(links.direct_url), json=presentation), 410, "already used")
    refused(
        client.post(path(links.vcapi_url), json={"verifiablePresentation": presentation}),
        410,
        "already used",
    )
    # …another wallet with a fresh signature over the same challenge (a double claim)…
    other = Wallet().present(challenge_of(links), ORIGIN)
    refused(
        client.post(path(links.vcapi_url), json={"verifiablePresentation": other}),
        410,
        "already used",
    )
    # …and even the request or the interaction URL: the link is spent.
    refused(client.post(path(links.vcapi_url), json={}), 410, "already used")
    refused(
        client.get(path(links.vcapi_url), headers={"accept": "application/json"}),
        410,
        "already used",
    )
    assert len(copies(engine)) == 1


def test_an_expired_exchange_is_gone(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, awarded: Award
) -> None:
    then = runtime.clock() - timedelta(minutes=16)
    links = create_exchange(session, runtime, award=awarded, now=then)
    refused(client.post(path(links.vcapi_url), json={}), 410, "expired")
    presentation = Wallet().present(challenge_of(links))
    refused(client.post(path(links.direct_url), json=presentation), 410, "expired")
    assert copies(engine) == []


def test_an_exchange_of_an_award_revoked_since_is_gone(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, awarded: Award, links
) -> None:
    status_service.revoke(session, runtime, awarded.id, "fraud", "test:registrar")
    presentation = Wallet().present(challenge_of(links))
    refused(client.post(path(links.direct_url), json=presentation), 410, "credential is revoked")
    assert copies(engine) == []


def _tampered(presentation: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(presentation)
    value = bad["proof"]["proofValue"]
    bad["proof"]["proofValue"] = value[:-4] + ("AAAA" if value[-4:] != "AAAA" else "BBBB")
    return bad


def _without_challenge(presentation: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(presentation)
    del bad["proof"]["challenge"]
    return bad


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda w, c: w.present("wrong-" + c), "does not answer this exchange's challenge"),
        (lambda w, c: w.present(c.upper() if c != c.upper() else c.lower()), "challenge"),
        (
            lambda w, c: {**w.present(c), "proof": {**w.present(c)["proof"], "challenge": None}},
            "challenge",
        ),
        (lambda w, c: w.present(c, purpose="assertionMethod"), "proofPurpose authentication"),
        (lambda w, c: _tampered(w.present(c)), "holder proof does not verify"),
        (
            # Signed by a key of another DID than the holder it names.
            lambda w, c: w.present(c, holder=Wallet().did),
            "does not control",
        ),
        (
            lambda w, c: w.present(c, key=SigningKey.generate(KeyType.ED25519)),
            "holder proof does not verify",
        ),
    ],
    ids=[
        "wrong challenge",
        "challenge in another case",
        "no challenge",
        "assertion purpose",
        "bad signature",
        "holder does not control the key",
        "key not the method's",
    ],
)
def test_a_presentation_that_does_not_prove_the_holder_is_unauthorized(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks, make, words: str
) -> None:
    presentation = make(Wallet(), challenge_of(links))
    refused(client.post(path(links.direct_url), json=presentation), 401, words)
    assert copies(engine) == []
    # The exchange is still pending: the rightful wallet can finish it.
    good = Wallet().present(challenge_of(links))
    assert client.post(path(links.direct_url), json=good).status_code == 200


def test_a_did_method_off_the_allow_list_is_unauthorized(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks
) -> None:
    key = SigningKey.generate(KeyType.ED25519)
    holder = did_jwk(key.public_key)
    wallet = Wallet(key)
    presentation = wallet.present(challenge_of(links), holder=holder, method=f"{holder}#0")
    refused(client.post(path(links.direct_url), json=presentation), 401, "did:jwk is not accepted")
    assert copies(engine) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b"", "empty"),
        (b"[1, 2]", "a verifiable presentation"),
        (json.dumps({"type": ["VerifiableCredential"]}).encode(), "VerifiablePresentation"),
        (
            json.dumps({"type": "VerifiablePresentation", "holder": "did:key:z6Mk"}).encode(),
            "no proof",
        ),
        (
            json.dumps({"type": "VerifiablePresentation", "proof": {}}).encode(),
            "holder must be a DID",
        ),
        (
            json.dumps(
                {
                    "type": "VerifiablePresentation",
                    "holder": "did:key:z6Mk",
                    "verifiableCredential": [{"id": "urn:x"}],
                    "proof": {},
                }
            ).encode(),
            "carries no credential",
        ),
    ],
    ids=["not json", "empty", "array", "not a presentation", "unsigned", "no holder", "with a VC"],
)
def test_a_malformed_presentation_is_a_bad_request(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks, body: bytes, words: str
) -> None:
    response = client.post(
        path(links.direct_url), content=body, headers={"content-type": "application/json"}
    )
    refused(response, 400, words)
    if body.startswith(b"{"):
        wrapped = b'{"verifiablePresentation": ' + body + b"}"
        response = client.post(
            path(links.vcapi_url), content=wrapped, headers={"content-type": "application/json"}
        )
        refused(response, 400, words)
    assert copies(engine) == []


def test_a_vcapi_post_must_be_an_object(client: TestClient, links: exchanges.ExchangeLinks) -> None:
    refused(client.post(path(links.vcapi_url), json=[{}]), 400, "send a JSON object")


def test_bodies_are_capped(
    client: TestClient, engine: Engine, links: exchanges.ExchangeLinks
) -> None:
    big = {"verifiablePresentation": {"padding": "x" * 70_000}}
    response = client.post(path(links.vcapi_url), json=big)
    assert response.status_code == 413
    assert copies(engine) == []


# ------------------------------------------------------------------------------ concurrency


def test_two_simultaneous_completions_make_one_copy(
    client: TestClient, runtime: Runtime, engine: Engine, links: exchanges.ExchangeLinks
) -> None:
    """Two wallets finish the same exchange at once: one copy, one 410."""
    exchange_id = path(links.vcapi_url).rsplit("/", 1)[1]
    verifier = client.app.state.verifier
    presentations = [Wallet().present(challenge_of(links)) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def finish(i: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                outcomes[i] = exchanges.complete_exchange(
                    session,
                    runtime,
                    verifier,
                    exchange_id=exchange_id,
                    presentation=presentations[i],
                    protocol=CopyProtocol.dccrequest,
                    now=runtime.clock(),
                )
            except ExchangeRefused as error:
                outcomes[i] = error

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refusals = [o for o in outcomes if isinstance(o, ExchangeRefused)]
    made = [o for o in outcomes if isinstance(o, WalletCopy)]
    assert len(made) == 1 and len(refusals) == 1, outcomes
    assert refusals[0].status_code == 410
    assert [c.id for c in copies(engine)] == [made[0].id]
