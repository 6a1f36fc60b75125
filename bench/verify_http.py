"""Verification throughput: the library on one core, and ``POST /verify`` under concurrent load.

    .venv/bin/python bench/verify_http.py [--seconds N] [--concurrency 32] [--workers 1]
    .venv/bin/python bench/verify_http.py --target issuer [--seconds N] [--concurrency 32]
    ... [--list-cache on|off|both]

Prints one JSON object per line, one figure each:

* ``library_verify_per_s`` (and ``library_p50_ms``): ``verifier.Verifier.verify`` in a loop, in a
  child process pinned to one CPU;
* ``http_p50_ms``, ``http_p99_ms``, ``http_requests_per_s``: ``POST /verify`` of the same
  credential, from a load generator in a second process running ``--concurrency`` clients
  (httpx, HTTP/1.1 keep-alive) for ``--seconds``, against uvicorn serving
  :func:`verifier.http.create_verifier_app` with ``--workers`` processes.

The credential is the realistic micro-credential of :mod:`schemas.samples`, signed with
eddsa-rdfc-2022, carrying a revocation and a suspension ``BitstringStatusListEntry``, so each
verification runs every check: context, schema, proof, issuer key (a controller document),
validity, two signed status lists (proof, issuer key, validity, decoding), trust, recipient.
Its controller document and status lists are served by a local HTTP server in a third process
(``Cache-Control: max-age=60``; plain http to localhost, hence ``allow_http_localhost``), so
the guarded fetcher's cache answers most lookups, as it would in production.

``--list-cache`` says whether the verifier keeps verified status lists between verifications
(:mod:`verifier.verified_cache`; ``MICROCRED_VERIFIER_CACHE_VERIFIED_LISTS``): ``both``, the
default, measures each figure without the cache and with it, in the same run (every figure
says which in ``"list_cache"``; the library's take turns in one-second slices, and say how many
list proofs were checked in ``"list_checks"``). Without it every verification checks both lists'
proofs again, as the verifier did before the cache; the fetcher keeps their bytes either way.

``--target issuer`` measures ``POST /verify`` on the *issuing* service instead (``microcred
serve``, one worker pinned to one CPU, SQLite), of a credential it issued itself: its DID and
status lists are the service's own, answered in process (:mod:`issuer.self_fetch`), and kept
while their rows say they are current (:mod:`issuer.own_lists`). It prints the same three
``http_*`` figures with ``"target": "issuer"``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin(cpu_index: int) -> None:
    """Pin this process to one CPU (the ``cpu_index``-th allowed one, wrapping)."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[cpu_index % len(cpus)]})


def _emit(figure: str, value: float, unit: str, **extra: Any) -> None:
    print(
        json.dumps({"figure": figure, "value": round(value, 2), "unit": unit, **extra}), flush=True
    )


# --------------------------------------------------------------------------- fixtures


def build_documents(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(credential, {path: document}) for an issuer whose documents live under ``base``."""
    from keys.keypairs import KeyType, SigningKey
    from keys.multikey import encode_public_multikey
    from keys.suites import ProofOptions, add_proof
    from schemas.bitstring import Bitstring
    from schemas.loader import bundled_loader
    from schemas.samples import sample_micro_credential

    loader = bundled_loader()
    key = SigningKey.generate(KeyType.ED25519)
    issuer = f"{base}/issuers/1"
    vm = f"{issuer}#key-1"
    options = ProofOptions(verification_method=vm, created="2026-10-01T00:00:00Z")

    def sign(document: dict[str, Any]) -> dict[str, Any]:
        return add_proof(document, suite="eddsa-rdfc-2022", key=key, options=options, loader=loader)

    controller = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer,
        "verificationMethod": [
            {
                "id": vm,
                "type": "Multikey",
                "controller": issuer,
                "publicKeyMultibase": encode_public_multikey(key.public_key),
            }
        ],
        "assertionMethod": [vm],
    }
    documents: dict[str, Any] = {"/issuers/1": controller}
    credential = sample_micro_credential(issuer_id=issuer)
    credential["credentialStatus"] = []
    for purpose in ("revocation", "suspension"):
        url = f"{base}/status/{purpose}"
        bits = Bitstring()
        bits.set(77, 1)
        documents[f"/status/{purpose}"] = sign(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": url,
                "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                "issuer": issuer,
                "validFrom": "2026-01-01T00:00:00Z",
                "credentialSubject": {
                    "id": f"{url}#list",
                    "type": "BitstringStatusList",
                    "statusPurpose": purpose,
                    "encodedList": bits.encode(),
                },
            }
        )
        credential["credentialStatus"].append(
            {
                "id": f"{url}#4242",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": "4242",
                "statusListCredential": url,
            }
        )
    return sign(credential), documents


def serve_documents(directory: Path, port: int) -> None:
    """The issuer's web server: JSON files from ``directory``, cacheable for a minute."""
    _pin(1)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = (directory / self.path.lstrip("/")).resolve()
            if directory not in path.parents or not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "max-age=60")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# --------------------------------------------------------------------------- the library


