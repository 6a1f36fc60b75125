"""The package's public names are exactly ``__all__`` (the httpx convention)."""

from __future__ import annotations

import schemas


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in vars(schemas)
        if not name.startswith("_")
        and not isinstance(getattr(schemas, name), type(schemas))  # submodules
    }
    assert public == set(schemas.__all__)
    assert schemas.__all__ == sorted(schemas.__all__)
