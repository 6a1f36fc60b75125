"""The root of the ``microcred`` command tree: one help style and one usage-error status.

Each package writes its commands with plain Typer; the root group (:class:`RootGroup`, the
``cls`` of the ``microcred`` app) then holds every command to the same conventions, in one
place rather than in each package:

* **Usage errors exit 64** (:data:`~microcred.exit_codes.EXIT_USAGE`), not click's 2, which
  in this project means "indeterminate" (``verify``). A subcommand's arguments are parsed
  inside the root group's :meth:`RootGroup.invoke`, so catching ``UsageError`` there covers
  every command, however deep.
* **One placeholder style in help**: upper-case words (``FILE``, ``SLUG``, ``TEXT``,
  ``INTEGER``, ``URL=FILE``); a boolean flag shows none, and a flag that is off unless given
  has no ``--no-…`` twin and no ``[default: no-…]`` (only flags on by default need them).
  Typer 0.29 prints ``<str>``, ``<bool>``, ``<path>`` and ``{file}`` instead, and offers no
  setting for it, so
  :func:`restyle` gives every parameter an upper-case metavar when the tree is built (an
  explicit one is kept) and re-classes arguments to :class:`_Argument`, whose help shows the
  placeholder alone and whose usage reads ``FILE``, ``[ID]``, ``ID...``.

``tests/test_cli_help.py`` walks every command's ``--help`` and holds them to this.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Typer vendors click (0.29+): these are the types its commands are built from.
from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import UsageError
from typer.core import TyperArgument, TyperGroup, TyperOption

from microcred.exit_codes import EXIT_USAGE

__all__ = ["PLACEHOLDER", "RootGroup", "placeholder", "restyle", "walk"]

#: What a placeholder looks like: upper-case words, joined by ``-``, ``_``, ``=``, ``|`` or ``:``
#: (``ISO-8601``, ``URL=FILE``, ``FILE|URL``), and ``...`` for an argument taking several.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9]*(?:[-_=|:][A-Z0-9]+)*(?:\.\.\.)?")

#: Placeholders for values of these types when the parameter names none.
_BY_TYPE = {int: "INTEGER", float: "NUMBER", str: "TEXT"}


def _option_word(param: Parameter) -> str:
    """The last word of an option's long name, upper case: ``--did-method`` → ``METHOD``."""
    longs = [opt for opt in param.opts if opt.startswith("--")] or list(param.opts)
    return re.split(r"[-_]", longs[0].lstrip("-"))[-1].upper()


def placeholder(param: Parameter) -> str:
    """The upper-case placeholder of a parameter that declares no metavar of its own."""
    if isinstance(param, TyperOption) and param.is_flag:
        return ""
    descriptor = getattr(param, "type_descriptor", None)
    if isinstance(param, TyperArgument):
        word = (param.name or "value").upper().replace("_", "-")
    elif descriptor is not None and descriptor.is_choice:
        word = _option_word(param)  # the choices themselves are listed in the help text
    elif descriptor is not None and descriptor.is_path:
        word = "DIR" if descriptor.path_type == "directory" else "FILE"
    else:
        annotation = descriptor.annotation if descriptor is not None else str
        if descriptor is not None and descriptor.is_list:
            annotation = getattr(annotation, "__args__", (str,))[0]
        word = _BY_TYPE.get(annotation, "VALUE")
    return word


class _Argument(TyperArgument):
    """A Typer argument whose help shows only its placeholder (not also ``<path>``) and whose
    usage reads ``FILE``, ``[ID]`` or ``ID...`` rather than ``{file}``."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = (self.metavar or placeholder(self)).removesuffix("...")
        name = name if self.required else f"[{name}]"
        return name + "..." if self.nargs != 1 else name


def restyle(command: Command) -> None:
    """Give every parameter of ``command`` (and of its ``--help``) the one placeholder style."""
    context = Context(command, **(command.context_settings or {}))
    help_option = command.get_help_option(context)
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = placeholder(param) + ("..." if param.nargs != 1 else "")
            param.__class__ = _Argument
            continue
        if param.metavar is None:
            param.metavar = placeholder(param)
        if isinstance(param, TyperOption) and param.is_bool_flag and param.default is False:
            param.secondary_opts = []
            param.show_default = False


def walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    """Every command of the tree under ``command``, with its path of names, parents first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


class RootGroup(TyperGroup):
    """The ``microcred`` group: restyles the whole tree once built; usage errors exit 64."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for _, command in walk(self):
            restyle(command)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except UsageError as error:
            error.exit_code = EXIT_USAGE
            raise

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as error:
            error.exit_code = EXIT_USAGE
            raise
