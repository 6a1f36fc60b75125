"""Every form a credential travels in: JSON, VC-JWT, baked PNG and SVG, presentations."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from keys.suites import ProofOptions, add_proof
from keys.suites.vc_jwt import sign_jwt
from schemas.baking import bake_png, bake_svg
from tests.verifier.support import World, outcomes, vm_of
from verifier.inputs import MAX_INPUT_BYTES, UnusableInput, parse_input
from verifier.report import CheckId, Verdict

SVG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
    '<circle cx="60" cy="60" r="50" fill="#0b6b2b"/></svg>'
)


@pytest.fixture(scope="module")
def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (11, 107, 43)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def signed(world: World) -> dict:
    return world.signed()


@pytest.fixture(scope="module")
def token(world: World) -> str:
    return sign_jwt(world.credential(), key=world.key_a, kid=vm_of(world.key_a))


# --------------------------------------------------------------------------- detection


def test_json_bytes_text_and_objects(signed: dict) -> None:
    for data in (signed, json.dumps(signed), json.dumps(signed).encode(), b"\xef\xbb\xbf" + b"{}"):
        try:
            parsed = parse_input(data)
        except UnusableInput:
            assert data == b"\xef\xbb\xbf{}"  # the BOM is fine, the empty object is not
            continue
        [credential] = parsed.credentials
        assert credential.kind == "ldp"
        assert credential.container == "json"


def test_jws_text(token: str) -> None:
    [credential] = parse_input(f"  {token}\n").credentials
    assert credential.kind == "jwt"
    assert credential.jwt_token == token
    assert credential.document["issuer"]["name"].startswith("New Mexico")
    assert "iss" not in credential.document


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "Not a credential"),
        (b"hello world", "Not a credential"),
        (b"[1, 2, 3]", "Not a credential"),
        (b"\x00\xff\x00", "binary"),
        (b"<html><body>hi</body></html>", "not an SVG badge"),
        (b'{"type": ["Thing"]}', "not a VerifiableCredential"),
        (b'{"type": "VerifiableCredential", ', "Not valid JSON"),
        (b"eyJhIjoxfQ.eyJhIjoxfQ.sig", "not a VerifiableCredential"),
        (b"e30.bm90IGpzb24.", "not base64url JSON"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "baked image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an SVG badge with a baked"),
        (b'{"type": "VerifiablePresentation", "verifiableCredential": []}', "holds no credential"),
    ],
)
def test_unusable_inputs_say_why(data: bytes, fragment: str) -> None:
    with pytest.raises(UnusableInput) as caught:
        parse_input(data, source="upload.bin")
    assert fragment in caught.value.message
    assert caught.value.source == "upload.bin"


def test_size_limit() -> None:
    with pytest.raises(UnusableInput, match="larger than"):
        parse_input(b" " * (MAX_INPUT_BYTES + 1))


def test_vp_jwt_is_refused_clearly(world: World) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"EdDSA"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(b'{"vp":{}}').rstrip(b"=").decode()
    with pytest.raises(UnusableInput, match="VP-JWT"):
        parse_input(f"{header}.{payload}.c2ln")


# --------------------------------------------------------------------------- baked images


def test_baked_png_with_json(world: World, png: bytes, signed: dict) -> None:
    baked = bake_png(png, json.dumps(signed))
    report = world.verify(baked)
    assert report.verdict is Verdict.VALID
    assert report.check(CheckId.PARSE).details["container"] == "png"


def test_baked_png_with_jwt(world: World, png: bytes, token: str) -> None:
    report = world.verify(bake_png(png, token))
    assert report.verdict is Verdict.VALID
    assert report.check(CheckId.PARSE).details == {
        "format": "jwt",
        "container": "png",
        "path": None,
    }


def test_baked_svg_with_json(world: World, signed: dict) -> None:
    baked = bake_svg(SVG, json.dumps(signed))
    assert "<![CDATA[" in baked
    report = world.verify(baked.encode())
    assert report.verdict is Verdict.VALID
    assert report.check(CheckId.PARSE).details["container"] == "svg"


def test_baked_svg_with_jwt(world: World, token: str) -> None:
    baked = bake_svg(SVG, token)
    assert 'verify="' in baked
    report = world.verify(baked.encode())
    assert report.verdict is Verdict.VALID
    assert report.check(CheckId.PARSE).details["format"] == "jwt"


def test_a_tampered_baked_credential_is_invalid(world: World, png: bytes, signed: dict) -> None:
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["result"][0]["value"] = "100"
    report = world.verify(bake_png(png, json.dumps(tampered)))
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["proof"] == "failed"


def test_a_plain_png_is_unusable(world: World, png: bytes) -> None:
    report = world.verify(png)
    assert report.unusable
    assert "carries no Open Badges credential" in report.checks[0].message


# --------------------------------------------------------------------------- presentations


def _presentation(world: World, credentials: list, holder: str | None = None) -> dict:
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
    }
    if holder:
        presentation["holder"] = holder
    return presentation


def _sign_vp(world: World, presentation: dict, *, challenge: str, domain: str | None = None):
    return add_proof(
        presentation,
        suite="eddsa-rdfc-2022",
        key=world.key_b,
        options=ProofOptions(
            verification_method=vm_of(world.key_b),
            proof_purpose="authentication",
            challenge=challenge,
            domain=domain,
            created="2026-11-01T11:59:00Z",
        ),
        loader=world.loader,
    )


def test_presentation_with_the_expected_challenge(world: World, signed: dict) -> None:
    vp = _sign_vp(world, _presentation(world, [signed], world.did_b), challenge="c-42", domain="nm")
    [report] = world.verify_many(vp, challenge="c-42", domain="nm")
    assert report.verdict is Verdict.VALID, report.to_json()
    presentation = report.check(CheckId.PROOF).details["presentation"]
    assert presentation["verified"] is True
    assert presentation["holder"] == world.did_b
    assert report.check(CheckId.PARSE).details["path"] == "verifiableCredential[0]"


def test_presentation_with_a_wrong_challenge(world: World, signed: dict) -> None:
    vp = _sign_vp(world, _presentation(world, [signed]), challenge="old-challenge")
    [report] = world.verify_many(vp, challenge="fresh-challenge")
    assert report.verdict is Verdict.INVALID
    check = report.check(CheckId.PROOF)
    assert check.outcome.value == "failed"
    assert "challenge" in check.message
    assert check.details["presentation"]["verified"] is False
    # the credential's own proof is still reported, and still good
    assert check.details["proofs"][0]["verified"] is True


def test_presentation_signed_by_someone_other_than_the_holder(world: World, signed: dict) -> None:
    vp = _sign_vp(world, _presentation(world, [signed], holder=world.did_a), challenge="c")
    [report] = world.verify_many(vp, challenge="c")
    assert outcomes(report)["proof"] == "failed"
    assert "does not control" in report.check(CheckId.PROOF).message


def test_an_unsigned_presentation_cannot_answer_a_challenge(world: World, signed: dict) -> None:
    vp = _presentation(world, [signed])
    [report] = world.verify_many(vp, challenge="c")
    assert outcomes(report)["proof"] == "failed"
    [report] = world.verify_many(vp)  # nothing was asked: a plain container
    assert report.verdict is Verdict.VALID


def test_presentation_with_several_credentials_and_an_enveloped_jwt(
    world: World, signed: dict, token: str
) -> None:
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"data:application/vc+jwt,{token}",
        "type": ["EnvelopedVerifiableCredential"],
    }
    vp = _sign_vp(world, _presentation(world, [signed, token, enveloped]), challenge="c")
    reports = world.verify_many(vp, challenge="c")
    assert [r.credential["format"] for r in reports] == ["ldp", "jwt", "jwt"]
    assert all(r.verdict is Verdict.VALID for r in reports), [r.to_json() for r in reports]
    assert [r.check(CheckId.PARSE).details["path"] for r in reports] == [
        "verifiableCredential[0]",
        "verifiableCredential[1]",
        "verifiableCredential[2]",
    ]
