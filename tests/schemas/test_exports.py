"""The package's public names are exactly ``__all__`` (the httpx convention), imported lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

import schemas


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(schemas) if not name.startswith("_")}
    submodules = {name for name in public if isinstance(getattr(schemas, name), type(schemas))}
    assert public - submodules == set(schemas.__all__)
    assert schemas.__all__ == sorted(schemas.__all__)


def test_every_public_name_resolves_to_its_defining_module() -> None:
    for name in schemas.__all__:
        value = getattr(schemas, name)
        module = importlib.import_module(schemas._EXPORTS[name])
        assert getattr(module, name) is value


def test_importing_the_package_imports_none_of_its_modules() -> None:
    """A command that needs one small module must not pay for the whole surface."""
    code = (
        "import sys, schemas; "
        "print(sorted(m for m in sys.modules if m.startswith('schemas.') and m != 'schemas.lazy'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]" or out == "['schemas.lazy']", out
