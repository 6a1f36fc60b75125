"""Helpers for the verifier tests: keys, issuers, signed credentials and status lists.

Everything is local: DID documents and status lists are served through ``GuardedFetcher``
preloads (what ``--preload URL=FILE`` does), failures and SSRF attempts through an
``httpx.MockTransport`` that records every request it sees. Keys are generated once per session
from fixed seeds, so the suite stays fast and deterministic.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws

from keys.did import did_key
from keys.fetch import GuardedFetcher
from keys.keypairs import SigningKey
from keys.suites import ProofOptions, add_proof
from schemas.bitstring import Bitstring
from schemas.samples import sample_micro_credential
from verifier.report import VerificationReport
from verifier.service import Expectations, Verifier
from verifier.trust import TrustStore, parse_trust_list

#: The instant every library test verifies at (the sample credential is valid from 2026-09-30).
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WEB_DID = "did:web:issuer.example"
WEB_VM = f"{WEB_DID}#key-1"
DID_URL = "https://issuer.example/.well-known/did.json"
REVOCATION_URL = "https://issuer.example/status/revocation"
SUSPENSION_URL = "https://issuer.example/status/suspension"
STATUS_INDEX = 1234
DCV = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
#: The 1EdTech implementation guide's key, which signs most of the 1EdTech validator fixtures.
OB_VECTOR_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")


def seeded(n: int) -> SigningKey:
    return SigningKey.from_seed(bytes([n]) * 32)


def vm_of(key: SigningKey) -> str:
    did = did_key(key.public_key)
    return f"{did}#{did.removeprefix('did:key:')}"


def raw_jwt(header: Mapping[str, Any], payload: Mapping[str, Any], key: SigningKey | None) -> str:
    """A compact JWS with exactly this header and payload (for malformed or lying tokens)."""
    if key is None:  # alg "none": no signature at all
        import base64

        def part(value: Mapping[str, Any]) -> str:
            raw = json.dumps(value, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return f"{part(header)}.{part(payload)}."
    token = jose_jws.JWS(json.dumps(payload).encode())
    token.add_signature(
        jose_jwk.JWK(**key.private_jwk()),
        alg=header["alg"],
        protected=json.dumps(dict(header)),
    )
    return token.serialize(compact=True)


def controller_document(url: str, vm: str, multibase: str) -> dict[str, Any]:
    """What an https issuer publishes at its id: the key, listed for assertionMethod."""
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": url,
        "verificationMethod": [
            {"id": vm, "type": "Multikey", "controller": url, "publicKeyMultibase": multibase}
        ],
        "assertionMethod": [vm],
    }


def controller_documents(credentials: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Controller documents for the https verification methods ``<url>#<multikey>`` of
    ``credentials``: every key seen for a URL is listed, as its owner would publish them."""
    methods: dict[str, dict[str, str]] = {}
    for credential in credentials:
        proofs = credential.get("proof", [])
        for proof in proofs if isinstance(proofs, list) else [proofs]:
            if not isinstance(proof, Mapping):
                continue
            vm = str(proof.get("verificationMethod", ""))
            url, _, fragment = vm.partition("#")
            if url.startswith("https://") and fragment.startswith("z6Mk"):
                methods.setdefault(url, {})[vm] = fragment
    documents = {}
    for url, keys in methods.items():
        document = controller_document(url, *next(iter(keys.items())))
        document["verificationMethod"] = [
            {"id": vm, "type": "Multikey", "controller": url, "publicKeyMultibase": mb}
            for vm, mb in keys.items()
        ]
        document["assertionMethod"] = list(keys)
        documents[url] = document
    return documents


