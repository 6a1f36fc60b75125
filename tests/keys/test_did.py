"""DIDs, DID documents and key resolution (with a fake fetcher: no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keys.did import (
    DID_CONTEXT_V1,
    JWK_CONTEXT_V1,
    MULTIKEY_CONTEXT_V1,
    KeyResolver,
    VerificationMethod,
    check_controller,
    did_document,
    did_jwk,
    did_key,
    did_web,
    did_web_document_url,
    parse_verification_method,
)
from keys.errors import (
    ControllerDocumentUnresolved,
    ControllerMismatch,
    DidWebUnresolved,
    FetchStatusError,
    FetchTimeout,
    KeyFormatError,
    KeyResolutionError,
)
from keys.keypairs import KeyType, SigningKey, VerificationKey, b64url_decode
from keys.multikey import decode_public_multikey, encode_public_multikey

OB_PUBLIC_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
DCV = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"


class FakeFetcher:
    """Serves documents from a dict, counts fetches, and fails like the guarded fetcher."""

    def __init__(self, documents: dict[str, Any] | None = None) -> None:
        self.documents = dict(documents or {})
        self.calls: list[tuple[str, str]] = []

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        self.calls.append((url, accept))
        if url not in self.documents:
            raise FetchStatusError(f"404 for {url}", url=url, status=404)
        value = self.documents[url]
        if isinstance(value, Exception):
            raise value
        return value


class ExplodingFetcher:
    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        raise AssertionError(f"no fetch expected, got {url}")


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return SigningKey.generate(KeyType.ED25519)


@pytest.fixture(scope="module")
def p256_key() -> SigningKey:
    return SigningKey.generate(KeyType.P256)


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.generate(KeyType.RSA, rsa_bits=2048)


# -- identifiers ----------------------------------------------------------------------------


def test_did_key_vectors(ed_key: SigningKey, p256_key: SigningKey) -> None:
    ob = decode_public_multikey(OB_PUBLIC_MULTIKEY)
    assert did_key(ob) == f"did:key:{OB_PUBLIC_MULTIKEY}"
    assert did_key(ed_key).startswith("did:key:z6Mk")
    assert did_key(p256_key.public_key).startswith("did:key:zDn")


def test_did_key_refuses_rsa(rsa_key: SigningKey) -> None:
    with pytest.raises(KeyFormatError):
        did_key(rsa_key)


def test_did_jwk_spec_example() -> None:
    # did:jwk specification, P-256 example.
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0",
        "y": "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE",
    }
    assert did_jwk(VerificationKey.from_jwk(jwk)) == (
        "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJN"
        "NEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pI"
        "M25TRSJ9"
    )


def test_did_jwk_is_canonical_and_public(rsa_key: SigningKey) -> None:
    key = VerificationKey.from_jwk({**rsa_key.public_key.jwk(), "kid": "ignored", "use": "sig"})
    did = did_jwk(key)
    assert did == did_jwk(rsa_key)
    decoded = json.loads(b64url_decode(did.removeprefix("did:jwk:")))
    assert list(decoded) == ["e", "kty", "n"] and "d" not in decoded


@pytest.mark.parametrize(
    "host, path, expected",
    [
        ("example.com", None, "did:web:example.com"),
        ("example.com", "issuers/1", "did:web:example.com:issuers:1"),
        ("example.com", "/issuers/1/", "did:web:example.com:issuers:1"),
        ("localhost:8443", "u/alice", "did:web:localhost%3A8443:u:alice"),
        ("example.com", "a:c~", "did:web:example.com:a%3Ac%7E"),
    ],
)
def test_did_web(host: str, path: str | None, expected: str) -> None:
    assert did_web(host, path) == expected


@pytest.mark.parametrize(
    "host, path",
    [
        ("example.com", "a//b"),
        ("example.com", "a/../b"),
        ("example.com", "./a"),
        ("example.com", "a b"),
        ("exa mple.com", None),
        ("user@example.com", None),
        ("example.com:99999", None),
        ("-example.com", None),
        ("", None),
    ],
)
def test_did_web_rejects(host: str, path: str | None) -> None:
    with pytest.raises(ValueError):
        did_web(host, path)


@pytest.mark.parametrize(
    "did, url",
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:1", "https://example.com/issuers/1/did.json"),
        ("did:web:example.com%3A8443", "https://example.com:8443/.well-known/did.json"),
        ("did:web:localhost%3a3000:u:alice", "https://localhost:3000/u/alice/did.json"),
        # The velocity.jwt issuer (1EdTech validator fixture).
        (
            "did:web:registrar%3A3000:d:www.acmecorp-zrnkgupzazhhustuwbufc.com",
            "https://registrar:3000/d/www.acmecorp-zrnkgupzazhhustuwbufc.com/did.json",
        ),
    ],
)
def test_did_web_document_url(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:key:z6Mk",
        "did:web:example.com:",
        "did:web:example.com::x",
        "did:web:example.com:..:secrets",
        "did:web:example.com:.",
        "did:web:example.com:%2E%2E:x",
        "did:web:example.com:a%2Fb",
        "did:web:example.com:a%5Cb",
        "did:web:example.com:a%00b",
        "did:web:example.com/path",
        "did:web:example.com#key-1",
        "did:web:example.com?x=1",
        "did:web:ex%40ample.com",
        "did:web:user%40example.com",
        "did:web:example.com%2Fevil",
        "did:web:example.com%3A99999",
        "did:web:example.com:a b",
    ],
)
def test_did_web_document_url_rejects(did: str) -> None:
    with pytest.raises(DidWebUnresolved):
        did_web_document_url(did)


def test_did_web_round_trip() -> None:
    did = did_web("example.com:8443", "issuers/ped")
    assert did_web_document_url(did) == "https://example.com:8443/issuers/ped/did.json"


# -- DID documents --------------------------------------------------------------------------


def test_did_document_shape(ed_key: SigningKey, p256_key: SigningKey) -> None:
    did = "did:web:example.com"
    doc = did_document(did, [ed_key.public_key, p256_key.public_key])
    assert doc["@context"] == [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1]
    assert doc["id"] == did
    ids = [m["id"] for m in doc["verificationMethod"]]
    assert ids == [
        f"{did}#{encode_public_multikey(ed_key.public_key)}",
        f"{did}#{encode_public_multikey(p256_key.public_key)}",
    ]
    for method in doc["verificationMethod"]:
        assert method["type"] == "Multikey" and method["controller"] == did
        assert set(method) == {"id", "type", "controller", "publicKeyMultibase"}
    assert doc["assertionMethod"] == ids and doc["authentication"] == ids


def test_did_document_rsa_is_json_web_key(ed_key: SigningKey, rsa_key: SigningKey) -> None:
    did = "did:web:example.com:issuers:1"
    doc = did_document(did, [rsa_key.public_key, ed_key.public_key], key_ids=["#rsa", "ed"])
    assert doc["@context"] == [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1, JWK_CONTEXT_V1]
    rsa_method, ed_method = doc["verificationMethod"]
    assert rsa_method == {
        "id": f"{did}#rsa",
        "type": "JsonWebKey",
        "controller": did,
        "publicKeyJwk": rsa_key.public_key.jwk(),
    }
    assert "d" not in rsa_method["publicKeyJwk"]
    assert ed_method["id"] == f"{did}#ed"


def test_did_document_never_writes_private_material(ed_key: SigningKey) -> None:
    doc = did_document("did:web:example.com", [ed_key])  # type: ignore[list-item]
    assert ed_key.private_jwk()["d"] not in json.dumps(doc)


def test_did_document_rejects_duplicates(ed_key: SigningKey, p256_key: SigningKey) -> None:
    with pytest.raises(ValueError):
        did_document("did:web:example.com", [ed_key.public_key, ed_key.public_key])
    with pytest.raises(ValueError):
        did_document(
            "did:web:example.com", [ed_key.public_key, p256_key.public_key], key_ids=["k", "#k"]
        )
    with pytest.raises(ValueError):
        did_document("did:web:example.com", [])


def test_did_key_document_ids_match_resolution(ed_key: SigningKey) -> None:
    did = did_key(ed_key)
    doc = did_document(did, [ed_key.public_key])
    resolved = KeyResolver().resolve(doc["verificationMethod"][0]["id"])
    assert resolved.id == doc["verificationMethod"][0]["id"]


# -- local resolution -----------------------------------------------------------------------


def test_resolve_did_key_locally(ed_key: SigningKey, p256_key: SigningKey) -> None:
    resolver = KeyResolver(fetcher=ExplodingFetcher())
    for key in (ed_key, p256_key):
        did = did_key(key)
        multibase = did.removeprefix("did:key:")
        method = resolver.resolve(f"{did}#{multibase}")
        assert method == VerificationMethod(
            id=f"{did}#{multibase}", controller=did, type="Multikey", key=key.public_key
        )
        assert resolver.resolve(did) == method  # bare did:key (DCV simple-did-key-method.json)


def test_did_key_fragment_must_repeat_the_key(ed_key: SigningKey, p256_key: SigningKey) -> None:
    did = did_key(ed_key)
    other = did_key(p256_key).removeprefix("did:key:")
    with pytest.raises(KeyResolutionError, match="fragment"):
        KeyResolver().resolve(f"{did}#{other}")
    with pytest.raises(KeyResolutionError):
        KeyResolver().resolve(f"{did}#z6Mk", purpose="assertionMethod")
    with pytest.raises(KeyResolutionError, match="keyAgreement"):
        KeyResolver().resolve(did, purpose="keyAgreement")
    with pytest.raises(KeyFormatError):
        KeyResolver().resolve("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")


def test_resolve_did_jwk_locally(rsa_key: SigningKey, p256_key: SigningKey) -> None:
    resolver = KeyResolver(fetcher=ExplodingFetcher())
    for key in (rsa_key, p256_key):
        did = did_jwk(key)
        method = resolver.resolve(f"{did}#0")
        assert method.key == key.public_key and method.controller == did
        assert method.type == "JsonWebKey" and method.id == f"{did}#0"
    with pytest.raises(KeyResolutionError, match="#0"):
        resolver.resolve(f"{did_jwk(rsa_key)}#1")


def test_did_jwk_rejects_private_and_encryption_keys(p256_key: SigningKey) -> None:
    from keys.keypairs import b64url_encode

    private = "did:jwk:" + b64url_encode(json.dumps(p256_key.private_jwk()).encode())
    with pytest.raises(KeyFormatError, match="private"):
        KeyResolver().resolve(private + "#0")
    enc = "did:jwk:" + b64url_encode(
        json.dumps({**p256_key.public_key.jwk(), "use": "enc"}).encode()
    )
    with pytest.raises(KeyResolutionError, match="assertionMethod"):
        KeyResolver().resolve(enc + "#0")
    with pytest.raises(KeyResolutionError, match="base64url"):
        KeyResolver().resolve("did:jwk:not*base64#0")


def test_did_jwk_secp256k1_from_velocity_fixture_is_unsupported() -> None:
    # velocity.jwt's subject is a did:jwk on secp256k1, a curve we do not verify.
    did = (
        "did:jwk:eyJjcnYiOiJzZWNwMjU2azEiLCJrdHkiOiJFQyIsIngiOiJrdDFNYWtYRTQ2dVlTNUVDOUhuUi1fVTdO"
        "RnI2OXNMTV81MkRwVnRwV0NNIiwieSI6Ik5Sa3JMOWh6Qm9IWVJvZGhEWDZFdmZGRTJFZmp1Qk9lNGZWdEl5R"
        "nFPblUifQ"
    )
    with pytest.raises(KeyFormatError, match="secp256k1"):
        KeyResolver().resolve(did + "#0")


@pytest.mark.parametrize(
    "vm_id, message",
    [
        ("did:example:z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x", "did:example"),
        ("did:velocity:v2:0x4ade3a40a6092366765fa42a8247d07a6c3bdddd#key-1", "did:velocity"),
        ("did:", "DID method"),
        ("xxx:z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x", "expected a DID or an https"),
        ("z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x", "expected a DID or an https"),
        ("ftp://example.com/key", "expected a DID or an https"),
        ("urn:uuid:6f2e33e5-7a29-4155-840a-59483ba10164", "expected a DID or an https"),
        ("", "non-empty"),
    ],
)
def test_unknown_methods_and_schemes(vm_id: str, message: str) -> None:
    with pytest.raises(KeyResolutionError, match=message):
        KeyResolver(fetcher=ExplodingFetcher()).resolve(vm_id)


def test_dcv_error_fixtures_do_not_resolve(vendor: Path) -> None:
    resolver = KeyResolver(fetcher=FakeFetcher())
    for name in (
        "simple-err-proof-method-no-scheme.json",
        "simple-err-proof-method-unknown-did-method.json",
        "simple-err-proof-method-unknown-scheme.json",
    ):
        credential = json.loads((vendor / DCV / name).read_text())
        with pytest.raises(KeyResolutionError):
            proof = credential["proof"]
            proof = proof[0] if isinstance(proof, list) else proof
            resolver.resolve(proof["verificationMethod"])


def test_unknown_purpose_is_a_programming_error(ed_key: SigningKey) -> None:
    with pytest.raises(ValueError):
        KeyResolver().resolve(did_key(ed_key), purpose="assertion")


# -- did:web --------------------------------------------------------------------------------

WEB_DID = "did:web:issuer.example:ped"
WEB_URL = "https://issuer.example/ped/did.json"


def test_resolve_did_web(ed_key: SigningKey, rsa_key: SigningKey) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key, rsa_key.public_key], key_ids=["k2", "k1"])
    fetcher = FakeFetcher({WEB_URL: doc})
    resolver = KeyResolver(fetcher=fetcher)
    method = resolver.resolve(f"{WEB_DID}#k2")
    assert method == VerificationMethod(
        id=f"{WEB_DID}#k2", controller=WEB_DID, type="Multikey", key=ed_key.public_key
    )
    # The older (rotated) key still resolves, so what it signed keeps verifying.
    assert resolver.resolve(f"{WEB_DID}#k1").key == rsa_key.public_key
    assert resolver.resolve(f"{WEB_DID}#k1", purpose="authentication").type == "JsonWebKey"
    # One fetch for the resolver's lifetime, with a DID-document Accept header.
    assert len(fetcher.calls) == 1
    assert "application/did+json" in fetcher.calls[0][1]


def test_did_web_relative_ids_and_embedded_methods(ed_key: SigningKey) -> None:
    doc = {
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": WEB_DID,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "Ed25519VerificationKey2020",
                "controller": WEB_DID,
                "publicKeyMultibase": encode_public_multikey(ed_key.public_key),
            }
        ],
        "assertionMethod": ["#key-1"],
        "authentication": [
            {
                "id": f"{WEB_DID}#auth",
                "type": "JsonWebKey2020",
                "controller": WEB_DID,
                "publicKeyJwk": ed_key.public_key.jwk(),
            }
        ],
    }
    resolver = KeyResolver(fetcher=FakeFetcher({WEB_URL: doc}))
    method = resolver.resolve(f"{WEB_DID}#key-1")
    assert method.id == f"{WEB_DID}#key-1" and method.type == "Ed25519VerificationKey2020"
    assert resolver.resolve(f"{WEB_DID}#auth", purpose="authentication").type == "JsonWebKey2020"
    with pytest.raises(KeyResolutionError, match="assertionMethod"):
        resolver.resolve(f"{WEB_DID}#auth")


def test_did_web_purpose_is_required(ed_key: SigningKey) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key], key_ids=["k"])
    doc["assertionMethod"] = []
    resolver = KeyResolver(fetcher=FakeFetcher({WEB_URL: doc}))
    with pytest.raises(KeyResolutionError, match="not listed under assertionMethod"):
        resolver.resolve(f"{WEB_DID}#k")
    assert resolver.resolve(f"{WEB_DID}#k", purpose="authentication").key == ed_key.public_key


def test_did_web_embedded_listing_with_other_key_is_refused(
    ed_key: SigningKey, p256_key: SigningKey
) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key], key_ids=["k"])
    doc["assertionMethod"] = [
        {
            "id": f"{WEB_DID}#k",
            "type": "Multikey",
            "controller": WEB_DID,
            "publicKeyMultibase": encode_public_multikey(p256_key.public_key),
        }
    ]
    with pytest.raises(KeyResolutionError, match="different key|defined twice"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: doc})).resolve(f"{WEB_DID}#k")


def test_did_web_failures(ed_key: SigningKey) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key], key_ids=["k"])
    with pytest.raises(DidWebUnresolved) as info:
        KeyResolver(fetcher=FakeFetcher()).resolve(f"{WEB_DID}#k")
    assert info.value.url == WEB_URL
    assert isinstance(info.value.__cause__, FetchStatusError)
    timeout = FetchTimeout("slow", url=WEB_URL)
    with pytest.raises(DidWebUnresolved):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: timeout})).resolve(f"{WEB_DID}#k")
    with pytest.raises(DidWebUnresolved, match="no fetcher"):
        KeyResolver().resolve(f"{WEB_DID}#k")
    wrong_id = {**doc, "id": "did:web:evil.example"}
    with pytest.raises(DidWebUnresolved, match="describes"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: wrong_id})).resolve(f"{WEB_DID}#k")
    with pytest.raises(DidWebUnresolved, match="JSON object"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: ["not", "a", "doc"]})).resolve(f"{WEB_DID}#k")
    with pytest.raises(KeyResolutionError, match="not in the document"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: doc})).resolve(f"{WEB_DID}#other")
    with pytest.raises(KeyResolutionError, match="fragment"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: doc})).resolve(WEB_DID)
    with pytest.raises(DidWebUnresolved):
        KeyResolver(fetcher=FakeFetcher()).resolve("did:web:example.com:..:x#k")


def test_failures_are_not_cached(ed_key: SigningKey) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key], key_ids=["k"])
    fetcher = FakeFetcher()
    resolver = KeyResolver(fetcher=fetcher)
    with pytest.raises(DidWebUnresolved):
        resolver.resolve(f"{WEB_DID}#k")
    fetcher.documents[WEB_URL] = doc
    assert resolver.resolve(f"{WEB_DID}#k").key == ed_key.public_key


def test_published_private_key_is_refused(ed_key: SigningKey) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key], key_ids=["k"])
    doc["verificationMethod"][0]["secretKeyMultibase"] = "z3u2…"
    with pytest.raises(KeyFormatError, match="private"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: doc})).resolve(f"{WEB_DID}#k")


def test_unsupported_method_type_is_refused(ed_key: SigningKey) -> None:
    doc = did_document(WEB_DID, [ed_key.public_key], key_ids=["k"])
    doc["verificationMethod"][0]["type"] = "EcdsaSecp256k1VerificationKey2019"
    with pytest.raises(KeyResolutionError, match="unsupported verification method type"):
        KeyResolver(fetcher=FakeFetcher({WEB_URL: doc})).resolve(f"{WEB_DID}#k")


def test_parse_verification_method_rejects_mismatched_types(p256_key: SigningKey) -> None:
    method = {
        "id": "#k",
        "type": "Ed25519VerificationKey2020",
        "controller": WEB_DID,
        "publicKeyMultibase": encode_public_multikey(p256_key.public_key),
    }
    with pytest.raises(KeyFormatError, match="non-Ed25519"):
        parse_verification_method(method, document_id=WEB_DID)
    both = {**method, "type": "Multikey", "publicKeyJwk": p256_key.public_key.jwk()}
    with pytest.raises(KeyResolutionError, match="two keys"):
        parse_verification_method(both, document_id=WEB_DID)


# -- https controller documents -------------------------------------------------------------

ISSUER = "https://example.edu/issuers/565049"


def _controller_doc(controller: str, method_id: str, key: VerificationKey) -> dict[str, Any]:
    return {
        "@context": [DID_CONTEXT_V1, MULTIKEY_CONTEXT_V1],
        "id": controller,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": encode_public_multikey(key),
            }
        ],
        "assertionMethod": [method_id],
    }


def test_resolve_https_controller_document(ed_key: SigningKey) -> None:
    doc = _controller_doc(ISSUER, f"{ISSUER}#key-1", ed_key.public_key)
    fetcher = FakeFetcher({ISSUER: doc})
    resolver = KeyResolver(fetcher=fetcher)
    method = resolver.resolve(f"{ISSUER}#key-1")
    assert method.controller == ISSUER and method.key == ed_key.public_key
    check_controller(method, ISSUER)
    with pytest.raises(ControllerMismatch):
        check_controller(method, "https://example.edu/issuers/other")
    assert fetcher.calls[0][0] == ISSUER
    with pytest.raises(KeyResolutionError, match="controller document, not a verification"):
        resolver.resolve(ISSUER)


def test_https_relative_method_ids(ed_key: SigningKey) -> None:
    doc = _controller_doc(ISSUER, "#key-1", ed_key.public_key)
    doc["verificationMethod"][0]["controller"] = ISSUER
    method = KeyResolver(fetcher=FakeFetcher({ISSUER: doc})).resolve(f"{ISSUER}#key-1")
    assert method.id == f"{ISSUER}#key-1"


def test_fragment_key_binds_nothing(ed_key: SigningKey, p256_key: SigningKey) -> None:
    """``https://issuer.example/#z6Mk…``: the key in the fragment is never decoded."""
    fragment_key = encode_public_multikey(ed_key.public_key)
    vm_id = f"https://issuer.example/#{fragment_key}"
    # The issuer's document lists a different key: the fragment's key is not trusted.
    other = _controller_doc(
        "https://issuer.example/", "https://issuer.example/#main", p256_key.public_key
    )
    with pytest.raises(KeyResolutionError, match="not in the document"):
        KeyResolver(fetcher=FakeFetcher({"https://issuer.example/": other})).resolve(vm_id)
    # Nothing to fetch: nothing resolves, even though the fragment "contains" a key.
    with pytest.raises(ControllerDocumentUnresolved):
        KeyResolver(fetcher=FakeFetcher()).resolve(vm_id)
    with pytest.raises(ControllerDocumentUnresolved):
        KeyResolver().resolve(vm_id)
    # Listed in the fetched document: now it resolves.
    listed = _controller_doc("https://issuer.example/", vm_id, ed_key.public_key)
    resolved = KeyResolver(fetcher=FakeFetcher({"https://issuer.example/": listed})).resolve(vm_id)
    assert resolved.key == ed_key.public_key


