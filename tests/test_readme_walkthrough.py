"""The README's walkthrough, run as a reader runs it, so a wrong step fails CI.

``microcred serve`` starts on a free port with a fresh data directory (what ``make run`` does
on a first start), and its first lines are compared with the README's sample output. Then every
``sh`` block of the README's Walkthrough section runs, in order, in one shell (``set -e``: the
first command that fails, fails the test, named), from a folder that looks like the
repository's (``examples``, ``scripts``, ``.venv``), with only the substitutions a reader makes:
the port, the admin key the banner printed, and the ids earlier commands printed (``<id>``:
maria.json's; ``<stack-id>``: María's APL I-II credential's). A placeholder the test does not know
fails it. One strictness a reader does not need: ``curl`` fails on an HTTP error, which a
reader would see. The Two commands block (``make run``, ``make test``) is this test's set-up
and the suite itself, so it is not run here.

The reader's ``microcred`` is the warm one of ``tests/warm_cli.py`` (the same command, its
imports done once): forty cold starts would cost the suite more than a minute.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port
from tests.warm_cli import client_script

PROJECT = Path(__file__).resolve().parents[1]
README = PROJECT / "README.md"
MICROCRED = PROJECT / ".venv" / "bin" / "microcred"
#: What a first start takes at most on a loaded machine, and the whole walkthrough.
STARTUP_S = 60
WALKTHROUGH_S = 300
#: The README's port and the reader's placeholders.
README_HOST = "127.0.0.1:8000"
KEY_LINE = "export KEY=mc_…"
#: How xtrace marks each command the shell runs (nested commands repeat the first "+").
TRACE = "+[readme] "

pytestmark = pytest.mark.e2e

_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_PLACEHOLDER = re.compile(r"<[a-z][a-z-]*>")

#: Shell functions the substitutions call, evaluated when the command runs, as a reader reads
#: an id off the output of the commands before.
_PRELUDE = r"""
set -euo pipefail
PS4='+[readme] '
readme_id() {
  "$READMETEST_PYTHON" -c '
import json
print(json.load(open("maria.json"))["id"].rsplit("/", 1)[1])'
}
readme_stack_id() {
  microcred credentials list --json --recipient-email maria@schools.nm.example |
    "$READMETEST_PYTHON" -c '
import json, sys
[stack] = [c["id"] for c in json.load(sys.stdin) if c["achievement"] == "apl-i-ii"]
print(stack)'
}
trap 'echo "README step failed (exit $?): $BASH_COMMAND" >&2' ERR
set -x
"""


def section(text: str, title: str) -> str:
    """The README section ``## title``, up to the next ``## ``."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` in ``text``, in order."""
    return [body for lang, body in _BLOCK.findall(text) if lang == language]


def line_pattern(sample: str) -> re.Pattern[str]:
    """A sample output line as a pattern: ``…`` stands for anything."""
    return re.compile(".*?".join(re.escape(part) for part in sample.split("…")))


def reader_script(walkthrough: str, *, port: int, admin_key: str) -> str:
    """The walkthrough's ``sh`` blocks with the reader's substitutions, as one shell script."""
    commands = blocks(walkthrough, "sh")
    assert commands, "the Walkthrough section has no sh blocks"
    script = "\n".join(commands)
    assert KEY_LINE in script, f"the walkthrough no longer sets the admin key ({KEY_LINE})"
    script = (
        script.replace(README_HOST, f"127.0.0.1:{port}")
        .replace(KEY_LINE, f"export KEY={admin_key}")
        .replace("<stack-id>", '"$(readme_stack_id)"')
        .replace("<id>", '"$(readme_id)"')
    )
    left = sorted(set(_PLACEHOLDER.findall(script)))
    assert not left, f"placeholders the test does not know how to fill: {left}"
    script = re.sub(r"^curl ", "curl --silent --show-error --fail-with-body ", script, flags=re.M)
    return _PRELUDE + script + "\n"


def output_of(log: str, command: str) -> str:
    """What the command traced as ``command…`` printed (up to the next top-level command)."""
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(TRACE + command)]
    assert starts, f"the walkthrough did not run {command!r}"
    following = lines[starts[0] + 1 :]
    end = next((i for i, line in enumerate(following) if line.startswith(TRACE)), len(following))
    return "\n".join(following[:end])


@dataclass
class Served:
    port: int
    banner: list[str]
    admin_key: str


