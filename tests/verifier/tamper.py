"""The tampering suite: signed credentials, every single mutation of them, one verifier.

Used by ``tests/verifier/test_tamper.py`` (a fixed sample, in ``make test``) and
``bench/tamper.py`` (every mutation, ``make soak``). What counts:

* a mutation that changes what the suite signs, or that is malformed (see
  :mod:`tests.verifier.mutations`), must not be reported ``valid``;
* a neutral one must be reported ``valid``;
* and each unmutated source must be ``valid``, or the rest would prove nothing.

Sources (:func:`library_sources`, :func:`issued_sources`):

* signed through ``keys.suites.add_proof`` with fixed keys: an Open Badge on VC 2.0 and one on
  VC 1.1 (OB context 3.0.1, as 1EdTech's ``_v1`` fixtures), each under every suite microcred
  signs — eddsa-rdfc-2022, ecdsa-rdfc-2019 (P-256, P-384), eddsa-jcs-2022, ecdsa-jcs-2019 (P-256,
  P-384), Ed25519Signature2020 — plus a did:web credential with two status entries, and the
  Ed25519Signature2018 credential Digital Bazaar signed (verified only, never written);
* issued by the service (SQLite, in process): an award (eddsa-rdfc-2022, did:web, status) and
  VC-API credentials — an Open Badge on VC 2.0, a plain VC 2.0 and a VC 1.1, with status
  entries, in each suite the VC-API signs (eddsa-rdfc-2022, ecdsa-rdfc-2019,
  Ed25519Signature2020).

Verification goes through :class:`verifier.service.Verifier` built by ``from_settings``, the
documents the sources need (DID documents, status lists) given as ``preloads`` files, as an
office verifying offline would.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from keys.did import did_key, did_web_document_url
from keys.keypairs import SigningKey
from schemas.models import VC11_CONTEXT
from tests.verifier.mutations import Effect, Mutation, mutations
from tests.verifier.support import NOW, World
from verifier.report import Verdict, VerificationReport
from verifier.service import Verifier, VerifierSettings

__all__ = [
    "Source",
    "Tally",
    "issued_sources",
    "library_sources",
    "run",
    "sample",
    "verifier_for",
]

OB301 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
LEGACY_2018 = Path(__file__).parents[1] / "keys" / "data" / "ed25519-signature-2018.json"


@dataclass(frozen=True)
class Source:
    """A signed credential to mutate: its name, suite, the instant to verify it at, and the
    documents (``{url: bytes}``) the verifier must be able to fetch for it."""

    name: str
    suite: str
    credential: dict[str, Any]
    now: datetime
    published: dict[str, bytes] = field(default_factory=dict)


# --------------------------------------------------------------------------- library sources


def _ec_key(curve: ec.EllipticCurve, secret: int) -> SigningKey:
    """A fixed ECDSA key (the signatures still vary: ECDSA signing is randomised)."""
    return SigningKey.from_pyca(ec.derive_private_key(secret, curve))


def _vc11(world: World, issuer: str) -> dict[str, Any]:
    """The sample micro-credential as an Open Badge on VC 1.1 (as 1EdTech's _v1 fixtures)."""
    credential = world.credential(issuer=issuer)
    credential["@context"] = [VC11_CONTEXT, OB301]
    credential["issuanceDate"] = credential.pop("validFrom")
    credential["expirationDate"] = "2031-09-30T00:00:00Z"
    del credential["credentialSchema"]  # its type is not a VC 1.1 / OB 3.0.1 term
    return credential


def library_sources(world: World) -> list[Source]:
    """Credentials signed by ``keys.suites.add_proof`` in every suite, VC 2.0 and VC 1.1."""
    ed25519 = world.key_a
    keys = {
        "eddsa-rdfc-2022": [("", ed25519)],
        "ecdsa-rdfc-2019": [
            (" P-256", _ec_key(ec.SECP256R1(), 256_2019)),
            (" P-384", _ec_key(ec.SECP384R1(), 384_2019)),
        ],
        "eddsa-jcs-2022": [("", ed25519)],
        "ecdsa-jcs-2019": [
            (" P-256", _ec_key(ec.SECP256R1(), 256_2019)),
            (" P-384", _ec_key(ec.SECP384R1(), 384_2019)),
        ],
        "Ed25519Signature2020": [("", ed25519)],
    }
    published = world.preloads()
    sources = []
    for suite, variants in keys.items():
        for label, key in variants:
            issuer = did_key(key.public_key)
            for version, unsigned in (
                ("OB VC 2.0", world.credential(issuer=issuer)),
                ("OB VC 1.1", _vc11(world, issuer)),
            ):
                signed = world.sign(unsigned, key=key, suite=suite)
                sources.append(Source(f"library {version} {suite}{label}", suite, signed, NOW))
    sources.append(
        Source(
            "library OB VC 2.0 did:web with status eddsa-rdfc-2022",
            "eddsa-rdfc-2022",
            world.web_credential(),
            NOW,
            published,
        )
    )
    legacy = json.loads(LEGACY_2018.read_text(encoding="utf-8"))
    sources.append(
        Source("Digital Bazaar OB VC 2.0 Ed25519Signature2018", "Ed25519Signature2018", legacy, NOW)
    )
    return sources


# --------------------------------------------------------------------------- issued sources


def issued_sources(workdir: Path) -> list[Source]:
    """An award and VC-API credentials issued by the service in process (SQLite in
    ``workdir``), with the DID document and status lists it serves."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from issuer.app import create_app
    from issuer.bootstrap import prepare
    from issuer.db import make_engine
    from issuer.runtime import start
    from issuer.settings import Settings
    from tests.issuer.support import BASE_URL, GOOD_AWARD, TEST_KEK, bearer
    from tests.issuer.test_vcapi import open_badge, vc2, vc11

    settings = Settings(data_dir=workdir, base_url=BASE_URL, key_encryption_key=TEST_KEK)
    engine = make_engine(settings)
    try:
        runtime = start(settings, engine)
        with Session(engine) as session:
            prepared = prepare(session=session, runtime=runtime, demo=True)
        issuer, token = prepared.issuer, prepared.admin_token
        assert token is not None
        app = create_app(settings, engine=engine, runtime=runtime)
        with TestClient(app, base_url=BASE_URL) as client:
            signed: list[tuple[str, str, dict[str, Any]]] = []
            response = client.post(
                f"/api/issuers/{issuer.slug}/awards", json=GOOD_AWARD, headers=bearer(token)
            )
            response.raise_for_status()
            signed.append(("service award", "eddsa-rdfc-2022", response.json()["credential"]))
            for suite in ("eddsa-rdfc-2022", "ecdsa-rdfc-2019", "Ed25519Signature2020"):
                for shape, unsigned in (
                    ("OB VC 2.0", open_badge(issuer.did)),
                    ("VC 2.0", vc2(issuer.did)),
                    ("VC 1.1", vc11(issuer.did)),
                ):
                    body = {
                        "credential": unsigned,
                        "options": {"cryptosuite": suite, "credentialStatus": True},
                    }
                    response = client.post("/credentials/issue", json=body, headers=bearer(token))
                    response.raise_for_status()
                    credential = response.json()["verifiableCredential"]
                    signed.append((f"VC-API {shape}", suite, credential))
            now = datetime.now(UTC)
            published: dict[str, bytes] = {}
            for _, _, credential in signed:
                for url in _needed_urls(credential):
                    if url not in published:
                        got = client.get(url, headers={"accept": "application/json"})
                        got.raise_for_status()
                        published[url] = got.content
    finally:
        engine.dispose()
    return [
        Source(f"{name} {suite}", suite, credential, now, published)
        for name, suite, credential in signed
    ]


def _needed_urls(credential: dict[str, Any]) -> Iterator[str]:
    """The did:web document of the proof's key and every status list the credential names."""
    proof = credential["proof"]
    method = str(proof.get("verificationMethod", ""))
    if method.startswith("did:web:"):
        yield did_web_document_url(method.partition("#")[0])
    entries = credential.get("credentialStatus", [])
    for entry in entries if isinstance(entries, list) else [entries]:
        yield entry["statusListCredential"]


# --------------------------------------------------------------------------- running


def verifier_for(sources: Iterable[Source], directory: Path) -> Verifier:
    """One verifier, built from settings, whose preloads serve every source's documents."""
    preloads: dict[str, Path] = {}
    for source in sources:
        for url, body in source.published.items():
            if url not in preloads:  # sources of one issuer publish the same documents
                preloads[url] = directory / f"preload-{len(preloads)}.json"
                preloads[url].write_bytes(body)
    return Verifier.from_settings(
        VerifierSettings(preloads=[f"{url}={path}" for url, path in preloads.items()])
    )


def sample(source: Source, limit: int | None, *, seed: int = 17) -> list[Mutation]:
    """The source's mutations: all of them, or ``limit`` of them chosen so that every kind of
    mutation with every effect it has here is tried at least once (one of each, then a fixed
    pseudo-random choice of the rest), in generation order."""
    every = list(mutations(source.credential))
    if limit is None or limit >= len(every):
        return every
    chooser = random.Random(f"{source.name}:{seed}")
    strata: dict[tuple[str, Effect], list[int]] = {}
    for index, mutation in enumerate(every):
        strata.setdefault((mutation.kind.partition("[")[0], mutation.effect), []).append(index)
    chosen = {chooser.choice(indexes) for indexes in strata.values()}
    rest = [index for index in range(len(every)) if index not in chosen]
    chosen.update(chooser.sample(rest, max(0, min(len(rest), limit - len(chosen)))))
    return [every[index] for index in sorted(chosen)]


@dataclass
class Tally:
    """What happened to one suite's mutations."""

    suite: str
    tried: int = 0
    seconds: float = 0.0
    tried_by_effect: dict[str, int] = field(default_factory=dict)
    accepted_by_effect: dict[str, int] = field(default_factory=dict)
    #: Mutations whose verdict was wrong: a changing/malformed one valid, a neutral one not.
    wrong: list[str] = field(default_factory=list)
    baseline_failures: list[str] = field(default_factory=list)

    def count(self, effect: Effect, accepted: bool) -> None:
        self.tried += 1
        self.tried_by_effect[effect] = self.tried_by_effect.get(effect, 0) + 1
        if accepted:
            self.accepted_by_effect[effect] = self.accepted_by_effect.get(effect, 0) + 1

    def accepted(self, effect: Effect) -> int:
        return self.accepted_by_effect.get(effect, 0)

    def of(self, effect: Effect) -> int:
        return self.tried_by_effect.get(effect, 0)


def _problems(report: VerificationReport) -> str:
    return "; ".join(report.problems())[:300] or "no problem listed"


def run(
    sources: Iterable[Source], verifier: Verifier, *, per_source: int | None = None
) -> dict[str, Tally]:
    """Verify every (sampled) mutation of every source; one :class:`Tally` per suite."""
    tallies: dict[str, Tally] = {}
    for source in sources:
        tally = tallies.setdefault(source.suite, Tally(source.suite))
        baseline = verifier.verify(source.credential, now=source.now)
        if baseline.verdict is not Verdict.VALID:
            tally.baseline_failures.append(f"{source.name}: {_problems(baseline)}")
            continue
        started = time.perf_counter()
        for mutation in sample(source, per_source):
            report = verifier.verify(mutation.document, now=source.now)
            accepted = report.verdict is Verdict.VALID
            tally.count(mutation.effect, accepted)
            if accepted != (mutation.effect is Effect.NEUTRAL):
                why = "" if accepted else f": {_problems(report)}"
                tally.wrong.append(f"{source.name}: {mutation.describe()} → {report.verdict}{why}")
        tally.seconds += time.perf_counter() - started
    return tallies
