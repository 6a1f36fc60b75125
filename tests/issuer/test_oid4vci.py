"""OpenID4VCI 1.0 (pre-authorized code): metadata, offers by reference, the token and nonce
endpoints, on SQLite and PostgreSQL.

Each refusal is asserted with its status *and* its OAuth ``error`` code: a wallet decides what
to do next from the code (``invalid_grant``: ask for a new offer; ``invalid_request``: fix the
request).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from issuer.api.routes.oid4vci import NONCE_RATE
from issuer.models import Award, AwardCreate, Issuer, Oid4vciNonce
from issuer.runtime import Runtime
from issuer.services import oid4vci
from issuer.services.awards import award
from issuer.services.errors import Conflict
from issuer.services.status import revoke
from schemas.dates import utcnow
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER

CREDENTIAL_ISSUER = f"{BASE_URL}/issuers/{ISSUER}"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def award_row(session: Session, runtime: Runtime, issuer: Issuer) -> Award:
    request = AwardCreate.model_validate(GOOD_AWARD)
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


def offer_path(offer: oid4vci.Offer) -> str:
    return urlsplit(offer.offer_uri).path


def fetch_offer(client: TestClient, offer: oid4vci.Offer) -> dict[str, Any]:
    response = client.get(offer_path(offer))
    assert response.status_code == 200, response.text
    return response.json()


def code_of(client: TestClient, offer: oid4vci.Offer) -> str:
    return fetch_offer(client, offer)["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]


def token_request(client: TestClient, **params: str) -> Any:
    form = {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, **params}
    return client.post("/oid4vci/token", data=form, headers=FORM)


def assert_oauth_error(response: Any, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------------------ metadata


def test_credential_issuer_metadata_names_both_configurations(
    client: TestClient, issuer: Issuer
) -> None:
    response = client.get(f"/.well-known/openid-credential-issuer/issuers/{ISSUER}")
    assert response.status_code == 200, response.text
    metadata = response.json()
    assert metadata["credential_issuer"] == CREDENTIAL_ISSUER
    assert metadata["credential_endpoint"] == f"{BASE_URL}/oid4vci/credential"
    assert metadata["nonce_endpoint"] == f"{BASE_URL}/oid4vci/nonce"
    assert "authorization_servers" not in metadata  # the issuer is its own AS
    assert metadata["display"] == [{"name": issuer.name}]
    configurations = metadata["credential_configurations_supported"]
    assert set(configurations) == {"OpenBadgeCredential_ldp_vc", "OpenBadgeCredential_jwt_vc_json"}
    ldp = configurations["OpenBadgeCredential_ldp_vc"]
    assert ldp["format"] == "ldp_vc"
    assert ldp["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert ldp["credential_definition"] == {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    jwt = configurations["OpenBadgeCredential_jwt_vc_json"]
    assert jwt["format"] == "jwt_vc_json"
    assert jwt["credential_definition"] == {"type": ["VerifiableCredential", "OpenBadgeCredential"]}
    assert jwt["credential_signing_alg_values_supported"] == ["ES256"]  # the did:web P-256 key
    for configuration in (ldp, jwt):
        assert configuration["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk"]
        assert configuration["proof_types_supported"] == {
            "jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}
        }


def test_authorization_server_metadata_offers_the_anonymous_pre_authorized_grant(
    client: TestClient, issuer: Issuer
) -> None:
    response = client.get(f"/.well-known/oauth-authorization-server/issuers/{ISSUER}")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "issuer": CREDENTIAL_ISSUER,
        "token_endpoint": f"{BASE_URL}/oid4vci/token",
        "grant_types_supported": [oid4vci.PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


@pytest.mark.parametrize(
    "path", ["issuers/no-such-issuer", "issuers", "elsewhere/nm-ped", f"issuers/{ISSUER}/extra"]
)
def test_metadata_of_anything_but_an_issuer_is_404(
    client: TestClient, issuer: Issuer, path: str
) -> None:
    for name in ("openid-credential-issuer", "oauth-authorization-server"):
        response = client.get(f"/.well-known/{name}/{path}")
        assert response.status_code == 404, (name, path, response.text)


# ------------------------------------------------------------------------------ offers


def test_an_offer_is_by_reference_and_serves_its_pre_authorized_code(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    now = utcnow()
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=now)
    scheme, _, query = offer.link.partition("?")
    assert scheme == "openid-credential-offer://"
    assert parse_qs(query) == {"credential_offer_uri": [offer.offer_uri]}
    assert unquote(query.split("=", 1)[1]) == offer.offer_uri
    assert offer.offer_uri.startswith(f"{BASE_URL}/oid4vci/offers/")
    assert len(offer.offer_uri.rsplit("/", 1)[1]) >= 43  # 256 random bits
    assert offer.tx_code is None
    assert timedelta(minutes=14) < offer.expires - now <= timedelta(minutes=15)
    assert offer.offer_uri not in repr(offer)

    response = client.get(offer_path(offer))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    document = response.json()
    assert document == {
        "credential_issuer": CREDENTIAL_ISSUER,
        "credential_configuration_ids": [
            "OpenBadgeCredential_ldp_vc",
            "OpenBadgeCredential_jwt_vc_json",
        ],
        "grants": {oid4vci.PRE_AUTHORIZED_GRANT: {"pre-authorized_code": code_of(client, offer)}},
    }
    # Served again, the same code; another offer, another code.
    assert code_of(client, offer) == code_of(client, offer)
    other = oid4vci.create_offer(session, runtime, award=award_row, now=now)
    assert code_of(client, other) != code_of(client, offer)


def test_neither_offer_id_nor_codes_are_stored_in_clear(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award, engine: Engine
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow(), tx_code=True)
    assert offer.tx_code is not None and offer.tx_code.isdigit() and len(offer.tx_code) == 6
    code = code_of(client, offer)
    token = token_request(client, **{"pre-authorized_code": code, "tx_code": offer.tx_code})
    assert token.status_code == 200, token.text
    with engine.connect() as connection:
        stored = " ".join(
            str(value)
            for row in connection.execute(text("SELECT * FROM oid4vci_grant"))
            for value in row
        )
    secrets_ = (offer.offer_uri.rsplit("/", 1)[1], code, token.json()["access_token"])
    for secret in secrets_:
        assert secret not in stored
    assert f"'{offer.tx_code}'" not in stored and f" {offer.tx_code} " not in stored


def test_a_transaction_code_is_described_in_the_offer_but_never_given(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow(), tx_code=True)
    body = client.get(offer_path(offer)).text
    grant = fetch_offer(client, offer)["grants"][oid4vci.PRE_AUTHORIZED_GRANT]
    assert grant["tx_code"]["input_mode"] == "numeric" and grant["tx_code"]["length"] == 6
    assert offer.tx_code is not None and offer.tx_code not in body
    assert offer.tx_code not in repr(offer)


def test_unknown_expired_and_used_offers(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    assert client.get("/oid4vci/offers/nothing-like-an-offer").status_code == 404
    stale = oid4vci.create_offer(
        session, runtime, award=award_row, now=utcnow() - timedelta(minutes=16)
    )
    response = client.get(offer_path(stale))
    assert response.status_code == 410 and "expired" in response.json()["detail"]
    used = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow())
    redeemed = token_request(client, **{"pre-authorized_code": code_of(client, used)})
    assert redeemed.status_code == 200
    response = client.get(offer_path(used))
    assert response.status_code == 410 and "used" in response.json()["detail"]


def test_a_revoked_award_is_not_offered(
    session: Session, runtime: Runtime, award_row: Award
) -> None:
    revoke(session, runtime, award_row.id, "test", "test:registrar")
    revoked = session.get(Award, award_row.id)
    assert revoked is not None
    with pytest.raises(Conflict, match="revoked"):
        oid4vci.create_offer(session, runtime, award=revoked, now=utcnow())


# ------------------------------------------------------------------------------ token


def test_a_pre_authorized_code_buys_one_access_token(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow())
    code = code_of(client, offer)
    response = token_request(client, **{"pre-authorized_code": code})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # 1.0: no c_nonce here
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == runtime.settings.oid4vci_access_token_seconds
    assert len(body["access_token"]) >= 43
    # Replayed: refused, and the code is named nowhere in the answer.
    replay = token_request(client, **{"pre-authorized_code": code})
    assert_oauth_error(replay, "invalid_grant")
    assert "already been used" in replay.json()["error_description"]
    assert code not in replay.text


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
        ({"grant_type": oid4vci.PRE_AUTHORIZED_GRANT}, "invalid_request"),
        (
            {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": "guess"},
            "invalid_grant",
        ),
    ],
)
def test_malformed_token_requests(
    client: TestClient, issuer: Issuer, form: dict[str, str], error: str
) -> None:
    assert_oauth_error(client.post("/oid4vci/token", data=form, headers=FORM), error)


def test_a_token_request_is_form_encoded_with_each_parameter_once(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow())
    code = code_of(client, offer)
    as_json = client.post(
        "/oid4vci/token",
        json={"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code},
    )
    assert_oauth_error(as_json, "invalid_request")
    repeated = client.post(
        "/oid4vci/token",
        content=f"grant_type={oid4vci.PRE_AUTHORIZED_GRANT}&pre-authorized_code={code}"
        f"&pre-authorized_code={code}",
        headers=FORM,
    )
    assert_oauth_error(repeated, "invalid_request")
    # Neither refusal used the code up.
    assert token_request(client, **{"pre-authorized_code": code}).status_code == 200


def test_an_expired_code_is_an_invalid_grant(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    minted = utcnow() - timedelta(minutes=runtime.settings.wallet_link_minutes, seconds=1)
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=minted)
    # The offer document is gone with it, so the code is taken from a fresh twin's derivation.
    code = oid4vci._code_for(offer.offer_uri.rsplit("/", 1)[1])
    response = token_request(client, **{"pre-authorized_code": code})
    assert_oauth_error(response, "invalid_grant")
    assert "expired" in response.json()["error_description"]


def test_a_transaction_code_is_needed_when_offered_and_refused_otherwise(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    with_tx = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow(), tx_code=True)
    code = code_of(client, with_tx)
    assert_oauth_error(token_request(client, **{"pre-authorized_code": code}), "invalid_request")
    without = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow())
    assert_oauth_error(
        token_request(client, **{"pre-authorized_code": code_of(client, without), "tx_code": "1"}),
        "invalid_request",
    )
    assert with_tx.tx_code is not None
    right = token_request(client, **{"pre-authorized_code": code, "tx_code": with_tx.tx_code})
    assert right.status_code == 200, right.text


def test_wrong_transaction_codes_are_capped_then_the_code_is_dead(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow(), tx_code=True)
    assert offer.tx_code is not None
    code = code_of(client, offer)
    wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
    cap = runtime.settings.oid4vci_tx_code_attempts
    for _ in range(cap):
        response = token_request(client, **{"pre-authorized_code": code, "tx_code": wrong})
        assert_oauth_error(response, "invalid_grant")
        assert "wrong" in response.json()["error_description"]
    # The right code, too late.
    response = token_request(client, **{"pre-authorized_code": code, "tx_code": offer.tx_code})
    assert_oauth_error(response, "invalid_grant")
    assert "too many" in response.json()["error_description"]


def test_the_last_allowed_attempt_may_still_be_right(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow(), tx_code=True)
    assert offer.tx_code is not None
    code = code_of(client, offer)
    wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
    for _ in range(runtime.settings.oid4vci_tx_code_attempts - 1):
        token_request(client, **{"pre-authorized_code": code, "tx_code": wrong})
    response = token_request(client, **{"pre-authorized_code": code, "tx_code": offer.tx_code})
    assert response.status_code == 200, response.text


def test_concurrent_token_requests_with_one_code_get_exactly_one_token(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award, engine: Engine
) -> None:
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=utcnow())
    form = {
        "grant_type": [oid4vci.PRE_AUTHORIZED_GRANT],
        "pre-authorized_code": [code_of(client, offer)],
    }
    racers = 8
    start = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        with Session(engine) as own:
            start.wait()
            try:
                oid4vci.redeem_code(own, runtime, form=form, now=utcnow())
                outcome = "token"
            except oid4vci.OAuthError as error:
                outcome = error.error
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invalid_grant"] * (racers - 1) + ["token"]


# ------------------------------------------------------------------------------ nonces


def test_the_nonce_endpoint_hands_out_fresh_uncacheable_nonces(
    client: TestClient, issuer: Issuer
) -> None:
    first, second = client.post("/oid4vci/nonce"), client.post("/oid4vci/nonce")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    assert set(first.json()) == {"c_nonce"}
    assert first.json()["c_nonce"] != second.json()["c_nonce"]
    assert len(first.json()["c_nonce"]) >= 43


def test_the_nonce_endpoint_is_rate_limited_per_client(
    client: TestClient, session: Session, issuer: Issuer
) -> None:
    """Each nonce is a row and the endpoint answers anyone: past the per-minute limit a client
    gets 429 with ``Retry-After`` and no row is written."""
    limit = NONCE_RATE.limit
    answers = [client.post("/oid4vci/nonce").status_code for _ in range(limit)]
    assert answers == [200] * limit
    rows = session.exec(select(func.count()).select_from(Oid4vciNonce)).one()
    refused = client.post("/oid4vci/nonce")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "detail" in refused.json()
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Oid4vciNonce)).one() == rows


def test_a_nonce_is_used_once_and_not_after_it_expires(
    session: Session, runtime: Runtime, issuer: Issuer
) -> None:
    now = utcnow()
    nonce = oid4vci.new_nonce(session, runtime, now=now)
    assert oid4vci.consume_nonce(session, value=nonce.c_nonce, now=now)
    assert not oid4vci.consume_nonce(session, value=nonce.c_nonce, now=now)  # replayed
    assert not oid4vci.consume_nonce(session, value="never-issued", now=now)
    late = oid4vci.new_nonce(session, runtime, now=now)
    after = now + timedelta(seconds=runtime.settings.oid4vci_nonce_seconds)
    assert not oid4vci.consume_nonce(session, value=late.c_nonce, now=after)
