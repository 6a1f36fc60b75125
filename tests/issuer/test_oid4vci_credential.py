"""The OID4VCI credential endpoint: key proofs, nonces, access tokens, and what is refused
(with nothing signed), on SQLite and PostgreSQL.

Key proofs are built here by hand (header, claims, signature with :mod:`keys.keypairs`), so
each test can break exactly one thing about an otherwise good proof.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from issuer.models import Award, AwardCreate, Issuer, WalletCopy
from issuer.runtime import Runtime
from issuer.services import oid4vci
from issuer.services.awards import award
from issuer.services.status import revoke
from keys.did import KeyResolver, did_jwk, did_key
from keys.keypairs import KeyType, SigningKey, b64url_encode
from keys.suites.vc_jwt import verify_jwt
from schemas.dates import utcnow
from tests.issuer.status_support import summary, verify_here
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, bearer, make_issuer

AUDIENCE = f"{BASE_URL}/issuers/{ISSUER}"
LDP, JWT = oid4vci.LDP_VC, oid4vci.JWT_VC_JSON


def proof(
    key: SigningKey,
    *,
    nonce: str | None,
    aud: str = AUDIENCE,
    iat: float | None = None,
    typ: str = "openid4vci-proof+jwt",
    alg: str | None = None,
    by: str = "kid",
    signer: SigningKey | None = None,
    **claims: Any,
) -> str:
    """A key proof of ``key``; every part can be made wrong on purpose."""
    header: dict[str, Any] = {"typ": typ, "alg": alg or key.jose_algorithm}
    if by in ("kid", "both"):
        did = did_key(key.public_key)
        header["kid"] = f"{did}#{did.removeprefix('did:key:')}"
    if by in ("jwk", "both"):
        header["jwk"] = key.public_key.jwk()
    payload: dict[str, Any] = {"aud": aud, "iat": int(time.time()) if iat is None else iat}
    if nonce is not None:
        payload["nonce"] = nonce
    payload.update(claims)
    signing_input = (
        b64url_encode(json.dumps(header).encode())
        + "."
        + b64url_encode(json.dumps(payload).encode())
    )
    signature = (signer or key).sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


@pytest.fixture
def award_row(session: Session, runtime: Runtime, issuer: Issuer) -> Award:
    request = AwardCreate.model_validate(GOOD_AWARD)
    return award(session=session, runtime=runtime, issuer=ISSUER, request=request).award


@pytest.fixture
def holder() -> SigningKey:
    return SigningKey.generate(KeyType.ED25519)


Token = Callable[..., str]


@pytest.fixture
def access_token(client: TestClient, session: Session, runtime: Runtime, award_row: Award) -> Token:
    """An access token for ``award_row`` (an offer of both configurations unless told)."""

    def make(**offer_options: Any) -> str:
        offer = oid4vci.create_offer(
            session, runtime, award=award_row, now=utcnow(), **offer_options
        )
        document = client.get(urlsplit(offer.offer_uri).path).json()
        code = document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        response = client.post(
            "/oid4vci/token",
            data={"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code},
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    return make


def c_nonce(client: TestClient) -> str:
    return client.post("/oid4vci/nonce").json()["c_nonce"]


def ask(client: TestClient, token: str | None, body: Any) -> Any:
    headers = bearer(token) if token is not None else {}
    return client.post("/oid4vci/credential", json=body, headers=headers)


def request_body(configuration: str, jwt: str) -> dict[str, Any]:
    return {"credential_configuration_id": configuration, "proofs": {"jwt": [jwt]}}


def refused(response: Any, error: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["error_description"]


def copies(session: Session) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(WalletCopy)).one()


# ------------------------------------------------------------------------------ success


def test_an_ldp_vc_copy_is_bound_to_the_did_key_of_the_proof(
    client: TestClient, session: Session, access_token: Token, holder: SigningKey
) -> None:
    token = access_token()
    response = ask(client, token, request_body(LDP, proof(holder, nonce=c_nonce(client))))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    [item] = response.json()["credentials"]
    credential = item["credential"]
    assert isinstance(credential, dict)
    assert credential["credentialSubject"]["id"] == did_key(holder.public_key)
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    report = verify_here(client, credential)
    assert report.verdict == "valid", summary(report)
    session.rollback()
    [row] = session.exec(select(WalletCopy)).all()
    assert (row.protocol, row.format, row.holder_did) == (
        "oid4vci",
        "ldp_vc",
        did_key(holder.public_key),
    )


def test_a_jwt_vc_json_copy_is_bound_to_the_did_jwk_of_a_jwk_header(
    client: TestClient, access_token: Token, resolver: KeyResolver
) -> None:
    holder = SigningKey.generate(KeyType.P256)
    token = access_token()
    response = ask(client, token, request_body(JWT, proof(holder, nonce=c_nonce(client), by="jwk")))
    assert response.status_code == 200, response.text
    [item] = response.json()["credentials"]
    assert isinstance(item["credential"], str)
    verified = verify_jwt(item["credential"], resolver=resolver)
    assert verified.claims["sub"] == did_jwk(holder.public_key)
    assert verified.credential["credentialSubject"]["id"] == did_jwk(holder.public_key)
    assert verified.header["alg"] == "ES256"
    report = verify_here(client, item["credential"])  # type: ignore[arg-type]
    assert report.verdict == "valid", summary(report)


def test_each_offered_configuration_is_issued_once(
    client: TestClient, session: Session, access_token: Token, holder: SigningKey
) -> None:
    token = access_token()
    assert (
        ask(client, token, request_body(LDP, proof(holder, nonce=c_nonce(client)))).status_code
        == 200
    )
    again = ask(client, token, request_body(LDP, proof(holder, nonce=c_nonce(client))))
    assert "already been issued" in refused(again, "credential_request_denied")
    assert (
        ask(client, token, request_body(JWT, proof(holder, nonce=c_nonce(client)))).status_code
        == 200
    )
    assert copies(session) == 2


# ------------------------------------------------------------------------------ key proofs


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        ({"aud": f"{BASE_URL}/issuers/another"}, "'aud'"),
        ({"iat": time.time() - 3600}, "too old"),
        ({"iat": time.time() + 3600}, "future"),
        ({"iat": "yesterday"}, "NumericDate"),
        ({"typ": "JWT"}, "typ"),
        ({"nonce": None}, "no 'nonce'"),
        ({"by": "both"}, "exactly one"),
        ({"alg": "ES256"}, "cannot come from"),
        ({"alg": "HS256"}, "not accepted"),
        ({"signer": SigningKey.generate(KeyType.ED25519)}, "does not verify"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_bad_key_proof_is_refused_and_nothing_is_signed(
    client: TestClient,
    session: Session,
    access_token: Token,
    holder: SigningKey,
    broken: dict[str, Any],
    words: str,
) -> None:
    token = access_token()
    options: dict[str, Any] = {"nonce": c_nonce(client), **broken}
    description = refused(
        ask(client, token, request_body(LDP, proof(holder, **options))), "invalid_proof"
    )
    assert words in description
    assert copies(session) == 0
    # The token still works with a good proof.
    assert (
        ask(client, token, request_body(LDP, proof(holder, nonce=c_nonce(client)))).status_code
        == 200
    )


def test_key_proofs_name_their_key_only_by_did_key_did_jwk_or_a_public_jwk(
    client: TestClient, session: Session, access_token: Token, holder: SigningKey
) -> None:
    token = access_token()
    good = proof(holder, nonce=c_nonce(client))
    header, rest = good.split(".", 1)
    for swapped in (
        {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": "did:web:evil.example#key-1"},
        {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "jwk": holder.private_jwk()},
        {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "x5c": ["MII..."]},
        {
            "typ": "openid4vci-proof+jwt",
            "alg": "none",
            "kid": json.loads(__import__("base64").urlsafe_b64decode(header + "=="))["kid"],
        },
    ):
        forged = b64url_encode(json.dumps(swapped).encode()) + "." + rest
        refused(ask(client, token, request_body(LDP, forged)), "invalid_proof")
    assert copies(session) == 0


# ------------------------------------------------------------------------------ nonces


def test_nonces_are_single_use_and_must_be_ours(
    client: TestClient, session: Session, access_token: Token, holder: SigningKey
) -> None:
    token = access_token()
    unknown = ask(client, token, request_body(LDP, proof(holder, nonce="made-up")))
    assert "nonce endpoint" in refused(unknown, "invalid_nonce")
    nonce = c_nonce(client)
    assert ask(client, token, request_body(LDP, proof(holder, nonce=nonce))).status_code == 200
    replay = ask(client, token, request_body(JWT, proof(holder, nonce=nonce)))
    refused(replay, "invalid_nonce")
    assert copies(session) == 1


def test_an_expired_nonce_is_refused(
    client: TestClient, session: Session, runtime: Runtime, access_token: Token, holder: SigningKey
) -> None:
    old = utcnow() - timedelta(seconds=runtime.settings.oid4vci_nonce_seconds + 1)
    stale = oid4vci.new_nonce(session, runtime, now=old).c_nonce
    refused(
        ask(client, access_token(), request_body(LDP, proof(holder, nonce=stale))), "invalid_nonce"
    )


# ------------------------------------------------------------------------------ access tokens


def test_access_token_missing_malformed_unknown(
    client: TestClient, access_token: Token, holder: SigningKey
) -> None:
    access_token()
    body = request_body(LDP, proof(holder, nonce=c_nonce(client)))
    missing = ask(client, None, body)
    refused(missing, "invalid_token", 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    basic = client.post("/oid4vci/credential", json=body, headers={"Authorization": "Basic eDp5"})
    refused(basic, "invalid_request", 401)
    unknown = ask(client, "not-a-token-of-ours", body)
    refused(unknown, "invalid_token", 401)
    assert unknown.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # Even a malformed body is first a 401 without a token.
    assert (
        client.post(
            "/oid4vci/credential", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 401
    )


def test_an_expired_access_token_is_refused(
    client: TestClient, session: Session, runtime: Runtime, award_row: Award, holder: SigningKey
) -> None:
    long_ago = utcnow() - timedelta(seconds=runtime.settings.oid4vci_access_token_seconds + 1)
    offer = oid4vci.create_offer(session, runtime, award=award_row, now=long_ago)
    document = client.get(urlsplit(offer.offer_uri).path).json()  # the offer outlives it
    code = document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"grant_type": [oid4vci.PRE_AUTHORIZED_GRANT], "pre-authorized_code": [code]}
    token = oid4vci.redeem_code(session, runtime, form=form, now=long_ago).access_token
    response = ask(client, token, request_body(LDP, proof(holder, nonce=c_nonce(client))))
    assert "expired" in refused(response, "invalid_token", 401)


def test_a_token_of_one_issuer_needs_proofs_made_for_that_issuer(
    client: TestClient, session: Session, runtime: Runtime, access_token: Token, holder: SigningKey
) -> None:
    make_issuer(session, runtime, slug="other-office", name="Another office")
    token = access_token()
    other = f"{BASE_URL}/issuers/other-office"
    response = ask(
        client, token, request_body(LDP, proof(holder, nonce=c_nonce(client), aud=other))
    )
    refused(response, "invalid_proof")
    assert copies(session) == 0


def test_a_token_covers_only_the_configurations_offered(
    client: TestClient, access_token: Token, holder: SigningKey
) -> None:
    token = access_token(configurations=[LDP])
    response = ask(client, token, request_body(JWT, proof(holder, nonce=c_nonce(client))))
    refused(response, "insufficient_scope", 403)
    assert response.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')


# ------------------------------------------------------------------------------ requests


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "invalid_credential_request"),
        ({"proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
        (
            {"credential_configuration_id": "UniversityDegree", "proofs": {"jwt": ["x"]}},
            "unknown_credential_configuration",
        ),
        (
            {"credential_identifier": "degree-1", "proofs": {"jwt": ["x"]}},
            "unknown_credential_identifier",
        ),
        ({"credential_configuration_id": LDP}, "invalid_proof"),
        ({"credential_configuration_id": LDP, "proofs": {"di_vp": [{}]}}, "invalid_proof"),
        ({"credential_configuration_id": LDP, "proofs": {"jwt": []}}, "invalid_credential_request"),
        (
            {"credential_configuration_id": LDP, "proofs": {"jwt": ["a", "b"]}},
            "invalid_credential_request",
        ),
        (
            {"credential_configuration_id": LDP, "proof": {"proof_type": "jwt", "jwt": "x"}},
            "invalid_credential_request",
        ),
        (
            {
                "credential_configuration_id": LDP,
                "proofs": {"jwt": ["x"]},
                "credential_response_encryption": {},
            },
            "invalid_encryption_parameters",
        ),
    ],
)
def test_malformed_credential_requests(
    client: TestClient, session: Session, access_token: Token, body: Any, error: str
) -> None:
    refused(ask(client, access_token(), body), error)
    assert copies(session) == 0


def test_a_body_that_is_not_json(client: TestClient, access_token: Token) -> None:
    headers = {**bearer(access_token()), "content-type": "application/json"}
    response = client.post("/oid4vci/credential", content=b"{nope", headers=headers)
    refused(response, "invalid_credential_request")


# ------------------------------------------------------------------------------ status


def test_a_revoked_award_gets_no_copy_and_keeps_the_nonce(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    award_row: Award,
    access_token: Token,
    holder: SigningKey,
) -> None:
    token = access_token()
    revoke(session, runtime, award_row.id, "test", "test:registrar")
    nonce = c_nonce(client)
    response = ask(client, token, request_body(LDP, proof(holder, nonce=nonce)))
    assert "revoked" in refused(response, "credential_request_denied")
    assert copies(session) == 0
    assert oid4vci.consume_nonce(session, value=nonce, now=utcnow())  # rolled back, unspent


def test_concurrent_requests_for_one_configuration_sign_one_copy(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    access_token: Token,
    holder: SigningKey,
    engine: Engine,
) -> None:
    token = access_token()
    racers = 4
    bodies = [request_body(LDP, proof(holder, nonce=c_nonce(client))) for _ in range(racers)]
    start = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(body: dict[str, Any]) -> None:
        with Session(engine) as own:
            start.wait()
            try:
                oid4vci.issue_credential(
                    own, runtime, authorization=f"Bearer {token}", body=body, now=utcnow()
                )
                outcome = "issued"
            except oid4vci.OAuthError as error:
                outcome = error.error
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=race, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["credential_request_denied"] * (racers - 1) + ["issued"]
    assert copies(session) == 1
    session.rollback()
    assert (
        session.exec(
            select(func.count())
            .select_from(WalletCopy)
            .where(col(WalletCopy.protocol) == "oid4vci")
        ).one()
        == 1
    )
