"""Credentials signed and verified per second on one core, per proof suite, and peak memory.

    .venv/bin/python bench/sign_verify.py [--seconds N] [--no-reference]

Prints one JSON object per line: ``{"suite", "sign_per_s", "verify_per_s", "peak_rss_mb"}``.
Each suite runs in its own child process pinned to one CPU, so ``peak_rss_mb`` is that suite's
own peak. The credential is the realistic New Mexico micro-credential of
:mod:`schemas.samples`. Two references are measured in the same run, on the same credential:

* ``reference-pyld``: a plain pyld signer (``jsonld.normalize`` URDNA2015 + SHA-256 + Ed25519),
  what a Python developer would write first;
* ``reference-digitalbazaar``: Digital Bazaar's ``@digitalbazaar/vc`` with the eddsa-rdfc-2022
  cryptosuite under Node (through ``interop/harness.mjs``; needs ``interop/node_modules``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUITES = (
    "eddsa-rdfc-2022",
    "ecdsa-rdfc-2019/P-256",
    "ecdsa-rdfc-2019/P-384",
    "eddsa-jcs-2022",
    "ecdsa-jcs-2019/P-256",
    "Ed25519Signature2020",
    "jwt-EdDSA",
    "jwt-ES256",
    "jwt-RS256",
    "reference-pyld",
)


def _rate(fn: Callable[[], Any], seconds: float) -> float:
    fn()  # warm caches (contexts, key objects) before timing
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        fn()
        count += 1
    return count / elapsed


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _measure(suite: str, seconds: float) -> dict[str, Any]:
    """Runs in a child process: sign and verify rates of one suite."""
    _pin_to_one_core()
    from keys import (
        KeyResolver,
        KeyType,
        ProofOptions,
        SigningKey,
        add_proof,
        sign_jwt,
        verify_jwt,
        verify_proofs,
    )
    from keys.did import did_jwk, did_key
    from schemas import bundled_loader
    from schemas.samples import sample_micro_credential

    loader = bundled_loader()
    resolver = KeyResolver()
    # "suite/curve": the suite's variant for that key type (ECDSA on P-256 or P-384).
    suite, _, curve = suite.partition("/")
    key_type = {
        "jwt-ES256": KeyType.P256,
        "jwt-RS256": KeyType.RSA,
    }.get(suite, {"P-256": KeyType.P256, "P-384": KeyType.P384}.get(curve, KeyType.ED25519))
    key = SigningKey.generate(key_type)
    if key_type is KeyType.RSA:
        did = did_jwk(key.public_key)
        vm = f"{did}#0"
    else:
        did = did_key(key.public_key)
        vm = f"{did}#{did.removeprefix('did:key:')}"
    credential = sample_micro_credential(issuer_id=did)
    holder: dict[str, Any] = {}

    if suite.startswith("jwt-"):

        def sign() -> None:
            holder["token"] = sign_jwt(credential, key=key, kid=vm)

        def verify() -> None:
            verify_jwt(holder["token"], resolver=resolver)

    elif suite == "reference-pyld":
        sign, verify = _plain_pyld(credential, key, vm, loader)
    else:

        def sign() -> None:
            holder["signed"] = add_proof(
                credential,
                suite=suite,
                key=key,
                options=ProofOptions(verification_method=vm),
                loader=loader,
            )

        def verify() -> None:
            [result] = verify_proofs(holder["signed"], loader=loader, resolver=resolver)
            if not result.verified:
                raise RuntimeError(f"benchmark credential failed to verify: {result.error}")

    sign_per_s = _rate(sign, seconds)
    verify_per_s = _rate(verify, seconds)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "suite": f"{suite}/{curve}" if curve else suite,
        "sign_per_s": round(sign_per_s, 1),
        "verify_per_s": round(verify_per_s, 1),
        "peak_rss_mb": round(peak, 1),
    }


def _plain_pyld(credential: dict, key: Any, vm: str, loader: Any) -> tuple[Callable, Callable]:
    """The straightforward pyld signer: normalize both parts, hash, sign. Reference only."""
    import base58
    from pyld import jsonld

    def normalize(document: dict) -> bytes:
        nquads = jsonld.normalize(
            document,
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader},
        )
        return hashlib.sha256(nquads.encode()).digest()

    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-11-22T00:00:00Z",
        "verificationMethod": vm,
        "proofPurpose": "assertionMethod",
    }
    holder: dict[str, Any] = {}

    def sign() -> None:
        data = normalize({**proof, "@context": credential["@context"]}) + normalize(credential)
        holder["value"] = "z" + base58.b58encode(key.sign(data)).decode()

    def verify() -> None:
        data = normalize({**proof, "@context": credential["@context"]}) + normalize(credential)
        key.public_key.verify(base58.b58decode(holder["value"][1:]), data)

    return sign, verify


def _digital_bazaar(seconds: float) -> dict[str, Any] | None:
    node = shutil.which("node")
    harness = ROOT / "interop" / "harness.mjs"
    if node is None or not (ROOT / "interop" / "node_modules").is_dir():
        print("# reference-digitalbazaar skipped: run `make test` first", file=sys.stderr)
        return None
    from keys import KeyType, SigningKey
    from keys.did import did_key
    from schemas.samples import sample_micro_credential

    seed = os.urandom(32)
    did = did_key(SigningKey.from_seed(seed).public_key)
    assert SigningKey.generate(KeyType.ED25519)  # same key type as ours
    request = {
        "op": "bench",
        "seconds": seconds,
        "seedHex": seed.hex(),
        "credential": sample_micro_credential(issuer_id=did),
    }
    command = [node, str(harness)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(min(os.sched_getaffinity(0))), *command]
    proc = subprocess.run(
        command,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=harness.parent,
        timeout=seconds * 4 + 60,
    )
    if proc.returncode != 0:
        print(f"# reference-digitalbazaar failed: {proc.stderr[-500:]}", file=sys.stderr)
        return None
    result = json.loads(proc.stdout)
    return {
        "suite": "reference-digitalbazaar",
        "sign_per_s": round(result["sign_per_s"], 1),
        "verify_per_s": round(result["verify_per_s"], 1),
        "peak_rss_mb": round(result["peak_rss_mb"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--no-reference", action="store_true", help="skip the references")
    parser.add_argument("--suite", action="append", choices=SUITES, help="only these suites")
    args = parser.parse_args()
    suites = args.suite or [s for s in SUITES if not (args.no_reference and "reference" in s)]
    context = multiprocessing.get_context("spawn")
    for suite in suites:
        with context.Pool(1) as pool:
            print(json.dumps(pool.apply(_measure, (suite, args.seconds))), flush=True)
    if not args.no_reference and not args.suite:
        figure = _digital_bazaar(args.seconds)
        if figure:
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    main()
