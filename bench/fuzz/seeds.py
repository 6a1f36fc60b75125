"""Seed inputs for the parser fuzz targets, built from the project's own fixtures at run time.

Nothing here is committed as a binary: the signed credentials, VC-JWTs, baked images and
presentations are made afresh from :mod:`schemas.samples` with fixed-seed keys, the trust lists
and stack rules are the JSON examples of ``verifier/TRUST_LISTS.md`` and
``schemas/STACK_RULES.md``, and the CSV is the shape ``tests/issuer/test_batch.py`` sends.
Every seed is valid input for its parser, so the fuzzer starts deep inside it.

The JWS target reads ``header-json NUL payload-json NUL signature-bytes`` (it base64url-encodes
the parts itself, so mutations land in the JSON, not in base64); :func:`jws_seed` makes one.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)


def _doc_blocks(relative: str) -> list[bytes]:
    """The ```json blocks of a project document, as bytes (the examples users copy)."""
    text = (ROOT / relative).read_text("utf-8")
    return [block.encode("utf-8") for block in _JSON_BLOCK.findall(text)]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


@cache
def _world() -> dict[str, Any]:
    """Signed material, made once: a Data Integrity credential, VC-JWTs in all three profiles,
    a signed presentation and baked images (fixed keys, so every run seeds the same)."""
    from keys.did import did_key
    from keys.keypairs import SigningKey
    from keys.suites import ProofOptions, add_proof
    from keys.suites.base import AUTHENTICATION
    from keys.suites.vc_jwt import JwtProfile, sign_jwt
    from schemas.baking import bake_png, bake_svg
    from schemas.loader import bundled_loader
    from schemas.samples import sample_micro_credential

    loader = bundled_loader()
    issuer_key = SigningKey.from_seed(bytes([7]) * 32)
    holder_key = SigningKey.from_seed(bytes([8]) * 32)
    issuer, holder = did_key(issuer_key.public_key), did_key(holder_key.public_key)
    issuer_vm = f"{issuer}#{issuer.removeprefix('did:key:')}"
    holder_vm = f"{holder}#{holder.removeprefix('did:key:')}"
    credential = sample_micro_credential(issuer_id=issuer)
    credential["credentialSubject"]["id"] = holder
    signed = add_proof(
        credential,
        suite="eddsa-rdfc-2022",
        key=issuer_key,
        options=ProofOptions(verification_method=issuer_vm, created="2026-09-30T00:00:00Z"),
        loader=loader,
    )
    jwts = [
        sign_jwt(credential, key=issuer_key, profile=profile, kid=issuer_vm)
        for profile in JwtProfile
    ]
    jwts.append(_claims_only_vc11(jwts[2], issuer_key))
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{jwts[0]}",
    }
    presentation = add_proof(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": [signed, enveloped, jwts[1]],
        },
        suite="eddsa-rdfc-2022",
        key=holder_key,
        options=ProofOptions(
            verification_method=holder_vm,
            proof_purpose=AUTHENTICATION,
            challenge="c-123",
            domain="verifier.example",
            created="2026-10-01T00:00:00Z",
        ),
        loader=loader,
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<circle cx="5" cy="5" r="4"/></svg>'
    )
    png = _tiny_png()
    return {
        "signed": signed,
        "jwts": jwts,
        "presentation": presentation,
        "png": png,
        "svg": svg,
        "baked": [
            bake_png(png, json.dumps(signed)),
            bake_png(png, jwts[0]),
            bake_svg(svg, json.dumps(signed)).encode("utf-8"),
            bake_svg(svg, jwts[0]).encode("utf-8"),
        ],
    }


def _tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jws_seed(token: str) -> bytes:
    """A compact JWS in the JWS target's form: decoded header, payload and signature."""
    from schemas import base64url

    parts = [base64url.decode(part) for part in token.split(".")]
    return b"\x00".join(parts)


def json_seeds() -> list[bytes]:
    world = _world()
    return [
        _dumps(world["signed"]),
        json.dumps(world["presentation"], indent=1).encode("utf-8"),
        b'{"a":[1,2.5e3,-0,true,false,null,"\\u00e9\\ud83d\\ude00"]}',
        "\ufeff{}".encode("utf-16"),
    ]


def _claims_only_vc11(token: str, key: Any) -> str:
    """A VC 1.1 JWT whose ``vc`` claim leaves issuer, id and dates to the JWT claims (VC 1.1
    §6.3.1 allows it), re-signed: the verifier fills them in from the claims."""
    from schemas import base64url

    header, payload, _ = token.split(".")
    claims = json.loads(base64url.decode(payload))
    for member in ("issuer", "id", "validFrom"):
        claims["vc"].pop(member, None)
    signing_input = f"{header}.{base64url.encode(_dumps(claims))}"
    return f"{signing_input}.{base64url.encode(key.sign(signing_input.encode('ascii')))}"


def jws_seeds() -> list[bytes]:
    world = _world()
    return [jws_seed(token) for token in world["jwts"]] + [b"~" + world["jwts"][0].encode()]


def baked_seeds() -> list[bytes]:
    world = _world()
    return [*world["baked"], world["png"], world["svg"].encode("utf-8")]


def input_seeds() -> list[bytes]:
    world = _world()
    return [
        _dumps(world["signed"]),
        _dumps(world["presentation"]),
        world["jwts"][0].encode("ascii"),
        *world["baked"][:3],
    ]


def vcapi_seeds() -> list[bytes]:
    world = _world()
    return [
        _dumps({"verifiableCredential": world["signed"], "options": {"checks": ["proof"]}}),
        _dumps({"verifiableCredential": world["jwts"][0]}),
        _dumps(
            {
                "verifiablePresentation": world["presentation"],
                "options": {"challenge": "c-123", "domain": "verifier.example"},
            }
        ),
    ]


def trust_seeds() -> list[bytes]:
    world = _world()
    from keys.keypairs import SigningKey

    jwk = SigningKey.from_seed(bytes([7]) * 32).public_key.jwk()
    pinned = {
        "name": "pinned",
        "issuers": [
            {
                "id": world["signed"]["issuer"]["id"],
                "name": "NM PED",
                "jurisdiction": "US-NM",
                "purposes": ["licensure"],
                "achievements": ["https://ped.nm.example/achievements/x/v1"],
                "keys": [jwk],
            }
        ],
    }
    return [*_doc_blocks("verifier/TRUST_LISTS.md"), _dumps(pinned)]


def rule_seeds() -> list[bytes]:
    base = "https://ped.nm.example/achievements"

    def component(slug: str, **members: Any) -> dict[str, Any]:
        return {"type": "component", "id": slug, "name": slug.upper(),
                "anyVersionOf": [f"{base}/{slug}"], **members}  # fmt: skip

    every_kind = {
        "type": "StackRule",
        "format": 1,
        "id": f"{base}/stack/v1/rule.json",
        "achievement": f"{base}/stack/v1",
        "version": 1,
        "name": "Every kind of requirement",
        "description": "Seed for the fuzzer.",
        "within": {"years": 3, "months": 1},
        "order": True,
        "requirements": [
            component("a", minResult={"resultType": "Percent", "value": 85.5},
                      issuers=["did:web:ped.nm.example", {"id": "https://x.example", "name": "X"}]),
            {"type": "choose", "id": "electives", "name": "Electives", "n": 1, "of": [
                component("b", achievementType=["MasterDegree"]),
                {"type": "all", "id": "pair", "name": "Pair", "of": [component("c")]},
            ]},
            {"type": "stack", "id": "inner", "name": "Inner", "achievement": [f"{base}/inner/v1"],
             "rule": {"type": "StackRule", "id": f"{base}/inner/v1/rule.json",
                      "achievement": f"{base}/inner/v1", "version": 2, "name": "Inner",
                      "requirements": [component("d")]}},
        ],
    }  # fmt: skip
    return [*_doc_blocks("schemas/STACK_RULES.md"), _dumps(every_kind)]


def csv_seeds() -> list[bytes]:
    return [
        b"achievement,recipient_name,recipient_email,score\n"
        b"classroom-environment,E0,e0@x.example,90\n"
        b"classroom-environment,E1,e1@x.example,70\n",
        b"\xef\xbb\xbfrecipient_name,recipient_email,evidence_url,evidence_name,"
        b"evidence_contains_student_data,awarded_date,idempotency_key\n"
        b'"Ana ""A"" Li",ana@x.example,https://lms.example/s/1,Portfolio,yes,'
        b"2026-09-30T00:00:00Z,sub-1\n",
        # human headers, Excel's separator line, a semicolon file's decimal comma, a blank row
        "sep=;\nNombre;Correo electrónico;Logro;Puntuación (%);Notas;\n"
        "Ana;a@x.example;classroom-environment;90,5 %;late;\n;;;;;\n"
        'Ben;"b@x\n.example";family-engagement;70%;;x\n'.encode(),
    ]


#: Seeds by target name (see :data:`bench.fuzz.targets.TARGETS`).
SEEDS: dict[str, Callable[[], list[bytes]]] = {
    "json": json_seeds,
    "jws": jws_seeds,
    "baked": baked_seeds,
    "input": input_seeds,
    "verify": input_seeds,
    "vcapi": vcapi_seeds,
    "trust": trust_seeds,
    "rule": rule_seeds,
    "csv": csv_seeds,
}