def library(credential_file: Path, seconds: float, modes: list[str]) -> None:
    """Child process: verify the credential in a loop on one core, for each list cache mode.

    The modes take turns in one-second slices, so a load that comes and goes on a shared
    machine falls on both alike; each mode's figures add up its slices."""
    _pin(0)
    from verifier import Verifier, VerifierSettings

    data = credential_file.read_bytes()
    # Without the cache, each verification checks each list its credential names once.
    lists = {entry["statusListCredential"] for entry in json.loads(data)["credentialStatus"]}
    now = datetime(2026, 11, 1, tzinfo=UTC)
    verifiers = {
        mode: Verifier.from_settings(
            VerifierSettings(allow_http_localhost=True, cache_verified_lists=mode == "on")
        )
        for mode in modes
    }
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    spent = dict.fromkeys(modes, 0.0)
    for verifier in verifiers.values():
        report = verifier.verify(data, now=now)
        if report.verdict != "valid":
            raise SystemExit(f"benchmark credential does not verify: {report.to_json()}")
    for _ in range(max(1, round(seconds))):
        for mode, verifier in verifiers.items():
            started = time.perf_counter()
            while time.perf_counter() - started < seconds / max(1, round(seconds)):
                t0 = time.perf_counter()
                verifier.verify(data, now=now)
                timings[mode].append(time.perf_counter() - t0)
            spent[mode] += time.perf_counter() - started
    result = {}
    for mode, verifier in verifiers.items():
        cache = verifier.verified_lists
        result[mode] = {
            "per_s": len(timings[mode]) / spent[mode],
            "p50_ms": statistics.median(timings[mode]) * 1000,
            "count": len(timings[mode]),
            "list_checks": (
                cache.checks if cache is not None else len(lists) * (len(timings[mode]) + 1)
            ),
        }
        verifier.close()
    print(json.dumps(result))


# --------------------------------------------------------------------------- the load generator


