"""Package surfaces that import their modules only when a name is first used (PEP 562).

Each package's ``__init__`` lists its public names in ``__all__``; importing them eagerly would
make ``import schemas.dates`` (or ``microcred --help``) pay for pyld, cryptography and FastAPI.
``lazy_exports`` gives a package a module ``__getattr__`` and ``__dir__`` that import the
defining module on first access instead. Type checkers still see the names through the
package's ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, where ``exports`` maps name → module."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals_of_package = vars(importlib.import_module(package))
        globals_of_package[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(importlib.import_module(package))))

    return __getattr__, __dir__
