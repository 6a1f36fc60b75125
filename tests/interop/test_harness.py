"""The interop harness itself works, independently of microcred's Python code.

Everything here is signed and verified by the JS reference implementations alone (Digital
Bazaar's vc + data-integrity suites, the DCC's verifier-core), with the W3C test key and
vectors, so a failure here is a harness (or JS package) problem, not a microcred one.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.node

CREATED = "2024-01-01T00:00:00Z"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
STATUS_LIST_URL = "https://example.edu/status/1"
DID_WEB = "did:web:example.edu"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def key(vendor: Path) -> dict:
    """The W3C vc-di-eddsa test key (secret: 0x8026 + 32-byte seed) and its did:key."""
    pair = load(vendor / "vc-di-eddsa/TestVectors/keyPair.json")
    public = pair["publicKeyMultibase"]
    return {
        "secretKeyMultibase": pair["privateKeyMultibase"],
        "publicKeyMultibase": public,
        "did": f"did:key:{public}",
        "vm": f"did:key:{public}#{public}",
    }


def achievement_credential(issuer: str) -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2d6ec7a4-1e3a-4a7b-9f2f-0c6d3c1f0a11",
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example Teacher Academy"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Classroom Assessment Micro-credential",
        "credentialSubject": {
            "id": "did:example:educator-1",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.edu/achievements/classroom-assessment",
                "type": ["Achievement"],
                "name": "Classroom Assessment",
                "description": "Designs and uses valid formative assessments.",
                "criteria": {"narrative": "Submit a reviewed assessment portfolio."},
            },
        },
    }


def signing_key(key: dict) -> dict:
    return {k: key[k] for k in ("secretKeyMultibase", "publicKeyMultibase")}


@pytest.fixture(scope="module")
def signed_eddsa(js, key) -> dict:
    result = js.run(
        "sign-eddsa-rdfc-2022",
        credential=achievement_credential(key["did"]),
        created=CREATED,
        **signing_key(key),
    )
    assert result["ok"] and result["blocked"] == []
    return result["signed"]


def tampered(credential: dict) -> dict:
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["achievement"]["name"] = "Advanced Classroom Assessment"
    return forged


# ------------------------------------------------------------------ eddsa-rdfc-2022


def test_sign_eddsa_rdfc_2022_gives_a_data_integrity_proof(signed_eddsa, key):
    proof = signed_eddsa["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == key["vm"]
    assert proof["created"] == CREATED
    assert proof["proofValue"].startswith("z")
    # VC 2.0 already defines the Data Integrity terms: no context is added
    assert signed_eddsa["@context"] == achievement_credential(key["did"])["@context"]


def test_db_and_dcc_verify_what_db_signed(js, signed_eddsa):
    db = js.run("verify-db", credential=signed_eddsa)
    assert db["verified"] is True, db["errors"]
    assert db["errors"] == []
    dcc = js.run("verify-dcc", credential=signed_eddsa)
    assert dcc["valid_signature"] is True, dcc["errors"]
    assert dcc["errors"] == []
    assert dcc["expiration"] == {"id": "expiration", "valid": True}


def test_db_and_dcc_reject_a_tampered_credential(js, signed_eddsa):
    forged = tampered(signed_eddsa)
    db = js.run("verify-db", credential=forged)
    assert db["verified"] is False
    assert "Invalid signature." in db["errors"]
    dcc = js.run("verify-dcc", credential=forged)
    assert dcc["valid_signature"] is False
    assert {"name": "invalid_signature", "message": "The signature is not valid."} in dcc["errors"]


def test_no_network_and_pinned_contexts(js, signed_eddsa):
    result = js.run("verify-db", credential=signed_eddsa)
    assert result["blocked"] == []
    ob_source = result["loaded"]["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    # microcred's manifest when it has the context, else the package copy
    assert ob_source.startswith(("manifest:", "bundled:"))
    assert result["loaded"][signed_eddsa["proof"]["verificationMethod"]] == "did:key"


def test_sign_from_seed_hex_matches_sign_from_multibase(js, key, signed_eddsa):
    # eddsa-rdfc-2022 is deterministic: same key, document and proof options, same proofValue
    result = js.run(
        "sign-eddsa-rdfc-2022",
        credential=achievement_credential(key["did"]),
        created=CREATED,
        seedHex=_seed_hex(key["secretKeyMultibase"]),
    )
    assert result["signed"] == signed_eddsa


def _seed_hex(secret_multibase: str) -> str:
    """0x8026 + seed, base58btc: decoded here with a few lines, not microcred's codec."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = 0
    for ch in secret_multibase[1:]:
        n = n * 58 + alphabet.index(ch)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    assert raw[:2] == b"\x80\x26"
    return raw[2:34].hex()


