"""The package's public names are exactly ``__all__`` (the httpx convention), imported lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys

import keys


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(keys) if not name.startswith("_")}
    submodules = {name for name in public if isinstance(getattr(keys, name), type(keys))}
    assert public - submodules == set(keys.__all__)
    assert keys.__all__ == sorted(keys.__all__)


def test_every_public_name_resolves_to_its_defining_module() -> None:
    for name in keys.__all__:
        value = getattr(keys, name)
        module = importlib.import_module(keys._EXPORTS[name])
        assert getattr(module, name) is value


def test_importing_the_package_imports_none_of_its_modules() -> None:
    """A command that needs one small module must not pay for the whole surface."""
    code = (
        "import sys, keys; "
        "print(sorted(m for m in sys.modules if m.startswith('keys.') and m != 'keys.lazy'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]" or out == "['schemas.lazy']", out
