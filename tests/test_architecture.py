"""The shape of the code: no import cycles, no name defined twice across packages, layers.

These read the source with :mod:`ast` instead of importing it, so they see every import —
also those inside functions and under ``if TYPE_CHECKING`` — and cost no start-up time. The
packages are layered ``schemas`` → ``keys`` → ``issuer`` / ``verifier``, with ``microcred``
(the console script) on top; ``microcred.exit_codes`` (the exit statuses), ``microcred.messages``
(translatable sentences) and ``microcred.i18n`` (the reader's language, pages in it) are the
leaves the packages below may import. ``schemas``, the bottom layer, may import only
``microcred.messages``: it depends on nothing but the standard library (held below), so the
stack evaluator's reasons can be sentences a page translates without ``schemas`` depending on
anything above it.

A failing test prints what it found (a cycle, step by step; the duplicated names with their
modules).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PACKAGES = ("schemas", "keys", "issuer", "verifier", "microcred")
#: Alembic revisions are generated scripts with their own conventions.
SKIPPED_DIRECTORIES = {Path("issuer/migrations")}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def package(self) -> str:
        return self.name.partition(".")[0]


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(PROJECT).with_suffix("").parts)
    return name.removesuffix(".__init__")


@cache
def project_modules() -> dict[str, Module]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            relative = path.relative_to(PROJECT)
            if any(relative.is_relative_to(skipped) for skipped in SKIPPED_DIRECTORIES):
                continue
            name = _module_name(path)
            modules[name] = Module(name, path, ast.parse(path.read_text("utf-8"), str(path)))
    return modules


def _project_module(dotted: str) -> str | None:
    """The project module ``dotted`` names or lies in (``a.b.c`` may be function ``c`` of
    module ``a.b``); ``None`` for the standard library and third-party packages."""
    modules = project_modules()
    while dotted:
        if dotted in modules:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


def _imported_names(module: Module) -> Iterator[str]:
    """Every dotted name an ``import`` statement anywhere in ``module`` asks for."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, `level - 1` packages up
                package = module.name.split(".")
                if module.path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            # `from a.b import c` imports module a.b.c if there is one, else module a.b
            for alias in node.names:
                yield f"{base}.{alias.name}"


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Module → the project modules it imports (itself excluded)."""
    graph = {}
    for name, module in project_modules().items():
        targets = {_project_module(dotted) for dotted in _imported_names(module)}
        graph[name] = frozenset(t for t in targets if t is not None and t != name)
    return graph


def _strongly_connected(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: the groups of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
    return groups


def _one_cycle(graph: dict[str, frozenset[str]], group: list[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & members):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"{group} is not a cycle")


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            cycle = _one_cycle(graph, group)
            more = len(group) > len(cycle) - 1
            cycles.append(
                " -> ".join(cycle) + (f"  (one of the cycles among {group})" if more else "")
            )
    assert not cycles, "modules that import each other (any import, also in functions):\n" + (
        "\n".join(cycles)
    )


#: Names several packages define on purpose, each for the same role.
SAME_BY_CONVENTION = {
    # each package's CLI module attaches its commands with ``register(app)`` (microcred.cli)
    "register",
    # a console-script or ``python -m`` entry point
    "main",
    # PEP 562 module attributes computed on first access
    "__getattr__",
    "__dir__",
}


def _top_level_definitions(module: Module) -> Iterator[str]:
    for node in module.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name


def test_no_name_is_defined_in_two_packages() -> None:
    """The same function or class name in two packages is usually logic written twice (or two
    meanings for one name); either one calls the other, or one of them gets another name."""
    defined_in: dict[str, set[str]] = defaultdict(set)
    for module in project_modules().values():
        for name in _top_level_definitions(module):
            defined_in[name].add(module.name)
    duplicates = {
        name: sorted(modules)
        for name, modules in sorted(defined_in.items())
        if name not in SAME_BY_CONVENTION and len({m.partition(".")[0] for m in modules}) > 1
    }
    assert not duplicates, "defined in more than one package:\n" + "\n".join(
        f"{name}: {', '.join(modules)}" for name, modules in duplicates.items()
    )


#: What each package must not import: the layers below never reach up.
FORBIDDEN = {
    "schemas": ("keys", "issuer", "verifier", "microcred"),
    "keys": ("issuer", "verifier"),
    "verifier": ("issuer",),
}
#: The shared exit statuses, which every CLI imports (one of :data:`SHARED_LEAVES`).
SHARED_FROM_MICROCRED = "microcred.exit_codes"
#: The modules of ``microcred`` the packages below may import: the exit statuses, translatable
#: sentences (``messages``, no dependencies at all) and the pages' language (``i18n``, which
#: builds on ``messages`` and reads dates as every layer does, with ``schemas.dates``).
SHARED_LEAVES = {
    SHARED_FROM_MICROCRED: frozenset(),
    "microcred.messages": frozenset(),
    "microcred.i18n": frozenset({"microcred.messages", "schemas.dates"}),
}


#: The only shared leaf the bottom layer may import: translatable sentences (stdlib only, no
#: project import: ``test_shared_leaves_stay_leaves``), for the stack evaluator's reasons.
#: Not ``microcred.i18n`` (FastAPI, Babel) nor the exit statuses (``schemas`` has no CLI).
SCHEMAS_MAY_IMPORT = frozenset({"microcred.messages"})


def _layering_violations() -> Iterator[str]:
    graph = import_graph()
    for name, targets in sorted(graph.items()):
        package = name.partition(".")[0]
        for target in sorted(targets):
            target_package = target.partition(".")[0]
            if package == "schemas" and target in SCHEMAS_MAY_IMPORT:
                continue
            if target_package in FORBIDDEN.get(package, ()):
                yield f"{name} imports {target}"
            elif (
                package != "microcred"
                and target_package == "microcred"
                and target not in SHARED_LEAVES
            ):
                yield f"{name} imports {target} (the console script composes the packages)"


def test_lower_layers_do_not_import_higher_ones() -> None:
    violations = list(_layering_violations())
    assert not violations, "\n".join(violations)


def test_exit_codes_is_a_leaf() -> None:
    """Every CLI imports ``microcred.exit_codes``; it must not drag anything in with it."""
    module = project_modules()[SHARED_FROM_MICROCRED]
    imports = [
        ast.unparse(node)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Import)
        or (isinstance(node, ast.ImportFrom) and node.module != "__future__")
    ]
    assert not imports


def test_shared_leaves_stay_leaves() -> None:
    """The ``microcred`` modules every package imports import no other project module (but
    what :data:`SHARED_LEAVES` allows), so importing them drags no package along."""
    graph = import_graph()
    reaching = {
        leaf: sorted(graph[leaf] - allowed)
        for leaf, allowed in SHARED_LEAVES.items()
        if graph[leaf] - allowed
    }
    assert not reaching, reaching
    messages = project_modules()["microcred.messages"]
    stdlib = {"__future__", "collections", "datetime", "typing"}
    imported = [
        name
        for node in ast.walk(messages.tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    third_party = [name for name in imported if name.partition(".")[0] not in stdlib]
    assert not third_party, "microcred.messages is imported by every layer: stdlib only"


def test_the_checks_see_the_project() -> None:
    """Guards the tests above against passing because they looked at nothing."""
    graph = import_graph()
    assert {"schemas.dates", "issuer.cli.common", "microcred.cli"} <= graph.keys()
    assert "issuer.cli.common" in graph["issuer.cli.status"]
    assert "microcred.exit_codes" in graph["issuer.cli.common"]
    assert not any(name.startswith("issuer.migrations") for name in graph)
    cycle = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    groups = [g for g in _strongly_connected(cycle) if len(g) > 1]
    assert groups == [["a", "b", "c"]]
    assert _one_cycle(cycle, groups[0]) == ["a", "b", "c", "a"]