def _environment(folder: Path) -> dict[str, str]:
    """A reader's shell in ``folder``, as ``make run`` and the walkthrough have it: no
    ``MICROCRED_*`` settings (the data directory is ``./var``, the base URL the one the first
    start records), their PATH without the virtualenv (the walkthrough adds it), and a home of
    its own, so nothing of the developer's is found."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MICROCRED_", "VIRTUAL_ENV", "XDG_"))
    }
    venv_bin = str(PROJECT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env |= {
        "HOME": str(folder),
        "COLUMNS": "200",  # rich tables and headlines on one line each
        "READMETEST_PYTHON": sys.executable,
    }
    return env


@pytest.fixture(scope="module")
def reader_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that looks like the repository's root to the walkthrough's commands: its
    ``examples`` and ``scripts``, and a ``.venv/bin`` with the virtualenv's commands."""
    folder = tmp_path_factory.mktemp("reader")
    for name in ("examples", "scripts"):
        (folder / name).symlink_to(PROJECT / name)
    venv = PROJECT / ".venv"
    (folder / ".venv" / "bin").mkdir(parents=True)
    for entry in [*venv.iterdir(), *(venv / "bin").iterdir()]:
        if entry.name != "bin":  # lib, pyvenv.cfg, …: its python finds its packages
            (folder / entry.relative_to(PROJECT)).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def warm_microcred(reader_folder: Path) -> Iterator[None]:
    """The reader's ``microcred`` is a warm one (``tests/warm_cli.py``): the same commands,
    with their imports done once instead of forty times."""
    socket_path = reader_folder / "warm.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.warm_cli", str(socket_path)],
        cwd=PROJECT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        client = reader_folder / ".venv" / "bin" / "microcred"
        client.unlink()
        client.write_text(client_script(sys.executable, socket_path))
        client.chmod(0o755)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def served(reader_folder: Path) -> Iterator[Served]:
    """``microcred serve`` on a free port and a fresh data directory, stopped afterwards (one
    for both tests: the sample output is its first start's)."""
    assert MICROCRED.exists(), f"{MICROCRED} is missing: run `make .venv/.stamp-install`"
    port = free_port()
    log = reader_folder / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(MICROCRED), "serve", "--port", str(port)],
            cwd=reader_folder,
            env=_environment(reader_folder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            assert process.poll() is None, f"serve exited {process.returncode}:\n{log.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"serve did not answer:\n{log.read_text()}"
            time.sleep(0.2)
        banner = log.read_text(encoding="utf-8").splitlines()
        keys = [line.split()[2] for line in banner if line.startswith("  admin key  mc_")]
        assert len(keys) == 1, "\n".join(banner)
        yield Served(port, banner, keys[0])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
            process.wait()


def test_readme_sample_output_is_what_a_first_start_prints(served: Served) -> None:
    walkthrough = section(README.read_text(encoding="utf-8"), "Walkthrough")
    [sample] = blocks(walkthrough, "text")
    expected = sample.replace(README_HOST, f"127.0.0.1:{served.port}").splitlines()
    printed = served.banner[: len(expected)]
    mismatched = [
        (want, got)
        for want, got in zip(expected, printed + [""] * len(expected), strict=False)
        if not line_pattern(want).fullmatch(got)
    ]
    assert not mismatched, "README sample output vs serve's first start:\n" + "\n".join(
        f"  README: {want}\n  serve:  {got}" for want, got in mismatched
    )


@pytest.mark.usefixtures("warm_microcred")
def test_readme_walkthrough_runs(served: Served, reader_folder: Path) -> None:
    walkthrough = section(README.read_text(encoding="utf-8"), "Walkthrough")
    script = reader_script(walkthrough, port=served.port, admin_key=served.admin_key)
    (reader_folder / "walkthrough.sh").write_text(script, encoding="utf-8")
    log_path = reader_folder / "walkthrough.log"
    with log_path.open("w") as log_file:
        result = subprocess.run(
            ["bash", "walkthrough.sh"],
            cwd=reader_folder,
            env=_environment(reader_folder),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            timeout=WALKTHROUGH_S,
        )
    log = log_path.read_text(encoding="utf-8")
    assert result.returncode == 0, "the README walkthrough failed:\n" + "\n".join(
        log.splitlines()[-80:]
    )
    # What the README's comments say these commands show.
    headline = output_of(log, "microcred verify maria-badge.png --trust").splitlines()[0]
    assert headline.split()[0] == "Valid", headline  # recognised, not "Signature valid — …"
    degree = output_of(log, "microcred stacks progress apl-ii-iii")
    assert "✔ A master's degree — Met by Master of Arts in Education" in degree, degree
    assert output_of(log, "echo 'exit status ").strip() == "exit status 1"  # revoked
