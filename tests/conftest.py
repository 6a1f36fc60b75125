"""Shared test fixtures: where the reference data lives, and the `js` fixture.

`js.run(op, **request)` sends one JSON request to `interop/harness.mjs` (Digital Bazaar's and
the DCC's JavaScript implementations, run offline) and returns its JSON result (see
`interop/README.md` for the ops). `make test` installs `interop/node_modules` (`npm ci`); tests
that use it fail, rather than skip, when it is missing.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]
#: Reference data (contexts, schemas, vectors) sits beside the checkout, never inside it.
VENDOR = PROJECT.parent / "shared" / "vendor-data"


@pytest.fixture(autouse=True)
def _microcred_logger_restored() -> Any:
    """Each test starts with the ``microcred`` logger as it found it: a CLI command run
    in-process sets its level to WARNING (``issuer.cli.common.setup_logging``), which would
    hide INFO from every later test's ``caplog``, so a log-reading test's verdict would depend
    on the order tests ran in."""
    logger = logging.getLogger("microcred")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


@pytest.fixture(scope="session")
def vendor() -> Path:
    if not VENDOR.is_dir():
        pytest.fail(f"reference data missing: {VENDOR} (it sits beside the checkout in CI)")
    return VENDOR


INTEROP = PROJECT / "interop"
HARNESS = INTEROP / "harness.mjs"
#: one harness call; cold start plus a verification takes about a second
TIMEOUT_S = 60
#: packages the harness imports at top level: if these resolve, `npm ci` has run
REQUIRED_PACKAGES = ("@digitalbazaar/vc", "@digitalcredentials/verifier-core")


class HarnessError(RuntimeError):
    """The harness could not carry out a request (exit status 1, or no JSON on stdout)."""


class JsHarness:
    #: raised by `run` (tests use `pytest.raises(js.Error)`: conftest is not importable)
    Error = HarnessError

    def __init__(self, node: str) -> None:
        self.node = node

    def run(self, op: str, **request: Any) -> dict[str, Any]:
        """Run one harness op; `request` holds the op's fields (credential, documents, ...)."""
        payload = json.dumps({"op": op, **request})
        try:
            proc = subprocess.run(
                [self.node, str(HARNESS)],
                input=payload,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                cwd=INTEROP,
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"harness op {op!r} ran over {TIMEOUT_S} s\n{exc.stderr}") from exc
        if proc.returncode != 0:
            raise HarnessError(
                f"harness op {op!r} failed (exit {proc.returncode})\n"
                f"stderr:\n{proc.stderr}\nstdout:\n{proc.stdout}"
            )
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise HarnessError(
                f"harness op {op!r} printed no JSON\nstderr:\n{proc.stderr}\nstdout:\n{proc.stdout}"
            ) from exc


    def run_batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run many ops in one node process (``{"op": ..., **fields}`` each); the results in
        order. A request that could not be carried out raises, naming it."""
        batch = self.run("batch", requests=requests)
        results: list[dict[str, Any]] = batch["results"]
        for request, result in zip(requests, results, strict=True):
            if not result.get("ok"):
                raise HarnessError(f"harness op {request['op']!r} failed: {result.get('error')}")
        return results


@pytest.fixture(scope="session")
def js() -> JsHarness:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the interop tests run the JS reference implementations")
    missing = [p for p in REQUIRED_PACKAGES if not (INTEROP / "node_modules" / p).is_dir()]
    if missing:
        pytest.fail(
            f"{INTEROP / 'node_modules'} lacks {', '.join(missing)}: run `make test`, which "
            "installs it (`cd interop && npm ci --no-audit --no-fund`)"
        )
    return JsHarness(node)