def test_mismatched_key_halves_are_refused(js, key):
    other_public = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    with pytest.raises(js.Error, match="does not match"):
        js.run(
            "sign-eddsa-rdfc-2022",
            credential=achievement_credential(key["did"]),
            secretKeyMultibase=key["secretKeyMultibase"],
            publicKeyMultibase=other_public,
        )


# ---------------------------------------------------------------- W3C test vectors


def test_w3c_vector_reproduces_and_verifies(js, key, vendor):
    vectors = vendor / "vc-di-eddsa/TestVectors"
    signed = load(vectors / "eddsa-rdfc-2022/signedDataInt.json")
    documents = {EXAMPLES_V2: load(vendor / "vc-data-model/contexts/credentials/examples/v2")}

    # Its issuer is https://vc.example/issuers/5678 while its key is a did:key. The proof and
    # the key's assertionMethod authorization verify ...
    ok = js.run("verify-db", credential=signed, documents=documents, checkIssuer=False)
    assert ok["verified"] is True, ok["errors"]
    assert ok["loaded"][EXAMPLES_V2] == "request"
    # ... but @digitalbazaar/vc's issuance rule (issuer == key controller) rejects it.
    strict = js.run("verify-db", credential=signed, documents=documents)
    assert strict["verified"] is False
    assert "Credential issuer must match the verification method controller." in strict["errors"]

    # Signing the unsigned vector with the same key and `created` gives the vector's proofValue.
    again = js.run(
        "sign-eddsa-rdfc-2022",
        credential=load(vectors / "unsigned.json"),
        created=signed["proof"]["created"],
        documents=documents,
        **signing_key(key),
    )
    assert again["signed"]["proof"]["proofValue"] == signed["proof"]["proofValue"]


def test_canonize_matches_the_w3c_canonical_document(js, vendor):
    vectors = vendor / "vc-di-eddsa/TestVectors"
    result = js.run(
        "canonize",
        document=load(vectors / "unsigned.json"),
        documents={EXAMPLES_V2: load(vendor / "vc-data-model/contexts/credentials/examples/v2")},
    )
    expected = (vectors / "eddsa-rdfc-2022/canonDocDataInt.txt").read_text(encoding="utf-8")
    assert result["nquads"].strip() == expected.strip()


def test_canonize_escapes_control_characters_the_rdfc_1_0_way(js, key):
    credential = achievement_credential(key["did"])
    achievement = credential["credentialSubject"]["achievement"]
    achievement["description"] = "bell\x07 back\x08 feed\x0c del\x7f"
    nquads = js.run("canonize", document=credential)["nquads"]
    assert r'"bell\u0007 back\b feed\f del\u007F"' in nquads


def test_canonize_refuses_undefined_terms(js, key):
    credential = achievement_credential(key["did"])
    credential["notInAnyContext"] = "dropped silently by a non-safe processor"
    with pytest.raises(js.Error, match="Safe mode validation error"):
        js.run("canonize", document=credential)


# ------------------------------------------------------------- Ed25519Signature2020


def test_ed25519_signature_2020_round_trip(js, key):
    credential = achievement_credential(key["did"])
    signed = js.run("sign-ed25519-2020", credential=credential, created=CREATED, **signing_key(key))
    signed = signed["signed"]
    assert signed["proof"]["type"] == "Ed25519Signature2020"
    assert "https://w3id.org/security/suites/ed25519-2020/v1" in signed["@context"]
    assert js.run("verify-db", credential=signed)["verified"] is True
    assert js.run("verify-dcc", credential=signed)["valid_signature"] is True
    assert js.run("verify-db", credential=tampered(signed))["verified"] is False
    assert js.run("verify-dcc", credential=tampered(signed))["valid_signature"] is False


# -------------------------------------------------------------- did:web, offline only


def did_web_document(public_multibase: str) -> dict:
    vm = f"{DID_WEB}#key-1"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID_WEB,
        "verificationMethod": [
            {
                "id": vm,
                "type": "Multikey",
                "controller": DID_WEB,
                "publicKeyMultibase": public_multibase,
            }
        ],
        "assertionMethod": [vm],
        "authentication": [vm],
    }


