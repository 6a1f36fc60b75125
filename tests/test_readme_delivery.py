"""The README's delivery walkthrough, run as a reader runs it: email, claim page, two wallets.

Every ``sh`` block of the README's "Delivery" section runs, in order, in one shell (``set -e``;
the failing command is named) from a folder that looks like the repository's (``scripts``,
``interop``, ``.venv``), as written except for the ports (free ones instead of 1025 and 8000)
and ``make run`` itself, which becomes the ``microcred serve`` it runs, in the background, on a
fresh data directory (the reader's first terminal). ``<ana-id>`` is read off ``ana.json`` as a
reader reads it. Then it checks what the comments claim: each wallet's copy names its own DID,
both verify, and both are revoked with the award.
"""

from __future__ import annotations

import contextlib
import json
import mailbox
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.test_readme_walkthrough import PROJECT, README, README_HOST, blocks, section

pytestmark = [pytest.mark.e2e, pytest.mark.node]

SECTION = "Delivery: email, claim page, wallets"
#: The whole walkthrough, service start and two wallets included.
TIMEOUT_S = 240
#: How long the revocation's notice may take to arrive after the walkthrough's last command.
NOTICE_S = 15

_PRELUDE = r"""
set -euo pipefail
PS4='+[readme] '
export PATH="$PWD/.venv/bin:$PATH"
readme_json_id() {
  "$READMETEST_PYTHON" -c '
import json, sys
print(json.load(open(sys.argv[1]))["id"].rsplit("/", 1)[1])' "$1"
}
readme_wait_for() {
  for _ in $(seq 300); do
    curl --silent --fail "http://127.0.0.1:$1/healthz" > /dev/null && return 0
    sleep 0.2
  done
  echo "the service did not start:" >&2; cat serve.log >&2; return 1
}
trap 'echo "README step failed (exit $?): $BASH_COMMAND" >&2' ERR
set -x
"""


def reader_script(text: str, *, port: int, smtp_port: int) -> str:
    """The section's ``sh`` blocks as one script, with the reader's substitutions."""
    commands = blocks(text, "sh")
    starts = [i for i, block in enumerate(commands) if block.rstrip().endswith("make run")]
    assert len(starts) == 1, "one block should restart the service (make run)"
    start = commands[starts[0]].rstrip()[: -len("make run")]
    commands[starts[0]] = (
        f"{start}microcred serve --port {port} > serve.log 2>&1 &\nreadme_wait_for {port}\n"
    )
    script = "\n".join(commands)
    assert "127.0.0.1:1025" in script and "MICROCRED_SMTP_PORT=1025" in script
    script = script.replace("127.0.0.1:1025", f"127.0.0.1:{smtp_port}")
    script = script.replace("MICROCRED_SMTP_PORT=1025", f"MICROCRED_SMTP_PORT={smtp_port}")
    script = script.replace(README_HOST, f"127.0.0.1:{port}")
    script = script.replace("<ana-id>", '"$(readme_json_id ana.json)"')
    left = sorted(set(re.findall(r"<[a-z][a-z-]*>", script)))
    assert not left, f"placeholders the test does not know how to fill: {left}"
    script = re.sub(r"^curl ", "curl --silent --show-error --fail-with-body ", script, flags=re.M)
    return _PRELUDE + script + "\n"


def _subjects(folder: Path) -> list[str]:
    """The subjects of the messages the local mail server kept, sorted."""
    if not (folder / "new").is_dir():
        return []
    return sorted(str(message["Subject"]) for message in mailbox.Maildir(folder, create=False))


def _reader_folder(folder: Path) -> None:
    """``scripts``, ``interop`` and a ``.venv/bin`` with the virtualenv's commands."""
    for name in ("scripts", "interop"):
        (folder / name).symlink_to(PROJECT / name)
    venv = PROJECT / ".venv"
    (folder / ".venv").symlink_to(venv)


def test_readme_delivery_runs(tmp_path: Path) -> None:
    text = section(README.read_text(encoding="utf-8"), SECTION)
    port, smtp_port = free_port(), free_port()
    _reader_folder(tmp_path)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MICROCRED_", "VIRTUAL_ENV", "XDG_"))
    }
    env |= {"HOME": str(tmp_path), "COLUMNS": "200", "READMETEST_PYTHON": sys.executable}
    script = reader_script(text, port=port, smtp_port=smtp_port)
    log = tmp_path / "readme.log"
    with log.open("w") as out:
        # a file, not a pipe: the mail server and the service it starts in the background
        # keep their standard output open after the script ends
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so the background processes are stopped with it
        )
        try:
            process.wait(timeout=TIMEOUT_S)
            # the revocation's notice is sent by the service's worker just after the revoke
            deadline = time.monotonic() + NOTICE_S
            while len(_subjects(tmp_path / "mail")) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, output[-6000:]
    # what the comments say
    copies = {
        name: json.loads((tmp_path / f"{name}-copy.json").read_text())
        for name in ("lcw", "oid4vci")
    }
    holders = {name: copy["credentialSubject"]["id"] for name, copy in copies.items()}
    assert all(h.startswith("did:") for h in holders.values()) and len(set(holders.values())) == 2
    award = json.loads((tmp_path / "ana.json").read_text())
    for copy in copies.values():
        assert copy["credentialSubject"]["identifier"] == award["credentialSubject"]["identifier"]
        assert copy["id"] != award["id"]
    assert "exit status 1" in output, output[-4000:]
    assert output.count("REVOKED") >= 2 or output.lower().count("revoked") >= 2, output[-4000:]
    # Ana's mailbox: the claim email, then the notice of the revocation
    subjects = _subjects(tmp_path / "mail")
    assert len(subjects) == 2 and any("revoked" in s.lower() for s in subjects), subjects
    page = (tmp_path / "claim.html").read_text()
    assert "Open in wallet" in page and "dccrequest://request?" in page
    assert "openid-credential-offer://" in page