def test_fragment_key_listed_but_not_for_assertion(ed_key: SigningKey) -> None:
    vm_id = f"https://issuer.example/#{encode_public_multikey(ed_key.public_key)}"
    doc = _controller_doc("https://issuer.example/", vm_id, ed_key.public_key)
    doc["assertionMethod"] = []
    with pytest.raises(KeyResolutionError, match="not listed under assertionMethod"):
        KeyResolver(fetcher=FakeFetcher({"https://issuer.example/": doc})).resolve(vm_id)


def test_dcv_fixture_fragment_key_needs_the_issuer_document(vendor: Path) -> None:
    credential = json.loads((vendor / DCV / "simple.json").read_text())
    vm_id = (
        credential["proof"][0]["verificationMethod"]
        if isinstance(credential["proof"], list)
        else credential["proof"]["verificationMethod"]
    )
    issuer = (
        credential["issuer"]["id"]
        if isinstance(credential["issuer"], dict)
        else credential["issuer"]
    )
    profile_without_keys = {"id": issuer, "type": "Profile", "name": "Example"}
    with pytest.raises(KeyResolutionError):
        KeyResolver(fetcher=FakeFetcher({issuer: profile_without_keys})).resolve(vm_id)
    key = decode_public_multikey(OB_PUBLIC_MULTIKEY)
    published = _controller_doc(issuer, vm_id, key)
    method = KeyResolver(fetcher=FakeFetcher({issuer: published})).resolve(vm_id)
    check_controller(method, issuer)


