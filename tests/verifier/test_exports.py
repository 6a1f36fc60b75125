"""The package's public names are exactly ``__all__`` (the httpx convention)."""

from __future__ import annotations

import verifier


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in vars(verifier)
        if not name.startswith("_")
        and not isinstance(getattr(verifier, name), type(verifier))  # submodules
    }
    assert public == set(verifier.__all__)
    assert verifier.__all__ == sorted(verifier.__all__)
