"""A real wallet-side OID4VCI 1.0 client gets an award's copy from a running service, in both
formats, and what it gets verifies in Digital Bazaar's ``vc``, in plain node:crypto (the VC-JWT)
and in microcred's own verifier; then a revocation of the award is seen on the copy.

The wallet is ``interop/oid4vci.mjs`` over ``@openid4vc/openid4vci`` 0.4.6 (OpenWallet
Foundation): it resolves the offer by reference, reads the issuer and authorization server
metadata at their path-inserted well-known URLs, redeems the pre-authorized code with the
transaction code, asks the nonce endpoint for a ``c_nonce``, signs the key proof with a fresh
key and asks for the credential. The service is the app ``microcred serve`` runs, on
``http://127.0.0.1:<port>`` (the client's ``allowInsecureUrls``, as a development run).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import Session

from issuer.models import Award
from issuer.services import oid4vci
from keys.did import did_jwk
from keys.keypairs import VerificationKey
from schemas.dates import utcnow
from tests.e2e.live_service import LiveService, live_service
from tests.interop.wallet_support import award_id, run_wallet, status_documents, verify_here
from verifier.report import CheckId

pytestmark = pytest.mark.node


def wallet(**request: Any) -> dict[str, Any]:
    return run_wallet("oid4vci.mjs", request, needs="@openid4vc/openid4vci")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    with live_service(tmp_path_factory.mktemp("oid4vci-interop")) as running:
        yield running


def offer_for(service: LiveService, name: str) -> oid4vci.Offer:
    credential = service.award(name, recipient_email=f"{name}@schools.nm.example")
    with Session(service.engine) as session:
        row = session.get(Award, award_id(credential))
        assert row is not None
        return oid4vci.create_offer(session, service.runtime, award=row, now=utcnow(), tx_code=True)


@pytest.mark.parametrize(
    ("configuration", "key_type"),
    [(oid4vci.LDP_VC, "Ed25519"), (oid4vci.JWT_VC_JSON, "P-256")],
    ids=["ldp_vc-did_key", "jwt_vc_json-did_jwk"],
)
def test_a_wallet_receives_a_copy_bound_to_its_key(
    service: LiveService, js: Any, configuration: str, key_type: str
) -> None:
    name = f"wallet-{key_type.lower()}"
    offer = offer_for(service, name)
    got = wallet(
        offer=offer.link, configuration=configuration, keyType=key_type, txCode=offer.tx_code
    )
    assert got["ok"] is True
    assert got["version"] == "V1"  # the client read our metadata as OID4VCI 1.0
    assert got["credentialIssuer"] == f"{service.base_url}/issuers/nm-ped"
    assert got["tokenType"] == "Bearer"
    holder = got["holder"]["did"] or did_jwk(VerificationKey.from_jwk(got["holder"]["jwk"]))
    assert holder.startswith("did:key:" if key_type == "Ed25519" else "did:jwk:")

    if configuration == oid4vci.JWT_VC_JSON:
        token = got["credential"]
        assert isinstance(token, str)
        check = got["jwt"]
        assert check["verified"] is True, check
        assert check["sub"] == holder and check["subjectId"] == holder
        assert check["iss"] == check["issuerKeyController"]  # signed by the issuer's own key
        credential = check["payload"]  # OB 3.0 VC-JWT: the signed credential + JWT claims
        credential = {k: v for k, v in credential.items() if k not in ("iss", "jti", "sub", "nbf")}
        report = verify_here(service, token)
    else:
        credential = got["credential"]
        report = verify_here(service, credential)
    assert credential["credentialSubject"]["id"] == holder
    assert report.verdict == "valid", [(c.id, c.outcome, c.message) for c in report.checks]

    # Digital Bazaar: the Data Integrity proof (carried inside the VC-JWT too) and the status.
    result = js.run(
        "verify-db", credential=credential, documents=status_documents(credential), checkStatus=True
    )
    assert result["verified"] is True, result["errors"]
    assert {s["statusPurpose"]: s["status"] for s in result["statuses"]} == {
        "revocation": False,
        "suspension": False,
    }

    # Revoking the award revokes the copy: both verifiers read it from the copy's own entry.
    service.revoke(name)
    revoked = verify_here(service, got["credential"])
    assert revoked.verdict != "valid"
    status = revoked.check(CheckId.STATUS)
    assert status is not None and "revoked" in status.message.lower()
    after = js.run(
        "verify-db", credential=credential, documents=status_documents(credential), checkStatus=True
    )
    assert {s["statusPurpose"]: s["status"] for s in after["statuses"]}["revocation"] is True


def test_the_offer_is_spent_once_the_wallet_has_redeemed_it(service: LiveService) -> None:
    offer = offer_for(service, "spent")
    got = wallet(
        offer=offer.link,
        configuration=oid4vci.LDP_VC,
        keyType="Ed25519",
        txCode=offer.tx_code,
    )
    assert got["ok"] is True
    assert httpx.get(offer.offer_uri).status_code == 410