async def _load(url: str, body: bytes, concurrency: int, seconds: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    verdicts: dict[str, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        headers = {"content-type": "application/vc+ld+json"}
        await client.post(url, content=body, headers=headers)  # warm-up
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError as error:
                    name = type(error).__name__
                    errors[name] = errors.get(name, 0) + 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    code = f"HTTP {response.status_code}"
                    errors[code] = errors.get(code, 0) + 1
                else:
                    verdict = response.json()["verdict"]
                    verdicts[verdict] = verdicts.get(verdict, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "count": len(latencies),
        "errors": errors,
        "verdicts": verdicts,
        "per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def load_generator(url: str, credential_file: Path, concurrency: int, seconds: float) -> None:
    """Child process: ``concurrency`` clients posting the credential for ``seconds``."""
    _pin(1)
    result = asyncio.run(_load(url, credential_file.read_bytes(), concurrency, seconds))
    print(json.dumps(result))


# --------------------------------------------------------------------------- orchestration


def _wait_for(url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def _child(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _http_figures(
    url: str, credential_file: Path, seconds: float, concurrency: int, **extra: Any
) -> None:
    """Load ``POST url`` with the credential from a child process; print the three ``http_*``
    figures (with ``concurrency`` and ``extra``)."""
    load = _child("--role", "load", "--url", url, "--file", str(credential_file),
                  "--concurrency", str(concurrency), "--seconds", str(seconds))  # fmt: skip
    common = {**extra, "concurrency": concurrency}
    _emit("http_p50_ms", load["p50_ms"], "ms", **common)
    _emit("http_p99_ms", load["p99_ms"], "ms", **common)
    _emit(
        "http_requests_per_s",
        load["per_s"],
        "1/s",
        **common,
        count=load["count"],
        errors=load["errors"],
        verdicts=load["verdicts"],
    )


#: The environment variable that turns the verified status list cache off in a served verifier.
_CACHE_ENV = "MICROCRED_VERIFIER_CACHE_VERIFIED_LISTS"


def _modes(choice: str) -> list[str]:
    """``--list-cache`` as the modes to measure, "off" (before) first."""
    return ["off", "on"] if choice == "both" else [choice]


def issuer_target(seconds: float, concurrency: int, modes: list[str]) -> None:
    """``POST /verify`` on the issuing service, of a credential it issued (see the docstring)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import httpx
    from issue_http import Server

    for mode in modes:
        os.environ[_CACHE_ENV] = "true" if mode == "on" else "false"
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            server = Server("sqlite", root, workers=1)
            try:
                if hasattr(os, "sched_setaffinity"):
                    os.sched_setaffinity(server.process.pid, {min(os.sched_getaffinity(0))})
                awarded = httpx.post(
                    f"{server.base}/api/issuers/{server.issuer}/awards",
                    json={
                        "achievement": "classroom-environment",
                        "recipient_name": "María López",
                        "recipient_email": "maria@schools.nm.example",
                        "score": 92,
                        "rubric_level": "proficient",
                    },
                    headers={"Authorization": f"Bearer {server.token}"},
                    timeout=60,
                )
                awarded.raise_for_status()
                credential_file = root / "credential.json"
                credential_file.write_text(json.dumps(awarded.json()["credential"]))
                url = f"{server.base}/verify"
                _http_figures(
                    url, credential_file, seconds, concurrency,
                    target="issuer", workers=1, list_cache=mode,
                )  # fmt: skip
            finally:
                server.stop()


def verifier_http(
    credential_file: Path, seconds: float, concurrency: int, workers: int, mode: str
) -> None:
    """``POST /verify`` on the standalone verifier (uvicorn, ``workers`` processes, pinned to
    one CPU for one worker), the list cache ``mode``; its ``http_*`` figures."""
    app_port = _free_port()
    env = {
        **os.environ,
        "MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST": "true",
        _CACHE_ENV: "true" if mode == "on" else "false",
    }
    server = [
        sys.executable, "-m", "uvicorn", "--factory", "verifier.http:create_verifier_app",
        "--host", "127.0.0.1", "--port", str(app_port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    if workers == 1 and shutil.which("taskset") and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
        server = ["taskset", "-c", str(cpu), *server]
    process = subprocess.Popen(server, cwd=ROOT, env=env)
    try:
        _wait_for(f"http://127.0.0.1:{app_port}/openapi.json")
        url = f"http://127.0.0.1:{app_port}/verify"
        _http_figures(url, credential_file, seconds, concurrency, workers=workers, list_cache=mode)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", choices=["verifier", "issuer"], default="verifier")
    parser.add_argument("--list-cache", choices=["on", "off", "both"], default="both")
    parser.add_argument("--role", choices=["main", "library", "load", "docs"], default="main")
    parser.add_argument("--file")
    parser.add_argument("--url")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.role == "library":
        return library(Path(args.file), args.seconds, _modes(args.list_cache))
    if args.role == "load":
        return load_generator(args.url, Path(args.file), args.concurrency, args.seconds)
    if args.role == "docs":
        return serve_documents(Path(args.file), args.port)
    modes = _modes(args.list_cache)
    if args.target == "issuer":
        return issuer_target(args.seconds, args.concurrency, modes)

    docs_port = _free_port()
    base = f"http://localhost:{docs_port}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        credential, documents = build_documents(base)
        site = root / "site"
        for path, document in documents.items():
            target = site / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(document))
        credential_file = root / "credential.json"
        credential_file.write_text(json.dumps(credential))
        docs = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--role",
                "docs",
                "--file",
                str(site.resolve()),
                "--port",
                str(docs_port),
            ]  # fmt: skip
        )
        try:
            _wait_for(f"{base}/issuers/1")
            libs = _child("--role", "library", "--file", str(credential_file),
                          "--seconds", str(args.seconds),
                          "--list-cache", args.list_cache)  # fmt: skip
            for mode, lib in libs.items():
                _emit("library_verify_per_s", lib["per_s"], "1/s", cores=1, count=lib["count"],
                      list_cache=mode, list_checks=lib["list_checks"])  # fmt: skip
                _emit("library_p50_ms", lib["p50_ms"], "ms", cores=1, list_cache=mode)
            for mode in modes:
                verifier_http(credential_file, args.seconds, args.concurrency, args.workers, mode)
        finally:
            docs.terminate()
            docs.wait(timeout=10)


if __name__ == "__main__":
    main()
