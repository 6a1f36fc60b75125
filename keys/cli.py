"""Low-level commands for people who already hold keys: generate, show DIDs, sign.

``microcred keys generate``, ``microcred keys did`` and ``microcred sign``.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keys.errors import KeysError
from keys.jwt_profiles import JwtProfile
from microcred.exit_codes import EXIT_USAGE
from schemas.dates import require_datetime
from schemas.errors import SchemasError

# The commands import the key, DID and suite modules (cryptography, jwcrypto, pyld) when they
# run: `microcred --help` builds every command's signature and should not pay for them.
if TYPE_CHECKING:
    from keys.keypairs import SigningKey

keys_app = typer.Typer(help="Generate keys and show their DIDs.", no_args_is_help=True)


class KeyChoice(StrEnum):
    """``--type``: each choice is the :class:`keys.keypairs.KeyType` of its name in upper case."""

    ed25519 = "ed25519"
    p256 = "p256"
    p384 = "p384"
    rsa = "rsa"


class SuiteChoice(StrEnum):
    eddsa = "eddsa-rdfc-2022"
    ecdsa = "ecdsa-rdfc-2019"
    eddsa_jcs = "eddsa-jcs-2022"
    ecdsa_jcs = "ecdsa-jcs-2019"
    ed2020 = "Ed25519Signature2020"
    jwt = "jwt"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def _load_signing_key(path: Path) -> SigningKey:
    from keys.keyfile import load_key_file
    from keys.keypairs import SigningKey

    try:
        key = load_key_file(path)
    except (OSError, KeysError, ValueError) as error:
        raise _fail(f"cannot read key {path}: {error}") from None
    if not isinstance(key, SigningKey):
        raise _fail(f"{path} holds a public key; signing needs the private JWK")
    return key


def default_verification_method(key: SigningKey) -> str:
    """did:key (Ed25519, P-256, P-384) or did:jwk (RSA) verification method of the key itself."""
    from keys.did import did_jwk, did_key
    from keys.keypairs import KeyType

    if key.key_type is KeyType.RSA:
        return did_jwk(key.public_key) + "#0"
    did = did_key(key.public_key)
    return f"{did}#{did.removeprefix('did:key:')}"


@keys_app.command("generate")
def generate(
    type_: Annotated[
        KeyChoice, typer.Option("--type", help="Key type: ed25519, p256, p384 or rsa.")
    ] = KeyChoice.ed25519,
    out: Annotated[Path | None, typer.Option(help="Write the private JWK here (mode 600).")] = None,
) -> None:
    """Generate a key pair and write it as a private JWK."""
    from keys.keypairs import KeyType, SigningKey, dump_private_jwk

    key = SigningKey.generate(KeyType[type_.name.upper()])
    text = dump_private_jwk(key)
    if out is None:
        typer.echo(text)
        return
    try:
        # Created owner-only before the secret is written, and never over an existing file
        # (it may be the only copy of another key).
        out.touch(mode=0o600, exist_ok=False)
        out.write_text(text + "\n")
    except FileExistsError:
        raise _fail(f"{out} exists: not overwritten (choose another --out)") from None
    except OSError as error:
        raise _fail(f"cannot write {out}: {error.strerror or error}") from None
    typer.echo(f"wrote {out} ({key.key_type}, {default_verification_method(key).split('#')[0]})")


@keys_app.command("did")
def show_did(
    file: Annotated[Path, typer.Argument(help="A private or public JWK file.")],
    web: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PATH",
            help="Show the did:web of this host and optional path, e.g. "
            "ped.nm.example:issuers:apl.",
        ),
    ] = None,
) -> None:
    """Print the key's DID and its DID document (did:key, did:jwk for RSA, or did:web)."""
    from keys.did import did_document, did_jwk, did_key, did_web
    from keys.keyfile import load_key_file
    from keys.keypairs import KeyType, SigningKey

    try:
        key = load_key_file(file)
    except (OSError, KeysError, ValueError) as error:
        raise _fail(f"cannot read key {file}: {error}") from None
    public = key.public_key if isinstance(key, SigningKey) else key
    if web:
        host, _, path = web.partition(":")
        try:
            did = did_web(host, path.replace(":", "/") or None)
        except (ValueError, KeysError) as error:
            raise _fail(str(error)) from None
    elif public.key_type is KeyType.RSA:
        did = did_jwk(public)
    else:
        did = did_key(public)
    typer.echo(did)
    typer.echo(json.dumps(did_document(did, [public]), indent=2))


def _read_json(file: Path) -> dict[str, Any]:
    try:
        raw = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        document = json.loads(raw)
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {file}: {error}") from None
    except json.JSONDecodeError as error:
        raise _fail(f"{file} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise _fail(f"{file} must hold one JSON object (a credential)")
    return document


def sign(
    file: Annotated[Path, typer.Argument(help="The unsigned credential (JSON), or - for stdin.")],
    key: Annotated[Path, typer.Option("--key", help="Private JWK file.")],
    suite: Annotated[
        SuiteChoice,
        typer.Option(
            help="Proof format: eddsa-rdfc-2022, eddsa-jcs-2022 or Ed25519Signature2020 "
            "(Ed25519 keys); ecdsa-rdfc-2019 or ecdsa-jcs-2019 (P-256, P-384); jwt (any key)."
        ),
    ] = SuiteChoice.eddsa,
    verification_method: Annotated[
        str | None, typer.Option(help="Key id to name in the proof (default: the key's did:key).")
    ] = None,
    created: Annotated[
        str | None,
        typer.Option(metavar="ISO-8601", help="Proof creation time (default: now)."),
    ] = None,
    issuer_from_key: Annotated[
        bool, typer.Option(help="Set the credential's issuer to the key's DID.")
    ] = False,
    jwt_profile: Annotated[
        JwtProfile,
        typer.Option(help="VC-JWT payload shape with --suite jwt: ob3, vc2 or vc11."),
    ] = JwtProfile.OB3,
) -> None:
    """Sign a credential and print it (or, with --suite jwt, the compact JWS)."""
    from keys.suites import ProofOptions, add_proof
    from keys.suites.vc_jwt import sign_jwt
    from schemas.loader import bundled_loader

    credential = _read_json(file)
    signing_key = _load_signing_key(key)
    vm = verification_method or default_verification_method(signing_key)
    if issuer_from_key:
        controller = vm.split("#")[0]
        issuer = credential.get("issuer")
        if isinstance(issuer, dict):
            credential["issuer"] = {**issuer, "id": controller}
        else:
            credential["issuer"] = controller
    if created is not None:
        try:
            require_datetime(created)
        except ValueError:
            raise _fail(f"--created is not an ISO 8601 date-time: {created}") from None
    try:
        if suite is SuiteChoice.jwt:
            typer.echo(sign_jwt(credential, key=signing_key, profile=jwt_profile, kid=vm))
            return
        signed = add_proof(
            credential,
            suite=suite.value,
            key=signing_key,
            options=ProofOptions(verification_method=vm, created=created),
            loader=bundled_loader(),
        )
    except (KeysError, SchemasError) as error:
        raise _fail(str(error)) from None
    typer.echo(json.dumps(signed, indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Attach ``keys`` and ``sign`` to the ``microcred`` command."""
    app.add_typer(keys_app, name="keys")
    app.command("sign")(sign)