class Recorder:
    """An ``httpx.MockTransport`` handler that records requests and answers from a table."""

    def __init__(self, answers: Mapping[str, httpx.Response] | None = None) -> None:
        self.answers = dict(answers or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.get(str(request.url))
        return answer if answer is not None else httpx.Response(503, text="unavailable")

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


def public_resolver(host: str, port: int) -> list[str]:
    """Every name resolves to a public documentation-free address (the network is never hit)."""
    return ["93.184.216.34"]


@dataclass
class World:
    """Issuers, keys and published documents for one test session."""

    loader: Any
    key_a: SigningKey
    key_b: SigningKey
    web_key: SigningKey
    published: dict[str, Any] = field(default_factory=dict)

    # -- keys and issuers

    @property
    def did_a(self) -> str:
        return did_key(self.key_a.public_key)

    @property
    def did_b(self) -> str:
        return did_key(self.key_b.public_key)

    def sign(
        self,
        credential: Mapping[str, Any],
        *,
        key: SigningKey | None = None,
        vm: str | None = None,
        suite: str = "eddsa-rdfc-2022",
        **options: Any,
    ) -> dict[str, Any]:
        key = key or self.key_a
        return add_proof(
            credential,
            suite=suite,
            key=key,
            options=ProofOptions(
                verification_method=vm or vm_of(key), created="2026-10-01T00:00:00Z", **options
            ),
            loader=self.loader,
        )

    def credential(self, issuer: str | None = None, **members: Any) -> dict[str, Any]:
        """The sample micro-credential (unsigned), issued by ``issuer`` (default: did_a)."""
        credential = sample_micro_credential(issuer_id=issuer or self.did_a)
        credential.update(members)
        return credential

    def signed(self, **members: Any) -> dict[str, Any]:
        """A valid credential from did_a (members replaced before signing)."""
        return self.sign(self.credential(**members))

    def web_credential(self, *, status: bool = True, **members: Any) -> dict[str, Any]:
        """A credential from the did:web issuer, with revocation and suspension entries."""
        credential = self.credential(issuer=WEB_DID, **members)
        if status:
            credential["credentialStatus"] = [
                {
                    "id": f"{REVOCATION_URL}#{STATUS_INDEX}",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": str(STATUS_INDEX),
                    "statusListCredential": REVOCATION_URL,
                },
                {
                    "id": f"{SUSPENSION_URL}#{STATUS_INDEX}",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "suspension",
                    "statusListIndex": str(STATUS_INDEX),
                    "statusListCredential": SUSPENSION_URL,
                },
            ]
        return self.sign(credential, key=self.web_key, vm=WEB_VM)

    def status_list(
        self,
        url: str,
        purpose: str,
        set_bits: tuple[int, ...] = (),
        *,
        valid_until: str | None = None,
        entries: int = 131_072,
        key: SigningKey | None = None,
        vm: str = WEB_VM,
        issuer: str = WEB_DID,
    ) -> dict[str, Any]:
        bits = Bitstring(max(entries, 131_072))
        for index in set_bits:
            bits.set(index, 1)
        encoded = bits.encode()
        if entries < 131_072:  # a list too short to hide anyone: build it by hand
            import base64
            import gzip

            short = bytearray(entries // 8)
            for index in set_bits:  # MSB first, as in Bitstring
                short[index // 8] |= 0x80 >> (index % 8)
            raw = gzip.compress(bytes(short), mtime=0)
            encoded = "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        unsigned: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": encoded,
            },
        }
        if valid_until:
            unsigned["validUntil"] = valid_until
        return self.sign(unsigned, key=key or self.web_key, vm=vm)

    # -- the network, simulated

    def preloads(self, extra: Mapping[str, Any] | None = None) -> dict[str, bytes]:
        documents = {**self.published, **(extra or {})}
        return {
            url: doc if isinstance(doc, bytes) else json.dumps(doc).encode()
            for url, doc in documents.items()
            if doc is not None
        }

    def fetcher(
        self,
        extra: Mapping[str, Any] | None = None,
        *,
        recorder: Recorder | None = None,
        resolver: Callable[[str, int], list[str]] = public_resolver,
    ) -> GuardedFetcher:
        """A guarded fetcher serving the published documents (``extra`` overrides; a ``None``
        value unpublishes a URL). Anything else goes to ``recorder`` (default: 503)."""
        return GuardedFetcher(
            transport=httpx.MockTransport(recorder or Recorder()),
            preloads=self.preloads(extra),
            resolver=resolver,
        )

    def verify(
        self,
        data: Any,
        *,
        extra: Mapping[str, Any] | None = None,
        recorder: Recorder | None = None,
        trust: TrustStore | None = None,
        now: datetime = NOW,
        source: str = "input",
        **options: Any,
    ) -> VerificationReport:
        with self.verifier(extra, recorder=recorder, trust=trust) as verifier:
            return verifier.verify(
                copy.deepcopy(data) if isinstance(data, dict) else data,
                source=source,
                now=now,
                expect=Expectations(**options),
            )

    def verify_many(
        self, data: Any, *, extra: Mapping[str, Any] | None = None, **options: Any
    ) -> list[VerificationReport]:
        with self.verifier(extra) as verifier:
            return verifier.verify_many(data, now=NOW, expect=Expectations(**options))

    def verifier(
        self,
        extra: Mapping[str, Any] | None = None,
        *,
        recorder: Recorder | None = None,
        trust: TrustStore | None = None,
        resolver: Callable[[str, int], list[str]] = public_resolver,
    ) -> Verifier:
        """A verifier on :meth:`fetcher` (closed with it: use it in a ``with``)."""
        return Verifier(
            fetcher=self.fetcher(extra, recorder=recorder, resolver=resolver),
            loader=self.loader,
            trust=trust,
        )

    def trust(
        self, *issuers: Mapping[str, Any], name: str = "NM PED approved providers"
    ) -> TrustStore:
        return TrustStore([parse_trust_list({"name": name, "issuers": list(issuers)})])


def standard_world() -> World:
    """The world every verifier test shares: keys from fixed seeds, the did:web issuer's
    document and its two status lists (index 99 revoked) published."""
    from keys.did import did_document
    from schemas.loader import bundled_loader

    web_key = seeded(3)
    world = World(loader=bundled_loader(), key_a=seeded(1), key_b=seeded(2), web_key=web_key)
    world.published[DID_URL] = did_document(WEB_DID, [web_key.public_key], key_ids=["key-1"])
    world.published[REVOCATION_URL] = world.status_list(REVOCATION_URL, "revocation", (99,))
    world.published[SUSPENSION_URL] = world.status_list(SUSPENSION_URL, "suspension")
    return world


def outcomes(report: VerificationReport) -> dict[str, str]:
    """``{check id: outcome}`` for compact assertions."""
    return {str(check.id): str(check.outcome) for check in report.checks}
