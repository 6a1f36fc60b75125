"""Every ``microcred`` command's ``--help`` reads finished, ``--version`` is cheap, and usage
errors exit 64 (:mod:`microcred.command_tree`)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer.main
from typer.core import TyperOption
from typer.testing import CliRunner

from microcred.cli import EXIT_STATUSES, app
from microcred.command_tree import PLACEHOLDER, walk
from microcred.exit_codes import EXIT_USAGE

runner = CliRunner()
#: A description in a group's listing must fit on one line next to the command's name.
MAX_DESCRIPTION = 80
#: Typer's own placeholders (``<str>``, ``<bool>``, ``<list[str]>``) and usage style (``{file}``).
TYPER_PLACEHOLDER = re.compile(r"<[a-z][a-z0-9 _\[\]|-]*>|\{[a-zA-Z_.]+\}")


def _tree() -> list[tuple[tuple[str, ...], typer.main.TyperGroup]]:
    return list(walk(typer.main.get_command(app)))


def _help(path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, (path, result.output)
    return result.stdout


def test_every_help_reads_finished() -> None:
    problems: list[str] = []
    tree = _tree()
    assert len(tree) > 30  # the walk reached the subcommands
    for path, command in tree:
        where = "microcred " + " ".join(path)
        text = _help(path)
        for found in TYPER_PLACEHOLDER.findall(text):
            problems.append(f"{where}: placeholder {found!r} in the help")
        if path:
            first = (command.help or "").strip().split("\n\n")[0]
            if not first:
                problems.append(f"{where}: no description")
            elif "\n" in first or len(first) > MAX_DESCRIPTION:
                problems.append(f"{where}: description longer than one line: {first!r}")
        for sub in getattr(command, "commands", {}):
            if not command.commands[sub].get_short_help_str(limit=1000):
                problems.append(f"{where}: {sub} has no description in the listing")
        for param in command.params:
            name = "/".join(param.opts)
            if not getattr(param, "help", None):
                problems.append(f"{where} {name}: no help text")
            if isinstance(param, TyperOption) and param.is_flag:
                if param.metavar:
                    problems.append(f"{where} {name}: a flag with placeholder {param.metavar!r}")
                continue
            if not PLACEHOLDER.fullmatch(param.metavar or ""):
                problems.append(f"{where} {name}: placeholder {param.metavar!r} is not UPPER")
            choices = getattr(param.type_descriptor, "choices", None) or ()  # type: ignore[attr-defined]
            missing = [str(c) for c in choices if str(c).lower() not in (param.help or "").lower()]
            if missing:
                problems.append(f"{where} {name}: the help does not name {missing}")
    assert not problems, "\n".join(problems)


def test_a_flag_off_by_default_has_no_negative_form() -> None:
    text = _help(("status", "publish"))
    assert "--force" in text and "--no-force" not in text and "no-force]" not in text
    assert "--no-demo" in _help(("serve",))  # on by default: the negative form is the point
    result = runner.invoke(app, ["status", "publish", "--no-force"])
    assert result.exit_code == EXIT_USAGE


def test_exit_statuses_are_said_once_in_the_root_help() -> None:
    text = " ".join(_help(()).split())
    assert " ".join(EXIT_STATUSES.split()) in text
    for code in ("0", "1", "2", "64", "69"):
        assert re.search(rf"\b{code} ", EXIT_STATUSES)


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],  # the root's own option
        ["no-such-command"],
        ["award", "--bogus"],
        ["credentials", "list", "--limit", "many"],  # a nested command, a bad value
        ["stacks", "progress"],  # a missing argument
        ["verify", "--no-such-option", "x.json"],
        ["keys"],  # a group without a command: its help, as a usage error
    ],
)
def test_usage_errors_exit_64(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE, (args, result.output)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"microcred {version('microcred')}"


def test_version_from_the_console_script_imports_no_command() -> None:
    """The console script answers ``--version`` without importing the command tree."""
    script = (
        "import sys; sys.argv = ['microcred', '--version']\n"
        "from microcred.entry import main; main()\n"
        "heavy = ('microcred.cli', 'typer', 'issuer', 'verifier')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"microcred {version('microcred')}"
