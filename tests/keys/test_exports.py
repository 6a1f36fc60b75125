"""The package's public names are exactly ``__all__`` (the httpx convention)."""

from __future__ import annotations

import keys


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in vars(keys)
        if not name.startswith("_")
        and not isinstance(getattr(keys, name), type(keys))  # submodules
    }
    assert public == set(keys.__all__)
    assert keys.__all__ == sorted(keys.__all__)
