"""VC-JWT: round trips, algorithm confusion, header and claim strictness, 1EdTech fixtures."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.did import KeyResolver, did_document, did_jwk, did_key
from keys.errors import (
    DidWebUnresolved,
    InvalidProof,
    InvalidSignature,
    KeyFormatError,
    KeyResolutionError,
    KeysError,
    UnsupportedSuite,
)
from keys.keypairs import KeyType, SigningKey, VerificationKey, b64url_decode, b64url_encode
from keys.suites import ProofExpectations, ProofOptions, add_proof
from keys.suites.vc_jwt import (
    JWT_PROOF_TYPE,
    JwtProfile,
    JwtVerification,
    VcJwtSuite,
    sign_jwt,
    suite,
    verify_jwt,
)
from schemas.loader import bundled_loader

DCV = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _credential(issuer: str, **extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2, OB],
        "id": "urn:uuid:2f1b1c0e-6f0b-4c8e-9a57-0d1f1a0e7f11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "PED"},
        "validFrom": "2026-09-01T08:30:00Z",
        "name": "Formative assessment",
        "credentialSubject": {
            "id": "did:example:teacher-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/achievements/1",
                "type": ["Achievement"],
                "name": "Formative assessment",
                "description": "Uses formative assessment in class.",
                "criteria": {"narrative": "Portfolio review."},
            },
        },
        **extra,
    }


class Issuer:
    """A key, its DID (did:key, or did:jwk for RSA) and the matching kid."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        if key.key_type is KeyType.RSA:
            self.did = did_jwk(key)
            self.kid = f"{self.did}#0"
        else:
            self.did = did_key(key)
            self.kid = f"{self.did}#{self.did.removeprefix('did:key:')}"

    def credential(self, **extra: Any) -> dict[str, Any]:
        return _credential(self.did, **extra)


@pytest.fixture(scope="module")
def keys_by_type() -> dict[KeyType, SigningKey]:
    return {t: SigningKey.generate(t, rsa_bits=2048) for t in KeyType}


@pytest.fixture(params=list(KeyType), ids=str)
def issuer(request: pytest.FixtureRequest, keys_by_type: dict[KeyType, SigningKey]) -> Issuer:
    return Issuer(keys_by_type[request.param])


@pytest.fixture(scope="module")
def ed_issuer() -> Issuer:
    return Issuer(SigningKey.from_seed(bytes(range(32))))


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    header, payload, signature = token.split(".")
    return (
        json.loads(b64url_decode(header)),
        json.loads(b64url_decode(payload)),
        b64url_decode(signature),
    )


def _forge(header: dict[str, Any], payload: dict[str, Any], key: SigningKey | None) -> str:
    """Build a compact JWS by hand, signing with SigningKey.sign (JOSE format) if a key is
    given: this also shows our raw signatures interoperate with jwcrypto's verifier."""
    signing_input = (
        b64url_encode(json.dumps(header).encode())
        + "."
        + b64url_encode(json.dumps(payload).encode())
    )
    signature = key.sign(signing_input.encode()) if key is not None else b""
    return signing_input + "." + b64url_encode(signature)


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(JwtProfile), ids=str)
def test_round_trip(issuer: Issuer, profile: JwtProfile) -> None:
    credential = issuer.credential()
    token = sign_jwt(credential, key=issuer.key, profile=profile, kid=issuer.kid)
    result = verify_jwt(token, resolver=KeyResolver())
    assert isinstance(result, JwtVerification)
    assert result.credential == credential
    assert result.profile is profile
    assert result.method is not None and result.method.id == issuer.kid
    assert result.method.controller == issuer.did
    assert result.key == issuer.key.public_key
    assert result.header["alg"] == issuer.key.jose_algorithm
    assert result.warnings == []


@pytest.mark.parametrize("profile", list(JwtProfile), ids=str)
def test_round_trip_with_embedded_jwk(issuer: Issuer, profile: JwtProfile) -> None:
    token = sign_jwt(issuer.credential(), key=issuer.key, profile=profile, embed_jwk=True)
    header, _, _ = _parts(token)
    assert "d" not in header["jwk"] and "kid" not in header
    # Bound through the issuer's DID (did:key or did:jwk): that DID is the key itself.
    result = verify_jwt(token, resolver=KeyResolver())
    assert result.key == issuer.key.public_key
    assert result.method is not None and result.method.controller == issuer.did
    assert result.warnings == []
    # The same key for an issuer whose DID is another key is merely carried, and reported.
    stranger = Issuer(SigningKey.from_seed(bytes(range(1, 33))))
    token = sign_jwt(stranger.credential(), key=issuer.key, profile=profile, embed_jwk=True)
    unbound = verify_jwt(token, resolver=KeyResolver())
    assert unbound.method is None
    assert any("NOT bound" in w for w in unbound.warnings)
    pinned = verify_jwt(token, resolver=KeyResolver(), pinned_keys=[issuer.key.public_key])
    assert not any("NOT bound" in w for w in pinned.warnings)