def test_did_web_resolves_only_from_documents(js, key):
    signed = js.run(
        "sign-eddsa-rdfc-2022",
        credential=achievement_credential(DID_WEB),
        verificationMethod=f"{DID_WEB}#key-1",
        created=CREATED,
        **signing_key(key),
    )["signed"]
    documents = {DID_WEB: did_web_document(key["publicKeyMultibase"])}

    db = js.run("verify-db", credential=signed, documents=documents)
    assert db["verified"] is True, db["errors"]
    dcc = js.run("verify-dcc", credential=signed, documents=documents)
    assert dcc["valid_signature"] is True, dcc["errors"]
    assert dcc["loaded"]["https://example.edu/.well-known/did.json"] == "request"

    # without the DID document nothing is fetched: both fail and say what they wanted
    db = js.run("verify-db", credential=signed)
    assert db["verified"] is False
    assert f"{DID_WEB}#key-1" in db["blocked"]
    dcc = js.run("verify-dcc", credential=signed)
    assert dcc["valid_signature"] is False
    assert dcc["blocked"] == ["https://example.edu/.well-known/did.json"]
    assert dcc["errors"][0]["name"] == "did_web_unresolved"


# ------------------------------------------------------------ Bitstring Status List


def encoded_list(set_bits: set[int], size_bits: int = 131072) -> str:
    """Bitstring Status List encodedList: gzip, base64url without padding, multibase 'u'."""
    bits = bytearray(size_bits // 8)
    for index in set_bits:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def status_fixture(js, key) -> dict:
    """A credential at index 7 of a revocation list, and that list signed with and without bit 7."""

    def status_list(revoked: set[int]) -> dict:
        unsigned = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": STATUS_LIST_URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": key["did"],
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{STATUS_LIST_URL}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded_list(revoked),
            },
        }
        return js.run(
            "sign-eddsa-rdfc-2022", credential=unsigned, created=CREATED, **signing_key(key)
        )["signed"]

    credential = achievement_credential(key["did"])
    credential["credentialStatus"] = {
        "id": f"{STATUS_LIST_URL}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": STATUS_LIST_URL,
    }
    signed = js.run(
        "sign-eddsa-rdfc-2022", credential=credential, created=CREATED, **signing_key(key)
    )["signed"]
    return {"credential": signed, "active": status_list({3}), "revoked": status_list({3, 7})}


def test_status_list_checked_from_documents(js, status_fixture):
    credential = status_fixture["credential"]
    for list_name, revoked in (("active", False), ("revoked", True)):
        documents = {STATUS_LIST_URL: status_fixture[list_name]}
        db = js.run("verify-db", credential=credential, documents=documents, checkStatus=True)
        # DB reports a revoked credential as verified, with the status bit set
        assert db["verified"] is True, db["errors"]
        assert db["statuses"] == [
            {"statusPurpose": "revocation", "statusListIndex": "7", "status": revoked}
        ]
        dcc = js.run("verify-dcc", credential=credential, documents=documents)
        assert dcc["valid_signature"] is True, dcc["errors"]
        assert dcc["revocation_status"] == {"id": "revocation_status", "valid": not revoked}
        assert dcc["blocked"] == []
        assert dcc["loaded"][STATUS_LIST_URL] == "request"


def test_status_not_checked_unless_asked(js, status_fixture):
    db = js.run("verify-db", credential=status_fixture["credential"])
    assert db["verified"] is True
    assert db["statuses"] == []
    assert db["loaded"].get(STATUS_LIST_URL) is None


def test_status_list_missing_is_an_error_not_a_fetch(js, status_fixture):
    credential = status_fixture["credential"]
    db = js.run("verify-db", credential=credential, checkStatus=True)
    assert db["verified"] is False
    assert STATUS_LIST_URL in db["blocked"]
    dcc = js.run("verify-dcc", credential=credential)
    assert dcc["revocation_status"]["error"]["name"] == "status_list_not_found"
    assert STATUS_LIST_URL in dcc["blocked"]


# ---------------------------------------------------------------------- presentations


def test_presentation_round_trip(js, key, signed_eddsa):
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": key["did"],
        "verifiableCredential": [signed_eddsa],
    }
    signed = js.run(
        "sign-presentation",
        presentation=presentation,
        challenge="c-123",
        domain="verifier.example",
        created=CREATED,
        **signing_key(key),
    )["signed"]
    assert signed["proof"]["proofPurpose"] == "authentication"
    assert signed["proof"]["challenge"] == "c-123"

    ok = js.run(
        "verify-presentation-db", presentation=signed, challenge="c-123", domain="verifier.example"
    )
    assert ok["verified"] is True, ok["errors"]
    assert ok["credentialsVerified"] == [True]
    wrong = js.run(
        "verify-presentation-db", presentation=signed, challenge="other", domain="verifier.example"
    )
    assert wrong["verified"] is False
    assert wrong["presentationVerified"] is False


def test_unknown_op_is_a_harness_error(js):
    with pytest.raises(js.Error, match="unknown op"):
        js.run("no-such-op")
