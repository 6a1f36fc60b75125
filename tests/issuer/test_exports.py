"""The package's public names are exactly ``__all__`` (the httpx convention)."""

from __future__ import annotations

import issuer


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in vars(issuer)
        if not name.startswith("_")
        and not isinstance(getattr(issuer, name), type(issuer))  # submodules
    }
    assert public == set(issuer.__all__)
    assert issuer.__all__ == sorted(issuer.__all__)