class _DidWeb:
    """A did:web issuer publishing ``keys`` under assertionMethod, served by a fake fetcher."""

    did = "did:web:issuer.example"

    def __init__(self, *keys: SigningKey) -> None:
        self.document = did_document(
            self.did, [k.public_key for k in keys], key_ids=[f"key-{i}" for i in range(len(keys))]
        )

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        if url != "https://issuer.example/.well-known/did.json":
            raise KeyResolutionError(f"unexpected fetch of {url}")
        return self.document


def _binding_case(
    method: str, naming: str, signer: SigningKey, published: SigningKey
) -> tuple[str, KeyResolver]:
    """A token from an issuer of DID ``method`` whose DID lists ``published``, signed by
    ``signer``, naming its key by ``naming`` (jwk / kid = the issuer's DID URL)."""
    if method == "did:web":
        web = _DidWeb(seeded_other(), published)
        did, kid, resolver = web.did, f"{web.did}#key-1", KeyResolver(fetcher=web)
    else:
        did = did_key(published) if method == "did:key" else did_jwk(published)
        kid = f"{did}#{did[8:]}" if method == "did:key" else f"{did}#0"
        resolver = KeyResolver()
    token = sign_jwt(
        _credential(did),
        key=signer,
        kid=kid if naming == "kid" else None,
        embed_jwk=naming == "jwk",
    )
    return token, resolver


def seeded_other() -> SigningKey:
    """A second key the did:web document lists first, so a match is found by key, not place."""
    return SigningKey.from_seed(bytes(range(2, 34)))


@pytest.mark.parametrize("method", ["did:key", "did:jwk", "did:web"])
@pytest.mark.parametrize(
    ("naming", "own_key", "bound"),
    [("jwk", True, True), ("kid", True, True), ("jwk", False, False)],
    ids=["jwk-of-the-issuer", "kid-of-the-issuer", "jwk-of-another-key"],
)
def test_header_key_binding(
    keys_by_type: dict[KeyType, SigningKey], method: str, naming: str, own_key: bool, bound: bool
) -> None:
    """A header key is the issuer's only when the issuer's DID lists that key for assertion."""
    published = keys_by_type[KeyType.P256]
    signer = published if own_key else keys_by_type[KeyType.ED25519]
    token, resolver = _binding_case(method, naming, signer, published)
    result = verify_jwt(token, resolver=resolver)
    if bound:
        assert result.method is not None and result.method.key == published.public_key
        assert result.method.controller.startswith(method)
        assert result.warnings == []
    else:
        assert result.method is None and result.key == signer.public_key
        assert any("NOT bound" in w for w in result.warnings)
        with pytest.raises(KeyResolutionError, match="bound to nobody"):
            suite.verify_proof(
                _credential("x"),
                {"type": JWT_PROOF_TYPE, "jwt": token},
                loader=bundled_loader(),
                resolver=resolver,
                expected=ProofExpectations(),
            )


def test_header_jwk_compared_as_key_material(keys_by_type: dict[KeyType, SigningKey]) -> None:
    """A jwk header with the same key in another JSON spelling (extra members, other member
    order) is the same key; one differing only in its coordinates is not."""
    key = keys_by_type[KeyType.P256]
    did = did_key(key.public_key)
    credential = _credential(did)
    payload = json.loads(b64url_decode(sign_jwt(credential, key=key, kid=did).split(".")[1]))
    jwk = dict(reversed(list(key.public_key.jwk().items()))) | {"use": "sig", "kid": "k-9"}
    result = verify_jwt(_forge({"alg": "ES256", "jwk": jwk}, payload, key), resolver=KeyResolver())
    assert result.method is not None and result.method.controller == did


def test_did_web_jwk_listed_only_for_authentication_is_unbound(
    keys_by_type: dict[KeyType, SigningKey],
) -> None:
    """A did:web key the document lists for authentication, not assertionMethod, signs
    logins, not credentials: a jwk header naming it binds nothing."""
    key = keys_by_type[KeyType.ED25519]
    web = _DidWeb(key)
    web.document["assertionMethod"] = []
    token = sign_jwt(_credential(web.did), key=key, embed_jwk=True)
    result = verify_jwt(token, resolver=KeyResolver(fetcher=web))
    assert result.method is None
    assert any("NOT bound" in w for w in result.warnings)


def test_did_web_jwk_with_an_unreachable_document(keys_by_type: dict[KeyType, SigningKey]) -> None:
    """Nothing could be looked at: a retrieval failure, not 'bound to nobody'."""
    key = keys_by_type[KeyType.ED25519]
    token = sign_jwt(_credential("did:web:issuer.example"), key=key, embed_jwk=True)
    with pytest.raises(DidWebUnresolved):
        verify_jwt(token, resolver=KeyResolver())


