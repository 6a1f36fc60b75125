"""Each package's public names are exactly its ``__all__`` (the httpx convention), imported
lazily: ``import schemas`` (or ``microcred --help``) must not pay for pyld, cryptography or
FastAPI before a name is used."""

from __future__ import annotations

import importlib
import subprocess
import sys
from types import ModuleType

import pytest

PACKAGES = ("schemas", "keys", "verifier", "issuer")


@pytest.fixture(params=PACKAGES)
def package(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(request.param)


def test_all_lists_exactly_the_public_names(package: ModuleType) -> None:
    public = {name for name in dir(package) if not name.startswith("_")}
    submodules = {name for name in public if isinstance(getattr(package, name), ModuleType)}
    assert public - submodules == set(package.__all__)
    assert package.__all__ == sorted(package.__all__)


def test_every_public_name_comes_from_the_module_that_defines_it(package: ModuleType) -> None:
    for name in package.__all__:
        module = importlib.import_module(package._EXPORTS[name])
        assert getattr(package, name) is getattr(module, name), name


@pytest.mark.parametrize("name", PACKAGES)
def test_importing_a_package_imports_none_of_its_modules(name: str) -> None:
    code = (
        f"import sys, {name}; "
        f"print(sorted(m for m in sys.modules if m.startswith('{name}.') and m != 'schemas.lazy'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]", out
