"""``microcred verify --stack``: read a claim's inputs and rule, and show the checklist.

Kept apart from :mod:`verifier.cli` (which maps exit codes and renders the common report) so
the stack feature's reading and rendering stay in one place; ``verify --stack`` calls
:func:`run_stack` and :func:`render_checklist`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from keys.errors import FetchError
from schemas.stack_rule import RuleError
from verifier.report import CheckId, VerificationReport
from verifier.service import Expectations, Verifier
from verifier.stack import GivenRule, StackInput, load_rule

__all__ = ["RuleUnusable", "read_rule", "render_checklist", "run_stack"]

_MARK = {
    "met": ("✔", "green"),
    "unmet": ("✘", "bold red"),
    "indeterminate": ("?", "magenta"),
}


class RuleUnusable(ValueError):
    """``--rule`` names no readable stack rule (exit 64)."""


def read_rule(arg: str, verifier: Verifier) -> GivenRule:
    """``--rule FILE|URL``: the rule document, fetched through the verifier's guarded fetcher
    if a URL."""
    try:
        if arg.lower().startswith(("https://", "http://")):
            raw = verifier.fetcher.fetch(arg, accept="application/json").body
        else:
            raw = Path(arg).read_bytes()
        return load_rule(raw, source=arg)
    except (OSError, FetchError) as error:
        raise RuleUnusable(f"--rule {arg}: cannot be read: {error}") from None
    except RuleError as error:
        raise RuleUnusable(f"--rule {arg}: {error}") from None


def run_stack(
    inputs: list[str],
    verifier: Verifier,
    *,
    rule: str | None,
    read: Callable[[str], tuple[bytes | str, str] | VerificationReport],
    now: datetime,
    expect: Expectations,
) -> VerificationReport:
    """Read every INPUT (``read`` is the CLI's reader) and verify them as one stack claim."""
    given = read_rule(rule, verifier) if rule is not None else None
    items = []
    for arg in inputs:
        read_back = read(arg)
        if isinstance(read_back, VerificationReport):
            return read_back  # unusable or unreachable input: the claim cannot be judged
        data, source = read_back
        items.append(StackInput(data, source))
    return verifier.verify_stack(items, rule=given, now=now, expect=expect)


def _lines(requirements: list[dict[str, Any]], depth: int = 0) -> list[Text]:
    lines = []
    for requirement in requirements:
        mark, style = _MARK.get(requirement["status"], ("?", "magenta"))
        line = Text("  " * (depth + 1))
        line.append(f"{mark} ", style=style)
        line.append(requirement["name"], style="bold")
        line.append(f" — {requirement['reason']}")
        lines.append(line)
        lines.extend(_lines(requirement.get("children", []), depth + 1))
    return lines


def render_checklist(report: VerificationReport, console: Console) -> None:
    """The stack as a licensure clerk reads it: each requirement ✔/✘ with its reason, then the
    components and the same-educator finding."""
    check = report.check(CheckId.STACK)
    if check is None:
        return
    details = check.details
    rule = details.get("rule") or {}
    console.print()
    title = Text("Stack checklist", style="bold underline")
    if rule.get("name"):
        title.append(f"  {rule['name']} (rule version {rule.get('version')})", style="bold")
    console.print(title)
    if rule.get("id"):
        console.print(Text(f"  rule {rule['id']} ({rule.get('source')})", style="dim"))
    for line in _lines(list(details.get("requirements", []))):
        console.print(line)
    educator = details.get("sameEducator") or {}
    if educator:
        marks = {"passed": _MARK["met"], "failed": _MARK["unmet"]}
        mark, style = marks.get(str(educator.get("outcome")), _MARK["indeterminate"])
        line = Text("  ")
        line.append(f"{mark} ", style=style)
        line.append("One educator", style="bold")
        line.append(f" — {educator.get('message')}")
        console.print(line)
    components = details.get("components", [])
    if components:
        console.print(Text(f"  Components ({len(components)}):", style="dim"))
        for component in components:
            achievement = (component.get("achievement") or {}).get("name") or component.get("name")
            used = component.get("usedFor")
            text = Text(f"    {component['verdict']:<13} ", style="dim")
            text.append(f"{achievement} ")
            text.append(f"{component.get('id') or component.get('source')}", style="dim")
            if used:
                text.append(f"  → {used}", style="dim")
            for problem in component.get("problems", []):
                text.append(f"\n      {problem}", style="red")
            console.print(text)
    for item in details.get("evidence", []):
        if item.get("forged") or item.get("problem"):
            console.print(
                Text(f"  ! evidence {item.get('id')}: {item.get('problem')}", style="red")
            )