def test_profile_shapes(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential(validUntil="2031-09-01T08:30:00.250Z")
    ob3 = sign_jwt(credential, key=ed_issuer.key, kid=ed_issuer.kid)
    header, payload, signature = _parts(ob3)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": ed_issuer.kid}
    assert len(signature) == 64
    assert payload == {
        **credential,
        "iss": ed_issuer.did,
        "jti": credential["id"],
        "sub": "did:example:teacher-1",
        "nbf": 1788251400,
        "exp": 1946017800,
    }

    vc2 = sign_jwt(credential, key=ed_issuer.key, profile=JwtProfile.VC2, kid=ed_issuer.kid)
    header, payload, _ = _parts(vc2)
    assert header["typ"] == "vc+jwt" and payload == credential

    vc11 = sign_jwt(credential, key=ed_issuer.key, profile=JwtProfile.VC11, kid=ed_issuer.kid)
    _, payload, _ = _parts(vc11)
    assert payload["vc"] == credential
    assert {k: payload[k] for k in ("iss", "jti", "sub", "nbf", "exp")} == {
        "iss": ed_issuer.did,
        "jti": credential["id"],
        "sub": "did:example:teacher-1",
        "nbf": 1788251400,
        "exp": 1946017800,
    }
    for token in (ob3, vc2, vc11):
        assert verify_jwt(token, resolver=KeyResolver()).credential == credential


def test_vc11_credential_uses_issuance_date(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential()
    del credential["validFrom"]
    credential["@context"] = [V1, "https://purl.imsglobal.org/spec/ob/v3p0/context.json"]
    credential["issuanceDate"] = "2010-01-01T00:00:00Z"
    credential["expirationDate"] = "2030-01-01T00:00:00Z"
    token = sign_jwt(credential, key=ed_issuer.key, profile=JwtProfile.VC11, kid=ed_issuer.kid)
    _, payload, _ = _parts(token)
    assert payload["nbf"] == 1262304000 and payload["exp"] == 1893456000
    assert verify_jwt(token, resolver=KeyResolver()).credential == credential


def test_vc11_members_may_come_from_claims(ed_issuer: Issuer) -> None:
    """VC 1.1 §6.3.1: iss/jti/nbf/sub stand in for members the vc claim leaves out."""
    full = ed_issuer.credential()
    full["@context"] = [V1]
    full["issuanceDate"] = full.pop("validFrom")
    vc = {k: v for k, v in full.items() if k not in ("issuer", "id", "issuanceDate")}
    vc["credentialSubject"] = {k: v for k, v in full["credentialSubject"].items() if k != "id"}
    payload = {
        "iss": ed_issuer.did,
        "jti": full["id"],
        "sub": "did:example:teacher-1",
        "nbf": 1788251400,
        "vc": vc,
    }
    token = _forge({"alg": "EdDSA", "kid": ed_issuer.kid}, payload, ed_issuer.key)
    result = verify_jwt(token, resolver=KeyResolver())
    assert result.credential["issuer"] == ed_issuer.did
    assert result.credential["id"] == full["id"]
    assert result.credential["issuanceDate"] == "2026-09-01T08:30:00Z"
    assert result.credential["credentialSubject"]["id"] == "did:example:teacher-1"
    assert len(result.warnings) == 4


def test_embedded_proof_stays_in_the_payload(ed_issuer: Issuer) -> None:
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-09-01T08:30:00Z",
        "verificationMethod": ed_issuer.kid,
        "proofPurpose": "assertionMethod",
        "proofValue": "z3Fake",
    }
    credential = ed_issuer.credential(proof=proof)
    for profile in JwtProfile:
        token = sign_jwt(credential, key=ed_issuer.key, profile=profile, kid=ed_issuer.kid)
        result = verify_jwt(token, resolver=KeyResolver())
        # The returned credential is exactly what was signed by the LD proof: no JWT claims.
        assert result.credential == credential
        assert result.credential["proof"] == proof


def test_sign_needs_a_key_reference(ed_issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="kid"):
        sign_jwt(ed_issuer.credential(), key=ed_issuer.key)


def test_sign_refuses_credentials_it_cannot_describe(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential()
    del credential["id"]
    with pytest.raises(InvalidProof, match="jti"):
        sign_jwt(credential, key=ed_issuer.key, kid=ed_issuer.kid)
    with pytest.raises(InvalidProof, match="iss"):
        sign_jwt(ed_issuer.credential(iss="x"), key=ed_issuer.key, kid=ed_issuer.kid)
    # VC 2 profile puts the credential as-is: nothing to derive, nothing refused.
    sign_jwt(credential, key=ed_issuer.key, profile=JwtProfile.VC2, kid=ed_issuer.kid)


def test_sign_never_writes_private_material(issuer: Issuer) -> None:
    token = sign_jwt(issuer.credential(), key=issuer.key, embed_jwk=True, kid=issuer.kid)
    text = b64url_decode(token.split(".")[0]).decode() + b64url_decode(token.split(".")[1]).decode()
    assert issuer.key.private_jwk()["d"] not in text
    assert '"d"' not in text


def test_kid_relative_to_a_did_web_issuer(ed_issuer: Issuer) -> None:
    did = "did:web:issuer.example"
    doc = did_document(did, [ed_issuer.key.public_key], key_ids=["key-1"])

    class Fetcher:
        def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
            assert url == "https://issuer.example/.well-known/did.json"
            return doc

    token = sign_jwt(_credential(did), key=ed_issuer.key, kid="#key-1")
    result = verify_jwt(token, resolver=KeyResolver(fetcher=Fetcher()))
    assert result.method is not None and result.method.id == f"{did}#key-1"


# -- algorithm confusion --------------------------------------------------------------------


def _payload(issuer: Issuer) -> dict[str, Any]:
    _, payload, _ = _parts(sign_jwt(issuer.credential(), key=issuer.key, kid=issuer.kid))
    return payload


def test_alg_none_is_refused(ed_issuer: Issuer) -> None:
    payload = _payload(ed_issuer)
    for alg in ("none", "None", "NONE"):
        token = _forge({"alg": alg, "kid": ed_issuer.kid}, payload, None)
        with pytest.raises(UnsupportedSuite):
            verify_jwt(token, resolver=KeyResolver())
    # ... even with a signature attached, and even with a pinned jwk.
    token = _forge({"alg": "none", "jwk": ed_issuer.key.public_key.jwk()}, payload, ed_issuer.key)
    with pytest.raises(UnsupportedSuite):
        verify_jwt(token, resolver=KeyResolver(), pinned_keys=[ed_issuer.key.public_key])


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_with_the_public_key_as_secret_is_refused(
    keys_by_type: dict[KeyType, SigningKey], alg: str
) -> None:
    rsa = Issuer(keys_by_type[KeyType.RSA])
    payload = _payload(rsa)
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    public = rsa.key.public_key
    for secret in (
        json.dumps(public.jwk()).encode(),
        public.public_bytes(),
        b64url_encode(public.public_bytes()).encode(),
    ):
        for ref in ({"kid": rsa.kid}, {"jwk": public.jwk()}):
            header = {"alg": alg, **ref}
            signing_input = (
                b64url_encode(json.dumps(header).encode())
                + "."
                + b64url_encode(json.dumps(payload).encode())
            )
            mac = hmac.new(secret, signing_input.encode(), digest).digest()
            with pytest.raises(UnsupportedSuite):
                verify_jwt(
                    signing_input + "." + b64url_encode(mac),
                    resolver=KeyResolver(),
                    pinned_keys=[public],
                )


@pytest.mark.parametrize("alg", ["PS256", "RS512", "ES512", "ES256K", "Ed448", "dir", "", "rs256"])
def test_other_algorithms_are_refused(ed_issuer: Issuer, alg: str) -> None:
    token = _forge({"alg": alg, "kid": ed_issuer.kid}, _payload(ed_issuer), ed_issuer.key)
    with pytest.raises(UnsupportedSuite):
        verify_jwt(token, resolver=KeyResolver())


def test_alg_must_match_the_key_type(keys_by_type: dict[KeyType, SigningKey]) -> None:
    for signer_type, claimed in (
        (KeyType.ED25519, "ES256"),
        (KeyType.P256, "EdDSA"),
        (KeyType.P256, "RS256"),
        (KeyType.RSA, "ES256"),
    ):
        issuer = Issuer(keys_by_type[signer_type])
        token = _forge({"alg": claimed, "kid": issuer.kid}, _payload(issuer), issuer.key)
        with pytest.raises(InvalidSignature, match="cannot be verified"):
            verify_jwt(token, resolver=KeyResolver())


def test_ed25519_alg_alias_is_accepted(ed_issuer: Issuer) -> None:
    token = _forge({"alg": "Ed25519", "kid": ed_issuer.kid}, _payload(ed_issuer), ed_issuer.key)
    assert verify_jwt(token, resolver=KeyResolver()).key == ed_issuer.key.public_key


def test_hand_made_tokens_verify_for_every_key_type(issuer: Issuer) -> None:
    """SigningKey.sign produces JOSE-format signatures that jwcrypto accepts."""
    header = {"alg": issuer.key.jose_algorithm, "typ": "JWT", "kid": issuer.kid}
    token = _forge(header, _payload(issuer), issuer.key)
    assert verify_jwt(token, resolver=KeyResolver()).credential == issuer.credential()


# -- header strictness ----------------------------------------------------------------------


def test_jwk_header_with_private_key_is_refused(issuer: Issuer) -> None:
    token = _forge(
        {"alg": issuer.key.jose_algorithm, "jwk": issuer.key.private_jwk()},
        _payload(issuer),
        issuer.key,
    )
    with pytest.raises(KeyFormatError) as info:
        verify_jwt(token, resolver=KeyResolver(), pinned_keys=[issuer.key.public_key])
    assert issuer.key.private_jwk()["d"] not in str(info.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"crit": ["exp"]},
        {"b64": False},
        {"x5u": "https://evil.example/cert"},
        {"jku": "https://evil.example/jwks"},
        {"x5c": ["MIIB"]},
        {"zip": "DEF"},
        {"enc": "A128GCM"},
    ],
)
def test_extra_header_members_are_refused(ed_issuer: Issuer, extra: dict[str, Any]) -> None:
    header = {"alg": "EdDSA", "kid": ed_issuer.kid, **extra}
    token = _forge(header, _payload(ed_issuer), ed_issuer.key)
    with pytest.raises(InvalidProof, match="not allowed"):
        verify_jwt(token, resolver=KeyResolver())


