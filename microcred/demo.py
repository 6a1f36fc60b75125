"""``microcred demo``: sign a sample micro-credential three ways and verify each, offline.

It needs no data directory, database or server: it shows the credential core (keys, the
proof suites, VC-JWT) working end to end on one realistic New Mexico APL micro-credential.
"""

from __future__ import annotations

import json
import time

import typer


def demo() -> None:
    """Sign a sample micro-credential three ways and verify each, offline.

    The three: eddsa-rdfc-2022, Ed25519Signature2020 and VC-JWT, with a fresh did:key; no data
    directory, database or server is needed.
    """
    # Imported here, not at the top: `microcred --help` reads this module.
    from keys.did import KeyResolver, did_key
    from keys.keypairs import KeyType, SigningKey
    from keys.suites import ProofOptions, add_proof, verify_proofs
    from keys.suites.vc_jwt import sign_jwt, verify_jwt
    from schemas.loader import bundled_loader
    from schemas.samples import sample_micro_credential

    loader = bundled_loader()
    resolver = KeyResolver()
    key = SigningKey.generate(KeyType.ED25519)
    did = did_key(key.public_key)
    vm = f"{did}#{did.removeprefix('did:key:')}"
    credential = sample_micro_credential(issuer_id=did)
    typer.echo(f"issuer {did}")
    for suite in ("eddsa-rdfc-2022", "Ed25519Signature2020"):
        started = time.perf_counter()
        signed = add_proof(
            credential,
            suite=suite,
            key=key,
            options=ProofOptions(verification_method=vm),
            loader=loader,
        )
        [result] = verify_proofs(signed, loader=loader, resolver=resolver)
        elapsed = (time.perf_counter() - started) * 1000
        verdict = "verified" if result.verified else f"FAILED: {result.error}"
        typer.echo(
            f"{suite:22} {verdict} by {result.method.id if result.method else '-'} "
            f"({elapsed:.1f} ms to sign and verify)"
        )
    token = sign_jwt(credential, key=key, kid=vm)
    checked = verify_jwt(token, resolver=resolver)
    typer.echo(f"{'VC-JWT (EdDSA)':22} verified by {checked.method.id if checked.method else '-'}")
    typer.echo("\nThe signed credential (eddsa-rdfc-2022):")
    typer.echo(
        json.dumps(
            add_proof(
                credential,
                suite="eddsa-rdfc-2022",
                key=key,
                options=ProofOptions(verification_method=vm),
                loader=loader,
            ),
            indent=2,
            ensure_ascii=False,
        )
    )


def register(app: typer.Typer) -> None:
    """Attach ``demo`` to the ``microcred`` command."""
    app.command("demo")(demo)
