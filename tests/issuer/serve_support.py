"""``microcred serve`` in a process of its own, for the tests that need the real command.

:func:`serving` starts it on a free port with a fresh environment (only the ``MICROCRED_*``
variables the test gives), waits for ``/healthz``, and on exit stops it with SIGINT and keeps
everything it wrote to stdout and stderr in :attr:`Served.output` (uvicorn's access log is on
stdout, the error log and ours on stderr).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.issuer.support import TEST_KEK
from tests.ports import free_port

STARTUP_S = 60


def cli_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without its ``MICROCRED_*``, plus the data directory, the
    test KEK and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")}
    return env | {
        "MICROCRED_DATA_DIR": str(data_dir),
        "MICROCRED_KEY_ENCRYPTION_KEY": TEST_KEK,
        **extra,
    }


def cli_command(*args: str) -> list[str]:
    """``microcred *args`` as a command line of this interpreter."""
    return [sys.executable, "-c", "from microcred.cli import main; main()", *args]


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    output: str = ""


@contextmanager
def serving(env: dict[str, str], *args: str, demo: bool = False) -> Iterator[Served]:
    """``microcred serve *args`` on a free port under ``env`` (with the demo catalog when
    ``demo``), until the block ends."""
    port = free_port()
    with tempfile.TemporaryDirectory() as logs:
        out, err = Path(logs) / "stdout", Path(logs) / "stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                cli_command("serve", "--port", str(port), "--demo" if demo else "--no-demo", *args),
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
        served = Served(f"http://127.0.0.1:{port}", process)
        try:
            deadline = time.monotonic() + STARTUP_S
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited {process.returncode}: {err.read_text()}")
                try:
                    if httpx.get(f"{served.base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the service did not start listening in time")
                time.sleep(0.1)
            yield served
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            served.output = out.read_text("utf-8") + err.read_text("utf-8")
