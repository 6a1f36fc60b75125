"""OID4VCI latency: offer → credential, one wallet at a time, in process.

    .venv/bin/python bench/oid4vci.py [--rounds 40] [--format ldp_vc|jwt_vc_json]

One JSON line per step and one for the whole flow (``p50_ms``, ``p99_ms``, ``rounds``): minting
the offer (:func:`issuer.services.oid4vci.create_offer`), then over HTTP (FastAPI's test client,
SQLite in a temporary data directory) fetching it, the token, a nonce and the credential with a
fresh Ed25519 key proof — the same calls a wallet makes, without the network. The credential
step signs the wallet copy (its own status entries, schema check, eddsa-rdfc-2022 and, for
``jwt_vc_json``, the VC-JWT), which is most of the time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from issuer.app import create_app  # noqa: E402
from issuer.db import make_engine  # noqa: E402
from issuer.models import AwardCreate  # noqa: E402
from issuer.runtime import start  # noqa: E402
from issuer.services import oid4vci  # noqa: E402
from issuer.services.awards import award  # noqa: E402
from issuer.services.demo import load_demo_catalog  # noqa: E402
from issuer.settings import Settings  # noqa: E402
from keys.did import did_key  # noqa: E402
from keys.keypairs import KeyType, SigningKey, b64url_encode  # noqa: E402
from schemas.dates import utcnow  # noqa: E402
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, TEST_KEK, make_issuer  # noqa: E402


def _proof(key: SigningKey, nonce: str) -> str:
    did = did_key(key.public_key)
    header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": f"{did}#{did[8:]}"}
    payload = {"aud": f"{BASE_URL}/issuers/{ISSUER}", "iat": int(time.time()), "nonce": nonce}
    signing_input = (
        b64url_encode(json.dumps(header).encode())
        + "."
        + b64url_encode(json.dumps(payload).encode())
    )
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode()))


def _figures(name: str, samples: list[float]) -> dict[str, object]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "step": name,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "rounds": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--format", choices=["ldp_vc", "jwt_vc_json"], default="ldp_vc")
    args = parser.parse_args()
    configuration = oid4vci.LDP_VC if args.format == "ldp_vc" else oid4vci.JWT_VC_JSON
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), base_url=BASE_URL, key_encryption_key=TEST_KEK)
        engine = make_engine(settings)
        runtime = start(settings, engine)
        with Session(engine) as session:
            issuer = make_issuer(session, runtime)
            load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
            row = award(
                session=session,
                runtime=runtime,
                issuer=ISSUER,
                request=AwardCreate.model_validate(GOOD_AWARD),
            ).award
        steps: dict[str, list[float]] = {
            s: [] for s in ("offer", "fetch", "token", "nonce", "credential", "flow")
        }
        with TestClient(
            create_app(settings, engine=engine, runtime=runtime), base_url=BASE_URL
        ) as client:
            for _ in range(args.rounds):
                began = time.perf_counter()
                with Session(engine) as session:
                    offer = oid4vci.create_offer(session, runtime, award=row, now=utcnow())
                t1 = time.perf_counter()
                document = client.get(urlsplit(offer.offer_uri).path).json()
                code = document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
                t2 = time.perf_counter()
                token = client.post(
                    "/oid4vci/token",
                    data={
                        "grant_type": oid4vci.PRE_AUTHORIZED_GRANT,
                        "pre-authorized_code": code,
                    },
                ).json()["access_token"]
                t3 = time.perf_counter()
                nonce = client.post("/oid4vci/nonce").json()["c_nonce"]
                t4 = time.perf_counter()
                key = SigningKey.generate(KeyType.ED25519)
                response = client.post(
                    "/oid4vci/credential",
                    json={
                        "credential_configuration_id": configuration,
                        "proofs": {"jwt": [_proof(key, nonce)]},
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text
                t5 = time.perf_counter()
                for name, seconds in (
                    ("offer", t1 - began),
                    ("fetch", t2 - t1),
                    ("token", t3 - t2),
                    ("nonce", t4 - t3),
                    ("credential", t5 - t4),
                    ("flow", t5 - began),
                ):
                    steps[name].append(seconds)
        engine.dispose()
    for name, samples in steps.items():
        print(json.dumps({"format": args.format, **_figures(name, samples)}))


if __name__ == "__main__":
    main()
