"""``microcred`` starts quickly because each command imports its heavy libraries when it runs.

Typer reads every command's signature to build even ``microcred --help``, so a command module
that imports SQLModel, pyld or FastAPI at its top makes every help page (and every command)
pay for them: 2.2 s before any work (issue 15). These tests guard it without timing anything:
they run the console script's entry point in a fresh interpreter and name the heavy modules
it imported. Figures: ``bench/startup.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.verifier.support import NOW, standard_world

#: Libraries neither a help page nor ``verify FILE`` needs. (Typer itself imports rich to
#: render help and pydantic to parse a subcommand's arguments, so those two are allowed.)
NEVER = (
    "alembic",
    "babel",
    "fastapi",
    "jinja2",
    "PIL",
    "qrcode",
    "sqlalchemy",
    "sqlmodel",
    "starlette",
    "uvicorn",
)
#: What a help page needs none of: the credential core and the verifier's libraries.
NOT_FOR_HELP = (
    *NEVER,
    "cryptography",
    "httpx",
    "jsonschema",
    "jwcrypto",
    "lxml",
    "pydantic_settings",
    "pyld",
    "requests",
)
#: Our own modules that are costly to import (pydantic models, the services, the stack rules).
OURS_NOT_FOR_HELP = (
    "issuer.db",
    "issuer.models",
    "issuer.runtime",
    "issuer.services.awards",
    "keys.suites",
    "schemas.models",
    "verifier.service",
)
OURS_NOT_FOR_VERIFY = (
    "issuer.db",
    "issuer.models",
    "issuer.runtime",
    "issuer.services.awards",
    "schemas.models",
    "schemas.stack_rule",
    "verifier.http",
    "verifier.stack",
)

#: Runs in the child: the given commands through the console script's entry point, then
#: prints each one's exit status and every module imported, as JSON.
_CHILD = """
import json, sys
from microcred.entry import main

statuses = []
for argv in json.loads(sys.argv[1]):
    sys.argv = ["microcred", *argv]
    try:
        main()
        statuses.append(0)
    except SystemExit as stop:
        statuses.append(stop.code or 0)
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""


def _run(*commands: list[str]) -> tuple[list[int], list[str]]:
    """Run ``commands`` in one fresh interpreter: their exit statuses and the modules imported."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(commands)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["statuses"], result["modules"]


def _loaded(modules: list[str], libraries: tuple[str, ...], ours: tuple[str, ...]) -> list[str]:
    """The modules of ``libraries`` (top-level names) and ``ours`` (and below) imported."""
    return sorted(
        {m.split(".")[0] for m in modules if m.split(".")[0] in libraries}
        | {m for m in modules if any(m == o or m.startswith(o + ".") for o in ours)}
    )


def _every_command_path() -> list[list[str]]:
    """``[]`` and the path of every group and command, as ``microcred --help`` lists them."""
    import typer.main

    from microcred.cli import app
    from microcred.command_tree import walk

    return [list(path) for path, _ in walk(typer.main.get_command(app))]


def test_every_help_page_imports_no_heavy_module() -> None:
    paths = _every_command_path()
    assert len(paths) > 30  # the walk reached the subcommands
    statuses, modules = _run(*([*path, "--help"] for path in paths))
    assert statuses == [0] * len(paths)
    assert _loaded(modules, NOT_FOR_HELP, OURS_NOT_FOR_HELP) == []


def test_verify_file_imports_only_what_verifying_needs(tmp_path: Path) -> None:
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps(standard_world().signed()))
    statuses, modules = _run(["verify", str(credential), "--at", NOW.isoformat()])
    assert statuses == [0]  # valid: the whole verification ran
    assert {"pyld", "cryptography", "jsonschema"} <= {m.split(".")[0] for m in modules}
    assert _loaded(modules, NEVER, OURS_NOT_FOR_VERIFY) == []
