"""Shared test fixtures: where the reference data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
#: Reference data (contexts, schemas, vectors) sits beside the checkout, never inside it.
VENDOR = PROJECT.parent / "shared" / "vendor-data"


@pytest.fixture(scope="session")
def vendor() -> Path:
    if not VENDOR.is_dir():
        pytest.fail(f"reference data missing: {VENDOR} (it sits beside the checkout in CI)")
    return VENDOR
