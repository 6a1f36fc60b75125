"""VC-JWT key binding through the whole pipeline: a key named in the header is the issuer's
when the issuer's DID lists it for assertionMethod (derived for did:key / did:jwk, fetched for
did:web), compared as key material; any other key is bound to nobody."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from keys.did import did_jwk, did_key
from keys.keypairs import SigningKey
from keys.suites.vc_jwt import sign_jwt
from tests.verifier.support import DID_URL, WEB_DID, WEB_VM, World, outcomes, seeded
from verifier.report import CheckId, Verdict


@dataclass(frozen=True)
class Issuer:
    """One DID method's issuer: its DID, its published key, and the kid that names that key."""

    name: str
    did: Callable[[World], str]
    key: Callable[[World], SigningKey]
    kid: Callable[[World], str]


ISSUERS = [
    Issuer(
        "did:key",
        lambda w: did_key(w.key_a.public_key),
        lambda w: w.key_a,
        lambda w: f"{did_key(w.key_a.public_key)}#{did_key(w.key_a.public_key)[8:]}",
    ),
    Issuer(
        "did:jwk",
        lambda w: did_jwk(w.key_a.public_key),
        lambda w: w.key_a,
        lambda w: f"{did_jwk(w.key_a.public_key)}#0",
    ),
    Issuer("did:web", lambda w: WEB_DID, lambda w: w.web_key, lambda w: WEB_VM),
]

IMPOSTOR = seeded(41)

#: (case, how the header names the key, sign with the issuer's own key?, verdict, issuer_key)
CASES = [
    ("header jwk of the issuer's key", "jwk", True, Verdict.VALID, "passed"),
    ("kid = the issuer's DID URL", "kid", True, Verdict.VALID, "passed"),
    ("kid and jwk of the issuer's key", "both", True, Verdict.VALID, "passed"),
    ("header jwk of another key", "jwk", False, Verdict.INVALID, "failed"),
]


@pytest.mark.parametrize("issuer", ISSUERS, ids=lambda i: i.name)
@pytest.mark.parametrize(
    ("case", "naming", "own_key", "verdict", "issuer_key"), CASES, ids=[c[0] for c in CASES]
)
def test_jwt_key_binding(
    world: World,
    issuer: Issuer,
    case: str,
    naming: str,
    own_key: bool,
    verdict: Verdict,
    issuer_key: str,
) -> None:
    key = issuer.key(world) if own_key else IMPOSTOR
    token = sign_jwt(
        world.credential(issuer=issuer.did(world)),
        key=key,
        kid=issuer.kid(world) if naming in ("kid", "both") else None,
        embed_jwk=naming in ("jwk", "both"),
    )
    report = world.verify(token)
    assert report.verdict is verdict, (case, report.to_json())
    assert outcomes(report)["proof"] == "passed"
    assert outcomes(report)["issuer_key"] == issuer_key
    if issuer_key == "failed":
        message = report.check(CheckId.ISSUER_KEY).message
        assert "does not list that key" in message and "binds the key to nobody" in message


@pytest.mark.parametrize("issuer", ISSUERS, ids=lambda i: i.name)
def test_a_kid_of_another_did_is_not_the_issuers(world: World, issuer: Issuer) -> None:
    """The kid resolves (it is the impostor's own did:key), but it belongs to someone else."""
    impostor_did = did_key(IMPOSTOR.public_key)
    token = sign_jwt(
        world.credential(issuer=issuer.did(world)),
        key=IMPOSTOR,
        kid=f"{impostor_did}#{impostor_did[8:]}",
    )
    report = world.verify(token)
    assert report.verdict is Verdict.INVALID
    assert outcomes(report)["issuer_key"] == "failed"


def test_did_web_jwk_with_an_unreachable_document_is_indeterminate(world: World) -> None:
    token = sign_jwt(world.credential(issuer=WEB_DID), key=world.web_key, embed_jwk=True)
    report = world.verify(token, extra={DID_URL: None})
    assert report.verdict is Verdict.INDETERMINATE, report.to_json()
    assert outcomes(report)["proof"] == "indeterminate"