@pytest.mark.parametrize(
    "header, message",
    [
        ({"alg": "EdDSA"}, "'kid' or 'jwk'"),
        ({"kid": "did:key:x"}, "'alg'"),
        ({"alg": "EdDSA", "kid": 5}, "string"),
        ({"alg": "EdDSA", "jwk": "not-an-object"}, "JSON object"),
        ({"alg": "EdDSA", "kid": "K", "typ": "JWE"}, "typ"),
    ],
)
def test_malformed_headers(ed_issuer: Issuer, header: dict[str, Any], message: str) -> None:
    token = _forge(header, _payload(ed_issuer), ed_issuer.key)
    with pytest.raises(InvalidProof, match=message):
        verify_jwt(token, resolver=KeyResolver())


def test_kid_and_jwk_must_agree(keys_by_type: dict[KeyType, SigningKey]) -> None:
    ed = Issuer(keys_by_type[KeyType.ED25519])
    other = SigningKey.generate(KeyType.ED25519).public_key.jwk()
    token = _forge({"alg": "EdDSA", "kid": ed.kid, "jwk": other}, _payload(ed), ed.key)
    with pytest.raises(InvalidProof, match="differs"):
        verify_jwt(token, resolver=KeyResolver())


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + ".x",
        lambda t: t.rsplit(".", 1)[0],
        lambda t: "." + t.split(".", 1)[1],
        lambda t: t.replace(".", "=.", 1),
        lambda t: t.split(".")[0] + "." + b64url_encode(b"[1,2]") + "." + t.split(".")[2],
        lambda t: b64url_encode(b'{"alg":"EdDSA","alg":"none","kid":"k"}') + t[t.index(".") :],
        lambda t: b64url_encode(b"\xff\xfe") + t[t.index(".") :],
        lambda t: 12345,
    ],
)
def test_malformed_tokens(ed_issuer: Issuer, mangle: Any) -> None:
    token = sign_jwt(ed_issuer.credential(), key=ed_issuer.key, kid=ed_issuer.kid)
    with pytest.raises(InvalidProof):
        verify_jwt(mangle(token), resolver=KeyResolver())


