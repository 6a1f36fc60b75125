"""A warm ``microcred`` for tests that run many commands from a shell, as a user does.

A ``microcred`` command that works on a data directory spends about a second importing what it runs
on (pydantic models, SQLModel, the proof suites), so a walkthrough of forty commands spends most of
its time importing. Here one process (:func:`serve`) imports the command tree once and, for each
invocation, forks a child that runs the console script's ``microcred.entry.main`` with the caller's
arguments, environment, working folder and standard streams (passed over a Unix socket), and hands
back its exit status. A small client script (:func:`client_script`), installed as ``microcred`` on
the shell's ``PATH``, is all the shell sees. What a command does is exactly what the installed
command does; only the imports are shared, and they read nothing from the environment.

Run as ``python -m tests.warm_cli SOCKET`` from the project folder; it stops on SIGTERM.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

__all__ = ["client_script", "serve"]

#: Imported before forking: the command tree, and what its commands import when they run
#: (the command modules import these in their bodies, so that `microcred --help` is quick).
WARM_MODULES = (
    "microcred.cli",
    "issuer.bootstrap",
    "issuer.crypto_at_rest",
    "issuer.runtime",
    "issuer.services.apikeys",
    "issuer.services.awards",
    "issuer.services.batch",
    "issuer.services.catalog",
    "issuer.services.demo",
    "issuer.services.sharing",
    "issuer.services.stacks",
    "issuer.services.status",
    "issuer.settings",
    "keys.suites",
    "rich.progress",
    "verifier.service",
    "verifier.settings",
    "alembic.command",
)
_HEADER = 4  # bytes: the request's length, big-endian


def client_script(python: str, socket_path: Path) -> str:
    """The ``microcred`` the shell runs: sends argv, cwd, env and fds 0-2; exits as told."""
    return f"""#!{python} -IS
import json, os, socket, sys
request = json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}})
data = request.encode()
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
    conn.connect({str(socket_path)!r})
    socket.send_fds(conn, [len(data).to_bytes({_HEADER}, "big")], [0, 1, 2])
    conn.sendall(data)
    status = b""
    while len(status) < 4:
        chunk = conn.recv(4 - len(status))
        if not chunk:
            sys.exit("warm microcred: the server went away")
        status += chunk
sys.exit(int.from_bytes(status, "big", signed=True))
"""


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    header, fds, _, _ = socket.recv_fds(conn, _HEADER, 3)
    size = int.from_bytes(header, "big")
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client went away")
        data += chunk
    return json.loads(data), fds


def _run_child(request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: become the invocation, run the command, return its exit status."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["microcred", *request["argv"]]
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from microcred.entry import main  # what the installed `microcred` runs

    try:
        main()
        return 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1


def serve(socket_path: str) -> None:
    """Import once, then fork one child per invocation, one at a time, until SIGTERM."""
    for name in WARM_MODULES:
        importlib.import_module(name)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(socket_path)
        listener.listen(16)
        print("ready", flush=True)
        while True:
            conn, _ = listener.accept()
            with conn:
                request, fds = _receive(conn)
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        listener.close()
                        conn.close()
                        code = _run_child(request, fds)
                    finally:
                        sys.stdout.flush()
                        sys.stderr.flush()
                        os._exit(code & 0xFF)
                for fd in fds:
                    os.close(fd)
                _, status = os.waitpid(pid, 0)
                conn.sendall(os.waitstatus_to_exitcode(status).to_bytes(4, "big", signed=True))


if __name__ == "__main__":
    serve(sys.argv[1])