def test_https_document_id_must_match(ed_key: SigningKey) -> None:
    doc = _controller_doc("https://evil.example/", f"{ISSUER}#key-1", ed_key.public_key)
    with pytest.raises(ControllerDocumentUnresolved, match="describes"):
        KeyResolver(fetcher=FakeFetcher({ISSUER: doc})).resolve(f"{ISSUER}#key-1")


def test_https_method_document_with_controller(ed_key: SigningKey) -> None:
    """The URL is the verification method itself; its controller's document must list it."""
    key_url = "https://keys.example/k/1"
    controller = "https://issuer.example/profile"
    method_doc = {
        "@context": [MULTIKEY_CONTEXT_V1],
        "id": key_url,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": encode_public_multikey(ed_key.public_key),
    }
    claimed = {"id": controller, "assertionMethod": [key_url]}
    fetcher = FakeFetcher({key_url: method_doc, controller: claimed})
    method = KeyResolver(fetcher=fetcher).resolve(key_url)
    assert method == VerificationMethod(
        id=key_url, controller=controller, type="Multikey", key=ed_key.public_key
    )
    # The controller does not claim it (someone else published a key naming them): refused.
    unclaimed = {"id": controller, "assertionMethod": ["https://keys.example/k/2"]}
    with pytest.raises(KeyResolutionError, match="not listed"):
        KeyResolver(fetcher=FakeFetcher({key_url: method_doc, controller: unclaimed})).resolve(
            key_url
        )
    with pytest.raises(ControllerDocumentUnresolved):
        KeyResolver(fetcher=FakeFetcher({key_url: method_doc})).resolve(key_url)