def test_unresolvable_kid(ed_issuer: Issuer) -> None:
    token = sign_jwt(ed_issuer.credential(), key=ed_issuer.key, kid="did:example:123#k")
    with pytest.raises(KeyResolutionError, match="did:example"):
        verify_jwt(token, resolver=KeyResolver())


def test_kid_resolving_to_another_key(keys_by_type: dict[KeyType, SigningKey]) -> None:
    ed = Issuer(keys_by_type[KeyType.ED25519])
    impostor = Issuer(SigningKey.generate(KeyType.ED25519))
    token = sign_jwt(ed.credential(), key=impostor.key, kid=ed.kid)
    with pytest.raises(InvalidSignature):
        verify_jwt(token, resolver=KeyResolver())


# -- tampering ------------------------------------------------------------------------------


def test_tampered_payload(ed_issuer: Issuer) -> None:
    token = sign_jwt(ed_issuer.credential(), key=ed_issuer.key, kid=ed_issuer.kid)
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["name"] = "Something else"
    forged = f"{header}.{b64url_encode(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(InvalidSignature):
        verify_jwt(forged, resolver=KeyResolver())


def test_tampered_header(ed_issuer: Issuer) -> None:
    token = sign_jwt(ed_issuer.credential(), key=ed_issuer.key, kid=ed_issuer.kid)
    _, payload, signature = token.split(".")
    header = b64url_encode(json.dumps({"alg": "EdDSA", "kid": ed_issuer.kid}).encode())
    with pytest.raises(InvalidSignature):
        verify_jwt(f"{header}.{payload}.{signature}", resolver=KeyResolver())


_HYPO_KEY = SigningKey.from_seed(bytes(range(32, 64)))
_HYPO_ISSUER = Issuer(_HYPO_KEY)
_HYPO_TOKEN = sign_jwt(_HYPO_ISSUER.credential(), key=_HYPO_KEY, kid=_HYPO_ISSUER.kid)
_HYPO_PARTS = _HYPO_TOKEN.split(".")
_HYPO_PAYLOAD = b64url_decode(_HYPO_PARTS[1])
_HYPO_SIGNATURE = b64url_decode(_HYPO_PARTS[2])


def test_hypothesis_token_verifies() -> None:
    verify_jwt(_HYPO_TOKEN, resolver=KeyResolver())


@settings(max_examples=150, deadline=None)
@given(index=st.integers(0, len(_HYPO_SIGNATURE) - 1), flip=st.integers(1, 255))
def test_any_signature_byte_flip_fails(index: int, flip: int) -> None:
    signature = bytearray(_HYPO_SIGNATURE)
    signature[index] ^= flip
    token = f"{_HYPO_PARTS[0]}.{_HYPO_PARTS[1]}.{b64url_encode(bytes(signature))}"
    with pytest.raises(InvalidSignature):
        verify_jwt(token, resolver=KeyResolver())


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(_HYPO_PAYLOAD) - 1), flip=st.integers(1, 255))
def test_any_payload_byte_flip_fails(index: int, flip: int) -> None:
    payload = bytearray(_HYPO_PAYLOAD)
    payload[index] ^= flip
    token = f"{_HYPO_PARTS[0]}.{b64url_encode(bytes(payload))}.{_HYPO_PARTS[2]}"
    with pytest.raises((InvalidSignature, InvalidProof)):
        verify_jwt(token, resolver=KeyResolver())


@settings(max_examples=300, deadline=None)
@given(
    index=st.integers(0, len(_HYPO_TOKEN) - 1),
    char=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "),
)
def test_any_token_character_change_fails(index: int, char: str) -> None:
    if _HYPO_TOKEN[index] == char:
        return
    token = _HYPO_TOKEN[:index] + char + _HYPO_TOKEN[index + 1 :]
    with pytest.raises(KeysError):
        verify_jwt(token, resolver=KeyResolver())


# -- claims ---------------------------------------------------------------------------------


def _with_claims(issuer: Issuer, credential: dict[str, Any] | None = None, **changes: Any) -> str:
    credential = credential if credential is not None else issuer.credential()
    _, payload, _ = _parts(sign_jwt(credential, key=issuer.key, kid=issuer.kid))
    for name, value in changes.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return _forge({"alg": issuer.key.jose_algorithm, "kid": issuer.kid}, payload, issuer.key)


@pytest.mark.parametrize(
    "changes, claim",
    [
        ({"iss": "did:example:someone-else"}, "'iss'"),
        ({"jti": "urn:uuid:other"}, "'jti'"),
        ({"sub": "did:example:other-teacher"}, "'sub'"),
        ({"nbf": 1788251401}, "'nbf'"),
        ({"nbf": "1788251400"}, "'nbf'"),
        ({"nbf": True}, "'nbf'"),
        ({"exp": 1946017800}, "'exp'"),
        ({"iss": None}, "'iss'"),
        ({"jti": None}, "'jti'"),
        ({"nbf": None}, "'nbf'"),
    ],
)
def test_claim_mismatch_is_named(ed_issuer: Issuer, changes: dict[str, Any], claim: str) -> None:
    with pytest.raises(InvalidProof, match=claim):
        verify_jwt(_with_claims(ed_issuer, **changes), resolver=KeyResolver())