def test_method_controlled_by_a_did_web(ed_key: SigningKey) -> None:
    key_url = "https://keys.example/k/1"
    method_doc = {
        "id": key_url,
        "type": "JsonWebKey",
        "controller": WEB_DID,
        "publicKeyJwk": ed_key.public_key.jwk(),
    }
    did_doc = {"id": WEB_DID, "assertionMethod": [key_url]}
    method = KeyResolver(fetcher=FakeFetcher({key_url: method_doc, WEB_URL: did_doc})).resolve(
        key_url
    )
    assert method.controller == WEB_DID


# -- controller check -----------------------------------------------------------------------


def test_check_controller_for_did_key(vendor: Path, ed_key: SigningKey) -> None:
    method = KeyResolver().resolve(did_key(ed_key))
    check_controller(method, did_key(ed_key))
    # DCV simple-did-key-method.json: did:key proof, but the issuer is a urn:uuid.
    credential = json.loads((vendor / DCV / "simple-did-key-method.json").read_text())
    proof = credential["proof"][0] if isinstance(credential["proof"], list) else credential["proof"]
    fixture_method = KeyResolver().resolve(proof["verificationMethod"])
    issuer = credential["issuer"]["id"]
    with pytest.raises(ControllerMismatch, match="not by the issuer"):
        check_controller(fixture_method, issuer)


def test_check_controller_normalises_only_http_urls(ed_key: SigningKey) -> None:
    method = VerificationMethod(
        id="https://Example.edu#k",
        controller="https://Example.edu",
        type="Multikey",
        key=ed_key.public_key,
    )
    check_controller(method, "https://example.edu/")
    did_method = KeyResolver().resolve(did_key(ed_key))
    with pytest.raises(ControllerMismatch):
        check_controller(did_method, did_key(ed_key).upper())