def test_exp_must_follow_valid_until(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential(validUntil="2030-01-01T00:00:00Z")
    ok = _with_claims(ed_issuer, credential)
    assert verify_jwt(ok, resolver=KeyResolver()).claims["exp"] == 1893456000
    with pytest.raises(InvalidProof, match="'exp'"):
        verify_jwt(_with_claims(ed_issuer, credential, exp=1893456001), resolver=KeyResolver())
    with pytest.raises(InvalidProof, match="'exp' is missing"):
        verify_jwt(_with_claims(ed_issuer, credential, exp=None), resolver=KeyResolver())


def test_missing_sub_is_a_warning_unless_required(ed_issuer: Issuer) -> None:
    token = _with_claims(ed_issuer, sub=None)
    result = verify_jwt(token, resolver=KeyResolver())
    assert any("'sub'" in w for w in result.warnings)
    with pytest.raises(InvalidProof, match="'sub' is missing"):
        verify_jwt(token, resolver=KeyResolver(), require_sub=True)


def test_time_is_not_judged_here(ed_issuer: Issuer) -> None:
    from datetime import UTC, datetime

    credential = ed_issuer.credential(validUntil="2027-01-01T00:00:00Z")
    token = sign_jwt(credential, key=ed_issuer.key, kid=ed_issuer.kid)
    long_after = datetime(2040, 1, 1, tzinfo=UTC)
    result = verify_jwt(token, resolver=KeyResolver(), now=long_after)
    assert result.claims["exp"] == 1798761600  # reported, for the verifier's validity check


def test_vc2_claims_are_optional_but_checked(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential()
    token = _forge(
        {"alg": "EdDSA", "typ": "vc+jwt", "kid": ed_issuer.kid}, credential, ed_issuer.key
    )
    result = verify_jwt(token, resolver=KeyResolver())
    assert result.profile is JwtProfile.VC2 and result.claims == {} and result.warnings == []
    bad = {**credential, "iss": "did:example:else"}
    token = _forge({"alg": "EdDSA", "typ": "vc+jwt", "kid": ed_issuer.kid}, bad, ed_issuer.key)
    with pytest.raises(InvalidProof, match="'iss'"):
        verify_jwt(token, resolver=KeyResolver())


def test_result_does_not_alias_caller_state(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential()
    snapshot = copy.deepcopy(credential)
    token = sign_jwt(credential, key=ed_issuer.key, kid=ed_issuer.kid)
    assert credential == snapshot  # signing does not add claims to the caller's dict
    verify_jwt(token, resolver=KeyResolver())


# -- 1EdTech validator fixtures -------------------------------------------------------------


def _svg_token(path: Path) -> str:
    match = re.search(r'<openbadges:credential verify="([^"]+)"', path.read_text())
    assert match is not None
    return match.group(1)


def _png_token(path: Path) -> str:
    data = path.read_bytes()
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"iTXt" and body.startswith(b"openbadgecredential\0"):
            return body.split(b"\0", 5)[-1].decode()
        offset += 12 + length
    raise AssertionError("no openbadgecredential iTXt chunk")


@pytest.mark.parametrize("name", ["simple-jwt.svg", "simple-jwt.png"])
def test_dcv_simple_jwt_baked(vendor: Path, name: str) -> None:
    """The 1EdTech baked JWTs: RS256, a bare ``jwk`` header, extra iat/aud, no ``sub``.
    (The SVG and the PNG carry different tokens under different keys.)"""
    path = vendor / DCV / name
    token = _svg_token(path) if name.endswith(".svg") else _png_token(path)
    header, _, _ = _parts(token)
    assert set(header) == {"alg", "jwk"} and header["alg"] == "RS256"
    pinned = VerificationKey.from_jwk(header["jwk"])

    result = verify_jwt(token, resolver=KeyResolver(), pinned_keys=[pinned])
    assert result.profile is JwtProfile.OB3
    assert result.method is None and result.key == pinned
    assert len(result.warnings) == 1 and "'sub'" in result.warnings[0]
    assert result.claims["iss"] == "https://1edtech.edu/issuers/565049"
    assert {"iat", "aud", "nbf", "jti"} <= set(result.claims)
    assert "iss" not in result.credential and result.credential["name"] == "Teamwork Badge"

    # Not pinned: still verifies, but says the key is bound to nobody.
    unpinned = verify_jwt(token, resolver=KeyResolver())
    assert unpinned.method is None and any("NOT bound" in w for w in unpinned.warnings)
    with pytest.raises(InvalidProof, match="'sub'"):
        verify_jwt(token, resolver=KeyResolver(), pinned_keys=[pinned], require_sub=True)
    # Pinning some other key does not help: the warning stays.
    other = SigningKey.generate(KeyType.RSA, rsa_bits=2048).public_key
    assert any(
        "NOT bound" in w
        for w in verify_jwt(token, resolver=KeyResolver(), pinned_keys=[other]).warnings
    )


@pytest.mark.parametrize("name", ["simple-jwt_v1.svg", "simple-jwt_v1.png"])
def test_dcv_simple_jwt_v1_baked(vendor: Path, name: str) -> None:
    path = vendor / DCV / name
    token = _svg_token(path) if name.endswith(".svg") else _png_token(path)
    header, _, _ = _parts(token)
    result = verify_jwt(
        token, resolver=KeyResolver(), pinned_keys=[VerificationKey.from_jwk(header["jwk"])]
    )
    assert result.profile is JwtProfile.VC11
    assert result.credential["issuanceDate"] == "2010-01-01T00:00:00Z"
    assert result.credential["issuer"]["id"] == result.claims["iss"]


def test_dcv_simple_jwt_file_names_no_key(vendor: Path) -> None:
    """``simple.jwt`` has neither ``kid`` nor ``jwk``: OB 3.0 requires one, so it cannot be
    verified (the 1EdTech fixture is a VC 1.1 ``vc``-claim token with a ``sub``)."""
    token = (vendor / DCV / "simple.jwt").read_text()
    header, payload, _ = _parts(token.strip())
    assert header == {"alg": "RS256", "typ": "JWT"} and "vc" in payload and "sub" in payload
    with pytest.raises(InvalidProof, match="'kid' or 'jwk'"):
        verify_jwt(token, resolver=KeyResolver())


def test_dcv_velocity_jwt_kid_uses_an_unsupported_did_method(vendor: Path) -> None:
    token = (vendor / DCV / "velocity.jwt").read_text()
    header, _, _ = _parts(token.strip())
    assert header["kid"].startswith("did:velocity:")
    with pytest.raises(KeyResolutionError, match="did:velocity"):
        verify_jwt(token, resolver=KeyResolver())


# -- the ProofSuite face ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", list(JwtProfile), ids=str)
def test_suite_round_trip(issuer: Issuer, profile: JwtProfile) -> None:
    chosen = VcJwtSuite(profile)
    credential = issuer.credential()
    options = ProofOptions(verification_method=issuer.kid)
    proof = chosen.create_proof(
        credential, key=issuer.key, options=options, loader=bundled_loader()
    )
    assert proof["type"] == JWT_PROOF_TYPE and chosen.handles(proof)
    assert verify_jwt(proof["jwt"], resolver=KeyResolver()).credential == credential
    method = chosen.verify_proof(
        credential,
        proof,
        loader=bundled_loader(),
        resolver=KeyResolver(),
        expected=ProofExpectations(),
    )
    assert method.id == issuer.kid


def test_suite_through_add_proof_keeps_other_proofs(ed_issuer: Issuer) -> None:
    credential = ed_issuer.credential(proof={"type": "DataIntegrityProof", "proofValue": "z1"})
    options = ProofOptions(verification_method=ed_issuer.kid)
    signed = add_proof(
        credential, suite=suite, key=ed_issuer.key, options=options, loader=bundled_loader()
    )
    first, jwt_proof = signed["proof"]
    assert first == credential["proof"]
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    method = suite.verify_proof(
        unsecured,
        jwt_proof,
        loader=bundled_loader(),
        resolver=KeyResolver(),
        expected=ProofExpectations(),
    )
    assert method.controller == ed_issuer.did


def test_suite_refuses_a_jwt_for_another_credential(ed_issuer: Issuer) -> None:
    options = ProofOptions(verification_method=ed_issuer.kid)
    credential = ed_issuer.credential()
    proof = suite.create_proof(
        credential, key=ed_issuer.key, options=options, loader=bundled_loader()
    )
    altered = {**credential, "name": "Something else"}
    with pytest.raises(InvalidProof, match="different credential"):
        suite.verify_proof(
            altered,
            proof,
            loader=bundled_loader(),
            resolver=KeyResolver(),
            expected=ProofExpectations(),
        )


def test_suite_refuses_options_a_jwt_cannot_carry(ed_issuer: Issuer) -> None:
    options = ProofOptions(verification_method=ed_issuer.kid, challenge="c", domain="d")
    with pytest.raises(UnsupportedSuite, match="challenge, domain"):
        suite.create_proof(
            ed_issuer.credential(), key=ed_issuer.key, options=options, loader=bundled_loader()
        )
    proof = suite.create_proof(
        ed_issuer.credential(),
        key=ed_issuer.key,
        options=ProofOptions(verification_method=ed_issuer.kid),
        loader=bundled_loader(),
    )
    with pytest.raises(InvalidProof, match="challenge"):
        suite.verify_proof(
            ed_issuer.credential(),
            proof,
            loader=bundled_loader(),
            resolver=KeyResolver(),
            expected=ProofExpectations(challenge="c"),
        )


def test_suite_refuses_a_key_bound_to_nobody(keys_by_type: dict[KeyType, SigningKey]) -> None:
    key = keys_by_type[KeyType.P256]
    credential = _credential("https://issuer.example/")
    token = sign_jwt(credential, key=key, embed_jwk=True)
    with pytest.raises(KeyResolutionError, match="bound to nobody"):
        suite.verify_proof(
            credential,
            {"type": JWT_PROOF_TYPE, "jwt": token},
            loader=bundled_loader(),
            resolver=KeyResolver(),
            expected=ProofExpectations(),
        )
    with pytest.raises(InvalidProof, match="no jwt"):
        suite.verify_proof(
            credential,
            {"type": JWT_PROOF_TYPE},
            loader=bundled_loader(),
            resolver=KeyResolver(),
            expected=ProofExpectations(),
        )
    assert not suite.handles({"type": "DataIntegrityProof"})


# -- ECDSA malleability -----------------------------------------------------------------------

_ORDERS = {
    KeyType.P256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    KeyType.P384: int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
}


def _high_s_twin(signature: bytes, key_type: KeyType) -> bytes:
    """``(r, n - s)``: the other signature ECDSA accepts for the same message and key."""
    size = len(signature) // 2
    s = int.from_bytes(signature[size:], "big")
    return signature[:size] + (_ORDERS[key_type] - s).to_bytes(size, "big")


@pytest.mark.parametrize("key_type", [KeyType.P256, KeyType.P384], ids=str)
def test_es_jwt_high_s_twin_is_refused(
    key_type: KeyType, keys_by_type: dict[KeyType, SigningKey]
) -> None:
    """ES256/ES384 tokens are identifiers: the high-S twin of a valid signature (which plain
    ECDSA also accepts) is a second token for the same claims, so it is invalid."""
    issuer = Issuer(keys_by_type[key_type])
    token = sign_jwt(issuer.credential(), key=issuer.key, kid=issuer.kid)
    assert verify_jwt(token, resolver=KeyResolver()).key == issuer.key.public_key
    signing_input, signature_part = token.rsplit(".", 1)
    twin = _high_s_twin(b64url_decode(signature_part), key_type)
    issuer.key.public_key.verify(twin, signing_input.encode())  # the twin is a valid ECDSA sig
    with pytest.raises(InvalidSignature, match="high S"):
        verify_jwt(signing_input + "." + b64url_encode(twin), resolver=KeyResolver())


@pytest.mark.parametrize("claim", ["nbf", "exp"])
@pytest.mark.parametrize("value", ["1e400", "-1e400", "1e18", "-1e18", "253402300800"])
def test_vc11_numeric_dates_no_credential_can_hold_are_invalid(
    ed_issuer: Issuer, claim: str, value: str
) -> None:
    """Found by the fuzzer (bench/fuzz, target jws): JSON reads ``1e400`` as infinity and a
    NumericDate past the year 9999 has no datetime; filling a VC 1.1 credential's dates from
    them escaped as OverflowError / ValueError (a 500) before the signature was checked."""
    header = b64url_encode(json.dumps({"alg": "EdDSA", "kid": ed_issuer.kid}).encode())
    payload = b64url_encode(f'{{"vc": {{"credentialSubject": {{}}}}, "{claim}": {value}}}'.encode())
    with pytest.raises(InvalidProof, match=f"'{claim}'"):
        verify_jwt(f"{header}.{payload}.", resolver=KeyResolver())
